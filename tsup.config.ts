import { defineConfig } from 'tsup';

// Two builds: the library (dual ESM + CommonJS with declarations, one file per entry point: the
// browser-safe core, the Node build with undici, rxchat/testing and rxchat/mock-server) and
// the CLI (one CommonJS file with a shebang, so `bin` works on every Node that we support).
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      node: 'src/node.ts',
      testing: 'src/testing/index.ts',
      'mock-server': 'src/mock-server/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
    splitting: false,
    treeshake: true,
    outExtension: ({ format }) => ({ js: format === 'esm' ? '.mjs' : '.cjs' }),
    // `node:` built-ins appear only in the Node entry (the undici transport's decompression).
    external: ['rxjs', 'zod', 'undici', /^node:/],
  },
  {
    // Angular ships ESM only, so rxchat/angular does too. It imports rxchat itself as a
    // package, so an app gets one copy of the core, shared with its own `rxchat` imports.
    entry: { angular: 'src/angular/index.ts' },
    format: ['esm'],
    dts: { compilerOptions: { ignoreDeprecations: '6.0' } },
    sourcemap: true,
    target: 'es2022',
    platform: 'browser',
    outExtension: () => ({ js: '.mjs' }),
    external: ['rxjs', 'rxchat', /^@angular\//],
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    format: ['cjs'],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    outExtension: () => ({ js: '.cjs' }),
    external: ['rxjs', 'zod', 'undici'],
  },
]);
