import { AsyncLocalStorage } from 'node:async_hooks';
import type { Driver, ScriptSql, Sql, SqlResult } from './driver.js';
import { DB_ROLES, type Scope } from './roles.js';
import { DatabaseUnavailableError } from './postgres.js';

/** A transaction bound to a scope. It can change scope (e.g. to append an audit row) but never leave one. */
export interface Tx extends Sql {
  readonly scope: Scope;
  enter(scope: Scope): Promise<void>;
  /**
   * Statements to run at the end of the transaction, in the COMMIT's round trip (the audit
   * insert): if they fail, nothing of the transaction commits.
   */
  atCommit(script: string): void;
  /** The key audit events are authenticated with when written (null: none configured, as in tools and tests). */
  readonly auditKey: Buffer | null;
}

export class ScopeError extends Error {
  override readonly name = 'ScopeError';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function checkScope(scope: Scope): void {
  if (!(scope.role in DB_ROLES)) throw new ScopeError('unknown database role');
  if (scope.practiceId !== null && !UUID.test(scope.practiceId)) throw new ScopeError('a practice id is a UUID');
  if (scope.platform === true && scope.role !== 'securityReader' && scope.role !== 'platform' && scope.role !== 'auditWriter') {
    throw new ScopeError('only the security reader, audit writer and platform roles reach across practices');
  }
}

/**
 * One database transaction that several requests' work joins (a FHIR transaction Bundle: every
 * entry or none). Work done in its async context joins it, each under its own scope; what must
 * happen only once it committed (detection learning of the writes) waits for the commit, and what
 * must survive a rollback (the audit of a refusal) runs after it ends, whatever the outcome.
 */
interface Unit {
  readonly db: Database;
  readonly sql: ScriptSql;
  readonly tail: string[];
  readonly committed: (() => Promise<void> | void)[];
  readonly rolledBack: (() => Promise<void> | void)[];
  readonly ended: (() => Promise<void> | void)[];
  open: boolean;
}
const units = new AsyncLocalStorage<Unit>();

/** What a unit's transactions left for its COMMIT's round trip (their audit inserts), or nothing. */
const tailOf = (u: Unit | null): string | null => (u !== null && u.tail.length > 0 ? u.tail.join('; ') : null);

/**
 * Runs `fn` outside any unit of work (its transactions are its own): work a request starts that
 * must not share the request's fate — detection's alerts and containment.
 */
export function detached<T>(fn: () => T): T {
  return units.exit(fn);
}

/**
 * The application's only way into the database. Every transaction runs as one of the
 * least-privilege roles (SET LOCAL ROLE) with its practice set transaction-locally, so that
 * row-level security bounds it even where a query forgets its practice filter.
 */
export class Database {
  private key: Buffer | null = null;

  constructor(private readonly driver: Driver) {}

  /** From now on, every audit event written through this handle carries a MAC under this key. */
  useAuditKey(key: Buffer): void {
    this.key = key;
  }

  get auditKey(): Buffer | null {
    return this.key;
  }

  get kind(): Driver['kind'] {
    return this.driver.kind;
  }

  /**
   * A request's work on the database, bounded in all (a frozen database held requests for
   * the whole freeze): past the driver's deadline it fails with 503 (DatabaseUnavailableError). The
   * work goes on in the background and its audit events still commit: a read answered 503 is
   * recorded as made, which overstates, never hides. No bound on the embedded database.
   */
  withinDeadline<T>(work: Promise<T>): Promise<T> {
    const ms = this.driver.deadlineMs;
    if (ms === undefined) return work;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DatabaseUnavailableError('request deadline')), ms);
    });
    work.catch(() => undefined);
    return Promise.race([work, late]).finally(() => clearTimeout(timer));
  }

  /** The unit of work this call runs in, if it is still open. */
  private unit(): Unit | null {
    const u = units.getStore();
    return u !== undefined && u.open && u.db === this ? u : null;
  }

  /**
   * Runs `fn` in one transaction that every `transaction` of its async context joins; commits if
   * it returns, rolls everything back if it throws. Then runs, in order, what waited for the commit
   * (only if it committed) and what waited for the end.
   */
  async unitOfWork<T>(scope: Scope, fn: () => Promise<T>): Promise<T> {
    checkScope(scope);
    if (this.unit()) throw new ScopeError('units of work do not nest');
    let unit: Unit | null = null;
    let ok = false;
    try {
      const out = await this.driver.transaction(async (sql) => {
        unit = { db: this, sql, tail: [], committed: [], rolledBack: [], ended: [], open: true };
        const u = unit;
        try {
          return await units.run(u, fn);
        } finally {
          u.open = false;
        }
      }, { prologue: scopeStatement(scope), epilogue: () => tailOf(unit) });
      ok = true;
      return out;
    } finally {
      const u = unit as Unit | null;
      if (u !== null) {
        for (const f of [...(ok ? u.committed : u.rolledBack), ...u.ended]) await f();
      }
    }
  }

  /** Runs `f` once the work of this call committed: now outside a unit of work, at its commit inside one. */
  async afterCommit(f: () => Promise<void> | void): Promise<void> {
    const u = this.unit();
    if (u) u.committed.push(f);
    else await f();
  }

  /**
   * Runs `f` if the unit of work this call runs in rolls back (never outside one): what the work
   * disclosed must stay audited though what it wrote is undone.
   */
  onRollback(f: () => Promise<void> | void): void {
    this.unit()?.rolledBack.push(f);
  }

  /**
   * Runs `f`, which writes what must outlast a rollback (a refusal's audit): now, or, inside a unit
   * of work, once it ended (committed or not).
   */
  async outlasting(f: () => Promise<void> | void): Promise<void> {
    const u = this.unit();
    if (u) u.ended.push(f);
    else await f();
  }

  async transaction<T>(scope: Scope, fn: (tx: Tx) => Promise<T>): Promise<T> {
    checkScope(scope);
    const u = this.unit();
    if (u) return this.joined(u, scope, fn);
    const tail: string[] = [];
    return this.driver.transaction(
      async (sql) => fn(this.txOn(sql, scope, tail)),
      { prologue: scopeStatement(scope), epilogue: () => (tail.length > 0 ? tail.join('; ') : null) },
    );
  }

  /** A transaction on `sql`, in `scope` (already set), its statements for the COMMIT's round trip kept in `tail`. */
  private txOn(sql: Sql, scope: Scope, tail: string[]): Tx {
    let current = scope;
    return {
      get scope() {
        return current;
      },
      query: <R>(text: string, params?: readonly unknown[]): Promise<SqlResult<R>> => sql.query<R>(text, params),
      async enter(next: Scope) {
        checkScope(next);
        await applyScope(sql, next);
        current = next;
      },
      atCommit(script: string) {
        tail.push(script);
      },
      auditKey: this.key,
    };
  }

  /** A transaction of a unit of work: its scope set on the unit's connection, its tail run at the unit's commit. */
  private async joined<T>(u: Unit, scope: Scope, fn: (tx: Tx) => Promise<T>): Promise<T> {
    // Work still running when the unit ended must not reach its connection, now another's.
    const sql: Sql = {
      query: <R>(text: string, params?: readonly unknown[]): Promise<SqlResult<R>> => {
        if (!u.open) return Promise.reject(new DatabaseUnavailableError('its unit of work ended'));
        return u.sql.query<R>(text, params);
      },
    };
    await applyScope(sql, scope);
    return fn(this.txOn(sql, scope, u.tail));
  }

  /** Readiness probe: one round trip, no data touched. */
  async ping(): Promise<void> {
    await this.transaction({ role: 'platform', practiceId: null }, (tx) => tx.query('SELECT 1'));
  }

  /** See Driver.claim: null when another process holds the name; a no-op release on an embedded database. */
  async claim(name: string): Promise<(() => Promise<void>) | null> {
    return this.driver.claim ? this.driver.claim(name) : async () => undefined;
  }

  close(): Promise<void> {
    return this.driver.close();
  }
}

/**
 * The same as applyScope, as literal SQL for a script (sent with BEGIN or COMMIT). Every value is
 * medvault's own: a role name from DB_ROLES, a practice id that checkScope proved to be a UUID.
 */
export function scopeStatement(scope: Scope): string {
  checkScope(scope);
  return `SELECT set_config('role', '${DB_ROLES[scope.role]}', true), set_config('medvault.practice_id', '${scope.practiceId ?? ''}', true), set_config('medvault.platform', '${scope.platform === true ? 'on' : 'off'}', true)`;
}

/** Equivalent to SET LOCAL ROLE …; plus the practice settings, in one round trip. */
async function applyScope(sql: Sql, scope: Scope): Promise<void> {
  await sql.query(
    "SELECT set_config('role', $1, true), set_config('medvault.practice_id', $2, true), set_config('medvault.platform', $3, true)",
    [DB_ROLES[scope.role], scope.practiceId ?? '', scope.platform === true ? 'on' : 'off'],
  );
}
