import { randomBytes, randomUUID } from 'node:crypto';
import { generateSecret } from 'otplib';
import { requiresSecondFactor, type Patient, type Role, type User } from '../domain/index.js';
import {
  AdminRepository,
  appendAuditEvents,
  beaconBitsFor,
  ClinicalRepository,
  PLATFORM_KEY_SCOPE,
  PlatformRepository,
  ResourceRepository,
  type Database,
  type Tx,
  type UserRecord,
} from '../store/index.js';
import { addDecoys, addVips } from '../store/honeytokens.js';
import type { Vault } from '../vault/index.js';
import { chartVersions } from './charts.js';
import { visitHistory } from './history.js';
import { generatePopulation, type PopulationOptions } from './population/index.js';
import { portalContent } from './portal.js';

export interface SeedOptions extends PopulationOptions {
  readonly vault: Vault;
  /** Patient-portal accounts created per practice; default 2. */
  readonly portalAccountsPerPractice?: number;
  readonly hashPassword: (password: string) => Promise<string>;
  readonly onProgress?: (patientsDone: number, patientsExpected: number | null) => void;
  /** Days of benign audit history seeded for the visits (demo --history-days); 0 for none. */
  readonly auditHistoryDays?: number;
  /** Sees each batch of generated patients (tests use it to know what must never be logged). */
  readonly onPatients?: (patients: readonly Patient[]) => void;
}

export interface DemoUser {
  readonly username: string;
  readonly password: string;
  readonly totpSecret: string | null;
  readonly role: Role;
  readonly practiceId: string | null;
  readonly fhirId: string | null;
}

export interface SeedResult {
  readonly practices: { id: string; name: string }[];
  readonly users: DemoUser[];
  readonly counts: {
    patients: number; appointments: number; notes: number; resources: number; careRelationships: number;
    honeytokens: number; auditEvents: number;
  };
}

/** A fresh random password: 18 base64url characters (108 bits). Never derived from the seed. */
function newPassword(): string {
  return randomBytes(14).toString('base64url').slice(0, 18);
}

async function withSecrets(users: readonly User[], hashPassword: SeedOptions['hashPassword']): Promise<{ records: UserRecord[]; demo: DemoUser[] }> {
  const records: UserRecord[] = [];
  const demo: DemoUser[] = [];
  for (const u of users) {
    const password = newPassword();
    const totpSecret = requiresSecondFactor(u.role) ? generateSecret() : null;
    records.push({ ...u, passwordHash: await hashPassword(password), totpSecret });
    demo.push({
      username: u.username,
      password,
      totpSecret,
      role: u.role,
      practiceId: u.practiceId,
      fhirId: u.role === 'practitioner' ? u.id : u.role === 'patient' ? u.patientId : null,
    });
  }
  return { records, demo };
}

/**
 * Seeds practices, staff, patients, care relationships, appointments, notes and charts in one
 * transaction, each segment through its own role and practice scope: a failure leaves nothing.
 */
export async function seedDemo(db: Database, opts: SeedOptions): Promise<SeedResult> {
  const expected = opts.patientsPerPractice === undefined ? null : opts.patientsPerPractice * opts.practices;
  return db.transaction({ role: 'platform', practiceId: null, platform: true }, async (tx) => {
    const result: SeedResult = { practices: [], users: [], counts: {
      patients: 0, appointments: 0, notes: 0, resources: 0, careRelationships: 0, honeytokens: 0, auditEvents: 0,
    } };
    const portal = opts.portalAccountsPerPractice ?? 2;
    const assistantsOf = new Map<string, string[]>();
    let portalPending: { practiceId: string; patients: { id: string; family: string; given: string }[] } | null = null;
    const practitionersOf = new Map<string, string[]>();
    /** Each portal patient's declared treating doctor, when she has one. */
    const treatingOf = new Map<string, string>();

    const flushPortal = async () => {
      if (portalPending === null) return;
      const users: User[] = portalPending.patients.map((p) => ({
        id: randomUUID(), practiceId: portalPending!.practiceId, username: `p-${randomBytes(5).toString('hex')}`,
        role: 'patient', familyName: p.family, givenName: p.given, rpps: null, patientId: p.id, status: 'active',
      }));
      const { records, demo } = await withSecrets(users, opts.hashPassword);
      await tx.enter({ role: 'admin', practiceId: portalPending.practiceId });
      await new AdminRepository(tx, opts.vault.admin(portalPending.practiceId)).insertUsers(records);
      result.users.push(...demo);
      await seedPortal(portalPending.practiceId, portalPending.patients.map((p) => p.id));
      portalPending = null;
    };

    // Each portal patient's visits, past and next, and her doctor's letter shared with her (sim/portal.ts).
    const seedPortal = async (practiceId: string, patientIds: readonly string[]) => {
      const first = practitionersOf.get(practiceId)?.[0];
      if (first === undefined) return;
      const content = patientIds.map((id) =>
        portalContent(practiceId, id, treatingOf.get(id) ?? first, treatingOf.has(id), opts.now));
      const admin = new AdminRepository(tx, opts.vault.admin(practiceId));
      result.counts.careRelationships += await admin.insertCareRelationships(content.flatMap((c) => c.care));
      result.counts.appointments += await admin.insertAppointments(content.flatMap((c) => c.appointments));
      await tx.enter({ role: 'clinical', practiceId });
      const clinical = new ClinicalRepository(tx, opts.vault.clinical(practiceId));
      result.counts.notes += await clinical.insertNotes(content.flatMap((c) => c.notes));
      for (const id of content.flatMap((c) => c.shared)) await clinical.shareNote(id, true);
    };

    // By default the charts of the patients the calendar names (seen in the window, or booked):
    // a resource costs ~0.3 ms to seal and write, and every chart of the demo's 16,000 patients
    // (~150,000 resources) would triple its seeding; those of its calendar double it.
    for (const chunk of generatePopulation({ ...opts, charts: opts.charts ?? 'calendar' })) {
      if (chunk.kind === 'practice') {
        await flushPortal();
        await tx.enter({ role: 'platform', practiceId: chunk.practice.id });
        await new PlatformRepository(tx).createPractice(chunk.practice);
        const { records, demo } = await withSecrets(chunk.staff, opts.hashPassword);
        await tx.enter({ role: 'admin', practiceId: chunk.practice.id });
        const admin = new AdminRepository(tx, opts.vault.admin(chunk.practice.id));
        await admin.insertUsers(records);
        // Beacons sized for the practice the seed is about to fill (store/beacons.ts).
        await admin.setBeaconBits(beaconBitsFor(Math.max(opts.patientsPerPractice ?? 0, 2_000)));
        result.practices.push({ id: chunk.practice.id, name: chunk.practice.name });
        assistantsOf.set(chunk.practice.id, chunk.staff.filter((u) => u.role === 'assistant').map((u) => u.id));
        practitionersOf.set(chunk.practice.id, chunk.staff.filter((u) => u.role === 'practitioner').map((u) => u.id));
        result.users.push(...demo);
        portalPending = { practiceId: chunk.practice.id, patients: [] };
      } else if (chunk.kind === 'patients') {
        await enterAdmin(tx, chunk.practiceId);
        const admin = new AdminRepository(tx, opts.vault.admin(chunk.practiceId));
        result.counts.patients += await admin.insertPatients(chunk.patients);
        opts.onPatients?.(chunk.patients);
        result.counts.careRelationships += await admin.insertCareRelationships(chunk.care);
        if (portalPending !== null && portalPending.patients.length < portal) {
          for (const p of chunk.patients) {
            if (portalPending.patients.length >= portal) break;
            if (p.email === null) continue; // a portal account needs an adult with an e-mail address
            portalPending.patients.push({ id: p.id, family: p.usedFamilyName ?? p.birthFamilyName, given: p.givenNames[0] ?? '' });
            const treating = chunk.care.find((c) => c.patientId === p.id && c.kind === 'treating');
            if (treating) treatingOf.set(p.id, treating.practitionerId);
          }
        }
        // Notable people are registered for the detector (not for the administrative roles).
        const vips = chunk.patients.filter((p) => p.vip);
        if (vips.length > 0) {
          await tx.enter({ role: 'auditWriter', practiceId: chunk.practiceId });
          await addVips(tx, chunk.practiceId, vips.map((v) => v.id));
        }
        opts.onProgress?.(result.counts.patients, expected);
      } else if (chunk.kind === 'decoys') {
        await enterAdmin(tx, chunk.practiceId);
        await new AdminRepository(tx, opts.vault.admin(chunk.practiceId)).insertPatients(chunk.patients);
        await tx.enter({ role: 'auditWriter', practiceId: chunk.practiceId });
        await addDecoys(tx, chunk.practiceId, chunk.patients.map((d) => d.id));
        result.counts.honeytokens += chunk.patients.length;
      } else if (chunk.kind === 'charts') {
        // The clinical role writes charts, as it writes notes: sealed under each patient's key.
        await tx.enter({ role: 'clinical', practiceId: chunk.practiceId });
        const repo = new ResourceRepository(tx, opts.vault.clinical(chunk.practiceId));
        result.counts.resources += await repo.insertVersions(chartVersions(chunk.resources));
      } else {
        await enterAdmin(tx, chunk.practiceId);
        result.counts.appointments += await new AdminRepository(tx, opts.vault.admin(chunk.practiceId)).insertAppointments(chunk.appointments);
        await tx.enter({ role: 'clinical', practiceId: chunk.practiceId });
        result.counts.notes += await new ClinicalRepository(tx, opts.vault.clinical(chunk.practiceId)).insertNotes(chunk.notes);
        if ((opts.auditHistoryDays ?? 0) > 0) {
          const since = new Date(opts.now.getTime() - (opts.auditHistoryDays as number) * 86_400_000);
          const history = visitHistory(chunk.appointments, chunk.notes, assistantsOf.get(chunk.practiceId) ?? [], since, opts.now);
          await appendAuditEvents(tx, history);
          result.counts.auditEvents += history.length;
        }
      }
    }
    await flushPortal();

    const officers: User[] = [
      { id: randomUUID(), practiceId: null, username: 'security.officer', role: 'security-officer', familyName: 'Sécurité', givenName: 'Camille', rpps: null, patientId: null, status: 'active' },
      // A second officer: exports that name patients and new accounts need a second person.
      { id: randomUUID(), practiceId: null, username: 'security.officer2', role: 'security-officer', familyName: 'Contrôle', givenName: 'Dominique', rpps: null, patientId: null, status: 'active' },
    ];
    const { records, demo } = await withSecrets(officers, opts.hashPassword);
    await tx.enter({ role: 'platform', practiceId: null, platform: true });
    await new PlatformRepository(tx, opts.vault.admin(PLATFORM_KEY_SCOPE)).insertPlatformUsers(records);
    result.users.push(...demo);
    return result;
  });
}

async function enterAdmin(tx: Tx, practiceId: string): Promise<void> {
  if (tx.scope.role !== 'admin' || tx.scope.practiceId !== practiceId) await tx.enter({ role: 'admin', practiceId });
}
