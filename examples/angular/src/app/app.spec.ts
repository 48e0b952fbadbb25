import { provideZonelessChangeDetection } from '@angular/core';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { provideRxChat, withTransport } from 'rxchat/angular';
import {
  createMockTransport,
  createTestScheduler,
  DONE,
  makeChunk,
  makeUsage,
  makeUsageChunk,
  sseValues,
  type MockResponse,
  type MockTransport,
  type RunHelpers,
} from 'rxchat/testing';
import { App } from './app';

/** "Hello world" in three chunks (a, b, c), then the usage chunk (u) and [DONE] (d). */
const HELLO = sseValues({
  a: makeChunk({ role: 'assistant', content: 'Hel' }),
  b: makeChunk({ content: 'lo' }),
  c: makeChunk({ content: ' world', finishReason: 'stop' }),
  u: makeUsageChunk(makeUsage(12, 3)),
  d: DONE,
});

/** The page, its chat client answering from `script` on the test scheduler. */
class Page {
  readonly transport: MockTransport;
  readonly fixture: ComponentFixture<App>;

  constructor({ cold }: RunHelpers, script: MockResponse[]) {
    this.transport = createMockTransport({ cold }, script);
    TestBed.configureTestingModule({
      providers: [
        provideZonelessChangeDetection(),
        provideRxChat(
          { baseURL: 'http://test/v1' },
          withTransport(() => this.transport),
        ),
      ],
    });
    this.fixture = TestBed.createComponent(App);
    this.fixture.detectChanges();
  }

  find<T extends HTMLElement>(testId: string): T | null {
    return (this.fixture.nativeElement as HTMLElement).querySelector<T>(
      `[data-testid="${testId}"]`,
    );
  }

  /** The element's text with runs of whitespace as one space, as a reader sees it. */
  text(testId: string): string | null {
    this.fixture.detectChanges();
    const text = this.find(testId)?.textContent;
    return text == null ? null : text.replace(/\s+/g, ' ').trim();
  }

  type(testId: string, value: string): void {
    const field = this.find<HTMLInputElement | HTMLTextAreaElement>(testId)!;
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
}

describe('App', () => {
  const testScheduler = () =>
    createTestScheduler((actual, expected) => expect(actual).toEqual(expected));

  it('streams the answer into the page and shows the usage at the end', () => {
    const scheduler = testScheduler();
    let page!: Page;
    const seen: (string | null)[][] = [];
    scheduler.run((helpers) => {
      helpers.animate('-x-x-x-x-x-x-x-x');
      page = new Page(helpers, [{ body: '-a-b---c-(ud|)', values: HELLO }]);
      page.type('prompt', 'Say hello');
      page.click('send');
      for (const frame of [2, 5, 10]) {
        scheduler.schedule(() => seen.push([page.text('answer'), page.text('status')]), frame);
      }
    });
    expect(seen).toEqual([
      ['Hel', 'streaming'],
      ['Hello', 'streaming'],
      ['Hello world', 'resolved'],
    ]);
    expect(page.text('usage')).toBe('prompt 12 · completion 3 · total 15');
    expect(page.find('error')).toBeNull();
    expect(page.find<HTMLButtonElement>('stop')!.disabled).toBe(true);
    expect(page.transport.requests[0]!.json).toMatchObject({
      messages: [{ role: 'user', content: 'Say hello' }],
    });
  });

  it('Stop unsubscribes from the response body and the answer stops growing', () => {
    const scheduler = testScheduler();
    let page!: Page;
    scheduler.run((helpers) => {
      helpers.animate('-x-x-x-x-x-x-x-x');
      page = new Page(helpers, [{ body: '-a-b-----c-(ud|)', values: HELLO }]);
      page.type('prompt', 'Say hello');
      page.click('send');
      scheduler.schedule(() => page.click('stop'), 5);
      helpers.expectSubscriptions(page.transport.exchanges[0]!.body.subscriptions).toBe('^----!');
    });
    expect(page.text('answer')).toBe('Hello');
    expect(page.text('status')).toBe('stopped');
    expect(page.find('usage')).toBeNull();
  });

  it('destroying the component cancels the request it started', () => {
    const scheduler = testScheduler();
    scheduler.run((helpers) => {
      helpers.animate('-x-x-x-x-x-x-x-x');
      const page = new Page(helpers, [{ body: '-a-b-----c-(ud|)', values: HELLO }]);
      page.type('prompt', 'Say hello');
      page.click('send');
      scheduler.schedule(() => page.fixture.destroy(), 3);
      helpers.expectSubscriptions(page.transport.exchanges[0]!.body.subscriptions).toBe('^--!');
    });
  });

  it('shows an error by its code and message', () => {
    let page!: Page;
    testScheduler().run((helpers) => {
      page = new Page(helpers, [
        {
          status: 401,
          responseHeaders: { 'content-type': 'application/json' },
          body: '(e|)',
          values: {
            e: JSON.stringify({
              error: { message: 'Incorrect API key provided', code: 'invalid_api_key' },
            }),
          },
        },
      ]);
      page.type('prompt', 'Say hello');
      page.click('send');
    });
    expect(page.text('status')).toBe('error');
    expect(page.text('error')).toMatch(/^http_error .*Incorrect API key provided/);
    expect(page.find('usage')).toBeNull();
  });

  it('a second question keeps the first turn in the history and adds up the usage', () => {
    const scheduler = testScheduler();
    let page!: Page;
    scheduler.run((helpers) => {
      helpers.animate('-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x');
      page = new Page(helpers, [
        { body: '-a-b-c-(ud|)', values: HELLO },
        { body: '-a-b-c-(ud|)', values: HELLO },
      ]);
      page.type('prompt', 'Say hello');
      page.click('send');
      scheduler.schedule(() => {
        page.type('prompt', 'Once more');
        page.click('send');
      }, 10);
    });
    expect(page.text('answer')).toBe('Hello world');
    const history = (page.fixture.nativeElement as HTMLElement).querySelectorAll(
      '[data-testid="message"]',
    );
    expect([...history].map((li) => li.textContent?.trim())).toEqual([
      'Say hello',
      'Hello world',
      'Once more',
    ]);
    expect(page.text('total-usage')).toBe('conversation: 30 tokens');
    expect(page.transport.requests[1]!.json).toMatchObject({
      messages: [
        { role: 'user', content: 'Say hello' },
        { role: 'assistant', content: 'Hello world' },
        { role: 'user', content: 'Once more' },
      ],
    });
  });

  it('Regenerate asks again for the stopped answer', () => {
    const scheduler = testScheduler();
    let page!: Page;
    scheduler.run((helpers) => {
      helpers.animate('-x-x-x-x-x-x-x-x-x-x-x-x-x-x-x');
      page = new Page(helpers, [
        { body: '-a-b-----c-(ud|)', values: HELLO },
        { body: '-a-b-c-(ud|)', values: HELLO },
      ]);
      page.type('prompt', 'Say hello');
      page.click('send');
      scheduler.schedule(() => page.click('stop'), 5);
      scheduler.schedule(() => page.click('regenerate'), 6);
    });
    expect(page.text('answer')).toBe('Hello world');
    expect(page.text('status')).toBe('resolved');
    expect(page.transport.requests.map((r) => r.json)).toMatchObject([
      { messages: [{ role: 'user', content: 'Say hello' }] },
      { messages: [{ role: 'user', content: 'Say hello' }] },
    ]);
  });

  it('a new quick question cancels the answer to the previous one', async () => {
    const scheduler = testScheduler();
    let page!: Page;
    scheduler.run((helpers) => {
      helpers.animate('x'.repeat(1000)); // a frame every millisecond
      page = new Page(
        helpers,
        [
          { body: '-a' }, // never ends on its own
          { body: '-a-b-c-(ud|)' },
        ].map((response) => ({ ...response, values: HELLO })),
      );
      page.type('quick-question', 'first question');
      // The question settles 300 ms after the last key; then rxResource starts the request.
      scheduler.schedule(() => page.text('quick-answer'), 301);
      scheduler.schedule(() => page.type('quick-question', 'second question'), 400);
      scheduler.schedule(() => page.text('quick-answer'), 701);
    });
    const [first, second] = page.transport.exchanges;
    expect(page.transport.requests.map((r) => r.json)).toMatchObject([
      { messages: [{ content: 'first question' }] },
      { messages: [{ content: 'second question' }] },
    ]);
    // The first answer's body was unsubscribed when the second request started.
    expect(first!.body.subscriptions).toHaveLength(1);
    expect(first!.body.subscriptions[0]!.unsubscribedFrame).toBe(
      second!.body.subscriptions[0]!.subscribedFrame,
    );
    await page.fixture.whenStable();
    expect(page.text('quick-answer')).toBe('Hello world');
  });
});
