// Builds rxchat, installs the packed tarball into examples/angular, then builds that app and runs
// its unit tests (Vitest in jsdom) and its end-to-end tests (Debian's chromium via playwright-core,
// against the mock server; then relay mode, with an rxchat/relay on the mock server's origin).
// Exits non-zero on the first failure.
//
// The tarball rather than `file:../..`: a symlinked package would resolve rxjs and @angular/core
// from the repository's own node_modules, a second copy of each, and Angular's DI breaks on that.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const example = join(root, 'examples', 'angular');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const env = { ...process.env, NG_CLI_ANALYTICS: 'false', CI: process.env.CI ?? 'true' };
const started = Date.now();
const timings = [];

function step(title, action) {
  console.log(`\n=== ${title} ===`);
  const t0 = Date.now();
  action();
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  timings.push([title, seconds]);
  console.log(`--- ${title}: ok (${seconds} s)`);
}

function run(command, args, cwd, extraEnv = {}) {
  console.log(`$ ${[command, ...args].join(' ')}   (in ${cwd})`);
  const result = spawnSync(command, args, {
    cwd,
    stdio: 'inherit',
    env: { ...env, ...extraEnv },
  });
  if (result.error) fail(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) {
    fail(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
}

function fail(message) {
  console.error(`\ntest-angular: FAILED: ${message}`);
  process.exit(1);
}

const tmp = mkdtempSync(join(tmpdir(), 'rxchat-angular-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

if (!existsSync('/usr/bin/chromium') && !process.env.CHROMIUM_PATH) {
  fail(
    'no /usr/bin/chromium: install it with `apt-get install -y chromium` (or set CHROMIUM_PATH)',
  );
}

// No separate build: `npm pack` runs the `prepare` script, which builds dist/.

let tarball;
step('pack rxchat', () => {
  const result = spawnSync(npm, ['pack', '--pack-destination', tmp, '--json', '--silent'], {
    cwd: root,
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) fail(`npm pack exited with ${result.status}`);
  // npm may print lifecycle output before the JSON; the JSON is the last top-level array.
  const json = result.stdout.slice(result.stdout.indexOf('['));
  tarball = join(tmp, JSON.parse(json)[0].filename);
  console.log(tarball);
});

step('install the example', () => {
  const modules = join(example, 'node_modules');
  const stale =
    !existsSync(modules) ||
    statSync(modules).mtimeMs < statSync(join(example, 'package-lock.json')).mtimeMs;
  if (stale) run(npm, ['ci', '--no-audit', '--no-fund'], example);
  else console.log('node_modules is newer than package-lock.json: npm ci skipped');
  // --no-save: package.json and package-lock.json stay as committed. --ignore-scripts: the
  // tarball carries dist/ already, so rxchat's `prepare` (a build from source) has nothing to do.
  run(
    npm,
    ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
    example,
  );
});

step('build the app', () => run(npm, ['run', 'build'], example));

step('unit tests', () => run(npm, ['test'], example));

step('end-to-end test', () =>
  run(process.execPath, ['--test', '--test-reporter=spec', 'e2e/chat.test.mjs'], example, {
    RXCHAT_E2E_BUILT: '1',
  }),
);

// Relay mode: a reload mid-answer resumes the run; Stop stops its upstream.
step('end-to-end test (relay)', () =>
  run(process.execPath, ['--test', '--test-reporter=spec', 'e2e/relay.test.mjs'], example, {
    RXCHAT_E2E_BUILT: '1',
  }),
);

console.log('\n=== summary ===');
for (const [title, seconds] of timings) console.log(`${title.padEnd(24)} ${seconds} s`);
console.log(`test-angular: all passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
