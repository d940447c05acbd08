import { configDefaults, defineConfig } from 'vitest/config';

/** The fast tier: pure logic, in-process, no databases, browsers or Python (`npm run test:unit`). */
const UNIT = 'test/unit/**/*.test.ts';

export default defineConfig({
  resolve: {
    // One copy of graphql: Node loads type-graphql's ESM build, which imports graphql's CommonJS
    // entry; without this alias Vite would hand our code graphql's .mjs build, a second copy
    // whose types type-graphql would not recognise.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    // Two cores: one worker per core keeps FerretDB and the servers under test responsive.
    maxWorkers: 2,
    // Reporters are global (one closing summary line for every project).
    reporters: ['default', './test/support/summary-reporter.ts'],
    // `vitest run` runs both projects; `--project unit` only the fast tier. Each project extends
    // this file (the graphql alias, the workers); the global setup belongs to the integration
    // project alone, so the fast tier never starts FerretDB.
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [UNIT],
          testTimeout: 5_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, UNIT],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
