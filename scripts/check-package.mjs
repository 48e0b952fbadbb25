// The package gate (`npm run check:package`, run by CI after `npm test`): packs rxchat as npm
// publishes it and fails when the tarball is broken for any of the ways users consume it.
//
//   1. `npm pack` (the `prepare` script builds dist/ first), then the file list: only dist/ code
//      and declarations plus package.json, README, LICENSE and CHANGELOG; no source maps; every
//      path that package.json points at is in it; a size budget.
//   2. @arethetypeswrong/cli on the tarball: every entry point under node10, node16 (CommonJS and
//      ESM) and bundler resolution; rxchat/angular under ESM resolutions only (it is ESM only, as
//      Angular is).
//   3. publint --strict on the tarball, and no suggestion either.
//   4. `npm install --offline` of the tarball into a temporary project, with rxjs, zod, undici,
//      TypeScript, @types/node and Angular linked from this repository's node_modules (no
//      network, and exactly what the tarball ships). In it: an ESM project and a CommonJS
//      project load every entry point (rxchat/schemas among them) and stream an answer from rxchat/mock-server through the
//      default (undici) transport; TypeScript projects (node16 ESM, node16 CommonJS, bundler,
//      node10) type-check imports of every entry point; the installed `rxchat` bin answers.
//
// Needs only what `npm ci` installs. Prints the tarball's size and each step's time.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const bin = (pkg, file) => join(root, 'node_modules', pkg, file);
// The packed tarball must stay small; source maps (about 0.7 MB packed) would break this. It was
// 350 kB before the Responses API, the tool loop, structured output and the relay (about 526 kB
// with them: the core is in six files of dist/, ESM, CommonJS and their types, and in the CLI);
// 563 kB with the relay's CLI and browser helpers, 544 kB once the CLI bundle's whitespace was
// minified.
const PACKED_BUDGET = 560_000;
const started = Date.now();
const timings = [];

async function step(title, action) {
  console.log(`\n=== ${title} ===`);
  const t0 = Date.now();
  await action();
  const seconds = ((Date.now() - t0) / 1000).toFixed(1);
  timings.push([title, seconds]);
  console.log(`--- ${title}: ok (${seconds} s)`);
}

function fail(message) {
  console.error(`\ncheck-package: FAILED: ${message}`);
  process.exit(1);
}

/** Runs a command; its output is shown; a non-zero exit fails the check. */
function run(command, args, cwd, options = {}) {
  console.log(`$ ${[command, ...args].join(' ')}   (in ${cwd})`);
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  if (output.trim()) console.log(output.trimEnd());
  if (result.error) fail(`${command} could not start: ${result.error.message}`);
  if (result.status !== 0) {
    fail(`${command} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
  return output;
}

const write = (path, contents) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, typeof contents === 'string' ? contents : JSON.stringify(contents, null, 2));
};

const tmp = mkdtempSync(join(tmpdir(), 'rxchat-check-package-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

let tarball;
let packed;
await step('npm pack (prepare builds dist/)', () => {
  const result = spawnSync(npm, ['pack', '--json', '--pack-destination', tmp], {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) fail(`npm pack exited with ${result.status ?? result.signal}`);
  const out = result.stdout;
  // Lifecycle output may come before the JSON, which is the last top-level array.
  [packed] = JSON.parse(out.slice(out.lastIndexOf('\n[') + 1));
  tarball = join(tmp, packed.filename);
  console.log(
    `${packed.filename}: ${packed.entryCount} files, ${(packed.size / 1000).toFixed(1)} kB packed, ` +
      `${(packed.unpackedSize / 1000).toFixed(1)} kB unpacked`,
  );
});

await step('tarball contents', () => {
  const files = packed.files.map((file) => file.path);
  const allowed =
    /^(package\.json|README\.md|LICENSE|CHANGELOG\.md|dist\/[\w.-]+\.(cjs|mjs|d\.ts|d\.mts))$/;
  const stray = files.filter((file) => !allowed.test(file));
  if (stray.length) fail(`unexpected files in the tarball: ${stray.join(', ')}`);
  const pointed = new Set();
  const collect = (value) => {
    if (typeof value === 'string') pointed.add(value.replace(/^\.\//, ''));
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value && typeof value === 'object') Object.values(value).forEach(collect);
  };
  collect([manifest.main, manifest.module, manifest.types, manifest.exports, manifest.bin]);
  collect(manifest.typesVersions);
  const missing = [...pointed].filter((path) => !files.includes(path));
  if (missing.length)
    fail(`package.json points at files not in the tarball: ${missing.join(', ')}`);
  for (const required of ['LICENSE', 'README.md', 'CHANGELOG.md']) {
    if (!files.includes(required)) fail(`${required} is not in the tarball`);
  }
  if (packed.size > PACKED_BUDGET) {
    fail(`the tarball is ${packed.size} bytes packed, over the budget of ${PACKED_BUDGET}`);
  }
  console.log(`${files.length} files; ${pointed.size} paths from package.json all present`);
});

await step('attw', () => {
  const attw = bin('@arethetypeswrong/cli', 'dist/index.js');
  // Every entry point but rxchat/angular, under every resolution, with no rule ignored.
  run(process.execPath, [attw, tarball, '--exclude-entrypoints', './angular', '--no-color'], root);
  // rxchat/angular is ESM only: checked under node16 from ESM and bundler.
  run(
    process.execPath,
    [attw, tarball, '--entrypoints', './angular', '--profile', 'esm-only', '--no-color'],
    root,
  );
});

await step('publint', () => {
  const out = run(
    process.execPath,
    [bin('publint', 'src/cli.js'), 'run', tarball, '--strict'],
    root,
  );
  if (/suggestion|warning|error/i.test(out)) fail('publint has something to say (above)');
});

const app = join(tmp, 'app');
await step('install the tarball into a temporary project (offline)', () => {
  // file: dependencies on this repository's copies: npm links them, and they satisfy rxchat's
  // dependencies and peers, so nothing is fetched (--offline makes sure). --ignore-scripts: the
  // linked folders' own development scripts (undici's husky) are not ours to run; the tarball
  // has no install script, and the bin is linked all the same.
  const linked = [
    'rxjs',
    'zod',
    'undici',
    'typescript',
    '@types/node',
    '@angular/core',
    '@angular/common',
    '@angular/compiler',
  ];
  const dependencies = { rxchat: `file:${tarball}` };
  for (const name of linked) dependencies[name] = `file:${join(root, 'node_modules', name)}`;
  write(join(app, 'package.json'), { name: 'app', private: true, dependencies });
  run(npm, ['install', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], app);
});

await step('CommonJS files: no import() and no __require shim', () => {
  // Jest runs CommonJS without ESM support, so an import() there fails; bundlers cannot follow
  // esbuild's __require shim. The lazy loads of the CommonJS build must be plain require() calls.
  const dist = join(app, 'node_modules/rxchat/dist');
  const cjs = packed.files.map((file) => file.path).filter((path) => path.endsWith('.cjs'));
  for (const file of cjs) {
    const code = readFileSync(join(app, 'node_modules/rxchat', file), 'utf8');
    const found = code.match(/\bimport\(|__require\(/);
    if (found) fail(`${file} contains ${found[0]}`);
  }
  console.log(`${cjs.length} files in ${dist}: ok`);
});

const mockServerRoundTrip = `
  const server = await startMockServer();
  try {
    const undiciLoaded = () => Object.keys(cache).some((path) => /[\\\\/]undici[\\\\/]/.test(path));
    const before = undiciLoaded();
    const client = createChatClient({ baseURL: server.url, apiKey: 'test' });
    const completion = await firstValueFrom(
      client.complete({ model: 'mock-1', messages: [{ role: 'user', content: 'ping from the package check' }] }),
    );
    const text = completion.choices[0].message.content;
    if (!text.includes('ping from the package check')) throw new Error('unexpected answer: ' + text);
    if (before) throw new Error('undici was loaded before the first request');
    if (!undiciLoaded()) throw new Error('the default transport did not use undici');
  } finally {
    await server.close();
  }
`;

await step('ESM project: every entry point, and a request through the default transport', () => {
  write(join(app, 'esm/package.json'), { type: 'module' });
  write(
    join(app, 'esm/index.js'),
    `
    // Angular's libraries are partially compiled: outside an Angular build, JIT compiles them.
    import '@angular/compiler';
    import { createRequire } from 'node:module';
    import { firstValueFrom } from 'rxjs';
    import { createChatClient, decodeSse, RxChatError } from 'rxchat';
    import * as node from 'rxchat/node';
    import { sseWire } from 'rxchat/testing';
    import { startMockServer } from 'rxchat/mock-server';
    import { createRelay, memoryStore } from 'rxchat/relay';
    import { chatCompletionChunkSchema } from 'rxchat/schemas';
    import { provideRxChat } from 'rxchat/angular';
    const { cache } = createRequire(import.meta.url);
    const kinds = [createChatClient, decodeSse, RxChatError, node.undiciTransport, sseWire, startMockServer, createRelay, memoryStore, chatCompletionChunkSchema.safeParse, provideRxChat].map((f) => typeof f);
    if (kinds.some((kind) => kind !== 'function')) throw new Error('missing exports: ' + kinds);
    if (!chatCompletionChunkSchema.safeParse({ choices: [] }).success) throw new Error('rxchat/schemas rejects a chunk');
    ${mockServerRoundTrip}
    console.log('ESM: ok');
    `,
  );
  run(process.execPath, ['index.js'], join(app, 'esm'));
});

await step('CommonJS project: every entry point but rxchat/angular, and a request', () => {
  write(join(app, 'cjs/package.json'), { type: 'commonjs' });
  write(
    join(app, 'cjs/index.js'),
    `
    const { cache } = require;
    const { firstValueFrom } = require('rxjs');
    const { createChatClient, decodeSse, RxChatError } = require('rxchat');
    const node = require('rxchat/node');
    const { sseWire } = require('rxchat/testing');
    const { startMockServer } = require('rxchat/mock-server');
    const { createRelay, memoryStore } = require('rxchat/relay');
    const { chatCompletionChunkSchema } = require('rxchat/schemas');
    const kinds = [createChatClient, decodeSse, RxChatError, node.undiciTransport, sseWire, startMockServer, createRelay, memoryStore, chatCompletionChunkSchema.safeParse].map((f) => typeof f);
    if (kinds.some((kind) => kind !== 'function')) throw new Error('missing exports: ' + kinds);
    if (!chatCompletionChunkSchema.safeParse({ choices: [] }).success) throw new Error('rxchat/schemas rejects a chunk');
    (async () => {
      ${mockServerRoundTrip}
      console.log('CommonJS: ok');
    })().catch((error) => { console.error(error); process.exit(1); });
    `,
  );
  run(process.execPath, ['index.js'], join(app, 'cjs'));
});

// One source for every TypeScript project: real types (not any) from every entry point.
const typedSource = (angular) => `
  import { createChatClient, finalCompletion, RxChatError, type ChatClient, type ChatCompletionChunk } from 'rxchat';
  import { chatCompletionChunkSchema } from 'rxchat/schemas';
  import type { z } from 'zod';
  import { undiciTransport, type UndiciTransportOptions } from 'rxchat/node';
  import { sseWire, textChunks } from 'rxchat/testing';
  import { startMockServer, type MockServer } from 'rxchat/mock-server';
  import { createRelay, memoryStore, type Relay, type RelayEntry } from 'rxchat/relay';
  ${angular ? "import { provideRxChat } from 'rxchat/angular';" : ''}
  type IsAny<T> = 0 extends 1 & T ? true : false;
  type NotAny<T extends false> = T;
  export type Checks = [
    NotAny<IsAny<ChatClient>>,
    NotAny<IsAny<UndiciTransportOptions>>,
    NotAny<IsAny<MockServer>>,
    NotAny<IsAny<Relay>>,
    NotAny<IsAny<RelayEntry>>,
    NotAny<IsAny<typeof sseWire>>,
    NotAny<IsAny<typeof finalCompletion>>,
    NotAny<IsAny<typeof RxChatError>>,
    NotAny<IsAny<ChatCompletionChunk>>,
    NotAny<IsAny<typeof chatCompletionChunkSchema>>,
    ${angular ? 'NotAny<IsAny<typeof provideRxChat>>,' : ''}
  ];
  export const client: ChatClient = createChatClient({ baseURL: 'http://localhost/v1', transport: undiciTransport() });
  // @ts-expect-error baseURL is a string
  createChatClient({ baseURL: 42 });
  export const wire: string = sseWire(textChunks(['a', 'b']));
  export const server: Promise<MockServer> = startMockServer();
  export const relay: Relay = createRelay({ store: memoryStore({ retentionMs: 1000 }) });
  // The core's hand-written chunk type and the schema's inferred one are interchangeable.
  export const parsed: ChatCompletionChunk = chatCompletionChunkSchema.parse({});
  export const inferred: z.infer<typeof chatCompletionChunkSchema> = parsed;
  ${angular ? "export const providers = provideRxChat({ baseURL: '/v1' });" : ''}
`;

const tsProjects = [
  // [folder, package.json type, compilerOptions, imports rxchat/angular]
  ['ts-node16-esm', 'module', { module: 'node16', moduleResolution: 'node16' }, true],
  ['ts-node16-cjs', 'commonjs', { module: 'node16', moduleResolution: 'node16' }, false],
  ['ts-bundler', 'module', { module: 'preserve', moduleResolution: 'bundler' }, true],
  // TypeScript's legacy resolution, blind to exports: the typesVersions path. rxchat/angular
  // needs exports-aware resolution, as Angular itself does.
  [
    'ts-node10',
    'commonjs',
    { module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0' },
    false,
  ],
];

await step('TypeScript projects: node16 (ESM and CommonJS), bundler and node10', async () => {
  const tsc = join(app, 'node_modules/typescript/bin/tsc');
  for (const [folder, type, options, angular] of tsProjects) {
    const dir = join(app, folder);
    write(join(dir, 'package.json'), { type });
    write(join(dir, 'index.ts'), typedSource(angular));
    write(join(dir, 'tsconfig.json'), {
      compilerOptions: {
        target: 'es2022',
        lib: ['es2022', 'dom'],
        types: ['node'],
        strict: true,
        noEmit: true,
        // One project checks every declaration file too (ours, and all they pull in); the others
        // check resolution and the types the code above uses, at a quarter of the cost.
        skipLibCheck: folder !== 'ts-node16-esm',
        ...options,
      },
      files: ['index.ts'],
    });
  }
  // The four projects are independent: check them at once.
  const checks = tsProjects.map(([folder]) => {
    console.log(`$ tsc -p ${folder}`);
    const child = spawn(process.execPath, [tsc, '-p', folder], { cwd: app });
    let output = '';
    child.stdout.on('data', (data) => (output += data));
    child.stderr.on('data', (data) => (output += data));
    return new Promise((done) =>
      child.on('close', (code) => done({ folder, code, output: output.trimEnd() })),
    );
  });
  const failed = (await Promise.all(checks)).filter(({ code }) => code !== 0);
  for (const { folder, output } of failed) console.log(`--- ${folder}:\n${output}`);
  if (failed.length) fail(`tsc failed in ${failed.map(({ folder }) => folder).join(', ')}`);
});

await step('the installed rxchat bin', () => {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(OPENAI_|RXCHAT_)/.test(key)),
  );
  const binPath = join(app, 'node_modules/.bin/rxchat');
  const out = run(binPath, ['chat', 'ping from the bin'], app, { env });
  if (!out.includes('ping from the bin')) fail('the bin did not answer');
});

console.log(`\ncheck-package: ok in ${((Date.now() - started) / 1000).toFixed(1)} s`);
for (const [title, seconds] of timings) console.log(`  ${seconds.padStart(6)} s  ${title}`);
console.log(`  ${packed.filename}: ${(packed.size / 1000).toFixed(1)} kB packed`);
