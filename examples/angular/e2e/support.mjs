// What the end-to-end tests share: the built app served on loopback, Debian's chromium, and a
// few waits. (Not a test file: `node --test` runs only the files it is given.)
/* global AbortController, document -- the last one: in the page */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const browserDir = join(appRoot, 'dist', 'rxchat-angular-example', 'browser');
const screenshots = join(appRoot, 'e2e', 'screenshots');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.json': 'application/json',
};

/** Builds the app, unless RXCHAT_E2E_BUILT=1 says it is built already. */
export function buildUnlessBuilt() {
  if (process.env.RXCHAT_E2E_BUILT === '1') return;
  const build = spawnSync('npm', ['run', 'build'], { cwd: appRoot, stdio: 'inherit' });
  assert.equal(build.status, 0, 'ng build failed');
}

/** Serves the built app; unknown paths get index.html, as a single-page app expects. */
export async function serveApp() {
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://app').pathname);
    let file = normalize(join(browserDir, path));
    if (!file.startsWith(browserDir + sep) || extname(file) === '') {
      file = join(browserDir, 'index.html');
    }
    try {
      const body = await readFile(file);
      response.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

/**
 * Headless Debian chromium (CHROMIUM_PATH overrides /usr/bin/chromium) in a fresh profile: a
 * persistent context is how playwright takes a --user-data-dir. `close()` removes the profile.
 */
export async function launchBrowser() {
  const userDataDir = mkdtempSync(join(tmpdir(), 'rxchat-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    viewport: { width: 900, height: 720 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Pushes the page's console errors and uncaught exceptions onto `errors`. */
export function collectErrors(page, errors) {
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(String(error)));
}

/** `promise`, or a failure naming `what` after `ms` milliseconds. */
export async function within(promise, ms, what) {
  const timer = new AbortController();
  const timeout = sleep(ms, undefined, { signal: timer.signal }).then(() =>
    assert.fail(`${what} did not happen within ${ms} ms`),
  );
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    timer.abort();
    timeout.catch(() => {}); // the aborted timer rejects
  }
}

/** Waits until the page's status is one of `statuses`; fails at once on an error shown. */
export async function waitForStatus(page, statuses, timeout = 20_000) {
  await page.waitForFunction(
    (wanted) => {
      const text = document.querySelector('[data-testid="status"]')?.textContent?.trim();
      return wanted.includes(text) || text === 'error';
    },
    statuses,
    { timeout },
  );
  const now = (await page.getByTestId('status').textContent()).trim();
  if (now === 'error' && !statuses.includes('error')) {
    assert.fail(`the page shows an error: ${(await page.getByTestId('error').innerText()).trim()}`);
  }
}

/** Saves a full-page screenshot as e2e/screenshots/{name}.png. */
export async function screenshot(page, name) {
  mkdirSync(screenshots, { recursive: true });
  const path = join(screenshots, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(`screenshot: ${path}`);
}
