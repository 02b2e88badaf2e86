import { lookupPrefix, type Appointment, type CareRelationship, type Id, type Patient, type Practice, type Role, type User } from '../domain/index.js';
import type { Tx } from './database.js';
import { careClassSql, type GenuineCare } from './care.js';
import { insertMany } from './rows.js';
import type { BeaconKind, Identity, IdentitySealer, OpenedIdentity } from './sealing.js';
import { beaconBitsFor, patientBeaconValues, truncateBeacon } from './beacons.js';
import {
  byName, criteriaOf, identityJson, identityStamp, LEGACY_IDENTITY, listed, meets, openedIdentity, openPatient, PATIENT_COLUMNS, PATIENT_SELECT,
  sealPatient, TAIL, type Candidate, type PatientRow, type PatientSearch, type StoredPatient,
} from './patients.js';

export type { PatientSearch, StoredPatient } from './patients.js';
import { USER_COLUMNS, userRows } from './users.js';

export class SegmentError extends Error {
  override readonly name = 'SegmentError';
}

/** A user as stored, with the secrets that only authentication reads. */
export interface UserRecord extends User {
  readonly passwordHash: string;
  readonly totpSecret: string | null;
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

  /**
   * Creates the patients' erasure keys, then stores their identities sealed, with their beacons.
   * `registered` names the account that registers them now (none: the practice's import or seed):
   * a practitioner's own registration opens a visit (store/care.ts, migration 016).
   */
  async insertPatients(patients: readonly Patient[], registered: { by: Id; at: Date } | null = null): Promise<number> {
    if (patients.some((p) => p.practiceId !== this.practiceId)) throw new SegmentError("a patient of another practice");
    await this.vault.createPatientKeys(patients.map((p) => p.id));
    const rows = [];
    for (const p of patients) {
      const row = await sealPatient(this.vault, p);
      const by = registered ? { registered_by: registered.by, registered_at: registered.at.toISOString() } : {};
      rows.push({ ...row, ...by });
    }
    const columns = registered ? [...PATIENT_COLUMNS, 'registered_by', 'registered_at'] : PATIENT_COLUMNS;
    const n = await insertMany(this.tx, 'admin.patients', columns, rows);
    await this.writeBeacons(patients);
    return n;
  }

  /**
   * The practice's beacon length; set at its first use from the practice's size then (at least
   * that of a typical practice), or by `medvault keys seal --beacon-bits`.
   */
  async beaconBits(expected = 0): Promise<number> {
    const r = await this.tx.query<{ beacon_bits: number | null }>('SELECT beacon_bits FROM admin.practices WHERE id = $1', [this.practiceId]);
    const bits = r.rows[0]?.beacon_bits;
    if (bits !== null && bits !== undefined) return Number(bits);
    const chosen = beaconBitsFor(Math.max(expected, 2_000));
    await this.tx.query('UPDATE admin.practices SET beacon_bits = $2 WHERE id = $1 AND beacon_bits IS NULL', [this.practiceId, chosen]);
    return this.beaconBits();
  }

  /** Sets the practice's beacon length before any beacon exists (a large practice, an import). False if it already has one. */
  async setBeaconBits(bits: number): Promise<boolean> {
    const r = await this.tx.query('UPDATE admin.practices SET beacon_bits = $2 WHERE id = $1 AND beacon_bits IS NULL', [this.practiceId, bits]);
    return r.rowCount === 1;
  }

  /** (Re)writes the beacons of these patients (names and birth date). */
  async writeBeacons(patients: readonly (Identity & { readonly id: Id })[]): Promise<void> {
    if (patients.length === 0) return;
    const bits = await this.beaconBits(patients.length);
    const ids: string[] = [];
    const beacons: number[] = [];
    const values = patients.map((p) => patientBeaconValues(p));
    const macs = await this.vault.beaconMacs(values.flat());
    let k = 0;
    patients.forEach((p, i) => {
      const seen = new Set<number>();
      for (let j = 0; j < values[i]!.length; j++) {
        const b = truncateBeacon(macs[k++]!, bits);
        if (seen.has(b)) continue;
        seen.add(b);
        ids.push(p.id);
        beacons.push(b);
      }
    });
    await this.tx.query('DELETE FROM admin.patient_beacons WHERE practice_id = $1 AND patient_id = ANY($2::uuid[])', [this.practiceId, patients.map((p) => p.id)]);
    for (let i = 0; i < ids.length; i += 20_000) {
      await this.tx.query(
        'INSERT INTO admin.patient_beacons (practice_id, beacon, patient_id) SELECT $1, b, p FROM unnest($2::int[], $3::uuid[]) AS t(b, p)',
        [this.practiceId, beacons.slice(i, i + 20_000), ids.slice(i, i + 20_000)],
      );
    }
  }

  async patient(id: Id): Promise<StoredPatient | null> {
    const r = await this.tx.query<PatientRow>(`SELECT ${PATIENT_SELECT} FROM admin.patients WHERE practice_id = $1 AND id = $2`, [
      this.practiceId,
      id,
    ]);
    return r.rows[0] ? openPatient(this.vault, r.rows[0]) : null;
  }

  /**
   * A patient and, in the same statement, whether a practitioner has a care relationship with them
   * now. A visit (a walk-in: care.ts) explains no identity read: the ledger counts it as any other.
   */
  async patientWithCare(
    id: Id, practitionerId: Id, at: Date,
  ): Promise<{ patient: StoredPatient; care: GenuineCare | 'none' } | null> {
    const r = await this.tx.query<PatientRow & { care: GenuineCare | null }>(
      `SELECT ${PATIENT_SELECT}, ${careClassSql('admin.patients.id', '$1', '$3', '$4::timestamptz')} AS care FROM admin.patients WHERE practice_id = $1 AND id = $2`,
      [this.practiceId, id, practitionerId, at.toISOString()],
    );
    const row = r.rows[0];
    return row ? { patient: await openPatient(this.vault, row), care: row.care ?? 'none' } : null;
  }

  /**
   * Search. Candidates come from what is searchable without opening anything — the blind indexes
   * of NIR, e-mail and phone (exact), else the beacon of a name term's prefix or of the birth date
   * — plus any row not sealed yet; their identities are opened (or found in the vault's memory at
   * the same record version), filtered on the real values (case- and accent-insensitive name
   * prefixes, the exact birth date), sorted by name and paged. Without any criterion, the
   * practice's patients in record order (nothing to open but the page). A search returns the
   * identities only: NIR, contacts and address stay sealed (a listing does not show them).
   */
  async searchPatients(q: PatientSearch): Promise<StoredPatient[]> {
    const nir = q.nir === undefined ? null : await this.vault.blindIndex('nir', q.nir);
    const email = q.email === undefined ? null : await this.vault.blindIndex('email', q.email);
    const phone = q.phone === undefined ? null : await this.vault.blindIndex('phone', q.phone);
    // A term that normalises to nothing matches nothing (rather than everything).
    if ((q.nir !== undefined && nir === null) || (q.email !== undefined && email === null) || (q.phone !== undefined && phone === null)) return [];
    const terms: { kind: BeaconKind; value: string }[][] = [];
    for (const [kinds, term] of [[['family'], q.family], [['given'], q.given], [['family', 'given'], q.name]] as [BeaconKind[], string | undefined][]) {
      if (term === undefined) continue;
      const prefix = lookupPrefix(term);
      if (prefix === null) return [];
      terms.push(kinds.map((kind) => ({ kind, value: prefix })));
    }
    if (q.birthDate !== undefined) terms.push([{ kind: 'birthdate', value: q.birthDate }]);
    const exact = nir !== null || email !== null || phone !== null;
    const offset = q.offset ?? 0;
    if (!exact && terms.length === 0) {
      const r = await this.tx.query<PatientRow>(
        `SELECT ${PATIENT_SELECT} FROM admin.patients WHERE practice_id = $1 AND shredded_at IS NULL ORDER BY id LIMIT $2 OFFSET $3`,
        [this.practiceId, q.limit, offset],
      );
      const out: StoredPatient[] = [];
      for (const row of r.rows) out.push(listed(row.id, await openedIdentity(this.vault, row), row.version, this.practiceId));
      return out;
    }
    // The candidates have, for every criterion, one of its beacons (FHIR name: family or given).
    // Rows not sealed yet (an older database during `medvault keys seal`) are all candidates.
    const bits = exact ? null : (await this.tx.query<{ n: number | null }>('SELECT beacon_bits AS n FROM admin.practices WHERE id = $1', [this.practiceId])).rows[0]?.n ?? null;
    const beacons: number[] = [];
    const groups: number[] = [];
    if (bits !== null) {
      const macs = await this.vault.beaconMacs(terms.flat());
      let k = 0;
      terms.forEach((t, g) => t.forEach(() => {
        beacons.push(truncateBeacon(macs[k++]!, Number(bits)));
        groups.push(g);
      }));
    }
    // 1. The candidates: ids and versions only (an index range of the beacons).
    const candidates = exact
      ? await this.tx.query<Candidate>(
        `SELECT id, version, ${TAIL('identity_sealed')} AS tail FROM admin.patients
          WHERE practice_id = $1 AND shredded_at IS NULL
            AND ($2::bytea IS NULL OR nir_bidx = $2)
            AND ($3::bytea IS NULL OR email_bidx = $3)
            AND ($4::bytea IS NULL OR phone_bidx = $4 OR mobile_bidx = $4)`,
        [this.practiceId, nir, email, phone],
      )
      : await this.tx.query<Candidate>(
        `WITH c AS (
           SELECT b.patient_id AS pid FROM admin.patient_beacons b JOIN unnest($2::int[], $3::int[]) AS t(beacon, grp) ON b.beacon = t.beacon
            WHERE b.practice_id = $1 GROUP BY b.patient_id HAVING count(DISTINCT t.grp) = $4
           UNION
           SELECT id FROM admin.patients WHERE practice_id = $1 AND identity_sealed IS NULL)
         SELECT p.id, p.version, ${TAIL('p.identity_sealed')} AS tail FROM admin.patients p JOIN c ON c.pid = p.id
          WHERE p.practice_id = $1 AND p.shredded_at IS NULL`,
        [this.practiceId, beacons, groups, terms.length],
      );
    // 2. Their identities: from memory when opened before at the same version, else read and opened.
    const identities: { id: Id; version: number; o: OpenedIdentity }[] = [];
    const missing: string[] = [];
    for (const c of candidates.rows) {
      const o = c.tail === null ? null : this.vault.cachedIdentity(c.id, identityStamp(c.version, c.tail));
      if (o === null) missing.push(c.id);
      else identities.push({ id: c.id, version: c.version, o });
    }
    // (A row shredded since the candidates were read is left out: its identity is gone.)
    for (const row of await this.rowsOf(missing)) if (row.shredded_at === null) identities.push({ id: row.id, version: row.version, o: await openedIdentity(this.vault, row) });
    // 3. Filter on the real values, sort by name, page. A search lists: no secret is opened.
    const criteria = criteriaOf(q);
    const found = identities.filter((c) => meets(c.o, criteria)).sort(byName);
    return found.slice(offset, offset + q.limit).map((c) => listed(c.id, c.o, c.version, this.practiceId));
  }

  /** Whole patient rows (with their key rows), by id. */
  private async rowsOf(ids: readonly string[]): Promise<PatientRow[]> {
    if (ids.length === 0) return [];
    const r = await this.tx.query<PatientRow>(`SELECT ${PATIENT_SELECT} FROM admin.patients WHERE practice_id = $1 AND id = ANY($2::uuid[])`, [this.practiceId, ids]);
    return r.rows;
  }

  /**
   * Replaces a patient's identity if its version is still `expectedVersion` (FHIR If-Match);
   * returns the new version, or null when the version moved on (or the patient is not here).
   */
  async updatePatient(p: Patient, expectedVersion: number | null): Promise<number | null> {
    if (p.practiceId !== this.practiceId) throw new SegmentError('a patient of another practice');
    const row = await sealPatient(this.vault, p);
    const cols = [...PATIENT_COLUMNS.filter((c) => c !== 'id' && c !== 'practice_id'), ...LEGACY_IDENTITY];
    const r = await this.tx.query<{ version: number }>(
      `UPDATE admin.patients t SET ${cols.map((c) => `${c} = s.${c}`).join(', ')}, version = t.version + 1, updated_at = now()
         FROM json_populate_record(NULL::admin.patients, $3) s
        WHERE t.practice_id = $1 AND t.id = $2 AND ($4::int IS NULL OR t.version = $4::int) AND t.shredded_at IS NULL
        RETURNING t.version`,
      [this.practiceId, p.id, JSON.stringify(row), expectedVersion],
    );
    const version = r.rows[0]?.version ?? null;
    if (version !== null) await this.writeBeacons([p]);
    return version;
  }

  /** The day of the patient's last fulfilled visit (retention, R1112-7), or null. */
  async lastVisit(patientId: Id): Promise<string | null> {
    const r = await this.tx.query<{ d: string | null }>(
      `SELECT max(starts_at)::date AS d FROM admin.appointments WHERE practice_id = $1 AND patient_id = $2 AND status = 'fulfilled'`,
      [this.practiceId, patientId],
    );
    return r.rows[0]?.d ?? null;
  }

  /**
   * One batch of `medvault keys seal` (an older database): seals the clear identity of up to
   * `limit` patients, writes their beacons and empties the clear columns, in this transaction.
   * A shredded patient's clear identity is only emptied (its key is gone: there is nothing left to
   * seal it under). Returns how many rows it changed; 0 when none is left.
   */
  async sealClearIdentities(limit: number): Promise<number> {
    const gone = await this.tx.query(
      `UPDATE admin.patients SET ${LEGACY_IDENTITY.map((c) => `${c} = NULL`).join(', ')}
        WHERE practice_id = $1 AND identity_sealed IS NULL AND shredded_at IS NOT NULL AND birth_family_name IS NOT NULL`,
      [this.practiceId],
    );
    // An older medvault copied the patient's name into the patient's portal account.
    await this.tx.query(
      `UPDATE admin.users SET family_name = '', given_name = '' WHERE id IN (
         SELECT id FROM admin.users WHERE practice_id = $1 AND role = 'patient' AND (family_name <> '' OR given_name <> '') ORDER BY id FOR NO KEY UPDATE)`,
      [this.practiceId],
    );
    const r = await this.tx.query<PatientRow>(
      `SELECT ${PATIENT_SELECT} FROM admin.patients WHERE practice_id = $1 AND identity_sealed IS NULL AND shredded_at IS NULL
        ORDER BY id LIMIT $2 FOR UPDATE`,
      [this.practiceId, limit],
    );
    const sealed: (Identity & { id: Id })[] = [];
    for (const row of r.rows) {
      const p = await openPatient(this.vault, row);
      const identity = await this.vault.seal(p.id, p.id, 'patient.identity', identityJson(p));
      await this.tx.query(
        `UPDATE admin.patients SET identity_sealed = $3, ${LEGACY_IDENTITY.map((c) => `${c} = NULL`).join(', ')} WHERE practice_id = $1 AND id = $2`,
        [this.practiceId, p.id, identity],
      );
      sealed.push(p);
    }
    await this.writeBeacons(sealed);
    return gone.rowCount + sealed.length;
  }

  /** Records a crypto-shredding: the blind indexes and beacons go too, so not even equality remains. */
  async markShredded(patientId: Id, at: Date): Promise<boolean> {
    await this.tx.query('DELETE FROM admin.patient_beacons WHERE practice_id = $1 AND patient_id = $2', [this.practiceId, patientId]);
    // A portal account an older medvault gave the patient's name keeps it no longer.
    await this.tx.query(
      `UPDATE admin.users SET family_name = '', given_name = '' WHERE practice_id = $1 AND patient_id = $2 AND (family_name <> '' OR given_name <> '')`,
      [this.practiceId, patientId],
    );
    const r = await this.tx.query(
      `UPDATE admin.patients SET shredded_at = $3, nir_bidx = NULL, email_bidx = NULL, phone_bidx = NULL, mobile_bidx = NULL,
              ${LEGACY_IDENTITY.map((c) => `${c} = NULL`).join(', ')}, version = version + 1, updated_at = $3
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
      [
        'id', 'practice_id', 'patient_id', 'practitioner_id', 'starts_at', 'ends_at', 'status', 'kind', 'booked_by',
        'booked_at', 'visit_type_id', 'cancel_reason',
      ],
      appts.map((a) => ({
        id: a.id, practice_id: a.practiceId, patient_id: a.patientId, practitioner_id: a.practitionerId,
        starts_at: a.start.toISOString(), ends_at: a.end.toISOString(), status: a.status, kind: a.kind,
        booked_by: booked?.by ?? null, booked_at: booked?.at.toISOString() ?? null,
        visit_type_id: a.visitTypeId ?? null, cancel_reason: a.cancelReason ?? null,
      })),
    );
  }

  /**
   * Updates an appointment. Moving it (patient, practitioner, start or end) re-books it in the
   * name of the account that moves it: re-pointing a colleague's booking at another patient must
   * not borrow the colleague's standing as someone else. A change of status alone keeps
   * the booking — except bringing a cancelled appointment back, which books it anew. False if no
   * such appointment.
   */
  /**
   * Changes an appointment; with `expected`, only if that is still its version (If-Match: two
   * secretaries moving one appointment, the second is told rather than written over). Returns the
   * version written, or null: no such appointment, or another version.
   */
  async updateAppointment(a: Appointment, by: Id, at: Date, expected: number | null = null): Promise<number | null> {
    const r = await this.tx.query<{ version: number }>(
      `UPDATE admin.appointments SET patient_id = $3, practitioner_id = $4, starts_at = $5, ends_at = $6, status = $7, kind = $8, version = version + 1,
              visit_type_id = $11, cancel_reason = $12, changed_by = $9, changed_at = $10,
              booked_by = CASE WHEN patient_id = $3 AND practitioner_id = $4 AND starts_at = $5 AND ends_at = $6 AND NOT (status = 'cancelled' AND $7 <> 'cancelled') THEN booked_by ELSE $9 END,
              booked_at = CASE WHEN patient_id = $3 AND practitioner_id = $4 AND starts_at = $5 AND ends_at = $6 AND NOT (status = 'cancelled' AND $7 <> 'cancelled') THEN booked_at ELSE $10 END
        WHERE practice_id = $1 AND id = $2 AND ($13::int IS NULL OR version = $13::int)
        RETURNING version`,
      [
        this.practiceId, a.id, a.patientId, a.practitionerId, a.start.toISOString(), a.end.toISOString(), a.status,
        a.kind, by, at.toISOString(), a.visitTypeId ?? null, a.cancelReason ?? null, expected,
      ],
    );
    return r.rows[0] ? Number(r.rows[0].version) : null;
  }

  /** The patient an appointment of the practice is for, or null. */
  async appointmentPatient(id: Id): Promise<Id | null> {
    const r = await this.tx.query<{ patient_id: string }>('SELECT patient_id FROM admin.appointments WHERE practice_id = $1 AND id = $2', [this.practiceId, id]);
    return r.rows[0]?.patient_id ?? null;
  }

  /** Whether the patient and the practitioner are both the practice's (a booking may name them). */
  async bookable(patientId: Id, practitionerId: Id): Promise<boolean> {
    const r = await this.tx.query<{ n: number }>(
      `SELECT (SELECT count(*)::int FROM admin.patients WHERE practice_id = $1 AND id = $2)
            + (SELECT count(*)::int FROM admin.users WHERE practice_id = $1 AND id = $3 AND role = 'practitioner') AS n`,
      [this.practiceId, patientId, practitionerId],
    );
    return r.rows[0]?.n === 2;
  }

  async appointments(filter: { practitionerId?: Id; patientId?: Id; from: Date; to: Date }): Promise<Appointment[]> {
    const r = await this.tx.query<{
      id: string; practice_id: string; patient_id: string; practitioner_id: string; starts_at: Date; ends_at: Date;
      status: Appointment['status']; kind: Appointment['kind']; visit_type_id: string | null; cancel_reason: string | null;
      version: number; updated_at: Date | null;
    }>(
      `SELECT id, practice_id, patient_id, practitioner_id, starts_at, ends_at, status, kind, visit_type_id,
              cancel_reason, version, COALESCE(changed_at, booked_at) AS updated_at
         FROM admin.appointments
        WHERE practice_id = $1 AND ($2::uuid IS NULL OR practitioner_id = $2) AND ($3::uuid IS NULL OR patient_id = $3)
          AND starts_at >= $4 AND starts_at < $5
        ORDER BY starts_at, id`,
      [this.practiceId, filter.practitionerId ?? null, filter.patientId ?? null, filter.from.toISOString(), filter.to.toISOString()],
    );
    return r.rows.map((a) => ({
      id: a.id, practiceId: a.practice_id, patientId: a.patient_id, practitionerId: a.practitioner_id,
      start: new Date(a.starts_at), end: new Date(a.ends_at), status: a.status, kind: a.kind,
      visitTypeId: a.visit_type_id, cancelReason: a.cancel_reason,
      version: Number(a.version), ...(a.updated_at ? { updatedAt: new Date(a.updated_at) } : {}),
    }));
  }
}
