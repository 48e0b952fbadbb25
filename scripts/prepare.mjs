// npm's `prepare` script: builds dist/ whenever npm makes a package of this directory, so that
// a package made from a fresh clone works. npm runs it on `npm install` / `npm ci` here, on
// `npm pack` and `npm publish`, when another project installs rxchat from a git URL (npm installs
// the dev dependencies first), and when another project links or packs this directory
// (`npm install ../rxchat`, with or without --install-links).
//
// The build needs the dev dependencies (tsup). Without them, say so instead of failing with
// "tsup: not found".
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
let tsup;
try {
  tsup = join(
    dirname(createRequire(join(root, 'package.json')).resolve('tsup/package.json')),
    'dist/cli-default.js',
  );
} catch {
  // Resolved as in a build: only this directory's node_modules (or a parent's) count.
}
if (!tsup || !existsSync(tsup)) {
  console.error(
    `rxchat: building dist/ needs the dev dependencies, and tsup is not installed in ${root}.\n` +
      `Run \`npm install\` (or \`npm ci\`) in ${root} first, then install or pack it again.`,
  );
  process.exit(1);
}

rmSync(join(root, 'dist'), { recursive: true, force: true });
const result = spawnSync(process.execPath, [tsup, '--silent'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
