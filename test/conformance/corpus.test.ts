import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { inspectFile } from '../../src/cli/inspect';
import { corpusDir, corpusFiles, corpusPresent, readGolden } from '../helpers/corpus';
import { goldenForm } from '../helpers/golden';

const goldenDir = join(__dirname, 'golden');
const present = corpusPresent;
const files = corpusFiles;

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
      const golden = readGolden(file);
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
