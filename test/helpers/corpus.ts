import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/*
 * The recorded streams live beside the repository, never inside it (they are not ours to
 * redistribute): ../shared/corpus, or $RXCHAT_CORPUS. A plain clone has none; suites that need
 * them say so and skip.
 */
export const corpusDir = resolve(
  process.env.RXCHAT_CORPUS ?? join(__dirname, '../../../shared/corpus'),
);
export const corpusPresent = existsSync(corpusDir);
/** The recorded stream file names, sorted; empty when the corpus is absent. */
export const corpusFiles = corpusPresent
  ? readdirSync(corpusDir)
      .filter((f) => f.endsWith('.sse'))
      .sort()
  : [];

/** Where the synthetic quirk fixtures live (always present, unlike the corpus). */
export const fixturesDir = resolve(__dirname, '../fixtures/quirks');

/**
 * Every stream there is to run a property over: the quirk fixtures, then the recorded corpus
 * when present, each with a name for the test title and its path.
 */
export function everyStream(): { name: string; path: string }[] {
  return [
    ...readdirSync(fixturesDir)
      .filter((f) => f.endsWith('.sse'))
      .sort()
      .map((f) => ({ name: `fixture ${f}`, path: join(fixturesDir, f) })),
    ...corpusFiles.map((f) => ({ name: `corpus ${f}`, path: join(corpusDir, f) })),
  ];
}

/** The golden expectation of one recorded stream (see test/conformance/README.md). */
export interface Golden {
  file: string;
  ok: boolean;
  error: { code: string; message_contains: string | null } | null;
  completion: unknown;
}

export function readGolden(file: string): Golden {
  return JSON.parse(
    readFileSync(join(__dirname, '../conformance/golden', `${file}.json`), 'utf8'),
  ) as Golden;
}
