/** The few things medvault needs from a PostgreSQL connection, over PGlite or node-postgres. */
export interface SqlResult<R> {
  readonly rows: R[];
  readonly rowCount: number;
}

export interface Sql {
  query<R = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<SqlResult<R>>;
}

/** A transaction that may also run multi-statement scripts: migrations only. */
export interface ScriptSql extends Sql {
  exec(script: string): Promise<void>;
}

/**
 * Round trips are the cost of a request on a busy database, so a transaction can carry a
 * prologue (statements sent with BEGIN) and an epilogue (statements sent with COMMIT, which
 * fail the commit if they fail). Both are scripts of literal SQL built by medvault itself.
 */
export interface TransactionFrame {
  readonly prologue?: string;
  /** Called after fn; what it returns runs just before COMMIT, in the same round trip. */
  readonly epilogue?: () => string | null;
}

export interface Driver {
  readonly kind: 'pglite' | 'postgres';
  /** How long a request may wait on this database in all before it is answered 503 (none: no bound). */
  readonly deadlineMs?: number;
  /** Runs fn inside BEGIN … COMMIT on one connection; rolls back if fn (or the epilogue) fails. */
  transaction<T>(fn: (sql: ScriptSql) => Promise<T>, frame?: TransactionFrame): Promise<T>;
  /** Runs a maintenance script outside any transaction (VACUUM, CHECKPOINT), as the database's owner. */
  maintenance(script: string): Promise<void>;
  /**
   * Claims a name for as long as this process lives (a session-level advisory lock on a connection
   * of its own): the release, or null when another process holds it. Absent on an embedded
   * database, which one process owns by construction.
   */
  claim?(name: string): Promise<(() => Promise<void>) | null>;
  close(): Promise<void>;
}

/** Type parsers shared by both drivers, so that both return the same JavaScript values. */
export const TYPE_PARSERS: Record<number, (value: string) => unknown> = {
  20: (v) => Number(v), // int8: counts and audit sequence numbers stay far below 2^53
  1082: (v) => v, // date: keep 'YYYY-MM-DD', never a local-time Date
};
