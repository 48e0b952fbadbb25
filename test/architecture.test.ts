import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/*
 * The layout of ../shared/design.md ("Layout (target, second edition)") as checks on the import
 * graph of src/: no module reaches itself through its imports, and data only moves down the
 * stages (a stage never imports a later one).
 */
const src = resolve(__dirname, '../src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesUnder(join(dir, entry.name))
      : entry.name.endsWith('.ts')
        ? [join(dir, entry.name)]
        : [],
  );
}

/** Each module (path relative to src/, no extension) and the modules of src/ it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = filesUnder(src);
  const known = new Set(files.map((file) => relative(src, file).replace(/\.ts$/, '')));
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const targets = new Set<string>();
    // Static imports and re-exports, type-only ones included: a circle of types is still a circle.
    for (const match of text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+'(\.[^']+)'/gms)) {
      const target = relative(src, resolve(dirname(file), match[1]!));
      targets.add(known.has(target) ? target : `${target}/index`);
    }
    graph.set(relative(src, file).replace(/\.ts$/, ''), [...targets]);
  }
  return graph;
}

function findCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string) => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      if (state.get(next) === 'open') cycles.push([...path.slice(path.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    path.pop();
    state.set(node, 'done');
  };
  for (const node of [...graph.keys()].sort()) if (!state.has(node)) visit(node);
  return cycles;
}

const folderOf = (module: string) => (module.includes('/') ? module.split('/')[0]! : module);

describe('the layout of src/', () => {
  const graph = importGraph();

  it('reads the whole tree', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('client/chat-client')).toEqual(expect.arrayContaining(['errors']));
  });

  it('has no import circles', () => {
    expect(findCycles(graph).map((cycle) => cycle.join(' -> '))).toEqual([]);
  });

  it('moves data down the stages only', () => {
    // What each stage may import from src/ besides its own folder and errors.ts.
    const allowed: Record<string, string[]> = {
      transport: [],
      sse: [],
      // Chat chunks and Responses events are one stage, one folder per protocol: the chunk
      // stage's event union and accumulator take in the Responses event and its fold.
      chunks: ['transport/types', 'sse', 'responses/types', 'responses/response-fold'],
      responses: ['transport/types', 'sse', 'chunks', 'response', 'text'],
      response: ['transport/types', 'sse', 'chunks'],
      text: [],
      operators: ['chunks', 'responses', 'text', 'transport/types', 'json', 'structured'],
      // Streamed JSON, and schemas and code fences for structured output.
      json: [],
      structured: [],
      client: [
        'transport/types',
        'transport/fetch',
        // The contract's one enforcer: every attempt goes through callTransport.
        'transport/transport-response',
        'response',
        'sse',
        'chunks',
        'responses',
        'operators',
        // client.runTools() delegates to the tool loop.
        'tools',
      ],
      // The tool loop: the client's request types (never the client itself), the stream's
      // events and their fold, and the operators' option types.
      tools: [
        'chunks',
        'responses',
        'operators',
        'structured',
        'client/request',
        'client/http-request',
      ],
      // rxchat/relay (the server side): the stream's event type only, never the client.
      relay: ['chunks/types'],
      // relayStream(): the client's GET (request building, redaction, abort signal), the SSE
      // decoder, the transport contract and the http_error of a non-2xx response.
      'relay-client': [
        'transport/types',
        'transport/fetch',
        'transport/transport-response',
        'sse',
        'chunks/types',
        'client/secrets',
        'client/abort',
        'response/http-error',
        'response/read-text',
      ],
    };
    const breaches: string[] = [];
    for (const [module, targets] of graph) {
      const rules = allowed[folderOf(module)];
      if (!rules) continue;
      for (const target of targets) {
        if (folderOf(target) === folderOf(module) || target === 'errors') continue;
        if (!rules.some((rule) => target === rule || target.startsWith(`${rule}/`))) {
          breaches.push(`${module} -> ${target}`);
        }
      }
    }
    expect(breaches).toEqual([]);
  });

  it('keeps zod out of every entry point but rxchat/schemas', () => {
    // zod's schema constants are top-level calls that bundlers keep: one import of a module that
    // defines schemas puts all of zod in a browser bundle. The core validates by hand instead.
    const importsZod = (module: string) =>
      /^(?:import|export)\b[^;]*?\bfrom\s+'zod'/m.test(
        readFileSync(join(src, `${module}.ts`), 'utf8'),
      );
    const reach = (entry: string) => {
      const seen = new Set<string>();
      const visit = (node: string) => {
        if (seen.has(node)) return;
        seen.add(node);
        for (const next of graph.get(node) ?? []) visit(next);
      };
      visit(entry);
      return [...seen];
    };
    const withZod = (entry: string) => reach(entry).filter(importsZod);
    for (const entry of [
      'index',
      'node',
      'testing/index',
      'mock-server/index',
      'relay',
      'angular/index',
    ]) {
      expect([entry, withZod(entry)]).toEqual([entry, []]);
    }
    expect(withZod('schemas')).toEqual(['chunks/schema', 'responses/schema']);
  });

  it('finds a circle when there is one', () => {
    const looped = new Map([
      ['a/x', ['b/y']],
      ['b/y', ['a/x']],
    ]);
    expect(findCycles(looped)).toEqual([['a/x', 'b/y', 'a/x']]);
  });
});
