import type { Id } from '../domain/index.js';

/**
 * The database roles a transaction may act as. The application connects as a login that owns
 * nothing it reads through; every transaction switches to one of these with SET LOCAL ROLE.
 *
 * - admin:        administrative segment (practices, users, identities, appointments); no
 *                 privilege at all on `clinical`.
 * - clinical:     clinical notes, plus the identity and care data needed to show a chart.
 * - auditWriter:  INSERT into the audit log, nothing else (no UPDATE, DELETE, TRUNCATE).
 * - securityReader: reads the audit log and accounts, never clinical content.
 * - platform:     the hosting company's provisioning door: practices and platform accounts.
 */
export const DB_ROLES = {
  admin: 'medvault_admin',
  clinical: 'medvault_clinical',
  auditWriter: 'medvault_audit_writer',
  securityReader: 'medvault_security_reader',
  platform: 'medvault_platform',
} as const;

export type DbRole = keyof typeof DB_ROLES;

/**
 * What a transaction may reach: a role and a practice. Row-level security reads the practice
 * from the transaction-local setting `medvault.practice_id`; with none set no practice row is
 * visible. `platform: true` (security reader and platform roles only) reaches across practices.
 */
export interface Scope {
  readonly role: DbRole;
  readonly practiceId: Id | null;
  readonly platform?: boolean;
}
