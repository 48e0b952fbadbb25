import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ChatTransport } from '../../src';

/*
 * rxchat/angular under Jest, with Angular's real HttpClient and its fetch backend: Angular ships
 * ES modules only (and partially compiled), which Jest's CommonJS runtime cannot load, so
 * src/angular and the Angular packages it needs are bundled to CommonJS once per test file
 * (about 0.3 s), with `@angular/compiler` for JIT. `rxjs` and `rxchat` stay outside the bundle
 * and are required through Jest, so the bundle shares the test's RxJS and src/ modules.
 */

/** What a test gets: the Angular transport over a live `HttpClient`, and its injector's end. */
export interface AngularHarness {
  /** `httpClientTransport(http)` over `provideHttpClient(withFetch())`. */
  transport(): ChatTransport;
  /** Destroys the injector that owns the `HttpClient`. */
  destroy(): void;
}

interface AngularBundle {
  httpClientTransport(http: unknown): ChatTransport;
  createInjector(): { get(token: unknown): unknown; destroy(): void };
  HttpClient: unknown;
}

const entry = `
  import '@angular/compiler';
  import {
    createEnvironmentInjector,
    Injector,
    provideZonelessChangeDetection,
    ɵINJECTOR_SCOPE,
  } from '@angular/core';
  import { HttpClient, provideHttpClient, withFetch } from '@angular/common/http';
  export { httpClientTransport } from ${JSON.stringify(resolve(__dirname, '../../src/angular'))};
  export { HttpClient };
  // A root injector without a platform or a DOM: enough for HttpClient.
  export const createInjector = () =>
    createEnvironmentInjector(
      [
        provideZonelessChangeDetection(),
        provideHttpClient(withFetch()),
        { provide: ɵINJECTOR_SCOPE, useValue: 'root' },
      ],
      Injector.NULL,
    );
`;

let bundle: AngularBundle | undefined;

function load(): AngularBundle {
  if (bundle) return bundle;
  const root = resolve(__dirname, '../..');
  const { outputFiles } = buildSync({
    stdin: { contents: entry, resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
    external: ['rxjs', 'rxjs/*', 'rxchat'],
  });
  // Required through Jest from a temporary file, so these must be absolute paths.
  const code = outputFiles[0]!.text.replace(
    /require\("(rxjs(?:\/[^"]*)?|rxchat)"\)/g,
    (_, id) =>
      `require(${JSON.stringify(id === 'rxchat' ? join(root, 'src/index.ts') : require.resolve(id))})`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'rxchat-angular-jest-'));
  try {
    const file = join(dir, 'angular.js');
    writeFileSync(file, code);
    bundle = jest.requireActual<AngularBundle>(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return bundle;
}

/** Builds (once per test file) and starts rxchat/angular with a fresh root injector. */
export function startAngular(): AngularHarness {
  const angular = load();
  const injector = angular.createInjector();
  const http = injector.get(angular.HttpClient);
  return {
    transport: () => angular.httpClientTransport(http),
    destroy: () => injector.destroy(),
  };
}
