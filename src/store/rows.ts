import type { Tx } from './database.js';

/**
 * Inserts many rows in one statement: the rows travel as one JSON parameter and PostgreSQL
 * expands them with json_populate_recordset, which keeps every value a bound parameter.
 */
export async function insertMany(
  tx: Tx,
  table: string,
  columns: readonly string[],
  rows: readonly Record<string, unknown>[],
): Promise<number> {
  if (rows.length === 0) return 0;
  const cols = columns.join(', ');
  const r = await tx.query(`INSERT INTO ${table} (${cols}) SELECT ${cols} FROM json_populate_recordset(NULL::${table}, $1)`, [
    JSON.stringify(rows),
  ]);
  return r.rowCount;
}

/** A bytea value as PostgreSQL's hex text form, for rows that travel as JSON. */
export function byteaText(b: Buffer): string {
  return '\\x' + b.toString('hex');
}
