// `npm run size`: what rxchat weighs in a browser app, measured on the built dist/ (run
// `npm run build` first) exactly as an app's bundler sees it: esbuild, browser platform, the
// package's `exports` conditions (import, browser, default; never `node`), minified, gzipped with
// node:zlib at level 9.
//
//   - the core: an app that imports createChatClient, contentDeltas and throttleText from
//     `rxchat`, with rxjs bundled and with rxjs external (rxchat's own code). Over budget: exit 1.
//   - every other browser entry (rxchat/testing, rxchat/angular with Angular external,
//     rxchat/schemas with zod bundled), everything it exports, for information.
//   - no browser bundle (core, testing, angular) imports a `node:` module or undici, and the
//     core carries no zod (its schema constants are top-level calls that no bundler drops).
import { existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const KB = 1000;
// The budgets hold what the core weighs today, with a little room: a ratchet, to lower as the
// core shrinks. Before the Responses API the core was 22.6 and 16.4 kB gzipped (after
// table-driven chunk explanations and option checks). Every client method is in every app that
// makes a client (a bundler cannot drop an object's method): `responses()` (the Responses parser,
// request check and background resume, with the operators reading both protocols) added about
// 5 kB, `runTools()` (the tool loop) 2.7 kB more: 30.7 and 24.1 kB. Issue 14's targets are 20
// and 12 kB; about 40% of rxchat's minified code is the text of its error messages.
const BUDGETS = { withRxjs: 31 * KB, ownCode: 24.5 * KB };
const TARGETS = { withRxjs: 20 * KB, ownCode: 12 * KB };

if (!existsSync(resolve(root, 'dist/index.mjs'))) {
  console.error('size: dist/ is not built; run `npm run build` first.');
  process.exit(1);
}

/**
 * Bundles `contents` as a browser app in this repository would: `rxchat` resolves to this
 * package by its own name (a package may import itself through its `exports`), so to dist/.
 * Node's built-in modules (`node:zlib` or `zlib`) and undici are external, so that the check
 * below names them instead of esbuild failing to resolve them.
 */
async function bundle(contents, external = []) {
  const result = await esbuild.build({
    stdin: { contents, resolveDir: root, loader: 'js', sourcefile: 'app.js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'error',
    external: ['node:*', ...builtinModules, 'undici', ...external],
  });
  const code = result.outputFiles[0].contents;
  const inputs = result.metafile.inputs;
  const imported = Object.values(inputs).flatMap((input) => input.imports.map((i) => i.path));
  return {
    min: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    inputs: Object.keys(inputs),
    forbidden: [...Object.keys(inputs), ...imported].filter(
      (path) => /^node:|(^|[\\/])undici([\\/]|$)/.test(path) || builtinModules.includes(path),
    ),
    zod: Object.keys(inputs).filter((path) => /node_modules[\\/]zod[\\/]/.test(path)).length,
  };
}

const kb = (bytes) => `${(bytes / KB).toFixed(1).padStart(6)} kB`;
const failures = [];
const rows = [];
function report(label, result, { browser = true, noZod = false } = {}) {
  rows.push([label, result]);
  if (browser && result.forbidden.length) {
    failures.push(`${label} imports ${[...new Set(result.forbidden)].join(', ')}`);
  }
  if (noZod && result.zod) failures.push(`${label} carries zod (${result.zod} files)`);
}

const app = `
  import { createChatClient, contentDeltas, throttleText } from 'rxchat';
  createChatClient({ baseURL: '/v1' })
    .stream({ model: 'm', messages: [{ role: 'user', content: 'Hi' }] })
    .pipe(contentDeltas(), throttleText({ interval: 50 }))
    .subscribe((text) => document.body.append(text));
`;
const core = await bundle(app);
const own = await bundle(app, ['rxjs', 'rxjs/*']);
report('app (rxchat core), rxjs bundled', core, { noZod: true });
report('app (rxchat core), rxjs external', own, { noZod: true });
if (core.gzip > BUDGETS.withRxjs) {
  failures.push(
    `the core app is ${kb(core.gzip).trim()} gzipped, over ${kb(BUDGETS.withRxjs).trim()}`,
  );
}
if (own.gzip > BUDGETS.ownCode) {
  failures.push(
    `rxchat's own code is ${kb(own.gzip).trim()} gzipped, over ${kb(BUDGETS.ownCode).trim()}`,
  );
}

const everything = (entry) => `import * as m from '${entry}'; console.log(m);`;
report(
  'rxchat/testing (all of it), rxjs external',
  await bundle(everything('rxchat/testing'), ['rxjs', 'rxjs/*']),
);
report(
  'rxchat/angular (all of it, with the core), rxjs and Angular external',
  await bundle(everything('rxchat/angular'), ['rxjs', 'rxjs/*', '@angular/*']),
);
report(
  'rxchat/angular (all of it), rxjs, Angular and rxchat external',
  // From the file: marking `rxchat` external would mark its subpaths too.
  await bundle(everything('./dist/angular.mjs'), ['rxjs', 'rxjs/*', '@angular/*', 'rxchat']),
);
if (existsSync(resolve(root, 'dist/schemas.mjs'))) {
  report('rxchat/schemas (all of it), zod bundled', await bundle(everything('rxchat/schemas')), {
    browser: false,
  });
} else {
  console.log('(rxchat/schemas is not built: skipped)');
}

const width = Math.max(...rows.map(([label]) => label.length));
console.log(`${''.padEnd(width)}   minified    gzipped`);
for (const [label, { min, gzip }] of rows) {
  console.log(`${label.padEnd(width)}  ${kb(min)}  ${kb(gzip)}`);
}
console.log(
  `budgets: core ≤ ${kb(BUDGETS.withRxjs).trim()} gzipped with rxjs, ` +
    `≤ ${kb(BUDGETS.ownCode).trim()} with rxjs external ` +
    `(targets: ${kb(TARGETS.withRxjs).trim()} and ${kb(TARGETS.ownCode).trim()})`,
);
if (failures.length) {
  for (const failure of failures) console.error(`size: FAILED: ${failure}`);
  process.exit(1);
}
console.log('size: ok (no node: module, undici or zod in the browser bundles)');
