import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import type { ChatStreamEvent } from 'rxchat';
import {
  createMockTransport,
  createTestScheduler,
  makeUsage,
  responseEvent,
  sseEvent,
  textEvent,
  usageEvent,
  type MockResponse,
  type MockTransport,
  type RunHelpers,
} from 'rxchat/testing';
import { RELAY_TRANSPORT, RELAY_URL } from './relay-api';
import {
  RELAY_PENDING_KEY,
  RELAY_RUN_KEY,
  RelayChat,
  type PendingStart,
  type SavedRun,
} from './relay-chat';

/** The run's log: offset 0 the response, 1-3 "Hello world" in three chunks, 4 the usage. */
const LOG: ChatStreamEvent[] = [
  responseEvent(),
  textEvent('Hel', { role: 'assistant' }),
  textEvent('lo'),
  textEvent(' world', { finishReason: 'stop' }),
  usageEvent(makeUsage(12, 3)),
];

/** The relay's SSE: r a b c u the entries at offsets 0-4, e its end, s its end when stopped. */
const EVENTS = {
  ...Object.fromEntries(
    ['r', 'a', 'b', 'c', 'u'].map((k, i) => [k, sseEvent(LOG[i], { id: `${i}` })]),
  ),
  e: sseEvent({ status: 'completed' }, { event: 'end', id: '5' }),
  s: sseEvent({ status: 'stopped' }, { event: 'end', id: '3' }),
};

const RUN = {
  id: 'run-1',
  events: '/relay/runs/run-1/events',
  stop: '/relay/runs/run-1/stop',
};

const json = (status: number, body: unknown): MockResponse => ({
  status,
  responseHeaders: { 'content-type': 'application/json' },
  body: '(j|)',
  values: { j: JSON.stringify(body) },
});

/** `POST /relay/runs` answered with run-1. */
const STARTED = json(201, RUN);

/** The relay page, its requests answered from `script` on the test scheduler. */
class Page {
  readonly transport: MockTransport;
  readonly fixture: ComponentFixture<RelayChat>;

  constructor({ cold }: RunHelpers, script: MockResponse[]) {
    this.transport = createMockTransport({ cold }, script);
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        { provide: RELAY_URL, useValue: 'http://test/relay' },
        { provide: RELAY_TRANSPORT, useValue: this.transport },
      ],
    });
    this.fixture = TestBed.createComponent(RelayChat);
    this.fixture.detectChanges();
  }

  find<T extends HTMLElement>(testId: string): T | null {
    return (this.fixture.nativeElement as HTMLElement).querySelector<T>(
      `[data-testid="${testId}"]`,
    );
  }

  text(testId: string): string | null {
    this.fixture.detectChanges();
    const text = this.find(testId)?.textContent;
    return text == null ? null : text.replace(/\s+/g, ' ').trim();
  }

  type(testId: string, value: string): void {
    const field = this.find<HTMLTextAreaElement>(testId)!;
    field.value = value;
    field.dispatchEvent(new Event('input'));
    this.fixture.detectChanges();
  }

  click(testId: string): void {
    this.fixture.detectChanges();
    const button = this.find<HTMLButtonElement>(testId)!;
    expect(button.disabled, `${testId} is enabled`).toBe(false);
    button.click();
    this.fixture.detectChanges();
  }

  /** What sessionStorage keeps for a reload: the run's `after` and `text`. */
  saved(): Pick<SavedRun, 'after' | 'text'> | null {
    const item = sessionStorage.getItem(RELAY_RUN_KEY);
    if (item === null) return null;
    const { after, text } = JSON.parse(item) as SavedRun;
    return { after, text };
  }
}

describe('RelayChat', () => {
  const testScheduler = () =>
    createTestScheduler((actual, expected) => expect(actual).toEqual(expected));

  beforeEach(() => sessionStorage.clear());
  afterEach(() => sessionStorage.clear());

  it('starts a run, renders it once per frame, saves { after, text } and clears it at the end', () => {
    const scheduler = testScheduler();
    let page!: Page;
    const seen: unknown[] = [];
    scheduler.run((helpers) => {
      helpers.animate('x'.repeat(40)); // a frame every millisecond
      page = new Page(helpers, [STARTED, { body: '-r--a--b--c--u--e|', values: EVENTS }]);
      page.type('prompt', 'Say hello');
      page.click('send');
      for (const frame of [3, 6, 9, 12, 15]) {
        scheduler.schedule(() => seen.push([page.text('answer'), page.saved()]), frame);
      }
    });
    expect(seen).toEqual([
      ['', { after: 0, text: '' }], // the response event counts too
      ['Hel', { after: 1, text: 'Hel' }],
      ['Hello', { after: 2, text: 'Hello' }],
      ['Hello world', { after: 3, text: 'Hello world' }],
      ['Hello world', { after: 4, text: 'Hello world' }],
    ]);
    expect(page.text('status')).toBe('resolved');
    expect(page.text('usage')).toBe('prompt 12 · completion 3 · total 15');
    expect(page.saved()).toBeNull();
    const [start, events] = page.transport.requests;
    expect(start!.request).toMatchObject({ method: 'POST', url: 'http://test/relay/runs' });
    // A key of the page's own, so that a reload before the answer cannot start a second run.
    expect(start!.request.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    expect(sessionStorage.getItem(RELAY_PENDING_KEY)).toBeNull();
    expect(start!.json).toEqual({
      model: 'mock-1',
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    // A fresh run is read from its start.
    expect(events!.request.url).toBe('http://test/relay/runs/run-1/events');
    expect(events!.request.headers['last-event-id']).toBeUndefined();
  });

  it('after a reload, resumes the saved run after its offset: nothing repeated, nothing lost', () => {
    sessionStorage.setItem(
      RELAY_RUN_KEY,
      JSON.stringify({
        runId: 'run-1',
        events: 'http://test/relay/runs/run-1/events',
        stop: 'http://test/relay/runs/run-1/stop',
        prompt: 'Say hello',
        after: 2,
        text: 'Hello',
      } satisfies SavedRun),
    );
    const scheduler = testScheduler();
    let page!: Page;
    const seen: unknown[] = [];
    scheduler.run((helpers) => {
      helpers.animate('x'.repeat(20));
      page = new Page(helpers, [{ body: '-c--u--e|', values: EVENTS }]);
      // At once, before any event: the saved text, and the run it belongs to.
      seen.push([page.text('answer'), page.text('status'), page.text('question')]);
      scheduler.schedule(() => seen.push([page.text('answer'), page.saved()]), 3);
    });
    expect(seen).toEqual([
      ['Hello', 'streaming', 'Say hello'],
      ['Hello world', { after: 3, text: 'Hello world' }],
    ]);
    expect(page.text('resumed')).toBe('resumed after event 2');
    expect(page.text('answer')).toBe('Hello world');
    expect(page.text('status')).toBe('resolved');
    expect(page.text('usage')).toBe('prompt 12 · completion 3 · total 15');
    expect(page.saved()).toBeNull();
    // No new run: one request, the events after offset 2.
    expect(page.transport.requests).toHaveLength(1);
    const { request } = page.transport.requests[0]!;
    expect(request.method).toBe('GET');
    expect(request.url).toBe('http://test/relay/runs/run-1/events?after=2');
    expect(request.headers['last-event-id']).toBe('2');
  });

  it('after a reload before the start was answered, posts it again with the same key', () => {
    sessionStorage.setItem(
      RELAY_PENDING_KEY,
      JSON.stringify({ key: 'key-of-the-first-post', prompt: 'Say hello' } satisfies PendingStart),
    );
    const scheduler = testScheduler();
    let page!: Page;
    scheduler.run((helpers) => {
      helpers.animate('x'.repeat(40));
      // The relay answers 200: the run the first POST started.
      page = new Page(helpers, [json(200, RUN), { body: '-r--a--b--c--u--e|', values: EVENTS }]);
      expect(page.text('question')).toBe('Say hello');
      expect(page.text('status')).toBe('starting');
    });
    const [start] = page.transport.requests;
    expect(start!.request.headers['idempotency-key']).toBe('key-of-the-first-post');
    expect(start!.json).toEqual({
      model: 'mock-1',
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    expect(page.text('answer')).toBe('Hello world');
    expect(page.text('status')).toBe('resolved');
    expect(sessionStorage.getItem(RELAY_PENDING_KEY)).toBeNull();
  });

  it('Stop posts to the run’s stop URL; the end shows as stopped and the text is kept', () => {
    const scheduler = testScheduler();
    let page!: Page;
    const during: unknown[] = [];
    scheduler.run((helpers) => {
      helpers.animate('x'.repeat(40));
      page = new Page(helpers, [
        STARTED,
        { body: '-r--a--b-----s|', values: EVENTS },
        json(200, { stopped: true }),
      ]);
      page.type('prompt', 'Say hello');
      page.click('send');
      scheduler.schedule(() => page.click('stop'), 10);
      scheduler.schedule(() => {
        const stop = page.find<HTMLButtonElement>('stop')!;
        during.push([page.text('status'), stop.disabled]);
      }, 11);
    });
    // Until the run's end arrives the page is still reading it (Stop disabled meanwhile).
    expect(during).toEqual([['streaming', true]]);
    const stop = page.transport.requests[2]!.request;
    expect(stop).toMatchObject({ method: 'POST', url: 'http://test/relay/runs/run-1/stop' });
    expect(page.text('status')).toBe('stopped');
    expect(page.text('answer')).toBe('Hello');
    expect(page.find('usage')).toBeNull();
    expect(page.find('error')).toBeNull();
    expect(page.saved()).toBeNull();
    expect(page.find<HTMLButtonElement>('stop')!.disabled).toBe(true);
  });

  it('destroying the page only detaches: the run is not stopped and stays saved', () => {
    const scheduler = testScheduler();
    let page!: Page;
    scheduler.run((helpers) => {
      helpers.animate('x'.repeat(40));
      page = new Page(helpers, [STARTED, { body: '-r--a--b--c--u--e|', values: EVENTS }]);
      page.type('prompt', 'Say hello');
      page.click('send');
      scheduler.schedule(() => page.fixture.destroy(), 6);
      helpers.expectSubscriptions(page.transport.exchanges[1]!.body.subscriptions).toBe('^-----!');
    });
    expect(page.transport.requests).toHaveLength(2); // no stop
    expect(page.saved()).toEqual({ after: 1, text: 'Hel' });
  });

  it('a saved run the relay no longer knows shows the error and is forgotten', () => {
    sessionStorage.setItem(
      RELAY_RUN_KEY,
      JSON.stringify({
        runId: 'gone',
        events: 'http://test/relay/runs/gone/events',
        stop: 'http://test/relay/runs/gone/stop',
        prompt: 'Say hello',
        after: 7,
        text: 'Some text',
      } satisfies SavedRun),
    );
    let page!: Page;
    testScheduler().run((helpers) => {
      page = new Page(helpers, [
        json(404, { error: { message: 'Unknown relay run "gone"', code: 'run_not_found' } }),
      ]);
    });
    expect(page.text('status')).toBe('error');
    expect(page.text('error')).toMatch(/^http_error .*Unknown relay run/);
    expect(page.text('answer')).toBe('Some text');
    expect(page.saved()).toBeNull();
  });
});
