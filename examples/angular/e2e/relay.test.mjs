// End-to-end, relay mode (`?relay`): the production build in Debian's chromium (playwright-core),
// against rxchat's mock server with an rxchat/relay handler on its origin (as `rxchat serve
// --relay` runs it): `POST /relay/runs` starts a run whose upstream is the mock's own chat
// completions, read over SSE from `/relay/runs/{id}/events`. Proves that a reload mid-answer
// resumes with nothing repeated and nothing lost (and without running the model again), and that
// Stop stops the upstream. Everything listens on 127.0.0.1 only.
//
//   npm run build && RXCHAT_E2E_BUILT=1 node --test e2e/relay.test.mjs
//
// Without RXCHAT_E2E_BUILT=1 the test builds the app first. CHROMIUM_PATH overrides
// /usr/bin/chromium.
/* global document, window, sessionStorage -- in the page */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { contentDeltas } from 'rxchat';
import { mockAnswerText, startMockServer } from 'rxchat/mock-server';
import { createChatClient } from 'rxchat/node';
import { createRelay } from 'rxchat/relay';
import { filter, lastValueFrom, map, takeWhile, toArray } from 'rxjs';
import {
  buildUnlessBuilt,
  collectErrors,
  launchBrowser,
  screenshot,
  serveApp,
  waitForStatus,
  within,
} from './support.mjs';

// 8 tokens a second after 300 ms: an answer of about 30 tokens takes 4 s, time enough to reload
// the page (and boot the app again) well before its end. Seeded, so every run paces alike.
const PACE = { firstTokenMs: 300, tokensPerSecond: 8, jitter: 0.2, seed: 11 };

/** The key under which the page keeps its run (see relay-chat.ts). */
const RUN_KEY = 'rxchat.relay.run';

/** The `x-mock-*` headers of the page's POST, passed on to the upstream request. */
function mockHeaders(req) {
  return Object.fromEntries(
    Object.entries(req.headers).filter(
      ([name, value]) => name.startsWith('x-mock-') && typeof value === 'string',
    ),
  );
}

let app;
let mock;
let relay;
let client;
let context;
let browser;
/** Console errors and uncaught exceptions of every page; each test expects none. */
const pageErrors = [];

before(async () => {
  buildUnlessBuilt();
  app = await serveApp();
  // The run's upstream: the mock's own chat completions. `start` runs per POST, after the
  // server listens, so the client (which needs the server's URL) is made below.
  relay = createRelay({
    prefix: '/relay',
    start: ({ body, req }) => client.stream(body, { headers: mockHeaders(req) }),
  });
  mock = await startMockServer({ pace: PACE, cors: app.url, routes: relay.handler() });
  client = createChatClient({ baseURL: mock.url, apiKey: 'unused' });
  browser = await launchBrowser();
  context = browser.context;
});

after(async () => {
  await browser?.close();
  await relay?.close();
  await mock?.close();
  app?.close();
});

/**
 * A fresh page of the app in relay mode, the relay on the mock server's origin. `page.relayCalls`
 * records every request the page makes to the relay (method and URL); `window.__savedAtLoad`
 * is what sessionStorage held when the document loaded, before the app read it.
 */
async function openRelayPage() {
  const page = await context.newPage();
  collectErrors(page, pageErrors);
  page.relayCalls = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/relay/') && request.method() !== 'OPTIONS') {
      page.relayCalls.push({ method: request.method(), url });
    }
  });
  await page.addInitScript((key) => {
    window.__savedAtLoad = sessionStorage.getItem(key);
  }, RUN_KEY);
  await page.goto(`${app.url}/?relay&api=${encodeURIComponent(mock.url)}`);
  await page.getByTestId('status').filter({ hasText: 'idle' }).waitFor();
  return page;
}

/** The chat requests the mock server received for `prompt` (POSTs: never a CORS preflight). */
const requestsFor = (prompt) =>
  mock.requests.filter((r) => r.method === 'POST' && r.body?.messages?.at(-1)?.content === prompt);

async function requestFor(prompt) {
  for (let waited = 0; waited < 5000; waited += 20) {
    const [request] = requestsFor(prompt);
    if (request) return request;
    await sleep(20);
  }
  assert.fail(`the mock server never received a request for ${JSON.stringify(prompt)}`);
}

/** Waits until the answer shows at least `chars` characters. */
async function waitForText(page, chars) {
  await page.waitForFunction(
    (n) =>
      document.querySelector('[data-testid="answer"]').textContent.length >= n ||
      document.querySelector('[data-testid="error"]'),
    chars,
  );
  await waitForStatus(page, ['streaming']);
}

const answerOf = async (page) => await page.getByTestId('answer').textContent();

/** The text of the run's events up to offset `after`, from the relay's own log. */
async function relayTextUpTo(runId, after) {
  const pieces = await lastValueFrom(
    relay.events(runId).pipe(
      takeWhile((entry) => entry.offset <= after),
      filter((entry) => 'event' in entry),
      map((entry) => entry.event),
      contentDeltas(),
      toArray(),
    ),
  );
  return pieces.join('');
}

test('a reload mid-answer resumes the run: nothing repeated, nothing lost, no second model call', async () => {
  const page = await openRelayPage();
  const prompt = 'Tell me a long story about relays, then reload.';
  const expected = mockAnswerText(prompt);
  await page.getByTestId('prompt').fill(prompt);
  await page.getByTestId('send').click();

  await waitForText(page, 20);
  const before = await answerOf(page);
  assert.ok(before.length < expected.length, 'the answer was complete before the reload');
  await page.reload();

  // The new document found the run in sessionStorage and shows its text at once.
  const saved = JSON.parse(await page.evaluate(() => window.__savedAtLoad));
  assert.ok(saved, 'nothing was saved for the reload');
  assert.equal(saved.prompt, prompt);
  assert.ok(saved.after >= 0, `saved after ${saved.after}`);
  assert.ok(saved.text.length > 0 && expected.startsWith(saved.text), `saved: ${saved.text}`);
  // ... exactly the text of the run's events up to that offset, as the relay logged them.
  assert.equal(saved.text, await relayTextUpTo(saved.runId, saved.after));
  await page
    .getByTestId('resumed')
    .filter({ hasText: `after event ${saved.after}` })
    .waitFor();
  const shownAtResume = await answerOf(page);
  assert.ok(shownAtResume.startsWith(saved.text), `shown at resume: ${shownAtResume}`);
  await screenshot(page, 'relay-resumed');

  await waitForStatus(page, ['resolved']);
  const final = await answerOf(page);
  assert.equal(final, expected, 'the resumed answer repeats or lacks text');
  assert.match((await page.getByTestId('usage').innerText()).trim(), /^prompt \d+ · completion/);
  await screenshot(page, 'relay-done');

  // One run: one POST /relay/runs; its events read twice, the second time after the saved offset.
  const calls = page.relayCalls.map(({ method, url }) => `${method} ${url.pathname}${url.search}`);
  const events = `/relay/runs/${saved.runId}/events`;
  assert.deepEqual(calls, [
    'POST /relay/runs',
    `GET ${events}`,
    `GET ${events}?after=${saved.after}`,
  ]);
  // The model ran once: the reload did not ask the mock server again, and the run read it whole.
  assert.equal(requestsFor(prompt).length, 1, 'the model was asked more than once');
  assert.deepEqual(await requestsFor(prompt)[0].closed, { byClient: false });
  console.log(
    `reloaded at ${before.length} chars, resumed after event ${saved.after} ` +
      `(${saved.text.length} chars), ended at ${final.length} chars`,
  );

  // The run is over: nothing is left to resume.
  assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), RUN_KEY), null);
  await page.reload();
  await page.getByTestId('status').filter({ hasText: 'idle' }).waitFor();
  assert.equal(await answerOf(page), '');

  assert.deepEqual(pageErrors, []);
  await page.close();
});

test('Stop stops the run upstream: the mock server sees the client go away, the text stays', async () => {
  const page = await openRelayPage();
  const prompt = 'Tell me a long story about relays, then stop me.';
  const expected = mockAnswerText(prompt);
  await page.getByTestId('prompt').fill(prompt);
  await page.getByTestId('send').click();

  await waitForText(page, 20);
  const upstream = await requestFor(prompt);
  await page.getByTestId('stop').click();
  const stoppedAt = Date.now();
  // The relay unsubscribed the run's upstream: its HTTP request to the mock server was aborted.
  assert.deepEqual(await within(upstream.closed, 2000, 'the upstream seeing the close'), {
    byClient: true,
  });
  console.log(`the mock server saw the upstream close ${Date.now() - stoppedAt} ms after Stop`);

  await waitForStatus(page, ['stopped']);
  const textAtStop = await answerOf(page);
  await sleep(1000); // the whole answer would have grown a good deal by now
  assert.equal(await answerOf(page), textAtStop, 'the answer kept growing after Stop');
  assert.ok(textAtStop.length > 0 && textAtStop.length < expected.length);
  assert.ok(expected.startsWith(textAtStop), `not a prefix: ${textAtStop}`);
  assert.equal(await page.getByTestId('usage').count(), 0);
  assert.equal(await page.getByTestId('error').count(), 0);
  assert.equal(await page.getByTestId('stop').isDisabled(), true);
  assert.equal(await page.evaluate((key) => sessionStorage.getItem(key), RUN_KEY), null);

  const stops = page.relayCalls.filter(({ url }) => url.pathname.endsWith('/stop'));
  assert.equal(stops.length, 1);
  assert.equal(stops[0].method, 'POST');
  assert.equal(requestsFor(prompt).length, 1);

  await screenshot(page, 'relay-stopped');
  assert.deepEqual(pageErrors, []);
  await page.close();
});

test('a native EventSource reads a run to its end, then stops: the relay answers its reconnect 204', async () => {
  const prompt = 'A short one for EventSource.';
  const run = relay.start(
    'native-eventsource',
    client.stream(
      { model: 'mock-1', messages: [{ role: 'user', content: prompt }] },
      { headers: { 'x-mock-pace': 'none' } },
    ),
  );
  assert.deepEqual(await run.done, { status: 'completed' });
  const entries = await lastValueFrom(relay.events('native-eventsource').pipe(toArray()));

  const page = await context.newPage();
  const gets = [];
  page.on('request', (request) => {
    if (request.method() === 'GET' && request.url().includes('/relay/')) {
      // allHeaders(): headers() leaves out some that the network stack adds, Last-Event-ID among them.
      gets.push(request.allHeaders().then((headers) => headers['last-event-id'] ?? null));
    }
  });
  await page.goto(`${app.url}/?relay&api=${encodeURIComponent(mock.url)}`);
  const origin = new URL(mock.url).origin;
  const seen = await page.evaluate(
    (url) =>
      new Promise((resolve) => {
        const source = new window.EventSource(url);
        const result = { messages: 0, ends: 0, lastId: null };
        source.onmessage = (event) => {
          result.messages++;
          result.lastId = event.lastEventId;
        };
        source.addEventListener('end', () => result.ends++);
        // After the end the response closes and EventSource reconnects (about 3 s later) with
        // Last-Event-ID; the relay's 204 then closes it for good (readyState 2).
        source.onerror = () => {
          if (source.readyState === 2) resolve({ ...result, closed: true });
        };
        window.setTimeout(() => resolve({ ...result, closed: false }), 12_000);
      }),
    `${origin}/relay/runs/native-eventsource/events`,
  );
  assert.deepEqual(seen, {
    messages: entries.length - 1,
    ends: 1,
    lastId: String(entries.length - 2),
    closed: true,
  });
  // Two requests: the first, and one reconnect that got 204 (no loop).
  assert.deepEqual(await Promise.all(gets), [null, String(entries.length - 1)]);
  assert.deepEqual(
    pageErrors.filter((e) => !e.includes('EventSource')),
    [],
  );
  await page.close();
});
