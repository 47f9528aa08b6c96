/** Three tiers: unit specs beside the code, integration specs in test/ (real Postgres when
 * DATABASE_URL is set, embedded PGlite otherwise), and process-level end-to-end specs. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
      keepClassNames: true,
    },
  },
];
// NestJS 12 and more and more of its dependencies ship ES modules only. Node runs them natively
// (require(esm)), but Jest's CommonJS runtime cannot, so swc turns every module into CommonJS; its
// cache makes this a one-time cost.
const common = {
  transform: { '^.+\\.(ts|js|mjs)$': swc },
  transformIgnorePatterns: [],
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: { '^@/(.*)$': '<rootDir>/src/$1' },
  testEnvironment: 'node',
};
module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/**/*.int-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/jest-setup.ts'],
    },
    // Seeded, bounded fuzz of every edge (test/fuzz): in-process nodes only, about a minute in all.
    // Replay a failure with FUZZ_SEED/FUZZ_PATH; FUZZ_FINDINGS=<dir> lists every violation instead of the first.
    {
      ...common,
      displayName: 'fuzz',
      testMatch: ['<rootDir>/test/fuzz/**/*.fuzz-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFilesAfterEnv: ['<rootDir>/test/support/jest-setup.ts'],
    },
    // Fault injection (test/faults): real node processes in network namespaces with partitions, pauses and
    // packet loss. Needs root and iproute2; run with `npm test -- --selectProjects faults`.
    { ...common, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'] },
  ],
};
