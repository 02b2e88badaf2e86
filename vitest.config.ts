import { defineConfig } from 'vitest/config';
import { findServices } from './test/services.js';

/** The browser tests: each drives Chromium against a server of its own, both on this machine's cores. */
const BROWSER = ['test/web*.e2e.test.ts'];

// PostgreSQL and Redis are looked for once, before the run (test/services.ts): the suites get
// their URLs when they answer, and skip with a printed line when they do not.
//
// Two groups, one after the other. First every suite but the browser's, two files at a time: most
// of a file's time is spent waiting (a server starting, a TOTP step, a process killed and
// restarted), and one file at a time — vitest's default on two cores — left a core idle. Then the
// browser tests, one at a time: a browser, its server and PostgreSQL already fill the machine, and
// a click under contention waits past its timeout.
const env = await findServices(process.env);

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    env,
    projects: [
      {
        extends: true,
        test: {
          name: 'server',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
          exclude: BROWSER,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'browser', include: BROWSER, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
