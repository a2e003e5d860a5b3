// Three projects, split by what they need: unit tests need nothing, integration tests start the
// local stack in-process, e2e tests also drive a Chromium-family browser (tests/e2e/support/browser.ts).
const tsJest = [
  'ts-jest',
  // Types are checked by `npm run typecheck`; here ts-jest only transpiles (tsconfig has
  // isolatedModules), which is much faster.
  { tsconfig: '<rootDir>/tsconfig.jest.json', diagnostics: false },
];
// ESM-only packages in node_modules that jest (CommonJS) must transpile too.
const esmOnly = ['@middy'];

const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(ts|js|mjs)$': tsJest },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  setupFiles: ['<rootDir>/tests/setup-env.js'],
};

/** @type {import('jest').Config} */
module.exports = {
  // A project-level testTimeout is ignored by jest 30. Integration and e2e tests start the local
  // stack and wait for conditions on a shared 2-core machine; unit tests finish long before this.
  testTimeout: 120_000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/tests/unit/**/*.test.ts', '<rootDir>/bench/test/**/*.test.ts'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/tests/integration/**/*.test.ts'],
    },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/tests/e2e/**/*.test.ts'] },
  ],
};
