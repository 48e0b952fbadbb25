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
  // One line, once, when ../shared/corpus (or $RXCHAT_CORPUS) is absent.
  globalSetup: '<rootDir>/test/global-setup.ts',
};

export default config;
