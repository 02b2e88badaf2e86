import { connect } from 'node:net';
import pg from 'pg';

/**
 * The outside services the suites use, found before the run (vitest.config.ts): PostgreSQL and
 * Redis on their usual local ports unless MEDVAULT_TEST_DATABASE_URL or MEDVAULT_TEST_REDIS_URL
 * name others. What answers is handed to the test processes as those variables; what does not is
 * left empty, and the suites that need it skip with one printed line — or, with
 * MEDVAULT_REQUIRE_SERVICES=1 (CI), the run fails before any test.
 */
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

async function postgresAnswers(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A PING over a plain socket: the answer "+PONG" (RESP), within two seconds. */
function redisAnswers(url: string): Promise<boolean> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname, port: Number(u.port || 6379) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2_000, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (d) => done(d.toString('latin1').startsWith('+PONG')));
  });
}

/** The run's answer, once: vitest reads its configuration again for each project. */
const FOUND = 'MEDVAULT_SERVICES_FOUND';

/** The variables the test processes get: each service's URL if it answered, else empty. */
export async function findServices(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const known = process.env[FOUND];
  if (known) return JSON.parse(known) as Record<string, string>;
  const found = await probe(env);
  process.env[FOUND] = JSON.stringify(found);
  return found;
}

async function probe(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const postgres = env.MEDVAULT_TEST_DATABASE_URL || DEFAULT_POSTGRES_URL;
  const redis = env.MEDVAULT_TEST_REDIS_URL || DEFAULT_REDIS_URL;
  const [pgUp, redisUp] = await Promise.all([postgresAnswers(postgres), redisAnswers(redis)]);
  const missing = [...(pgUp ? [] : [`PostgreSQL (${postgres})`]), ...(redisUp ? [] : [`Redis (${redis})`])];
  if (missing.length > 0) {
    if (env.MEDVAULT_REQUIRE_SERVICES === '1') {
      throw new Error(`MEDVAULT_REQUIRE_SERVICES=1 and ${missing.join(' and ')} did not answer`);
    }
    process.stderr.write(`[medvault] ${missing.join(' and ')} did not answer: the suites that need them are skipped `
      + '(each says so); MEDVAULT_REQUIRE_SERVICES=1 makes this a failure.\n');
  }
  return { MEDVAULT_TEST_DATABASE_URL: pgUp ? postgres : '', MEDVAULT_TEST_REDIS_URL: redisUp ? redis : '' };
}
