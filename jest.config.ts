import type { Config } from 'jest';

const config: Config = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }],
  },
  // Type errors are reported once by `tsc --noEmit` in `npm test`; ts-jest only transpiles.
  moduleFileExtensions: ['ts', 'js', 'json'],
  testTimeout: 30_000,
  // Jest's default leaves one core idle (cores - 1: a single worker on a 2-core machine); the
  // suite is mostly I/O on loopback, and two workers take it from about 105 s to 70 s here.
  maxWorkers: '100%',
  // One line, once, when ../shared/corpus (or $RXCHAT_CORPUS) is absent.
  globalSetup: '<rootDir>/test/global-setup.ts',
};

export default config;
