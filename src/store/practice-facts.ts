import type { Tx } from './database.js';

/**
 * Single facts about a practice that key maintenance checks before it acts: whether this database
 * holds the practice (platform role), the length of its search beacons and how many patients it
 * has (admin role, in the practice's scope).
 */

/** Whether this database holds the practice. */
export async function practiceExists(tx: Tx, practiceId: string): Promise<boolean> {
  const r = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM admin.practices WHERE id = $1', [practiceId]);
  return Number(r.rows[0]?.n ?? 0) !== 0;
}

/** The practice's beacon length in bits; null while it has none (no beacon yet) or no such practice is seen. */
export async function practiceBeaconBits(tx: Tx, practiceId: string): Promise<number | null> {
  const r = await tx.query<{ b: number | null }>(
    'SELECT beacon_bits AS b FROM admin.practices WHERE id = $1', [practiceId],
  );
  const bits = r.rows[0]?.b ?? null;
  return bits === null ? null : Number(bits);
}

/** How many patients the practice has, shredded ones included. */
export async function practicePatientCount(tx: Tx, practiceId: string): Promise<number> {
  const r = await tx.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM admin.patients WHERE practice_id = $1', [practiceId],
  );
  return Number(r.rows[0]?.n ?? 0);
}
