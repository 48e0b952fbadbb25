import { defineConfig, type Options } from 'tsup';

type Plugin = NonNullable<Options['plugins']>[number];

/**
 * The undici transport loads undici with `import('undici')` on its first request, so importing
 * rxchat does not load it. CommonJS files must not keep that `import()` (Jest runs them without
 * ESM support), so the CommonJS build turns it into `require('undici')`: esbuild does, but
 * because tsup's treeshake step builds ESM first and converts it, esbuild writes the call as
 * `__require("undici")`, a shim that bundlers cannot follow. This makes it a plain `require`.
 */
const plainRequireOfUndici: Plugin = {
  name: 'plain-require-of-undici',
  renderChunk(code) {
    if (this.format !== 'cjs') return undefined;
    // The same for ioredis, which the Redis relay store loads on first use (`{ url }`).
    return {
      code: code
        .replaceAll('__require("undici")', 'require("undici")')
        .replaceAll('__require("ioredis")', 'require("ioredis")'),
    };
  },
};

// Two builds: the library (dual ESM + CommonJS with declarations, one file per entry point: the
// browser-safe core, the Node build with undici, rxchat/testing, rxchat/mock-server, rxchat/relay
// and rxchat/schemas, the only one with zod) and
// the CLI (one CommonJS file with a shebang, so `bin` works on every Node that we support).
//
// No source maps in dist/ (so none in the tarball): they were two thirds of it, and the code is
// not minified, so a stack trace into dist/ reads as it is. `npx tsup --sourcemap` adds them
// for a local debugging session.
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      node: 'src/node.ts',
      testing: 'src/testing/index.ts',
      'mock-server': 'src/mock-server/index.ts',
      relay: 'src/relay.ts',
      schemas: 'src/schemas.ts',
    },
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
    sourcemap: false,
    target: 'es2022',
    platform: 'neutral',
    splitting: false,
    treeshake: true,
    outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.cjs' }),
    // `node:` built-ins appear only in the Node entry (the undici transport's decompression);
    // ioredis (an optional peer) only in rxchat/relay's Redis store, loaded on first use.
    external: ['rxjs', 'zod', 'undici', 'ioredis', /^node:/],
    // No `import()` in the CommonJS build: a lazy `require()` instead (see plainRequireOfUndici).
    esbuildOptions(options, { format }) {
      if (format === 'cjs') options.supported = { ...options.supported, 'dynamic-import': false };
    },
    plugins: [plainRequireOfUndici],
  },
  {
    // Angular ships ESM only, so rxchat/angular does too. It imports rxchat itself as a
    // package, so an app gets one copy of the core, shared with its own `rxchat` imports.
    entry: { angular: 'src/angular/index.ts' },
    format: ['esm'],
    dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
    sourcemap: false,
    target: 'es2022',
    platform: 'browser',
    outExtension: () => ({ js: '.mjs' }),
    external: ['rxjs', 'rxchat', /^@angular\//],
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['cjs'],
    sourcemap: false,
    target: 'node20',
    platform: 'node',
    outExtension: () => ({ js: '.cjs' }),
    external: ['rxjs', 'zod', 'undici'],
    // undici's lazy load as a plain `require()` here too, not through Node's ESM loader.
    // Whitespace minified (names kept, so a stack trace still reads): the CLI bundles the client,
    // the mock server and the relay, a third of the tarball unminified.
    esbuildOptions(options) {
      options.supported = { ...options.supported, 'dynamic-import': false };
      options.minifyWhitespace = true;
    },
  },
]);
