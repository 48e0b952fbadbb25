import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/*
 * Packs (npm's `prepare` script builds dist/ first) and installs the tarball into a temporary
 * project, then loads it the ways users do: `require`, `import`, and the `rxchat` bin. The
 * dependencies are linked from this repo's node_modules, so the test needs no network and checks
 * exactly what the tarball ships. `npm run check:package` checks more (attw, publint, TypeScript
 * projects, a real install) and takes longer; CI runs it.
 */
const root = resolve(__dirname, '../..');
const run = (cmd: string, args: string[], cwd: string) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('the packed package', () => {
  let project: string;

  beforeAll(() => {
    const scratch = mkdtempSync(join(tmpdir(), 'rxchat-pack-'));
    const tarball = run('npm', ['pack', '--pack-destination', scratch, '--silent'], root)
      .trim()
      .split('\n')
      .pop()!;
    project = join(scratch, 'app');
    const modules = join(project, 'node_modules');
    mkdirSync(join(modules, 'rxchat'), { recursive: true });
    writeFileSync(join(project, 'package.json'), '{"name":"app","private":true}');
    run(
      'tar',
      ['-xzf', join(scratch, tarball), '-C', join(modules, 'rxchat'), '--strip-components=1'],
      project,
    );
    for (const dep of ['rxjs', 'zod', 'undici', 'tslib', '@angular']) {
      try {
        symlinkSync(join(root, 'node_modules', dep), join(modules, dep), 'dir');
      } catch {
        // tslib is only there when rxjs needs it.
      }
    }
  }, 120_000);

  afterAll(() => rmSync(resolve(project, '..'), { recursive: true, force: true }));

  /** Bundles `contents` for the browser from the temp project, as an app's bundler would. */
  const bundleForBrowser = async (contents: string) => {
    const esbuild = await import('esbuild');
    return esbuild.build({
      stdin: { contents, resolveDir: project, loader: 'js' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
  };

  const script = `
    const { of } = rx;
    const { decodeSse, parseChunks, finalCompletion, RxChatError } = lib;
    of('data: {"id":"x","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\\n\\ndata: [DONE]\\n\\n')
      .pipe(decodeSse(), parseChunks(), finalCompletion())
      .subscribe((c) => console.log(JSON.stringify([c.choices[0].message.content, typeof RxChatError.isInstance])));
  `;

  it('works with require()', () => {
    const out = run(
      'node',
      ['-e', `const rx = require('rxjs'); const lib = require('rxchat'); ${script}`],
      project,
    );
    expect(JSON.parse(out)).toEqual(['hi', 'function']);
  });

  it('works with import()', () => {
    const code = `const rx = await import('rxjs'); const lib = await import('rxchat'); ${script}`;
    const out = run('node', ['--input-type=module', '-e', code], project);
    expect(JSON.parse(out)).toEqual(['hi', 'function']);
  });

  it('shares one error brand between the ESM and CommonJS copies', () => {
    const code = `
      import { createRequire } from 'node:module';
      const esm = await import('rxchat');
      const cjs = createRequire(import.meta.url)('rxchat');
      const err = new cjs.RxChatError('truncated', 'cut');
      console.log(JSON.stringify([esm.RxChatError.isInstance(err), err instanceof esm.RxChatError, esm.RxChatError === cjs.RxChatError]));
    `;
    const out = run('node', ['--input-type=module', '-e', code], project);
    expect(JSON.parse(out)).toEqual([true, true, false]);
  });

  it('ships type declarations for both module systems and the bin', () => {
    const manifest = JSON.parse(
      readFileSync(join(project, 'node_modules/rxchat/package.json'), 'utf8'),
    );
    for (const path of [
      manifest.exports['.'].import.types,
      manifest.exports['.'].require.types,
      manifest.exports['.'].import.default,
      manifest.exports['.'].require.default,
      manifest.exports['./schemas'].import.types,
      manifest.exports['./schemas'].require.types,
      manifest.typesVersions['*'].schemas[0],
      manifest.bin.rxchat,
    ]) {
      expect(() => readFileSync(join(project, 'node_modules/rxchat', path))).not.toThrow();
    }
    expect(manifest.sideEffects).toBe(false);
  });

  it('gives Node the undici build through the node condition and rxchat/node', () => {
    const code = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const found = [await import('rxchat'), require('rxchat'), await import('rxchat/node'), require('rxchat/node')];
      console.log(JSON.stringify(found.map((m) => [typeof m.undiciTransport, typeof m.fetchTransport, typeof m.createChatClient])));
    `;
    const out = run('node', ['--input-type=module', '-e', code], project);
    expect(JSON.parse(out)).toEqual(Array(4).fill(['function', 'function', 'function']));
  });

  it('loads undici on the first request, not on import, in both builds', () => {
    const code = `
      import { createRequire } from 'node:module';
      import { firstValueFrom } from 'rxjs';
      import { startMockServer } from 'rxchat/mock-server';
      const require = createRequire(import.meta.url);
      const undici = () => Object.keys(require.cache).filter((path) => /[\\\\/]undici[\\\\/]/.test(path));
      const esm = await import('rxchat');
      const cjs = require('rxchat');
      const seen = [undici().length > 0];
      const server = await startMockServer();
      const ask = (rxchat) => firstValueFrom(
        rxchat.createChatClient({ baseURL: server.url }).complete({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
      );
      await ask(esm);
      seen.push(undici().length > 0);
      // Forget undici, so that the CommonJS build's first request has to require it again.
      for (const path of undici()) delete require.cache[path];
      await ask(cjs);
      seen.push(undici().length > 0);
      await server.close();
      console.log(JSON.stringify(seen));
    `;
    const out = run('node', ['--input-type=module', '-e', code], project);
    expect(JSON.parse(out)).toEqual([false, true, true]);
  });

  it('loads rxchat/testing with require() and import()', () => {
    const code = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const both = [await import('rxchat/testing'), require('rxchat/testing')];
      console.log(JSON.stringify(both.map((m) => [typeof m.createMockTransport, typeof m.sseWire, typeof m.runMarbles])));
    `;
    const out = run('node', ['--input-type=module', '-e', code], project);
    expect(JSON.parse(out)).toEqual(Array(2).fill(['function', 'function', 'function']));
  });

  it('bundles for the browser with no undici and no node: module', async () => {
    const result = await bundleForBrowser(`
          import { createChatClient, fetchTransport, contentDeltas, retryBeforeOutput, chatTimeout } from 'rxchat';
          import { createMockTransport, runMarbles, sseWire, textChunks } from 'rxchat/testing';
          runMarbles(({ cold }) => createMockTransport({ cold }, [{ body: 'a|', values: { a: sseWire(textChunks(['x'])) } }]));
          createChatClient({ baseURL: '/v1', transport: fetchTransport() })
            .stream({ model: 'm', messages: [{ role: 'user', content: 'hi' }] })
            .pipe(chatTimeout({ idle: 1000 }), retryBeforeOutput(), contentDeltas())
            .subscribe((t) => document.body.append(t));
        `);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.includes('node_modules/rxchat/dist/index.mjs'))).toBe(true);
    expect(inputs.some((path) => path.includes('node_modules/rxchat/dist/testing.mjs'))).toBe(true);
    expect(inputs.filter((path) => /undici|^node:|dist\/node\./.test(path))).toEqual([]);
    // No zod either: the core validates by hand; the schemas are in rxchat/schemas.
    expect(inputs.filter((path) => /(^|\/)zod\//.test(path))).toEqual([]);
    const code = result.outputFiles[0]!.text;
    expect(code).not.toMatch(/from ["']node:|require\(["']node:|undici/);
  });

  it('loads rxchat/schemas with require() and import(), and only it brings zod', async () => {
    const code = `
      import { createRequire } from 'node:module';
      const require = createRequire(import.meta.url);
      const both = [await import('rxchat/schemas'), require('rxchat/schemas')];
      console.log(JSON.stringify(both.map((m) => [m.chatCompletionChunkSchema.safeParse({ choices: [] }).success, m.usageSchema.safeParse({ total_tokens: 'x' }).success])));
    `;
    const out = run('node', ['--input-type=module', '-e', code], project);
    expect(JSON.parse(out)).toEqual(Array(2).fill([true, false]));
    const result = await bundleForBrowser(`
          import { chatCompletionChunkSchema } from 'rxchat/schemas';
          console.log(chatCompletionChunkSchema);
        `);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((path) => path.includes('rxchat/dist/schemas.mjs'))).toBe(true);
    expect(inputs.some((path) => /(^|\/)zod\//.test(path))).toBe(true);
    expect(inputs.some((path) => path.includes('rxchat/dist/index.mjs'))).toBe(false);
  });

  it('bundles rxchat/angular for the browser with one copy of the core', async () => {
    const result = await bundleForBrowser(`
          import { RxChatError, contentDeltas } from 'rxchat';
          import { provideRxChat, withHttpClientTransport, injectChatClient } from 'rxchat/angular';
          console.log(RxChatError, contentDeltas, provideRxChat, withHttpClientTransport, injectChatClient);
        `);
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((path) => path.includes('node_modules/rxchat/dist/'))).toEqual([
      expect.stringContaining('rxchat/dist/index.mjs'),
      expect.stringContaining('rxchat/dist/angular.mjs'),
    ]);
    const code = result.outputFiles[0]!.text;
    // The error class's brand is created once per copy of the core.
    expect(code.match(/Symbol\.for\(["']rxchat\.error["']\)/g)).toHaveLength(1);
    expect(code).not.toMatch(/undici|from ["']node:/);
  });

  it('provides a working client through Angular injectors, and aborts it with its injector', () => {
    const code = `
      import '@angular/compiler';
      import { createEnvironmentInjector, EnvironmentInjector, Injector } from '@angular/core';
      import { of } from 'rxjs';
      import { contentDeltas, RxChatError } from 'rxchat';
      import { provideRxChat, withTransport, RX_CHAT_CLIENT } from 'rxchat/angular';
      const sse = 'data: {"choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":"stop"}]}\\n\\ndata: [DONE]\\n\\n';
      const transport = () => of({ status: 200, headers: { 'content-type': 'text/event-stream' }, body: of(sse) });
      const parent = Injector.create({ providers: [] });
      const env = createEnvironmentInjector([provideRxChat({ baseURL: 'http://test/v1' }, withTransport(() => transport))], parent.get(EnvironmentInjector, null) ?? Injector.NULL);
      const client = env.get(RX_CHAT_CLIENT);
      const out = [];
      client.stream({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).pipe(contentDeltas()).subscribe((t) => out.push(t));
      env.destroy();
      client.stream({ model: 'm', messages: [{ role: 'user', content: 'x' }] }).subscribe({ error: (e) => out.push(RxChatError.isInstance(e) && e.code) });
      console.log(JSON.stringify(out));
    `;
    const out = run('node', ['--input-type=module', '-e', code], project);
    expect(JSON.parse(out)).toEqual(['hi', 'aborted']);
  });

  it('streams an answer with the packed bin from the built-in mock server', () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !/^(OPENAI_|RXCHAT_)/.test(k)),
    );
    const result = spawnSync('node', ['node_modules/rxchat/dist/cli.cjs', 'chat', 'Hi there'], {
      cwd: project,
      env,
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Hi there');
    expect(result.stderr).toMatch(/built-in mock server/);
    expect(result.stderr).toMatch(/\[usage\] prompt=\d+ completion=\d+ total=\d+/);
    const code = `const m = require('rxchat/mock-server'); console.log(typeof m.startMockServer);`;
    expect(run('node', ['-e', code], project).trim()).toBe('function');
  });

  it('runs the rxchat bin', () => {
    const out = run(
      'node',
      [
        'node_modules/rxchat/dist/cli.cjs',
        'inspect',
        '--jsonl',
        join(root, 'test/fixtures/demo/hello.sse'),
      ],
      project,
    );
    expect(JSON.parse(out)).toMatchObject({ ok: true, error: null });
  });
});
