import type { Tx } from './database.js';
import type { DbRole } from './roles.js';

/**
 * The sealed columns of a table as key rotation walks them: pages of rows in key order, locked
 * against concurrent writers; the rows still holding values under another KEK version than the
 * target; the rewrapped values written back; and the counts `medvault keys status` shows. The
 * KEK version of a value is read in SQL from its envelope's header, never by opening it.
 *
 * Table and column names come from medvault's own description of its sealed tables (the vault's
 * list, from the resource registry), never from a request; they are checked to be plain SQL
 * names before any statement is built. Each function runs in the table's role, in the practice's
 * scope.
 */

/** A table with sealed columns, as the vault describes it. */
export interface SealedTable {
  readonly table: string;
  readonly role: DbRole;
  readonly columns: readonly string[];
  /** The unique column the walk is ordered by and updates by (default `id`; a version's `vid` where ids repeat). */
  readonly key?: string;
  /**
   * Columns of large values (documents, up to 5 MiB): read by their envelope's head only and
   * rewrapped in place in SQL (`overlay`), so that a batch never holds their bodies in memory.
   */
  readonly large?: readonly string[];
}

/** A row of a walk: `id` (the table's key column), then each sealed column (a large one's first bytes). */
export type SealedRow = Record<string, unknown>;

/** A rewrapped value to write: the whole envelope, or for a large column its new head replacing the old one. */
export type RewrappedValue =
  | { readonly column: string; readonly sealed: Buffer }
  | { readonly column: string; readonly head: Buffer; readonly oldHeadLength: number };

/** Enough of an envelope to hold its head (11 bytes, the wrapped key — 60 bytes at most today —, then 92). */
export const HEAD_BYTES = 1024;

const NAME = /^[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)?$/;

function checked(t: SealedTable): SealedTable {
  for (const name of [t.table, t.key ?? 'id', ...t.columns, ...(t.large ?? [])]) {
    if (!NAME.test(name)) throw new Error(`not a SQL name of a sealed table: ${JSON.stringify(name)}`);
  }
  return t;
}

/** The columns a walk selects: a large one by its head only. */
const selected = (t: SealedTable) =>
  t.columns.map((c) => (t.large?.includes(c) ? `substring(${c} from 1 for ${HEAD_BYTES}) AS ${c}` : c)).join(', ');

/** The KEK version of a sealed column, read in SQL from the envelope header (bytes 5–8). */
const versionOf = (c: string) =>
  `((get_byte(${c}, 5)::bigint << 24) | (get_byte(${c}, 6) << 16) | (get_byte(${c}, 7) << 8) | get_byte(${c}, 8))`;

export class SealedColumns {
  private readonly t: SealedTable;

  constructor(private readonly tx: Tx, table: SealedTable) {
    this.t = checked(table);
  }

  private get key(): string {
    return this.t.key ?? 'id';
  }

  /**
   * Up to `limit` of the practice's rows after `after` in key order, locked FOR NO KEY UPDATE: a
   * row updated meanwhile (a new name, new labels) is read after that commit, never written back as
   * it was; inserts that only reference the row (notes, appointments, grants) are not held up.
   */
  async pageAfter(practiceId: string, after: string, limit: number): Promise<SealedRow[]> {
    const t = this.t;
    const key = this.key;
    const r = await this.tx.query<SealedRow>(
      `SELECT ${key} AS id, ${selected(t)} FROM ${t.table} WHERE practice_id = $1 AND ${key} > $2
            ORDER BY ${key} LIMIT $3 FOR NO KEY UPDATE`,
      [practiceId, after, limit],
    );
    return r.rows;
  }

  /**
   * Up to `limit` of the practice's rows with a value under another KEK version than `version`, in
   * key order, locked as in pageAfter (rows locked in the same order).
   */
  async staleRows(practiceId: string, version: number, limit: number): Promise<SealedRow[]> {
    const t = this.t;
    const key = this.key;
    const stale = t.columns.map((c) => `(${c} IS NOT NULL AND ${versionOf(c)} <> $2)`).join(' OR ');
    const r = await this.tx.query<SealedRow>(
      `SELECT ${key} AS id, ${selected(t)} FROM ${t.table} WHERE practice_id = $1 AND (${stale})
            ORDER BY ${key} LIMIT $3 FOR NO KEY UPDATE`,
      [practiceId, version, limit],
    );
    return r.rows;
  }

  /**
   * Writes a row's rewrapped values, in one UPDATE (none if there are none): a whole envelope as
   * is; a large value's new head over the old one in place (`overlay`), its body left as it is.
   */
  async rewrap(practiceId: string, id: unknown, values: readonly RewrappedValue[]): Promise<void> {
    if (values.length === 0) return;
    const sets: string[] = [];
    const params: unknown[] = [practiceId, id];
    for (const v of values) {
      if (!this.t.columns.includes(v.column)) throw new Error(`not a sealed column of ${this.t.table}: ${v.column}`);
      if ('head' in v) {
        params.push(v.head, v.oldHeadLength);
        const [head, length] = [params.length - 1, params.length];
        sets.push(`${v.column} = overlay(${v.column} placing $${head}::bytea from 1 for $${length}::int)`);
      } else {
        params.push(v.sealed);
        sets.push(`${v.column} = $${params.length}`);
      }
    }
    await this.tx.query(
      `UPDATE ${this.t.table} SET ${sets.join(', ')} WHERE practice_id = $1 AND ${this.key} = $2`, params,
    );
  }

  /** How many of the practice's values are under another KEK version than `active`, and how many there are. */
  async counts(practiceId: string, active: number): Promise<{ behind: number; total: number }> {
    const t = this.t;
    const behind = t.columns
      .map((c) => `count(*) FILTER (WHERE ${c} IS NOT NULL AND ${versionOf(c)} <> $2)`).join(' + ');
    const r = await this.tx.query<{ behind: number; total: number }>(
      `SELECT ${behind} AS behind,
                    ${t.columns.map((c) => `count(${c})`).join(' + ')} AS total
               FROM ${t.table} WHERE practice_id = $1`,
      [practiceId, active],
    );
    return { behind: Number(r.rows[0]?.behind ?? 0), total: Number(r.rows[0]?.total ?? 0) };
  }
}
