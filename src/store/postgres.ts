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

/**
 * Timeouts (a stalled database gives bounded 503s, not hung clients). Server-side ones
 * bound a slow statement or a lock wait; the client-side query timeout bounds a database that does
 * not answer at all (frozen, or the network gone), which no server-side timeout can.
 */
export interface PostgresTimeouts {
  /** Waiting for a connection from the pool, or to open one (MEDVAULT_PG_CONNECT_TIMEOUT_MS, default 5 s). */
  readonly connectMs: number;
  /** One statement, on the server (MEDVAULT_PG_STATEMENT_TIMEOUT_MS, default 15 s). */
  readonly statementMs: number;
  /** A lock wait, on the server (default 5 s). */
  readonly lockMs: number;
  /** A transaction left idle, on the server (default 30 s). */
  readonly idleInTransactionMs: number;
  /** One round trip, on the client: a frozen database (default statement + 5 s; at most twice the statement timeout). */
  readonly queryMs: number;
}

function timeoutsFromEnv(): PostgresTimeouts {
  const n = (name: string, fallback: number) => {
    const v = process.env[name];
    if (v === undefined || v === '') return fallback;
    const x = Number(v);
    if (!Number.isInteger(x) || x < 100 || x > 600_000) throw new Error(`${name} must be a whole number of milliseconds between 100 and 600000`);
    return x;
  };
  const statementMs = n('MEDVAULT_PG_STATEMENT_TIMEOUT_MS', 15_000);
  // Waiting for a connection is bounded like a statement (a frozen database also stalls the pool).
  return { connectMs: n('MEDVAULT_PG_CONNECT_TIMEOUT_MS', Math.min(5_000, statementMs)), statementMs, lockMs: Math.min(5_000, statementMs), idleInTransactionMs: 30_000, queryMs: statementMs + Math.min(5_000, statementMs) };
}

/** A database that cannot be reached or does not answer in time: the request fails with 503, the pool recovers by itself. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
  constructor(
    readonly reason: string,
    /** The driver's code (SQLSTATE or node error code), when it gave one. */
    readonly code?: string,
  ) {
    super(`database unavailable: ${reason}`);
  }
}

/** SQLSTATE classes and codes, and node errors, that say the database (not the request) failed. */
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300', '57014', '55P03', '25P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);

/** Whether an error of node-postgres means "the database is unavailable" (and the connection may be broken). */
export function isUnavailable(e: unknown): boolean {
  if (e instanceof DatabaseUnavailableError) return true;
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: string }).code;
  if (code !== undefined && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Connection ended|not queryable/i.test(e.message);
}

function unavailable(e: unknown): unknown {
  if (e instanceof DatabaseUnavailableError || !isUnavailable(e)) return e;
  const code = (e as { code?: string }).code;
  return new DatabaseUnavailableError(code ?? 'connection lost or timed out', code);
}

/** PostgreSQL through a node-postgres pool (MEDVAULT_PG_POOL_SIZE connections, default 30: measured in bench/read). */
export async function openPostgres(url: string, poolSize = Number(process.env.MEDVAULT_PG_POOL_SIZE ?? 30), timeouts: PostgresTimeouts = timeoutsFromEnv()): Promise<Driver> {
  const pool = new pg.Pool({
    connectionString: url, max: poolSize, types: types as pg.CustomTypesConfig,
    connectionTimeoutMillis: timeouts.connectMs,
    query_timeout: timeouts.queryMs,
    statement_timeout: timeouts.statementMs,
    lock_timeout: timeouts.lockMs,
    idle_in_transaction_session_timeout: timeouts.idleInTransactionMs,
    keepAlive: true,
  } as pg.PoolConfig);
  // Errors of idle clients (server restart) must not crash the process; the pool drops them.
  pool.on('error', () => undefined);
  // Every connection gets a listener for life, from the moment the pool makes it: a backend's FATAL
  // (the postmaster killed, a failover) may arrive in any state — idle, checked out, being released
  // or destroyed — and an 'error' event without a listener ends the process.
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  const guarded = new WeakSet<pg.PoolClient>();
  const client = await pool.connect().catch((e: unknown) => {
    throw unavailable(e);
  });
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
    // One stalled wait for a connection and one stalled round trip: past that, the request is
    // answered 503 even if its transactions are still waiting (a frozen database).
    deadlineMs: timeouts.connectMs + timeouts.queryMs,
    async claim(name) {
      // Not a pooled connection: the pool closes idle ones, and the lock would go with it.
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeouts.connectMs, keepAlive: true });
      c.on('error', () => undefined);
      await c.connect().catch((e: unknown) => {
        throw unavailable(e);
      });
      const r = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [name]);
      if (r.rows[0]?.ok !== true) {
        await c.end().catch(() => undefined);
        return null;
      }
      return () => c.end().catch(() => undefined);
    },
    async transaction(fn, frame) {
      const c = await pool.connect().catch((e: unknown) => {
        throw unavailable(e);
      });
      // A connection in use that breaks (the server killed, failed over) emits 'error' on the
      // client: without a listener that is an unhandled 'error' event and the process dies.
      // The statement in flight fails on its own; the connection is then discarded.
      let broken: Error | null = null;
      const onError = (e: Error) => {
        broken = e;
      };
      c.on('error', onError);
      // …and once released or destroyed, a late error of that connection (the server's FATAL
      // arriving after the pool let it go) must not crash the process either.
      if (!guarded.has(c)) {
        guarded.add(c);
        c.on('error', () => undefined);
      }
      try {
        await c.query(frame?.prologue ? `BEGIN; ${frame.prologue}` : 'BEGIN');
        const out = await fn(wrap(c));
        const epilogue = frame?.epilogue?.();
        // A failing statement of the epilogue stops the script before COMMIT: the catch rolls back.
        await c.query(epilogue ? `${epilogue}; COMMIT` : 'COMMIT');
        return out;
      } catch (e) {
        if (broken === null && isUnavailable(e)) broken = e as Error;
        if (broken === null) await c.query('ROLLBACK').catch((r: unknown) => {
          broken = r as Error;
        });
        throw unavailable(e);
      } finally {
        c.off('error', onError);
        // A broken connection is destroyed, not returned to the pool.
        c.release(broken ?? undefined);
      }
    },
    async maintenance(script) {
      const c = await pool.connect().catch((e: unknown) => {
        throw unavailable(e);
      });
      try {
        await c.query(script);
      } finally {
        c.release();
      }
    },
    close: () => pool.end(),
  };
}
