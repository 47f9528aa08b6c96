// Five tiers, one jest project each; a spec's tier is its suffix (README, "Tests"):
// - unit: `*.spec.ts` beside the code in src/, bench/ and tools/ — no servers, seconds;
// - integration: `test/**/*.int-spec.ts` — whole nodes in-process (real Postgres when DATABASE_URL is set,
//   embedded PGlite otherwise), at most a client SDK or a script as a child process;
// - e2e: `test/**/*.e2e-spec.ts` — the built dist/ (or the demo tool) as real node processes;
// - soak, fuzz and faults below.
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
// The per-run template database (with DATABASE_URL) and the one 180 s hang limit of the specs under test/.
const withDatabases = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/support/jest-setup.ts'],
};
module.exports = {
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts', '<rootDir>/tools/**/*.spec.ts'],
    },
    { ...common, ...withDatabases, displayName: 'integration', testMatch: ['<rootDir>/test/**/*.int-spec.ts'] },
    { ...common, ...withDatabases, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
    // The 2-minute soak (test/soak/soak.soak-spec.ts): two regions of node processes under churn, then every
    // convergence check. Its own tier: `npm test -- --selectProjects soak`.
    { ...common, ...withDatabases, displayName: 'soak', testMatch: ['<rootDir>/test/**/*.soak-spec.ts'] },
    // Seeded, bounded fuzz of every edge (test/fuzz): in-process nodes only, about a minute in all.
    // Replay a failure with FUZZ_SEED/FUZZ_PATH; FUZZ_FINDINGS=<dir> lists every violation instead of the first.
    { ...common, ...withDatabases, displayName: 'fuzz', testMatch: ['<rootDir>/test/fuzz/**/*.fuzz-spec.ts'] },
    // Fault injection (test/faults): real node processes in network namespaces with partitions, pauses and
    // packet loss. Needs root and iproute2; run with `npm test -- --selectProjects faults`. The global setup
    // gives the run's dump of a fresh PGlite cluster, which every node starts from instead of running initdb.
    {
      ...common,
      displayName: 'faults',
      testMatch: ['<rootDir>/test/faults/**/*.fault-spec.ts'],
      globalSetup: withDatabases.globalSetup,
      globalTeardown: withDatabases.globalTeardown,
    },
  ],
};
