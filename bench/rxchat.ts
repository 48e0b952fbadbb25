/*
 * rxchat as its users run it: the built package in dist/, typed from the source. Benchmarks
 * import rxchat from here, never from ../src: tsx compiles the source with esbuild's keepNames,
 * which adds an Object.defineProperty to every closure it creates (a per-stream cost the
 * published build does not have), and a benchmark should measure what ships.
 *
 * dist/ is rebuilt (tsup) when it is missing or older than any file in src/, so a rerun after an
 * edit never measures stale code.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.join(__dirname, '..');
/**
 * BENCH_RXCHAT_BUILT=/path/to/dist/node.cjs measures that build instead, as it is (never rebuilt):
 * for a run while src/ is being edited, e.g. a build of the last commit made in a `git archive`
 * copy of the tree.
 */
const pinned = process.env.BENCH_RXCHAT_BUILT;
const built = pinned ? path.resolve(pinned) : path.join(root, 'dist', 'node.cjs');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(file) : statSync(file).mtimeMs);
  }
  return newest;
}

if (
  !pinned &&
  (!existsSync(built) || statSync(built).mtimeMs < newestSource(path.join(root, 'src')))
) {
  process.stderr.write('bench: building rxchat (dist/ is missing or older than src/)\n');
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules', 'tsup', 'dist', 'cli-default.js'), '--silent'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const rxchat = require(built) as typeof import('../src/node');

export const {
  contentDeltas,
  createChatClient,
  decodeSse,
  fetchTransport,
  finalCompletion,
  parseChunks,
  parseResponseEvents,
  undiciTransport,
  bufferText,
  smoothText,
  throttleText,
} = rxchat;
export type { ChatClient } from '../src/node';

/** The build benchmarks measure: dist/node.cjs, or BENCH_RXCHAT_BUILT. */
export const builtNode = built;

/** rxchat/relay as it ships: the dist/relay.cjs next to the build above. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const relayBuild = require(
  path.join(path.dirname(built), 'relay.cjs'),
) as typeof import('../src/relay');
