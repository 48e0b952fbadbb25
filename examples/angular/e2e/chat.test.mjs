// End-to-end: the production build in Debian's chromium (playwright-core, no downloaded browser),
// streaming from rxchat's mock server on another port (so CORS is exercised too). Everything
// listens on 127.0.0.1 only.
//
//   npm run build && RXCHAT_E2E_BUILT=1 node --test e2e/chat.test.mjs
//
// Without RXCHAT_E2E_BUILT=1 the test builds the app first. CHROMIUM_PATH overrides
// /usr/bin/chromium.
/* global document, window, MutationObserver -- in the page */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { mockAnswerText, startMockServer } from 'rxchat/mock-server';
import {
  buildUnlessBuilt,
  collectErrors,
  launchBrowser,
  screenshot,
  serveApp,
  waitForStatus,
  within,
} from './support.mjs';

// 15 tokens a second after 300 ms, so an answer of 30-odd tokens takes 2 s or more and renders in
// many steps; seeded, so every run paces alike.
const PACE = { firstTokenMs: 300, tokensPerSecond: 15, jitter: 0.3, seed: 7 };

let app;
let mock;
let context;
let browser;
/** Console errors and uncaught exceptions of every page; each test expects none. */
const pageErrors = [];

before(async () => {
  buildUnlessBuilt();
  app = await serveApp();
  // CORS for the app's origin only, as a real deployment would allow it.
  mock = await startMockServer({ pace: PACE, cors: app.url });
  browser = await launchBrowser();
  context = browser.context;
});

after(async () => {
  await browser?.close();
  await mock?.close();
  app?.close();
});

/** A fresh page of the app, talking to the mock server (`query`: more of the query string). */
async function openApp(query = '') {
  const page = await context.newPage();
  collectErrors(page, pageErrors);
  await page.goto(`${app.url}/?api=${encodeURIComponent(mock.url)}${query}`);
  await page.getByTestId('status').filter({ hasText: 'idle' }).waitFor();
  return page;
}

/** The chat request the mock server received for `prompt` (a POST, so never a CORS preflight). */
async function requestFor(prompt) {
  for (let waited = 0; waited < 5000; waited += 20) {
    const request = mock.requests.find(
      (r) => r.method === 'POST' && r.body?.messages?.at(-1)?.content === prompt,
    );
    if (request) return request;
    await sleep(20);
  }
  assert.fail(`the mock server never received a request for ${JSON.stringify(prompt)}`);
}

/** Starts recording, in the page, every render of the answer as the page shows it. */
async function recordRenders(page) {
  await page.evaluate(() => {
    const answer = document.querySelector('[data-testid="answer"]');
    const renders = (window.__renders = []);
    new MutationObserver(() => renders.push(answer.textContent)).observe(answer, {
      characterData: true,
      childList: true,
      subtree: true,
    });
  });
}

/** The non-empty renders recorded so far. */
async function rendersSoFar(page) {
  return (await page.evaluate(() => window.__renders)).filter((text) => text !== '');
}

test('streams an answer in several renders, then shows the usage', async () => {
  const page = await openApp();
  const prompt = 'How do cold observables stream a chat answer?';
  await page.getByTestId('prompt').fill(prompt);

  // Every render of the answer, as the page shows it, recorded in the page.
  await recordRenders(page);

  const started = Date.now();
  await page.getByTestId('send').click();
  await waitForStatus(page, ['resolved']);
  const seconds = (Date.now() - started) / 1000;

  const expected = mockAnswerText(prompt);
  const renders = await rendersSoFar(page);
  const lengths = [...new Set(renders.map((text) => text.length))];
  assert.ok(seconds >= 1.5, `the paced answer took only ${seconds} s`);
  assert.ok(lengths.length >= 3, `the answer grew in only ${lengths.length} steps`);
  for (const text of renders) assert.ok(expected.startsWith(text), `not a prefix: ${text}`);
  assert.deepEqual(
    lengths,
    [...lengths].sort((a, b) => a - b),
    'the answer only ever grows',
  );

  const usage = (await page.getByTestId('usage').innerText()).trim();
  console.log(`answer took ${seconds.toFixed(2)} s in ${renders.length} renders (${usage})`);
  assert.equal((await page.getByTestId('answer').textContent()).trim(), expected);
  const match = /^prompt (\d+) · completion (\d+) · total (\d+)$/.exec(usage);
  assert.ok(match, `usage line: ${usage}`);
  assert.equal(Number(match[1]) + Number(match[2]), Number(match[3]));
  assert.equal(await page.getByTestId('error').count(), 0);
  const sent = await requestFor(prompt);
  assert.deepEqual(await sent.closed, { byClient: false });
  // Through HttpClient, so the app's interceptor tagged it.
  assert.equal(sent.headers['x-app-interceptor'], 'rxchat-example');

  await screenshot(page, 'answer-done');
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test('Stop closes the connection: the mock server sees the client go away', async () => {
  const page = await openApp();
  const prompt = 'Tell me a long story, then stop me.';
  await page.getByTestId('prompt').fill(prompt);
  await page.getByTestId('send').click();

  const answer = page.getByTestId('answer');
  await page.waitForFunction(
    () =>
      document.querySelector('[data-testid="answer"]').textContent.trim().length >= 20 ||
      document.querySelector('[data-testid="error"]'),
  );
  await waitForStatus(page, ['streaming']);
  const request = await requestFor(prompt);
  await page.getByTestId('stop').click();
  const stoppedAt = Date.now();
  assert.deepEqual(await within(request.closed, 2000, 'the server seeing the close'), {
    byClient: true,
  });
  console.log(`server saw the close ${Date.now() - stoppedAt} ms after Stop`);

  const textAtStop = (await answer.textContent()).trim();
  await waitForStatus(page, ['stopped']);
  await sleep(1000); // the whole answer would have grown a good deal by now
  const textLater = (await answer.textContent()).trim();
  assert.equal(textLater, textAtStop, 'the answer kept growing after Stop');
  assert.ok(textLater.length > 0 && textLater.length < mockAnswerText(prompt).length);
  assert.ok(mockAnswerText(prompt).startsWith(textLater));
  assert.equal(await page.getByTestId('usage').count(), 0);
  assert.equal(await page.getByTestId('stop').isDisabled(), true);

  await screenshot(page, 'answer-stopped');
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test('a new quick question cancels the answer still streaming for the last one', async () => {
  const page = await openApp();
  const quickAnswer = page.getByTestId('quick-answer');
  const first = 'What is a cold observable?';
  const second = 'And a hot one?';

  await page.getByTestId('quick-question').fill(first);
  const firstRequest = await requestFor(first); // sent once the question settled (300 ms)
  await page.waitForFunction(
    () => document.querySelector('[data-testid="quick-answer"]').textContent.trim().length > 0,
  );
  await page.getByTestId('quick-question').fill(second);
  assert.deepEqual(await within(firstRequest.closed, 3000, 'the first answer being cancelled'), {
    byClient: true,
  });

  await page.waitForFunction(
    (expected) =>
      document.querySelector('[data-testid="quick-answer"]').textContent.trim() === expected,
    mockAnswerText(second),
    { timeout: 20_000 },
  );
  assert.deepEqual(await (await requestFor(second)).closed, { byClient: false });
  assert.equal(await quickAnswer.getAttribute('data-status'), 'resolved');

  await screenshot(page, 'quick-answer');
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test('streams the same way with zone.js change detection (?zone)', async () => {
  const page = await openApp('&zone');
  assert.equal(await page.evaluate(() => typeof window.Zone), 'function', 'zone.js is loaded');
  const prompt = 'Does it work with zone.js as well?';
  await page.getByTestId('prompt').fill(prompt);
  await recordRenders(page);
  await page.getByTestId('send').click();
  await waitForStatus(page, ['resolved']);

  const expected = mockAnswerText(prompt);
  const renders = await rendersSoFar(page);
  const lengths = new Set(renders.map((text) => text.length));
  assert.ok(lengths.size >= 3, `the answer grew in only ${lengths.size} steps`);
  assert.equal((await page.getByTestId('answer').textContent()).trim(), expected);
  assert.match((await page.getByTestId('usage').innerText()).trim(), /^prompt \d+ · completion/);

  await screenshot(page, 'answer-zone-js');
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test("the browser's fetch transport streams and stops alike (?transport=fetch)", async () => {
  const page = await openApp('&transport=fetch');
  const prompt = 'Same answer through fetch, then stop.';
  await page.getByTestId('prompt').fill(prompt);
  await page.getByTestId('send').click();
  await page.waitForFunction(
    () =>
      document.querySelector('[data-testid="answer"]').textContent.trim().length >= 20 ||
      document.querySelector('[data-testid="error"]'),
  );
  await waitForStatus(page, ['streaming']);
  const request = await requestFor(prompt);
  // Straight through fetch: the app's HttpClient interceptor never saw it.
  assert.equal(request.headers['x-app-interceptor'], undefined);
  assert.equal(request.headers['accept'], 'text/event-stream');
  await page.getByTestId('stop').click();
  assert.deepEqual(await within(request.closed, 2000, 'the server seeing the close'), {
    byClient: true,
  });
  const text = (await page.getByTestId('answer').textContent()).trim();
  assert.ok(text.length > 0 && mockAnswerText(prompt).startsWith(text));

  await screenshot(page, 'answer-fetch-stopped');
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test('an error shows by its code (?fault=status:401 asks the mock server for one)', async () => {
  const page = await openApp(`&fault=${encodeURIComponent('status:401')}`);
  const prompt = 'This one fails.';
  await page.getByTestId('prompt').fill(prompt);
  await page.getByTestId('send').click();
  await waitForStatus(page, ['error']);
  const shown = (await page.getByTestId('error').innerText()).trim();
  assert.match(shown, /^http_error /);
  assert.equal((await requestFor(prompt)).headers['x-mock-fault'], 'status:401');
  assert.equal(await page.getByTestId('usage').count(), 0);
  assert.equal(await page.getByTestId('stop').isDisabled(), true);

  await screenshot(page, 'answer-error');
  // The browser logs the failed response itself; nothing else went wrong in the page.
  assert.deepEqual(
    pageErrors.filter((error) => !/status of 401/.test(error)),
    [],
  );
  pageErrors.length = 0;
  await page.close();
});
