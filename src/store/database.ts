import type { Driver, Sql, SqlResult } from './driver.js';
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

  async transaction<T>(scope: Scope, fn: (tx: Tx) => Promise<T>): Promise<T> {
    checkScope(scope);
    const tail: string[] = [];
    return this.driver.transaction(
      async (sql) => {
        let current = scope;
        const tx: Tx = {
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
        return fn(tx);
      },
      { prologue: scopeStatement(scope), epilogue: () => (tail.length > 0 ? tail.join('; ') : null) },
    );
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
