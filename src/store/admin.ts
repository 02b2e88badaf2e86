import type { Appointment, CareRelationship, Id, Patient, Practice, Role, User } from '../domain/index.js';
import type { Tx } from './database.js';
import { insertMany } from './rows.js';

export class SegmentError extends Error {
  override readonly name = 'SegmentError';
}

/** A user as stored, with the secrets that only authentication reads. */
export interface UserRecord extends User {
  readonly passwordHash: string;
  readonly totpSecret: string | null;
}

export interface PatientSearch {
  readonly family?: string;
  readonly given?: string;
  readonly birthDate?: string;
  readonly nir?: string;
  readonly limit: number;
  readonly offset?: number;
}

const PATIENT_COLUMNS = [
  'id', 'practice_id', 'birth_family_name', 'used_family_name', 'given_names', 'used_given_name', 'sex', 'birth_date',
  'birthplace_insee', 'nir', 'identity_status', 'phone', 'mobile', 'email', 'address', 'vip', 'deceased_date',
];

interface PatientRow {
  id: string; practice_id: string; birth_family_name: string; used_family_name: string | null; given_names: string[];
  used_given_name: string | null; sex: Patient['sex']; birth_date: string; birthplace_insee: string | null;
  nir: string | null; identity_status: Patient['identityStatus']; phone: string | null; mobile: string | null;
  email: string | null; address: Patient['address']; vip: boolean; deceased_date: string | null;
}

function patientToRow(p: Patient): Record<string, unknown> {
  return {
    id: p.id, practice_id: p.practiceId, birth_family_name: p.birthFamilyName, used_family_name: p.usedFamilyName,
    given_names: p.givenNames, used_given_name: p.usedGivenName, sex: p.sex, birth_date: p.birthDate,
    birthplace_insee: p.birthplaceInsee, nir: p.nir, identity_status: p.identityStatus, phone: p.phone, mobile: p.mobile,
    email: p.email, address: p.address, vip: p.vip, deceased_date: p.deceasedDate,
  };
}

function rowToPatient(r: PatientRow): Patient {
  return {
    id: r.id, practiceId: r.practice_id, birthFamilyName: r.birth_family_name, usedFamilyName: r.used_family_name,
    givenNames: r.given_names, usedGivenName: r.used_given_name, sex: r.sex, birthDate: r.birth_date,
    birthplaceInsee: r.birthplace_insee, nir: r.nir, identityStatus: r.identity_status, phone: r.phone, mobile: r.mobile,
    email: r.email, address: r.address, vip: r.vip, deceasedDate: r.deceased_date,
  };
}

/**
 * The administrative segment: identities, accounts, care relationships, appointments.
 * Only usable in a transaction scoped to the admin role and one practice.
 */
export class AdminRepository {
  constructor(private readonly tx: Tx) {
    if (tx.scope.role !== 'admin' || tx.scope.practiceId === null) {
      throw new SegmentError('the administrative repository needs an admin-scoped transaction with a practice');
    }
  }

  private get practiceId(): Id {
    return this.tx.scope.practiceId as Id;
  }

  async practice(): Promise<Practice | null> {
    const r = await this.tx.query<{ id: string; name: string; finess: string | null; city: string; postal_code: string; phone: string | null }>(
      'SELECT id, name, finess, city, postal_code, phone FROM admin.practices WHERE id = $1',
      [this.practiceId],
    );
    const p = r.rows[0];
    return p ? { id: p.id, name: p.name, finess: p.finess, city: p.city, postalCode: p.postal_code, phone: p.phone } : null;
  }

  insertUsers(users: readonly UserRecord[]): Promise<number> {
    return insertMany(
      this.tx,
      'admin.users',
      ['id', 'practice_id', 'username', 'role', 'family_name', 'given_name', 'rpps', 'patient_id', 'password_hash', 'totp_secret', 'status'],
      users.map((u) => ({
        id: u.id, practice_id: u.practiceId, username: u.username, role: u.role, family_name: u.familyName,
        given_name: u.givenName, rpps: u.rpps, patient_id: u.patientId, password_hash: u.passwordHash,
        totp_secret: u.totpSecret, status: u.status,
      })),
    );
  }

  async users(role?: Role): Promise<User[]> {
    const r = await this.tx.query<{
      id: string; practice_id: string | null; username: string; role: Role; family_name: string; given_name: string;
      rpps: string | null; patient_id: string | null; status: User['status'];
    }>(
      `SELECT id, practice_id, username, role, family_name, given_name, rpps, patient_id, status
         FROM admin.users WHERE practice_id = $1 AND ($2::text IS NULL OR role = $2) ORDER BY family_name, given_name`,
      [this.practiceId, role ?? null],
    );
    return r.rows.map((u) => ({
      id: u.id, practiceId: u.practice_id, username: u.username, role: u.role, familyName: u.family_name,
      givenName: u.given_name, rpps: u.rpps, patientId: u.patient_id, status: u.status,
    }));
  }

  insertPatients(patients: readonly Patient[]): Promise<number> {
    return insertMany(this.tx, 'admin.patients', PATIENT_COLUMNS, patients.map(patientToRow));
  }

  async patient(id: Id): Promise<Patient | null> {
    const r = await this.tx.query<PatientRow>(
      `SELECT ${PATIENT_COLUMNS.join(', ')} FROM admin.patients WHERE practice_id = $1 AND id = $2`,
      [this.practiceId, id],
    );
    return r.rows[0] ? rowToPatient(r.rows[0]) : null;
  }

  /** Exact and prefix search on names, exact on birth date and NIR; ordered, paged. */
  async searchPatients(q: PatientSearch): Promise<Patient[]> {
    const r = await this.tx.query<PatientRow>(
      `SELECT ${PATIENT_COLUMNS.join(', ')} FROM admin.patients
        WHERE practice_id = $1
          AND ($2::text IS NULL OR lower(birth_family_name) LIKE $2 OR lower(used_family_name) LIKE $2)
          AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM unnest(given_names) g WHERE lower(g) LIKE $3))
          AND ($4::date IS NULL OR birth_date = $4)
          AND ($5::text IS NULL OR nir = $5)
        ORDER BY lower(coalesce(used_family_name, birth_family_name)), id
        LIMIT $6 OFFSET $7`,
      [
        this.practiceId,
        q.family === undefined ? null : prefixPattern(q.family),
        q.given === undefined ? null : prefixPattern(q.given),
        q.birthDate ?? null,
        q.nir ?? null,
        q.limit,
        q.offset ?? 0,
      ],
    );
    return r.rows.map(rowToPatient);
  }

  insertCareRelationships(rels: readonly CareRelationship[]): Promise<number> {
    return insertMany(
      this.tx,
      'admin.care_relationships',
      ['id', 'practice_id', 'patient_id', 'practitioner_id', 'kind', 'starts_at', 'ends_at', 'appointment_id'],
      rels.map((c) => ({
        id: c.id, practice_id: c.practiceId, patient_id: c.patientId, practitioner_id: c.practitionerId, kind: c.kind,
        starts_at: c.startsAt.toISOString(), ends_at: c.endsAt?.toISOString() ?? null, appointment_id: c.appointmentId,
      })),
    );
  }

  insertAppointments(appts: readonly Appointment[]): Promise<number> {
    return insertMany(
      this.tx,
      'admin.appointments',
      ['id', 'practice_id', 'patient_id', 'practitioner_id', 'starts_at', 'ends_at', 'status', 'kind'],
      appts.map((a) => ({
        id: a.id, practice_id: a.practiceId, patient_id: a.patientId, practitioner_id: a.practitionerId,
        starts_at: a.start.toISOString(), ends_at: a.end.toISOString(), status: a.status, kind: a.kind,
      })),
    );
  }

  async appointments(filter: { practitionerId?: Id; patientId?: Id; from: Date; to: Date }): Promise<Appointment[]> {
    const r = await this.tx.query<{
      id: string; practice_id: string; patient_id: string; practitioner_id: string; starts_at: Date; ends_at: Date;
      status: Appointment['status']; kind: Appointment['kind'];
    }>(
      `SELECT id, practice_id, patient_id, practitioner_id, starts_at, ends_at, status, kind FROM admin.appointments
        WHERE practice_id = $1 AND ($2::uuid IS NULL OR practitioner_id = $2) AND ($3::uuid IS NULL OR patient_id = $3)
          AND starts_at >= $4 AND starts_at < $5
        ORDER BY starts_at, id`,
      [this.practiceId, filter.practitionerId ?? null, filter.patientId ?? null, filter.from.toISOString(), filter.to.toISOString()],
    );
    return r.rows.map((a) => ({
      id: a.id, practiceId: a.practice_id, patientId: a.patient_id, practitionerId: a.practitioner_id,
      start: new Date(a.starts_at), end: new Date(a.ends_at), status: a.status, kind: a.kind,
    }));
  }
}

/** LIKE pattern for a case-insensitive prefix, with the user's wildcards taken literally. */
function prefixPattern(term: string): string {
  return term.toLowerCase().replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}
