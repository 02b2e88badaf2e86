import type { Appointment, CareRelationship, Id, Patient, Practice, Role, User } from '../domain/index.js';
import type { Tx } from './database.js';
import { careClassSql, type CareClass } from './care.js';
import { byteaText, insertMany } from './rows.js';
import type { IdentitySealer, IndexedColumn } from './sealing.js';
import { USER_COLUMNS, userRows } from './users.js';

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
  readonly email?: string;
  readonly phone?: string;
  readonly limit: number;
  readonly offset?: number;
}

const PATIENT_COLUMNS = [
  'id', 'practice_id', 'birth_family_name', 'used_family_name', 'given_names', 'used_given_name', 'sex', 'birth_date',
  'birthplace_insee', 'identity_status', 'nir_sealed', 'nir_bidx', 'email_sealed', 'email_bidx', 'phone_sealed', 'phone_bidx',
  'mobile_sealed', 'mobile_bidx', 'address_sealed', 'vip', 'deceased_date',
];
/** The patient's erasure-key row, read in the same statement (the vault then opens without a round trip). */
const keyColumns = (practice: string, patient: string) =>
  `(SELECT k.kek_version FROM keys.patient_keys k WHERE k.practice_id = ${practice} AND k.patient_id = ${patient}) AS pk_version,
   (SELECT k.wrapped FROM keys.patient_keys k WHERE k.practice_id = ${practice} AND k.patient_id = ${patient}) AS pk_wrapped`;
const PATIENT_SELECT = [...PATIENT_COLUMNS, 'shredded_at', 'version', 'updated_at', keyColumns('admin.patients.practice_id', 'admin.patients.id')].join(', ');

interface PatientRow {
  id: string; practice_id: string; birth_family_name: string; used_family_name: string | null; given_names: string[];
  used_given_name: string | null; sex: Patient['sex']; birth_date: string; birthplace_insee: string | null;
  identity_status: Patient['identityStatus']; nir_sealed: Buffer | null; email_sealed: Buffer | null; phone_sealed: Buffer | null;
  mobile_sealed: Buffer | null; address_sealed: Buffer | null; vip: boolean; deceased_date: string | null; shredded_at: Date | null; version: number; updated_at: Date;
  pk_version: number | null; pk_wrapped: Buffer | null;
}

/** A patient as read back: the identity, plus whether its secrets were erased (crypto-shredded). */
export type StoredPatient = Patient & { readonly shredded: boolean; readonly version: number; readonly updatedAt: Date };

/** The sealed fields of a patient: each with its own data key, bound to the patient's erasure key. */
type SealedField = 'nir' | 'email' | 'phone' | 'mobile' | 'address';

async function sealPatient(v: IdentitySealer, p: Patient): Promise<Record<string, unknown>> {
  const seal = async (field: string, value: string | null) => (value === null ? null : hex(await v.seal(p.id, p.id, `patient.${field}`, value)));
  const index = async (column: IndexedColumn, value: string | null) => (value === null ? null : hexOrNull(await v.blindIndex(column, value)));
  return {
    id: p.id, practice_id: p.practiceId, birth_family_name: p.birthFamilyName, used_family_name: p.usedFamilyName,
    given_names: p.givenNames, used_given_name: p.usedGivenName, sex: p.sex, birth_date: p.birthDate,
    birthplace_insee: p.birthplaceInsee, identity_status: p.identityStatus,
    nir_sealed: await seal('nir', p.nir), nir_bidx: await index('nir', p.nir),
    email_sealed: await seal('email', p.email), email_bidx: await index('email', p.email),
    phone_sealed: await seal('phone', p.phone), phone_bidx: await index('phone', p.phone),
    mobile_sealed: await seal('mobile', p.mobile), mobile_bidx: await index('phone', p.mobile),
    address_sealed: await seal('address', p.address === null ? null : JSON.stringify(p.address)),
    vip: p.vip, deceased_date: p.deceasedDate,
  };
}

async function openPatient(v: IdentitySealer, r: PatientRow): Promise<StoredPatient> {
  const shredded = r.shredded_at !== null;
  v.knownKey(r.id, r.pk_version === null || r.pk_wrapped === null ? null : { version: Number(r.pk_version), wrapped: Buffer.from(r.pk_wrapped) });
  const open = async (field: SealedField, sealed: Buffer | null) => {
    if (sealed === null || shredded) return null;
    return v.open(r.id, r.id, `patient.${field}`, sealed);
  };
  const address = await open('address', r.address_sealed);
  return {
    id: r.id, practiceId: r.practice_id, birthFamilyName: r.birth_family_name, usedFamilyName: r.used_family_name,
    givenNames: r.given_names, usedGivenName: r.used_given_name, sex: r.sex, birthDate: r.birth_date,
    birthplaceInsee: r.birthplace_insee, identityStatus: r.identity_status,
    nir: await open('nir', r.nir_sealed), email: await open('email', r.email_sealed), phone: await open('phone', r.phone_sealed),
    mobile: await open('mobile', r.mobile_sealed), address: address === null ? null : (JSON.parse(address) as Patient['address']),
    vip: r.vip, deceasedDate: r.deceased_date, shredded, version: r.version, updatedAt: new Date(r.updated_at),
  };
}

const hex = byteaText;
function hexOrNull(b: Buffer | null): string | null {
  return b === null ? null : hex(b);
}

/**
 * The administrative segment: identities, accounts, care relationships, appointments.
 * Only usable in a transaction scoped to the admin role and one practice.
 */
export class AdminRepository {
  private readonly vault: IdentitySealer;

  constructor(
    private readonly tx: Tx,
    sealer: IdentitySealer,
  ) {
    // Patient keys are read (and, for new patients, written) in this transaction.
    this.vault = sealer.inTransaction(tx);
    if (tx.scope.role !== 'admin' || tx.scope.practiceId === null) {
      throw new SegmentError('the administrative repository needs an admin-scoped transaction with a practice');
    }
    if (sealer.practiceId !== tx.scope.practiceId) throw new SegmentError("the vault handle is another practice's");
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

  async insertUsers(users: readonly UserRecord[]): Promise<number> {
    return insertMany(this.tx, 'admin.users', USER_COLUMNS, await userRows(users, (u, secret) => this.vault.seal(null, u.id, 'user.totp', secret)));
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

  /** Creates the patients' erasure keys, then stores their identities with secrets sealed. */
  async insertPatients(patients: readonly Patient[]): Promise<number> {
    if (patients.some((p) => p.practiceId !== this.practiceId)) throw new SegmentError("a patient of another practice");
    await this.vault.createPatientKeys(patients.map((p) => p.id));
    const rows = [];
    for (const p of patients) rows.push(await sealPatient(this.vault, p));
    return insertMany(this.tx, 'admin.patients', PATIENT_COLUMNS, rows);
  }

  async patient(id: Id): Promise<StoredPatient | null> {
    const r = await this.tx.query<PatientRow>(`SELECT ${PATIENT_SELECT} FROM admin.patients WHERE practice_id = $1 AND id = $2`, [
      this.practiceId,
      id,
    ]);
    return r.rows[0] ? openPatient(this.vault, r.rows[0]) : null;
  }

  /** A patient and, in the same statement, whether a practitioner has a care relationship with them now. */
  async patientWithCare(id: Id, practitionerId: Id, at: Date): Promise<{ patient: StoredPatient; care: CareClass | 'none' } | null> {
    const r = await this.tx.query<PatientRow & { care: CareClass | null }>(
      `SELECT ${PATIENT_SELECT}, ${careClassSql('admin.patients.id', '$1', '$3', '$4::timestamptz')} AS care FROM admin.patients WHERE practice_id = $1 AND id = $2`,
      [this.practiceId, id, practitionerId, at.toISOString()],
    );
    const row = r.rows[0];
    return row ? { patient: await openPatient(this.vault, row), care: row.care ?? 'none' } : null;
  }

  /**
   * Prefix search on names, exact on birth date; exact on NIR, e-mail and phone through their
   * blind indexes (the values themselves are sealed). Ordered, paged.
   */
  async searchPatients(q: PatientSearch): Promise<StoredPatient[]> {
    const nir = q.nir === undefined ? null : await this.vault.blindIndex('nir', q.nir);
    const email = q.email === undefined ? null : await this.vault.blindIndex('email', q.email);
    const phone = q.phone === undefined ? null : await this.vault.blindIndex('phone', q.phone);
    // A term that normalises to nothing matches nothing (rather than everything).
    if ((q.nir !== undefined && nir === null) || (q.email !== undefined && email === null) || (q.phone !== undefined && phone === null)) return [];
    const r = await this.tx.query<PatientRow>(
      `SELECT ${PATIENT_SELECT} FROM admin.patients
        WHERE practice_id = $1
          AND ($2::text IS NULL OR lower(birth_family_name) LIKE $2 OR lower(used_family_name) LIKE $2)
          AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM unnest(given_names) g WHERE lower(g) LIKE $3))
          AND ($4::date IS NULL OR birth_date = $4)
          AND ($5::bytea IS NULL OR nir_bidx = $5)
          AND ($6::bytea IS NULL OR email_bidx = $6)
          AND ($7::bytea IS NULL OR phone_bidx = $7 OR mobile_bidx = $7)
        ORDER BY lower(coalesce(used_family_name, birth_family_name)), id
        LIMIT $8 OFFSET $9`,
      [
        this.practiceId,
        q.family === undefined ? null : prefixPattern(q.family),
        q.given === undefined ? null : prefixPattern(q.given),
        q.birthDate ?? null,
        nir,
        email,
        phone,
        q.limit,
        q.offset ?? 0,
      ],
    );
    const out: StoredPatient[] = [];
    for (const row of r.rows) out.push(await openPatient(this.vault, row));
    return out;
  }

  /**
   * Replaces a patient's identity if its version is still `expectedVersion` (FHIR If-Match);
   * returns the new version, or null when the version moved on (or the patient is not here).
   */
  async updatePatient(p: Patient, expectedVersion: number): Promise<number | null> {
    if (p.practiceId !== this.practiceId) throw new SegmentError('a patient of another practice');
    const row = await sealPatient(this.vault, p);
    const cols = PATIENT_COLUMNS.filter((c) => c !== 'id' && c !== 'practice_id');
    const r = await this.tx.query<{ version: number }>(
      `UPDATE admin.patients t SET ${cols.map((c) => `${c} = s.${c}`).join(', ')}, version = t.version + 1, updated_at = now()
         FROM json_populate_record(NULL::admin.patients, $3) s
        WHERE t.practice_id = $1 AND t.id = $2 AND t.version = $4 AND t.shredded_at IS NULL
        RETURNING t.version`,
      [this.practiceId, p.id, JSON.stringify(row), expectedVersion],
    );
    return r.rows[0]?.version ?? null;
  }

  /** The day of the patient's last fulfilled visit (retention, R1112-7), or null. */
  async lastVisit(patientId: Id): Promise<string | null> {
    const r = await this.tx.query<{ d: string | null }>(
      `SELECT max(starts_at)::date AS d FROM admin.appointments WHERE practice_id = $1 AND patient_id = $2 AND status = 'fulfilled'`,
      [this.practiceId, patientId],
    );
    return r.rows[0]?.d ?? null;
  }

  /** Records a crypto-shredding: the secrets' blind indexes go too, so not even equality remains. */
  async markShredded(patientId: Id, at: Date): Promise<boolean> {
    const r = await this.tx.query(
      `UPDATE admin.patients SET shredded_at = $3, nir_bidx = NULL, email_bidx = NULL, phone_bidx = NULL, mobile_bidx = NULL,
              version = version + 1, updated_at = $3
        WHERE practice_id = $1 AND id = $2 AND shredded_at IS NULL`,
      [this.practiceId, patientId, at.toISOString()],
    );
    return r.rowCount === 1;
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

  /** Appointments; `booked` names the account that books them now (none: the practice's import or seed). */
  insertAppointments(appts: readonly Appointment[], booked: { by: Id; at: Date } | null = null): Promise<number> {
    return insertMany(
      this.tx,
      'admin.appointments',
      ['id', 'practice_id', 'patient_id', 'practitioner_id', 'starts_at', 'ends_at', 'status', 'kind', 'booked_by', 'booked_at'],
      appts.map((a) => ({
        id: a.id, practice_id: a.practiceId, patient_id: a.patientId, practitioner_id: a.practitionerId,
        starts_at: a.start.toISOString(), ends_at: a.end.toISOString(), status: a.status, kind: a.kind,
        booked_by: booked?.by ?? null, booked_at: booked?.at.toISOString() ?? null,
      })),
    );
  }

  /**
   * Updates an appointment. Moving it (patient, practitioner, start or end) re-books it in the
   * name of the account that moves it: re-pointing a colleague's booking at another patient must
   * not borrow the colleague's standing as someone else (issue 12). A change of status alone keeps
   * the booking — except bringing a cancelled appointment back, which books it anew. False if no
   * such appointment.
   */
  async updateAppointment(a: Appointment, by: Id, at: Date): Promise<boolean> {
    const r = await this.tx.query(
      `UPDATE admin.appointments SET patient_id = $3, practitioner_id = $4, starts_at = $5, ends_at = $6, status = $7, kind = $8, version = version + 1,
              booked_by = CASE WHEN patient_id = $3 AND practitioner_id = $4 AND starts_at = $5 AND ends_at = $6 AND NOT (status = 'cancelled' AND $7 <> 'cancelled') THEN booked_by ELSE $9 END,
              booked_at = CASE WHEN patient_id = $3 AND practitioner_id = $4 AND starts_at = $5 AND ends_at = $6 AND NOT (status = 'cancelled' AND $7 <> 'cancelled') THEN booked_at ELSE $10 END
        WHERE practice_id = $1 AND id = $2`,
      [this.practiceId, a.id, a.patientId, a.practitionerId, a.start.toISOString(), a.end.toISOString(), a.status, a.kind, by, at.toISOString()],
    );
    return r.rowCount > 0;
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
