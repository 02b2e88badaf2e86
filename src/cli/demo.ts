import { join } from 'node:path';
import { hashPassword } from '../access/index.js';
import { seedDemo } from '../sim/seed.js';
import { PlatformRepository, type OpenedStore } from '../store/index.js';
import type { Vault } from '../vault/index.js';
import { writeFileAtomic } from './datadir.js';
import { progress } from './progress.js';

export interface DemoSeedOptions {
  readonly practices: number;
  readonly patientsPerPractice: number | undefined;
  readonly historyDays: number;
  readonly seed: number;
  readonly now: Date;
  readonly say: (line: string) => void;
}

export const CREDENTIALS_FILE = 'demo-credentials.json';

/**
 * Seeds the demo population when the database holds no practice yet, and writes the
 * credentials file (whole or not at all) once the seeding transaction has committed.
 */
export function demoSeeder(opts: DemoSeedOptions) {
  return async (store: OpenedStore, vault: Vault, baseUrl: string, dataDir: string): Promise<void> => {
    const credentialsPath = join(dataDir, CREDENTIALS_FILE);
    const existing = await store.db.transaction({ role: 'platform', practiceId: null, platform: true }, (tx) =>
      new PlatformRepository(tx).practiceCount(),
    );
    if (existing > 0) {
      opts.say(`medvault demo: the database already holds ${existing} practices; not seeding`);
      howToLogIn(opts.say, credentialsPath);
      return;
    }
    opts.say(
      `medvault demo: seeding ${opts.practices} practices (${opts.patientsPerPractice ?? '1,600 per practitioner'} patients each, ${opts.historyDays} days of history)`,
    );
    const bar = progress('patients');
    const t0 = performance.now();
    const result = await seedDemo(store.db, {
      seed: opts.seed,
      practices: opts.practices,
      ...(opts.patientsPerPractice === undefined ? {} : { patientsPerPractice: opts.patientsPerPractice }),
      now: opts.now,
      visitHistoryDays: opts.historyDays,
      auditHistoryDays: opts.historyDays,
      hashPassword,
      vault,
      onProgress: (done, total) => bar.update(done, total),
    });
    bar.stop();
    const c = result.counts;
    opts.say(
      `medvault demo: seeded ${c.patients} patients, ${c.appointments} appointments, ${c.notes} notes, ${c.auditEvents} audit events of history in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
    writeFileAtomic(credentialsPath, JSON.stringify({ baseUrl, practices: result.practices, users: result.users }, null, 2) + '\n');
    howToLogIn(opts.say, credentialsPath);
  };
}

/** Where the demo accounts are and how to pass the second factor, in two lines. */
function howToLogIn(say: (line: string) => void, credentialsPath: string): void {
  say(`medvault demo: every role's account (username, password, TOTP secret) is in ${credentialsPath}`);
  say('medvault demo: a second-factor code for a secret: '
    + `node -e "import('otplib').then(async (m) => console.log(await m.generate({ secret: process.argv[1] })))" SECRET`);
}
