import { lastValueFrom, toArray } from 'rxjs';
import {
  DIALECT_NAMES,
  mockAnswerText,
  startMockServer,
  type MockServer,
} from '../../src/mock-server';
import { tokenize } from '../../src/mock-server/answers';
import {
  finalCompletion,
  type ChatClientOptions,
  type ChatCompletionChunk,
  type ChatRequest,
  type ToolCall,
} from '../../src/node';
import { mockClient } from './mock-clients';

// The real rxchat client against the real mock server: whatever the dialect, the pipeline must
// read the same deterministic answer.

let server: MockServer;
beforeAll(async () => {
  server = await startMockServer({ apiKey: 'sk-mock' });
});
afterAll(() => server.close());

const client = (options: ChatClientOptions = {}) => mockClient(server, options);

const ask = (prompt: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'mock-1',
  messages: [{ role: 'user', content: prompt }],
  ...extra,
});

const inDialect = (dialect: string) => ({ headers: { 'x-mock-dialect': dialect } });

/** The function of a tool call (the mock server only makes function calls). */
const fn = (call: ToolCall | undefined) => {
  if (call?.type !== 'function') throw new Error(`not a function call: ${JSON.stringify(call)}`);
  return call.function;
};

/** The parts of a non-streaming completion these tests read. */
interface JsonCompletion {
  object: string;
  choices: {
    message: { content: string | null; tool_calls?: { function: unknown }[] };
    finish_reason: string;
  }[];
  usage: { prompt_tokens: number };
}

/** A non-streaming request in a dialect, sent raw (the client always streams). */
async function postJson(body: unknown, dialect: string) {
  const response = await fetch(`${server.url}/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer sk-mock', 'x-mock-dialect': dialect },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as JsonCompletion };
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: {
      type: 'object',
      properties: { city: { type: 'string' }, days: { type: 'integer' } },
      required: ['city'],
    },
  },
};

describe('the deterministic answer', () => {
  it('quotes the prompt, is the same every time and differs between prompts', () => {
    const a = mockAnswerText('Tell me a joke');
    expect(a).toMatch(/^Hello! You said: "Tell me a joke"\. .+ Voilà: café, 世界 and 🚀\.$/u);
    expect(mockAnswerText('Tell me a joke')).toBe(a);
    expect(mockAnswerText('Tell me a story')).not.toBe(a);
    expect(mockAnswerText('  Tell   me\na joke ')).toBe(a); // whitespace collapsed
    expect(mockAnswerText('')).toMatch(/^Hello! You sent an empty message\. /);
    expect(mockAnswerText('x'.repeat(500))).toContain(`"${'x'.repeat(120)}…"`);
  });

  it('gives every choice its own variant', () => {
    const variants = Array.from({ length: 8 }, (_, i) => mockAnswerText('Hi', i));
    expect(new Set(variants).size).toBe(8);
    expect(variants[1]).toMatch(/^Hi there! /);
    expect(variants[6]).toMatch(/^Hi there! \(#7\) /);
  });

  it('tokenizes into word-ish pieces that join back to the text', () => {
    const text = mockAnswerText('Hello wörld');
    expect(tokenize(text).join('')).toBe(text);
    expect(tokenize('Hi there, 世界!')).toEqual(['Hi', ' there,', ' 世界!']);
  });
});

describe.each(DIALECT_NAMES)('the %s dialect', (dialect) => {
  const prompt = `Say hello in the ${dialect} dialect`;
  const expected = mockAnswerText(prompt);

  it('streams the deterministic answer, read by the pipeline as the same completion', async () => {
    const completion = await lastValueFrom(client().complete(ask(prompt), inDialect(dialect)));
    const [choice] = completion.choices;
    expect(completion.choices).toHaveLength(1);
    expect(choice!.message.content).toBe(expected);
    expect(choice!.message.role).toBe('assistant');
    expect(choice!.message.tool_calls).toEqual([]);
    expect(choice!.finish_reason).toBe('stop');
    expect(completion.model).toBe('mock-1');
    // Only DeepSeek streams reasoning (R1), and never into the content.
    if (dialect === 'deepseek')
      expect(choice!.message.reasoning).toMatch(/^The user wrote 6 words\./);
    else expect(choice!.message.reasoning).toBeNull();
    expect(server.requests.at(-1)!.dialect).toBe(dialect);
  });

  it('counts usage deterministically: prompt words in, emitted tokens out', async () => {
    const completion = await lastValueFrom(client().complete(ask(prompt), inDialect(dialect)));
    const reasoning = dialect === 'deepseek' ? 13 : 0;
    const completionTokens = tokenize(expected).length + reasoning;
    expect(completion.usage).toMatchObject({
      prompt_tokens: 6,
      completion_tokens: completionTokens,
      total_tokens: 6 + completionTokens,
    });
  });

  it('answers without streaming with the same content', async () => {
    const { status, json } = await postJson(ask(prompt), dialect);
    expect(status).toBe(200);
    expect(server.requests.at(-1)!.dialect).toBe(dialect);
    expect(json.object).toBe('chat.completion');
    expect(json.choices[0]!.message.content).toBe(expected);
    expect(json.choices[0]!.finish_reason).toBe('stop');
    expect(json.usage.prompt_tokens).toBe(6);
  });

  it('gives n choices, indexed 0..n-1, each its own variant', async () => {
    const completion = await lastValueFrom(
      client().complete(ask('Hi', { n: 3 }), inDialect(dialect)),
    );
    expect(completion.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(completion.choices.map((c) => c.message.content)).toEqual(
      [0, 1, 2].map((i) => mockAnswerText('Hi', i)),
    );
    expect(completion.choices.map((c) => c.finish_reason)).toEqual(['stop', 'stop', 'stop']);
  });

  it('stops at max_tokens with finish_reason length', async () => {
    const completion = await lastValueFrom(
      client().complete(ask(prompt, { max_tokens: 5 }), inDialect(dialect)),
    );
    expect(completion.choices[0]!.message.content).toBe(tokenize(expected).slice(0, 5).join(''));
    expect(completion.choices[0]!.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(5 + (dialect === 'deepseek' ? 13 : 0));
  });

  it('answers a tool with a tool call whose arguments parse', async () => {
    const request = ask('What is the weather? Use get_weather for Paris', { tools: [weatherTool] });
    const completion = await lastValueFrom(client().complete(request, inDialect(dialect)));
    const [choice] = completion.choices;
    expect(choice!.finish_reason).toBe('tool_calls');
    expect(choice!.message.content).toBeNull();
    expect(choice!.message.tool_calls).toHaveLength(1);
    const [call] = choice!.message.tool_calls;
    expect(call!.id).toMatch(/^call_mock_[0-9a-f]{8}$/);
    expect(fn(call).name).toBe('get_weather');
    expect(JSON.parse(fn(call).arguments)).toEqual({
      city: 'What is the weather? Use get_weather for Paris',
      days: 8,
    });

    const { json } = await postJson(request, dialect);
    expect(json.choices[0]!.finish_reason).toBe('tool_calls');
    expect(json.choices[0]!.message.tool_calls![0]!.function).toEqual(fn(call));
  });
});

describe('usage placement', () => {
  const chunksOf = async (dialect: string, includeUsage: boolean) => {
    const events = await lastValueFrom(
      client({ includeUsage }).stream(ask('Hi'), inDialect(dialect)).pipe(toArray()),
    );
    const chunks = events.flatMap((e) => (e.type === 'chunk' ? [e.chunk] : []));
    const usage = events.find((e) => e.type === 'usage');
    return { chunks, usage: usage?.type === 'usage' ? usage.usage : undefined };
  };

  it.each(['openai', 'azure', 'vllm', 'no-done', 'ollama'])(
    '%s sends a usage-only chunk only when include_usage is asked for (U1, F5)',
    async (dialect) => {
      const withUsage = await chunksOf(dialect, true);
      expect(withUsage.usage?.total_tokens).toBeGreaterThan(0);
      const last = withUsage.chunks.at(-1)!;
      expect(last.choices).toEqual([]);
      expect(last.usage).toEqual(withUsage.usage);

      const without = await chunksOf(dialect, false);
      expect(without.usage).toBeNull();
      expect(without.chunks.every((chunk) => !chunk.usage)).toBe(true);
    },
  );

  it.each(['openrouter', 'groq', 'deepseek', 'mistral'])(
    '%s reports usage even when not asked (C4, U3, U4)',
    async (dialect) => {
      const { usage } = await chunksOf(dialect, false);
      expect(usage?.total_tokens).toBeGreaterThan(0);
    },
  );

  it('groq reports it in x_groq and top-level on the finish chunk, and once more when asked (U4)', async () => {
    const { chunks } = await chunksOf('groq', true);
    const finish = chunks.find((c) => c.choices?.[0]?.finish_reason)!;
    expect((finish as ChatCompletionChunk & { x_groq: { usage: unknown } }).x_groq.usage).toEqual(
      finish.usage,
    );
    expect(chunks.at(-1)).toMatchObject({ choices: [], service_tier: 'on_demand' });
    expect((chunks[0] as { x_groq?: { id?: string } }).x_groq?.id).toMatch(/^req_/);
  });
});

describe('dialect shapes', () => {
  it('azure starts with a prompt filter chunk with empty choices, id and model (I1)', async () => {
    const events = await lastValueFrom(
      client().stream(ask('Hi'), inDialect('azure')).pipe(toArray()),
    );
    const first = events.find((e) => e.type === 'chunk');
    expect(first?.type === 'chunk' && first.chunk).toMatchObject({
      choices: [],
      id: '',
      model: '',
    });
    expect(first?.type === 'chunk' && first.chunk.prompt_filter_results).toBeDefined();
  });

  it('openrouter writes processing comments before and between data (F1)', async () => {
    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-mock', 'x-mock-dialect': 'openrouter' },
      body: JSON.stringify({ ...ask('Hi'), stream: true }),
    });
    const text = await response.text();
    expect(text.startsWith(': OPENROUTER PROCESSING\n\n: OPENROUTER PROCESSING\n\ndata: ')).toBe(
      true,
    );
    expect(text.indexOf(': OPENROUTER PROCESSING', 60)).toBeGreaterThan(0);
    expect(text.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('no-done never sends [DONE] (F3), and the pipeline still succeeds after the finish', async () => {
    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer sk-mock', 'x-mock-dialect': 'no-done' },
      body: JSON.stringify({ ...ask('Hi'), stream: true }),
    });
    expect(await response.text()).not.toContain('[DONE]');
    const completion = await lastValueFrom(
      client({ requireDone: false }).complete(ask('Hi'), inDialect('no-done')),
    );
    expect(completion.choices[0]!.message.content).toBe(mockAnswerText('Hi'));
  });

  it('mistral pads with p and sends the whole tool call with the finish (F9, T3)', async () => {
    const events = await lastValueFrom(
      client()
        .stream(ask('call get_weather', { tools: [weatherTool] }), inDialect('mistral'))
        .pipe(toArray()),
    );
    const chunks = events.flatMap((e) => (e.type === 'chunk' ? [e.chunk] : []));
    expect(chunks.slice(1).every((c) => typeof (c as { p?: unknown }).p === 'string')).toBe(true);
    const finish = chunks.find((c) => c.choices?.[0]?.finish_reason)!;
    const call = finish.choices![0]!.delta!.tool_calls![0]!;
    expect(call).not.toHaveProperty('index');
    expect(call).not.toHaveProperty('type');
    expect(finish.usage).toBeDefined();
  });

  it('the same request gets byte-identical streams (no randomness but seeded padding)', async () => {
    const read = async () => {
      const response = await fetch(`${server.url}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-mock' },
        body: JSON.stringify({ ...ask('Same'), stream: true }),
      });
      return response.text();
    };
    expect(await read()).toBe(await read());
  });

  it('finalCompletion over the raw stream events gives the same as complete()', async () => {
    const viaStream = await lastValueFrom(client().stream(ask('Hi')).pipe(finalCompletion()));
    const viaComplete = await lastValueFrom(client().complete(ask('Hi')));
    expect(viaStream).toEqual(viaComplete);
  });
});

describe('tool selection', () => {
  const lookup = {
    type: 'function',
    function: {
      name: 'lookup',
      parameters: { type: 'object', properties: { q: { type: 'string' } } },
    },
  };
  const complete = (extra: Partial<ChatRequest>, prompt = 'please lookup and get weather') =>
    lastValueFrom(client().complete(ask(prompt, { tools: [weatherTool, lookup], ...extra })));

  it('calls every tool the prompt mentions, in order (T1: one after the other)', async () => {
    const completion = await complete({});
    expect(completion.choices[0]!.message.tool_calls.map((c) => fn(c).name)).toEqual([
      'get_weather',
      'lookup',
    ]);
  });

  it('calls only the first with parallel_tool_calls: false', async () => {
    const completion = await complete({ parallel_tool_calls: false });
    expect(completion.choices[0]!.message.tool_calls).toHaveLength(1);
  });

  it('answers in text when no tool is mentioned, or with tool_choice none', async () => {
    expect((await complete({}, 'just chat')).choices[0]!.finish_reason).toBe('stop');
    expect((await complete({ tool_choice: 'none' })).choices[0]!.finish_reason).toBe('stop');
  });

  it('calls the first tool when required, or the named one', async () => {
    const required = await complete({ tool_choice: 'required' }, 'just chat');
    expect(fn(required.choices[0]!.message.tool_calls[0]).name).toBe('get_weather');
    const named = await complete(
      { tool_choice: { type: 'function', function: { name: 'lookup' } } },
      'just chat',
    );
    expect(named.choices[0]!.message.tool_calls.map((c) => fn(c).name)).toEqual(['lookup']);
    expect(JSON.parse(fn(named.choices[0]!.message.tool_calls[0]).arguments)).toEqual({
      q: 'just chat',
    });
  });
});
