import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspectFile } from '../../src/cli/inspect';
import { goldenForm } from '../helpers/golden';

// The recorded streams live beside the repository, never inside it (they are not ours to
// redistribute). A plain clone has no ../shared: the suite then says so and skips.
const corpusDir = resolve(process.env.RXCHAT_CORPUS ?? join(__dirname, '../../../shared/corpus'));
const goldenDir = join(__dirname, 'golden');
const present = existsSync(corpusDir);
const files = present
  ? readdirSync(corpusDir)
      .filter((f) => f.endsWith('.sse'))
      .sort()
  : [];

if (!present) {
  console.warn(
    `[conformance] ${corpusDir} is absent: the corpus conformance suite is skipped. ` +
      'Set RXCHAT_CORPUS or place shared/corpus beside the repository to run it.',
  );
}

interface Golden {
  file: string;
  ok: boolean;
  error: { code: string; message_contains: string | null } | null;
  completion: unknown;
}

if (!present) {
  describe('conformance over the recorded corpus', () => {
    it.todo(`runs when ${corpusDir} is present`);
  });
} else
  describe('conformance over the recorded corpus', () => {
    it('has a golden file for every recorded stream and no stale ones', () => {
      const goldens = readdirSync(goldenDir)
        .filter((f) => f.endsWith('.json'))
        .sort();
      expect(goldens).toEqual(files.map((f) => `${f}.json`));
      expect(files.length).toBeGreaterThanOrEqual(48);
    });

    it.each(files)('%s', async (file) => {
      const golden = JSON.parse(readFileSync(join(goldenDir, `${file}.json`), 'utf8')) as Golden;
      const result = await inspectFile(join(corpusDir, file));
      expect(result.ok).toBe(golden.ok);
      if (golden.error) {
        expect(result.error?.code).toBe(golden.error.code);
        if (golden.error.message_contains !== null)
          expect(result.error?.message).toContain(golden.error.message_contains);
      } else {
        expect(result.error).toBeNull();
      }
      expect(goldenForm(result.completion)).toEqual(golden.completion);
    });
  });
