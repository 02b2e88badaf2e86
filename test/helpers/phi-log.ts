import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * Every in-process server of the test run writes its log here, and every test that seeds
 * patients records their names and NIRs; after the run, test/global-setup.ts checks that no
 * log line of the whole run holds any of them.
 */
export const LOG_DIR = join(process.cwd(), 'test-results', 'logs');
export const PHI_DIR = join(process.cwd(), 'test-results', 'phi');

export function logSink(name: string): WriteStream {
  mkdirSync(LOG_DIR, { recursive: true });
  return createWriteStream(join(LOG_DIR, `${name}-${process.pid}-${randomBytes(3).toString('hex')}.log`));
}

export function recordPhi(values: string[]): void {
  mkdirSync(PHI_DIR, { recursive: true });
  writeFileSync(join(PHI_DIR, `${process.pid}-${randomBytes(4).toString('hex')}.json`), JSON.stringify(values));
}
