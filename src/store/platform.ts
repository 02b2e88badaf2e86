import type { Practice } from '../domain/index.js';
import type { Tx } from './database.js';
import { SegmentError, type UserRecord } from './admin.js';
import { insertMany } from './rows.js';
import type { IdentitySealer } from './sealing.js';
import { USER_COLUMNS, userRows } from './users.js';

/** The key scope of platform accounts, which belong to no practice (the nil UUID). */
export const PLATFORM_KEY_SCOPE = '00000000-0000-0000-0000-000000000000';

/**
 * The hosting company's provisioning door: creating practices and the platform's own
 * accounts (security officers). It never reaches patients, appointments or notes.
 */
export class PlatformRepository {
  constructor(
    private readonly tx: Tx,
    /** Seals platform accounts' second-factor secrets; keyed under PLATFORM_KEY_SCOPE. */
    private readonly vault?: IdentitySealer,
  ) {
    if (tx.scope.role !== 'platform') throw new SegmentError('the platform repository needs a platform-scoped transaction');
  }

  /** Every practice's id and name (platform scope): the list the operator's tools iterate. */
  async practices(): Promise<{ id: string; name: string }[]> {
    const r = await this.tx.query<{ id: string; name: string }>('SELECT id, name FROM admin.practices ORDER BY name, id');
    return r.rows;
  }

  /** Creates a practice; the transaction's practice must be the new practice's id. */
  async createPractice(p: Practice): Promise<void> {
    if (this.tx.scope.practiceId !== p.id) throw new SegmentError('a practice is created inside its own scope');
    await this.tx.query(
      'INSERT INTO admin.practices (id, name, finess, city, postal_code, phone) VALUES ($1, $2, $3, $4, $5, $6)',
      [p.id, p.name, p.finess, p.city, p.postalCode, p.phone],
    );
  }

  /** How many practices the platform hosts (platform scope). */
  async practiceCount(): Promise<number> {
    const r = await this.tx.query<{ n: number }>('SELECT count(*)::int AS n FROM admin.practices');
    return r.rows[0]?.n ?? 0;
  }

  /** Creates accounts that belong to no practice (platform security officers). */
  async insertPlatformUsers(users: readonly UserRecord[]): Promise<number> {
    if (this.tx.scope.platform !== true) throw new SegmentError('platform accounts are created in platform scope');
    if (users.some((u) => u.practiceId !== null)) throw new SegmentError('a platform account has no practice');
    const vault = this.vault;
    if (vault === undefined || vault.practiceId !== PLATFORM_KEY_SCOPE) throw new SegmentError('platform accounts need the platform vault handle');
    return insertMany(this.tx, 'admin.users', USER_COLUMNS, await userRows(users, (u, secret) => vault.seal(null, u.id, 'user.totp', secret)));
  }
}
