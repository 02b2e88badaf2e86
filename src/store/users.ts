import type { UserRecord } from './admin.js';
import { byteaText } from './rows.js';

export const USER_COLUMNS = [
  'id', 'practice_id', 'username', 'role', 'family_name', 'given_name', 'rpps', 'patient_id', 'password_hash', 'totp_sealed', 'status',
];

/**
 * Account rows, with the TOTP secret sealed (a database copy must not yield second factors). A
 * patient's portal account keeps no name: the patient's identity is sealed in admin.patients, and
 * a name here would be a clear copy of it.
 */
export async function userRows(
  users: readonly UserRecord[],
  sealTotp: (u: UserRecord, secret: string) => Promise<Buffer>,
): Promise<Record<string, unknown>[]> {
  const rows = [];
  for (const u of users) {
    rows.push({
      id: u.id, practice_id: u.practiceId, username: u.username, role: u.role, family_name: u.role === 'patient' ? '' : u.familyName,
      given_name: u.role === 'patient' ? '' : u.givenName, rpps: u.rpps, patient_id: u.patientId, password_hash: u.passwordHash,
      totp_sealed: u.totpSecret === null ? null : byteaText(await sealTotp(u, u.totpSecret)),
      status: u.status,
    });
  }
  return rows;
}
