import { defineConfig } from 'vitest/config';
import { findServices } from './test/services.js';

// PostgreSQL and Redis are looked for once, before the run (test/services.ts): the suites get
// their URLs when they answer, and skip with a printed line when they do not.
export default defineConfig(async () => ({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    env: await findServices(process.env),
  },
}));
