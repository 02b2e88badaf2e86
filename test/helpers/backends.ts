import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type OpenedStore } from '../../src/store/index.js';
import { POSTGRES_URL, runs } from './needs.js';

/**
 * The integration suite runs on every backend: the embedded PGlite always, and the PostgreSQL
 * server found before the run (test/services.ts: the local one, or MEDVAULT_TEST_DATABASE_URL's).
 * Without one the PostgreSQL half is left out with a printed line; with MEDVAULT_REQUIRE_SERVICES=1
 * that is a failure.
 */
export interface Backend {
  readonly name: 'pglite' | 'postgres';
  open(): Promise<OpenedStore & { cleanup(): Promise<void> }>;
}

const PG_URL = runs('the PostgreSQL half of the integration suite', { postgres: true }) ? POSTGRES_URL : null;

/** Creates a database of its own for one suite, on the server of MEDVAULT_TEST_DATABASE_URL. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!PG_URL) throw new Error('no PostgreSQL server for the tests (see test/services.ts)');
  const name = `medvault_t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export const BACKENDS: Backend[] = [
  {
    name: 'pglite',
    async open() {
      const store = await openStore({ kind: 'pglite', dir: null });
      return { ...store, cleanup: () => store.db.close() };
    },
  },
  ...(PG_URL
    ? [
        {
          name: 'postgres' as const,
          async open() {
            const database = await createPostgresDatabase();
            const store = await openStore({ kind: 'postgres', url: database.url });
            return {
              ...store,
              async cleanup() {
                await store.db.close();
                await database.drop();
              },
            };
          },
        },
      ]
    : []),
];
