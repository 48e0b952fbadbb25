import { mockAnswerText, type MockServer } from '../../src/mock-server';
import { tokenize } from '../../src/mock-server/answers';
import { settlesWithin } from '../helpers/loopback';
import { expectNothingLeftOpen } from '../helpers/leaks';
import { serversClosedAfterEach } from './mock-clients';

// OpenAI's Responses API on the mock server, read over real sockets with a tiny SSE parser of
// its own, so that nothing of rxchat's client stands between the wire and the assertions.

expectNothingLeftOpen();

const serve = serversClosedAfterEach();

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One SSE event as sent: its `event:` name, its `id:` if any, and its data. */
interface WireEvent {
  event: string | undefined;
  id: string | undefined;
  data: string;
}

/** Splits SSE text into events (comments dropped); the text must end on an event boundary. */
function parseSse(text: string): WireEvent[] {
  const events: WireEvent[] = [];
  for (const block of text.split('\n\n')) {
    let event: string | undefined;
    let id: string | undefined;
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) events.push({ event, id, data: data.join('\n') });
  }
  return events;
}

/** The JSON events (no `[DONE]`). */
const jsonOf = (events: WireEvent[]): Json[] =>
  events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data) as Json);

const root = (server: MockServer) => server.url.replace(/\/v1$/, '');

/** A request to the server, JSON body and mock headers. */
function send(
  server: MockServer,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  signal?: AbortSignal,
) {
  return fetch(`${root(server)}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal,
  });
}

/** Streams a request to its end (or cut) and parses every event. */
async function stream(
  server: MockServer,
  body: Json,
  headers: Record<string, string> = {},
): Promise<{ status: number; wire: WireEvent[]; events: Json[]; text: string }> {
  const response = await send(server, '/v1/responses', { stream: true, ...body }, headers);
  let text = '';
  try {
    text = await response.text();
  } catch {
    // A cut connection: keep what came (fetch gives nothing then, so read it raw below).
  }
  const wire = parseSse(text);
  return { status: response.status, wire, events: jsonOf(wire), text };
}

/**
 * Reads a stream until `enough` events have come, then aborts; for streams that are cut or that
 * the test leaves early. Resolves with the events read and whether the body ended by itself.
 */
async function readSome(
  url: string,
  init: RequestInit,
  enough = Infinity,
): Promise<{ events: Json[]; wire: WireEvent[]; ended: boolean }> {
  const controller = new AbortController();
  const response = await fetch(url, { ...init, signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let ended = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) {
        ended = true;
        break;
      }
      text += decoder.decode(value, { stream: true });
      const complete = text.slice(0, text.lastIndexOf('\n\n') + 2);
      if (jsonOf(parseSse(complete)).length >= enough) {
        text = complete;
        break;
      }
    }
  } catch {
    // Cut by the server.
  } finally {
    controller.abort();
  }
  const wire = parseSse(text.slice(0, text.lastIndexOf('\n\n') + 2));
  const events = jsonOf(wire).slice(0, enough);
  return { events, wire, ended };
}

const types = (events: Json[]) => events.map((e) => e.type as string);
const deltaText = (events: Json[], type = 'response.output_text.delta') =>
  events
    .filter((e) => e.type === type)
    .map((e) => e.delta as string)
    .join('');
const terminalTypes = ['response.completed', 'response.incomplete', 'response.failed'];

const prompt = 'Tell me about the Responses API';
const expected = mockAnswerText(prompt);
const weatherTool = {
  type: 'function',
  name: 'get_weather',
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' }, days: { type: 'integer' } },
  },
};

/** Checks what every Responses stream must hold: names, sequence numbers, one terminal. */
function expectWellFormed(wire: WireEvent[], events: Json[]) {
  const jsonWire = wire.filter((e) => e.data !== '[DONE]');
  expect(jsonWire.map((e) => e.event)).toEqual(types(events));
  expect(wire.every((e) => e.id === undefined)).toBe(true);
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_e, i) => i));
  expect(types(events).filter((t) => terminalTypes.includes(t))).toHaveLength(1);
  expect(terminalTypes).toContain(events.at(-1)!.type);
}

describe('POST /v1/responses, streamed', () => {
  it('sends OpenAI’s events in order, numbered from 0, the text agreeing everywhere', async () => {
    const server = await serve();
    const { status, wire, events } = await stream(server, { model: 'mock-1', input: prompt });
    expect(status).toBe(200);
    expectWellFormed(wire, events);
    const deltas = tokenize(expected).length;
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array<string>(deltas).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const [created, inProgress] = events;
    expect(created!.response).toMatchObject({
      object: 'response',
      status: 'in_progress',
      model: 'mock-1',
      output: [],
      usage: null,
    });
    expect(created!.response.id).toMatch(/^resp_/);
    expect(inProgress!.response.id).toBe(created!.response.id);

    const added = events[2]!;
    expect(added.item).toMatchObject({
      type: 'message',
      status: 'in_progress',
      role: 'assistant',
      content: [],
    });
    expect(added.item.id).toMatch(/^msg_/);
    expect(events[3]!.part).toEqual({ type: 'output_text', text: '', annotations: [] });
    const delta = events[4]!;
    expect(delta).toMatchObject({ item_id: added.item.id, output_index: 0, content_index: 0 });
    expect(delta.logprobs).toEqual([]);

    expect(deltaText(events)).toBe(expected);
    const done = events.find((e) => e.type === 'response.output_text.done')!;
    expect(done.text).toBe(expected);
    expect(events.find((e) => e.type === 'response.content_part.done')!.part.text).toBe(expected);
    const itemDone = events.find((e) => e.type === 'response.output_item.done')!;
    expect(itemDone.item).toEqual({
      type: 'message',
      id: added.item.id,
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: expected, annotations: [] }],
    });

    const completed = events.at(-1)!.response;
    expect(completed.status).toBe('completed');
    expect(completed.output).toEqual([itemDone.item]);
    expect(completed.usage).toEqual({
      input_tokens: tokenize(prompt).length,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: deltas,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: tokenize(prompt).length + deltas,
    });
    // Usage only on the terminal event.
    expect(events.slice(0, -1).some((e) => e.response?.usage != null || 'usage' in e)).toBe(false);
  });

  it('gives the same text as chat for the same input, whatever its form', async () => {
    const server = await serve();
    const asItems = await stream(server, {
      model: 'mock-1',
      instructions: 'Be brief',
      input: [
        { role: 'user', content: [{ type: 'input_text', text: 'first question' }] },
        { role: 'assistant', content: 'an answer' },
        { role: 'user', content: [{ type: 'input_text', text: prompt }] },
      ],
    });
    expect(deltaText(asItems.events)).toBe(expected);
    // instructions and every item count as input tokens
    expect(asItems.events.at(-1)!.response.usage.input_tokens).toBe(
      2 + 2 + 2 + tokenize(prompt).length,
    );
    expect(asItems.events.at(-1)!.response.instructions).toBe('Be brief');
  });

  it('answers a function tool with a function_call item streamed as argument deltas', async () => {
    const server = await serve();
    const input = 'What is the weather? Use get_weather for Paris';
    const { wire, events } = await stream(server, { model: 'mock-1', input, tools: [weatherTool] });
    expectWellFormed(wire, events);
    expect(types(events).filter((t) => !t.endsWith('.delta'))).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    const added = events[2]!.item;
    expect(added).toMatchObject({
      type: 'function_call',
      name: 'get_weather',
      arguments: '',
      status: 'in_progress',
    });
    expect(added.id).toMatch(/^fc_/);
    expect(added.call_id).toMatch(/^call_/);
    const args = deltaText(events, 'response.function_call_arguments.delta');
    expect(JSON.parse(args)).toEqual({ city: input, days: 8 });
    const argsDone = events.find((e) => e.type === 'response.function_call_arguments.done')!;
    expect(argsDone).toMatchObject({ item_id: added.id, output_index: 0, arguments: args });
    const output = events.at(-1)!.response.output as Json[];
    expect(output).toEqual([{ ...added, arguments: args, status: 'completed' }]);
  });

  it('follows the input function_call_output with a plain answer', async () => {
    const server = await serve();
    const { events } = await stream(server, {
      model: 'mock-1',
      tools: [weatherTool],
      input: [
        { role: 'user', content: 'Hi' },
        { type: 'function_call', call_id: 'call_1', name: 'other', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
      ],
    });
    expect(deltaText(events)).toBe(mockAnswerText('Hi'));
  });

  it('streams a reasoning summary first for a reasoning model that is asked for one', async () => {
    const server = await serve();
    const { wire, events } = await stream(server, {
      model: 'mock-reasoner',
      input: prompt,
      reasoning: { effort: 'low', summary: 'auto' },
    });
    expectWellFormed(wire, events);
    const reasoningAdded = events[2]!;
    expect(reasoningAdded.item).toMatchObject({ type: 'reasoning', summary: [] });
    expect(reasoningAdded.item.id).toMatch(/^rs_/);
    const summary = deltaText(events, 'response.reasoning_summary_text.delta');
    expect(summary).toMatch(/^The user wrote 6 words\./);
    const summaryDone = events.find((e) => e.type === 'response.reasoning_summary_text.done')!;
    expect(summaryDone).toMatchObject({ output_index: 0, summary_index: 0, text: summary });
    expect(types(events)).toContain('response.reasoning_summary_part.done');
    const response = events.at(-1)!.response;
    expect(response.output.map((item: Json) => item.type)).toEqual(['reasoning', 'message']);
    expect(response.output[0].summary).toEqual([{ type: 'summary_text', text: summary }]);
    const reasoningTokens = tokenize(summary).length;
    expect(response.usage.output_tokens_details.reasoning_tokens).toBe(reasoningTokens);
    expect(response.usage.output_tokens).toBe(reasoningTokens + tokenize(expected).length);
  });

  it('ends with response.incomplete when max_output_tokens cuts the text', async () => {
    const server = await serve();
    const { wire, events } = await stream(server, {
      model: 'mock-1',
      input: prompt,
      max_output_tokens: 5,
    });
    expectWellFormed(wire, events);
    const last = events.at(-1)!;
    expect(last.type).toBe('response.incomplete');
    expect(last.response.status).toBe('incomplete');
    expect(last.response.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(last.response.max_output_tokens).toBe(5);
    const text = tokenize(expected).slice(0, 5).join('');
    expect(deltaText(events)).toBe(text);
    expect(last.response.output[0]).toMatchObject({ status: 'incomplete' });
    expect(last.response.output[0].content[0].text).toBe(text);
    expect(last.response.usage.output_tokens).toBe(5);
  });

  it('error-after:N: an error event, then response.failed with the output so far', async () => {
    const server = await serve();
    const { wire, events } = await stream(
      server,
      { model: 'mock-1', input: prompt },
      { 'x-mock-fault': 'error-after:3' },
    );
    expectWellFormed(wire, events);
    expect(types(events).slice(-2)).toEqual(['error', 'response.failed']);
    expect(types(events).filter((t) => t === 'response.output_text.delta')).toHaveLength(3);
    const error = events.at(-2)!;
    expect(error).toMatchObject({ code: 'server_error', param: null });
    expect(error.message).toMatch(/mock fault error-after:3/);
    const failed = events.at(-1)!.response;
    expect(failed.status).toBe('failed');
    expect(failed.error).toEqual({ code: 'server_error', message: error.message });
    expect(failed.usage.output_tokens).toBe(3);
    expect(failed.output[0].status).toBe('incomplete');
    expect(failed.output[0].content[0].text).toBe(tokenize(expected).slice(0, 3).join(''));
  });

  it('error-before: the error comes before any output item', async () => {
    const server = await serve();
    const { events } = await stream(
      server,
      { model: 'mock-1', input: prompt },
      { 'x-mock-fault': 'error-before' },
    );
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'error',
      'response.failed',
    ]);
    expect(events[2]!.code).toBe('rate_limit_exceeded');
  });

  it('disconnect-after:N cuts the connection: no terminal event', async () => {
    const server = await serve();
    const { events, ended } = await readSome(`${server.url}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-fault': 'disconnect-after:2' },
      body: JSON.stringify({ model: 'mock-1', input: prompt, stream: true }),
    });
    expect(ended).toBe(false);
    expect(types(events).filter((t) => t === 'response.output_text.delta')).toHaveLength(2);
    expect(types(events).some((t) => terminalTypes.includes(t) || t === 'error')).toBe(false);
    expect(await server.requests[0]!.closed).toEqual({ byClient: false });
  });

  it('stall sends response.created and then nothing', async () => {
    const server = await serve();
    const controller = new AbortController();
    const response = await send(
      server,
      '/v1/responses',
      { model: 'mock-1', input: prompt, stream: true },
      { 'x-mock-fault': 'stall' },
      controller.signal,
    );
    const reader = response.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(types(jsonOf(parseSse(first)))).toEqual(['response.created']);
    const next = reader.read().catch(() => undefined);
    expect(await settlesWithin(next, 100)).toBe(false);
    controller.abort();
    await next;
    expect(await server.requests[0]!.closed).toEqual({ byClient: true });
  });

  it('malformed-json inserts a Responses-shaped event whose JSON breaks off', async () => {
    const server = await serve();
    const response = await send(
      server,
      '/v1/responses',
      { model: 'mock-1', input: prompt, stream: true },
      { 'x-mock-fault': 'malformed-json:2' },
    );
    const text = await response.text();
    const broken = parseSse(text).filter((e) => {
      try {
        JSON.parse(e.data);
        return false;
      } catch {
        return true;
      }
    });
    expect(broken.map((e) => e.event)).toEqual(['response.output_text.delta']);
    expect(text).toMatch(/event: response\.completed\n/);
  });

  it('records a client that leaves mid-stream as closed by the client', async () => {
    const server = await serve({ pace: { tokensPerSecond: 100 } });
    const { events } = await readSome(
      `${server.url}/responses`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock-1', input: prompt, stream: true }),
      },
      5,
    );
    expect(events).toHaveLength(5);
    expect(await settlesWithin(server.requests[0]!.closed, 1000)).toBe(true);
    expect(await server.requests[0]!.closed).toEqual({ byClient: true });
  });
});

describe('POST /v1/responses, not streamed', () => {
  it('answers one Response object, kept for GET /v1/responses/{id}', async () => {
    const server = await serve();
    const response = await send(server, '/v1/responses', { model: 'mock-1', input: prompt });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const json = (await response.json()) as Json;
    expect(json).toMatchObject({ object: 'response', status: 'completed', model: 'mock-1' });
    expect(json.id).toMatch(/^resp_/);
    expect(json.created_at).toEqual(expect.any(Number));
    expect(json.output).toEqual([
      {
        type: 'message',
        id: expect.stringMatching(/^msg_/),
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: expected, annotations: [] }],
      },
    ]);
    expect(json.usage).toMatchObject({
      input_tokens: 6,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: tokenize(expected).length,
      output_tokens_details: { reasoning_tokens: 0 },
    });
    const again = await send(server, `/v1/responses/${json.id as string}`);
    expect(await again.json()).toEqual(json);
  });

  it('answers error faults with their status, as chat does', async () => {
    const server = await serve();
    const response = await send(
      server,
      '/v1/responses',
      { model: 'mock-1', input: prompt },
      { 'x-mock-fault': 'error-after:2' },
    );
    expect(response.status).toBe(500);
    expect(((await response.json()) as Json).error.code).toBe('server_error');
  });

  it('answers status:CODE faults with that status and retry-after', async () => {
    const server = await serve();
    const response = await send(
      server,
      '/v1/responses',
      { model: 'mock-1', input: prompt, stream: true },
      { 'x-mock-fault': 'status:429:retry-after=2' },
    );
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('2');
    expect(((await response.json()) as Json).error.code).toBe('rate_limit_exceeded');
  });

  it.each<[string, Json, string]>([
    [
      'a chat body (messages)',
      { model: 'mock-1', messages: [{ role: 'user', content: 'Hi' }] },
      'input',
    ],
    ['no input', { model: 'mock-1' }, 'input'],
    ['no model', { input: 'Hi' }, 'model'],
    [
      'a bad max_output_tokens',
      { model: 'mock-1', input: 'Hi', max_output_tokens: 0 },
      'max_output_tokens',
    ],
  ])('refuses %s with 400 invalid_request_error', async (_what, body, param) => {
    const server = await serve();
    const response = await send(server, '/v1/responses', body);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as Json;
    expect(error).toMatchObject({ type: 'invalid_request_error', param });
  });

  it('404s unknown ids and 405s a wrong method', async () => {
    const server = await serve();
    expect((await send(server, '/v1/responses/resp_nope')).status).toBe(404);
    expect((await send(server, '/v1/responses/resp_nope/cancel', {})).status).toBe(404);
    expect((await send(server, '/v1/responses')).status).toBe(405);
  });
});

describe('Responses dialects', () => {
  const reasoner = { model: 'mock-reasoner', input: prompt };

  it('openai (and every chat dialect) sends the reasoning item even without a summary', async () => {
    const server = await serve();
    for (const dialect of ['openai', 'groq']) {
      const { wire, events } = await stream(server, reasoner, { 'x-mock-dialect': dialect });
      expectWellFormed(wire, events);
      expect(events[2]!.item.type).toBe('reasoning');
      expect(events[3]).toMatchObject({ type: 'response.output_item.done', output_index: 0 });
      expect(wire.some((e) => e.data === '[DONE]')).toBe(false);
    }
  });

  it('vllm-responses: an empty item sends no events, and [DONE] follows the terminal', async () => {
    const server = await serve();
    const { wire, events } = await stream(server, reasoner, {
      'x-mock-dialect': 'vllm-responses',
    });
    expectWellFormed(wire, events);
    expect(events.some((e) => e.output_index === 0)).toBe(false);
    expect(events[2]).toMatchObject({ type: 'response.output_item.added', output_index: 1 });
    expect(wire.at(-1)!.data).toBe('[DONE]');
    expect(wire.at(-2)!.event).toBe('response.completed');
    expect(server.requests[0]!.dialect).toBe('vllm-responses');
  });

  it('litellm-responses: content events for an item never announced', async () => {
    const server = await serve();
    const { wire, events } = await stream(
      server,
      { model: 'mock-1', input: prompt },
      { 'x-mock-dialect': 'litellm-responses' },
    );
    expectWellFormed(wire, events);
    expect(types(events)).not.toContain('response.output_item.added');
    expect(events[2]!.type).toBe('response.content_part.added');
    expect(deltaText(events)).toBe(expected);
  });

  it('openrouter-responses: item 0 is done after item 1’s events', async () => {
    const server = await serve();
    const { wire, events } = await stream(server, reasoner, {
      'x-mock-dialect': 'openrouter-responses',
    });
    expectWellFormed(wire, events);
    const doneOf0 = events.findIndex(
      (e) => e.type === 'response.output_item.done' && e.output_index === 0,
    );
    const doneOf1 = events.findIndex(
      (e) => e.type === 'response.output_item.done' && e.output_index === 1,
    );
    expect(doneOf0).toBeGreaterThan(doneOf1);
    expect(events[doneOf0 + 1]!.type).toBe('response.completed');
  });

  it('copilot-responses: item ids drift between deltas, output indexes do not', async () => {
    const server = await serve();
    const { wire, events } = await stream(
      server,
      { model: 'mock-1', input: prompt },
      { 'x-mock-dialect': 'copilot-responses' },
    );
    expectWellFormed(wire, events);
    const deltas = events.filter((e) => e.type === 'response.output_text.delta');
    expect(new Set(deltas.map((e) => e.item_id)).size).toBeGreaterThan(1);
    expect(new Set(deltas.map((e) => e.output_index))).toEqual(new Set([0]));
    expect(deltaText(events)).toBe(expected);
  });

  it('chat-on-responses: answers with chat.completion.chunk events', async () => {
    const server = await serve();
    const { wire } = await stream(
      server,
      { model: 'mock-1', input: prompt },
      { 'x-mock-dialect': 'chat-on-responses' },
    );
    expect(wire.every((e) => e.event === undefined)).toBe(true);
    expect(wire.at(-1)!.data).toBe('[DONE]');
    const chunks = jsonOf(wire);
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    const text = chunks.map((c) => (c.choices[0]?.delta?.content as string | undefined) ?? '');
    expect(text.join('')).toBe(expected);
  });

  it('the Responses dialects answer chat as their provider’s chat dialect', async () => {
    const server = await serve();
    const response = await send(
      server,
      '/v1/chat/completions',
      { model: 'mock-1', messages: [{ role: 'user', content: prompt }] },
      { 'x-mock-dialect': 'copilot-responses' },
    );
    const json = (await response.json()) as Json;
    expect(json.choices[0].message.content).toBe(expected);
  });
});

describe('background responses', () => {
  const body = { model: 'mock-1', input: prompt, background: true, stream: true };
  const paced = { pace: { tokensPerSecond: 200 } } as const;

  it('go on after the client leaves; starting_after=N resumes with exactly the rest', async () => {
    const server = await serve(paced);
    const first = await readSome(
      `${server.url}/responses`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      6,
    );
    expect(types(first.events).slice(0, 3)).toEqual([
      'response.created',
      'response.queued',
      'response.in_progress',
    ]);
    expect(first.events[0]!.response).toMatchObject({ status: 'queued', background: true });
    expect(await settlesWithin(server.requests[0]!.closed, 1000)).toBe(true);
    expect(await server.requests[0]!.closed).toEqual({ byClient: true });

    const id = first.events[0]!.response.id as string;
    const last = first.events.at(-1)!.sequence_number as number;
    const resumed = await fetch(`${server.url}/responses/${id}?stream=true&starting_after=${last}`);
    const wire = parseSse(await resumed.text());
    const events = jsonOf(wire);
    expect(events[0]!.sequence_number).toBe(last + 1);
    const all = [...first.events, ...events];
    expect(all.map((e) => e.sequence_number)).toEqual(all.map((_e, i) => i));
    expect(events.at(-1)!.type).toBe('response.completed');
    expect(deltaText(all)).toBe(expected);

    // Nothing left to generate: the object as it stands is the completed one.
    const got = (await (await fetch(`${server.url}/responses/${id}`)).json()) as Json;
    expect(got).toEqual(events.at(-1)!.response);
  });

  it('replays every event from sequence number 0 without starting_after', async () => {
    const server = await serve();
    const started = await stream(server, body);
    const id = started.events[0]!.response.id as string;
    const replay = await fetch(`${server.url}/responses/${id}?stream=true`);
    const wire = parseSse(await replay.text());
    expectWellFormed(wire, jsonOf(wire));
    expect(jsonOf(wire)).toEqual(started.events);
  });

  it('without stream, answer at once with the queued response, then complete', async () => {
    const server = await serve(paced);
    const response = await send(server, '/v1/responses', { ...body, stream: false });
    const json = (await response.json()) as Json;
    expect(json.status).toBe('queued');
    expect(json.background).toBe(true);
    const resumed = await fetch(`${server.url}/responses/${json.id as string}?stream=true`);
    const events = jsonOf(parseSse(await resumed.text()));
    expect(events.at(-1)!.response.status).toBe('completed');
  });

  it('GET /v1/responses/{id} gives the response as it stands while it generates', async () => {
    const server = await serve({ pace: { tokensPerSecond: 20 } });
    const started = (await (
      await send(server, '/v1/responses', { ...body, stream: false })
    ).json()) as Json;
    await new Promise((resolve) => setTimeout(resolve, 180));
    const id = started.id as string;
    const got = (await (await fetch(`${server.url}/responses/${id}`)).json()) as Json;
    expect(got).toMatchObject({ id, status: 'in_progress', usage: null });
    const partial = got.output[0].content[0].text as string;
    expect(partial.length).toBeGreaterThan(0);
    expect(expected.startsWith(partial) && partial !== expected).toBe(true);
    await send(server, `/v1/responses/${id}/cancel`, {}).then((r) => r.text());
  });

  it('cancel ends live streams with response.failed, status cancelled, and no error', async () => {
    const server = await serve({ pace: { tokensPerSecond: 20 } });
    const first = await readSome(
      `${server.url}/responses`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      },
      4,
    );
    const id = first.events[0]!.response.id as string;
    const live = fetch(`${server.url}/responses/${id}?stream=true&starting_after=3`).then((r) =>
      r.text(),
    );
    const cancel = await send(server, `/v1/responses/${id}/cancel`, {});
    expect(cancel.status).toBe(200);
    const cancelled = (await cancel.json()) as Json;
    expect(cancelled).toMatchObject({ id, status: 'cancelled', error: null });

    const events = jsonOf(parseSse(await live));
    const all = [...first.events, ...events];
    expect(all.map((e) => e.sequence_number)).toEqual(all.map((_e, i) => i));
    const terminal = events.at(-1)!;
    expect(terminal.type).toBe('response.failed');
    expect(terminal.response).toMatchObject({ status: 'cancelled', error: null });
    expect(types(all).filter((t) => terminalTypes.includes(t))).toEqual(['response.failed']);

    const got = (await (await fetch(`${server.url}/responses/${id}`)).json()) as Json;
    expect(got.status).toBe('cancelled');
    expect(server.requests.some((r) => r.path === `/v1/responses/${id}/cancel`)).toBe(true);
  });

  it('refuses to cancel or stream a response that is not in the background', async () => {
    const server = await serve();
    const json = (await (
      await send(server, '/v1/responses', { model: 'mock-1', input: prompt })
    ).json()) as Json;
    const cancel = await send(server, `/v1/responses/${json.id as string}/cancel`, {});
    expect(cancel.status).toBe(400);
    expect(((await cancel.json()) as Json).error.message).toMatch(/background/);
    const streamed = await fetch(`${server.url}/responses/${json.id as string}?stream=true`);
    expect(streamed.status).toBe(400);
    await streamed.text();
  });

  it('disconnect-after cuts the connection, not the response: resuming gets the rest', async () => {
    const server = await serve(paced);
    const first = await readSome(`${server.url}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mock-fault': 'disconnect-after:3' },
      body: JSON.stringify(body),
    });
    expect(first.ended).toBe(false);
    const last = first.events.at(-1)!;
    expect(last.type).toBe('response.output_text.delta');
    const id = first.events[0]!.response.id as string;
    const resumed = await fetch(
      `${server.url}/responses/${id}?stream=true&starting_after=${last.sequence_number as number}`,
    );
    const events = jsonOf(parseSse(await resumed.text()));
    const all = [...first.events, ...events];
    expect(all.map((e) => e.sequence_number)).toEqual(all.map((_e, i) => i));
    expect(deltaText(all)).toBe(expected);
  });
});
