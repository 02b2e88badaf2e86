import { rmSync } from 'node:fs';
import { LOG_DIR, PHI_DIR } from './helpers/phi-log.js';

/** A fresh start for the run-wide log check (scripts/check-test-logs.mjs runs after the suite). */
export function setup(): void {
  rmSync(LOG_DIR, { recursive: true, force: true });
  rmSync(PHI_DIR, { recursive: true, force: true });
}
