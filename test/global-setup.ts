import { corpusDir, corpusPresent } from './helpers/corpus';

/**
 * Runs once before the whole suite. Without the recorded corpus, three suites skip their
 * corpus cases (they show as `todo`): say so once, in one line, instead of once per suite
 * with a code frame.
 */
export default function globalSetup(): void {
  if (corpusPresent) return;
  process.stdout.write(
    `\n[rxchat] no recorded corpus at ${corpusDir}: the corpus cases are skipped ` +
      '(the synthetic quirk fixtures still run). ' +
      'Set RXCHAT_CORPUS=/path/to/corpus to run them.\n\n',
  );
}
