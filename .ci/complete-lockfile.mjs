#!/usr/bin/env node
// The registry mirror this project installs from does not serve the binaries of other platforms
// (for example @rollup/rollup-darwin-arm64 answers 404), so `npm install` leaves them out of
// package-lock.json, and `npm ci` then refuses the lockfile as "out of sync". This script adds
// the missing optional entries, marked optional and limited to their platform (read from the
// package name), so `npm ci` skips them as it would on any registry. Run it after every
// `npm install` that rewrites a lockfile: `node .ci/complete-lockfile.mjs [path/to/package-lock.json]`
// (default: the repository's own; the Angular example's is examples/angular/package-lock.json).
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const file = process.argv[2]
  ? resolve(process.argv[2])
  : new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;

const OS = [
  'android',
  'darwin',
  'freebsd',
  'linux',
  'openbsd',
  'openharmony',
  'win32',
  'sunos',
  'aix',
  'netbsd',
  'cygwin',
];
const CPU = [
  'arm64',
  'arm',
  'x64',
  'ia32',
  'loong64',
  'ppc64',
  'riscv64',
  's390x',
  'mips64el',
  'mipsel',
  'ppc',
  'wasm32',
];
const platformOf = (name) => {
  const parts = name.split('/').pop().split('-');
  const arm32 = parts.some((p) => p === 'eabi' || p === 'gnueabihf' || p === 'musleabihf');
  const musl = parts.some((p) => p.startsWith('musl'));
  const gnu = parts.some((p) => p.startsWith('gnu'));
  return {
    os: OS.find((o) => parts.includes(o)),
    cpu: arm32 ? 'arm' : CPU.find((c) => parts.includes(c)),
    libc: musl ? ['musl'] : gnu ? ['glibc'] : undefined,
  };
};

let added = 0;
for (const [path, meta] of Object.entries(packages)) {
  const optional = meta.optionalDependencies;
  if (!optional || path === '') continue;
  for (const [name, spec] of Object.entries(optional)) {
    // Resolution: next to the dependent first, then at the top (how npm hoists).
    const nested = `${path}/node_modules/${name}`;
    const top = `node_modules/${name}`;
    if (packages[nested] || packages[top]) continue;
    const { os, cpu, libc } = platformOf(name);
    if (!os || !cpu) continue; // not a platform binary: leave it to npm
    const entry = { version: spec.replace(/^[\^~=]/, ''), optional: true, os: [os], cpu: [cpu] };
    if (libc) entry.libc = libc;
    if (meta.dev) entry.dev = true;
    packages[top] = entry;
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) =>
    a === '' ? -1 : b === '' ? 1 : a < b ? -1 : a > b ? 1 : 0,
  ),
);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lockfile: added ${added} optional platform entries`);
