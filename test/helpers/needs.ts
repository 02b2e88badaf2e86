import { accessSync, constants, existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/**
 * What a suite needs from outside Node, as vitest.config.ts found it (test/services.ts): the
 * PostgreSQL and Redis URLs when they answered (empty otherwise), and programs or files of the
 * machine. A suite whose needs are not met is skipped with one printed line saying so; with
 * MEDVAULT_REQUIRE_SERVICES=1 (CI) it fails instead.
 */
export const POSTGRES_URL = process.env.MEDVAULT_TEST_DATABASE_URL || null;
export const REDIS_URL = process.env.MEDVAULT_TEST_REDIS_URL || null;
export const REQUIRED = process.env.MEDVAULT_REQUIRE_SERVICES === '1';

function onPath(program: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface Needs {
  readonly postgres?: boolean;
  readonly redis?: boolean;
  /** Programs looked for on PATH (redis-server, pg_dump…). */
  readonly programs?: readonly string[];
  /** Files that must exist (a browser, a PKCS#11 module…), with how to get them. */
  readonly files?: readonly { readonly path: string; readonly install: string }[];
}

/** Whether `suite` can run here; if not, one line on stderr (or a failure when services are required). */
export function runs(suite: string, needs: Needs): boolean {
  const missing = [
    ...(needs.postgres && !POSTGRES_URL ? ['PostgreSQL'] : []),
    ...(needs.redis && !REDIS_URL ? ['Redis'] : []),
    ...(needs.programs ?? []).filter((p) => !onPath(p)),
    ...(needs.files ?? []).filter((f) => !existsSync(f.path)).map((f) => `${f.path} (${f.install})`),
  ];
  if (missing.length === 0) return true;
  if (REQUIRED) throw new Error(`${suite} needs ${missing.join(', ')} (MEDVAULT_REQUIRE_SERVICES=1)`);
  process.stderr.write(`[medvault] skipped: ${suite} — needs ${missing.join(', ')}\n`);
  return false;
}
