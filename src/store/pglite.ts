import { PGlite } from '@electric-sql/pglite';
import type { Driver, ScriptSql, SqlResult } from './driver.js';
import { TYPE_PARSERS } from './driver.js';

/** The embedded database: PostgreSQL compiled to WebAssembly, files in `dataDir` (or in memory). */
export async function openPglite(dataDir: string | null): Promise<Driver> {
  const db = await PGlite.create({
    ...(dataDir === null ? {} : { dataDir }),
    // bytea as a Node Buffer, like node-postgres (PGlite's own parser gives a Uint8Array).
    parsers: { ...TYPE_PARSERS, 17: (v: string) => Buffer.from(v.slice(2), 'hex') },
  });
  const wrap = (q: Pick<PGlite, 'query' | 'exec'>): ScriptSql => ({
    async exec(script: string): Promise<void> {
      await q.exec(script);
    },
    async query<R>(text: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
      const r = await q.query<R>(text, params as unknown[]);
      // PGlite reports affectedRows 0 for a SELECT: count the rows then, as node-postgres does.
      return { rows: r.rows, rowCount: r.rows.length > 0 ? r.rows.length : (r.affectedRows ?? 0) };
    },
  });
  return {
    kind: 'pglite',
    transaction: (fn, frame) =>
      db.transaction(async (tx) => {
        const sql = wrap(tx);
        if (frame?.prologue) await sql.exec(frame.prologue);
        const out = await fn(sql);
        const epilogue = frame?.epilogue?.();
        if (epilogue) await sql.exec(epilogue);
        return out;
      }),
    maintenance: async (script) => {
      await db.exec(script);
    },
    close: () => db.close(),
  };
}
