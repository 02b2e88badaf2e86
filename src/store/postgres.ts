import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Driver, ScriptSql, SqlResult } from './driver.js';
import { TYPE_PARSERS } from './driver.js';

const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary') =>
    TYPE_PARSERS[oid] ?? pg.types.getTypeParser(oid, format ?? 'text'),
};

const names = new Map<string, string>();

function statementName(text: string): string {
  let n = names.get(text);
  if (n === undefined) {
    n = `mv_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    if (names.size < 10_000) names.set(text, n);
  }
  return n;
}

/** PostgreSQL through a node-postgres pool (MEDVAULT_PG_POOL_SIZE connections, default 30: measured in bench/read). */
export async function openPostgres(url: string, poolSize = Number(process.env.MEDVAULT_PG_POOL_SIZE ?? 30)): Promise<Driver> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: types as pg.CustomTypesConfig });
  // Errors of idle clients (server restart) must not crash the process; the next query reports them.
  pool.on('error', () => undefined);
  const client = await pool.connect();
  client.release();
  const wrap = (c: pg.PoolClient): ScriptSql => ({
    async exec(script: string): Promise<void> {
      await c.query(script);
    },
    async query<R>(text: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
      // Named statements: each connection parses and plans a statement once, then reuses it.
      const r = params.length > 0 ? await c.query({ name: statementName(text), text, values: params as unknown[] }) : await c.query(text);
      return { rows: r.rows as R[], rowCount: r.rowCount ?? 0 };
    },
  });
  return {
    kind: 'postgres',
    async transaction(fn, frame) {
      const c = await pool.connect();
      try {
        await c.query(frame?.prologue ? `BEGIN; ${frame.prologue}` : 'BEGIN');
        const out = await fn(wrap(c));
        const epilogue = frame?.epilogue?.();
        // A failing statement of the epilogue stops the script before COMMIT: the catch rolls back.
        await c.query(epilogue ? `${epilogue}; COMMIT` : 'COMMIT');
        return out;
      } catch (e) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}
