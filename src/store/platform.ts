import type { Practice } from '../domain/index.js';
import type { Tx } from './database.js';
import { SegmentError, type UserRecord } from './admin.js';
import { insertMany } from './rows.js';

/**
 * The hosting company's provisioning door: creating practices and the platform's own
 * accounts (security officers). It never reaches patients, appointments or notes.
 */
export class PlatformRepository {
  constructor(private readonly tx: Tx) {
    if (tx.scope.role !== 'platform') throw new SegmentError('the platform repository needs a platform-scoped transaction');
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
  insertPlatformUsers(users: readonly UserRecord[]): Promise<number> {
    if (this.tx.scope.platform !== true) throw new SegmentError('platform accounts are created in platform scope');
    if (users.some((u) => u.practiceId !== null)) throw new SegmentError('a platform account has no practice');
    return insertMany(
      this.tx,
      'admin.users',
      ['id', 'practice_id', 'username', 'role', 'family_name', 'given_name', 'rpps', 'patient_id', 'password_hash', 'totp_secret', 'status'],
      users.map((u) => ({
        id: u.id, practice_id: null, username: u.username, role: u.role, family_name: u.familyName, given_name: u.givenName,
        rpps: u.rpps, patient_id: null, password_hash: u.passwordHash, totp_secret: u.totpSecret, status: u.status,
      })),
    );
  }
}
