import { randomUUID } from 'node:crypto';
import { retentionEnds } from '../domain/index.js';
import { AdminRepository, appendAuditEvents, type Database, type Tx } from '../store/index.js';
import { deletePatientKey } from '../store/patient-key-rows.js';
import { clearPatientBeacons, patientForShred } from '../store/shredding.js';
import { REGISTRY, shreddedTables, type Registry } from '../resources/index.js';
import { closePatientKeyEpoch, type EpochResult } from './rotation.js';
import type { Vault } from './vault.js';

/**
 * Crypto-shredding a patient (GDPR art. 17): the patient's erasure key is deleted with the
 * shred's transaction, so every sealed value of theirs — NIR, contacts, address, every note — is
 * unreadable in the live database; then the practice's key epoch closes (the KEK version that
 * wrapped the key is destroyed after every other key moved to a new one), so the copy of the key
 * in any database backup can no longer be opened either. Their blind indexes are cleared. It yields to the legal
 * retention period (art. 17(3)(b), CSP R1112-7) unless forced, and it is audited.
 */
export class ShredRefused extends Error {
  override readonly name = 'ShredRefused';
  constructor(
    readonly reason: 'unknown-patient' | 'already-shredded' | 'retention' | 'no-reason',
    readonly retentionEnds: string | null,
    message: string,
  ) {
    super(message);
  }
}

export interface ShredRequest {
  readonly practiceId: string;
  readonly patientId: string;
  /** Why: recorded in the audit event. Required. */
  readonly reason: string;
  readonly force: boolean;
  /** Who asked (the operator's account name), recorded in the audit event. */
  readonly actor: string;
  readonly now: Date;
}

export interface ShredResult {
  readonly retentionEnds: string;
  readonly forced: boolean;
  /** The key epoch closed after the shred (the versions destroyed, the keys moved). */
  readonly epoch: EpochResult;
}

/** Clears a shredded patient's search beacons in every table the registry's types live in. */
export async function clearClinicalBeacons(
  tx: Tx, practiceId: string, patientId: string, registry: Registry = REGISTRY,
): Promise<string[]> {
  const cleared: string[] = [];
  for (const t of shreddedTables(registry)) {
    await clearPatientBeacons(tx, t, practiceId, patientId);
    cleared.push(t.table);
  }
  return cleared;
}

export async function shredPatient(
  db: Database, vault: Vault, req: ShredRequest, epochOptions: { settleMs?: number } = {},
): Promise<ShredResult> {
  if (req.reason.trim().length < 3) throw new ShredRefused('no-reason', null, 'a reason is required');
  const done = await db.transaction({ role: 'admin', practiceId: req.practiceId }, async (tx) => {
    const admin = new AdminRepository(tx, vault.admin(req.practiceId));
    const p = await patientForShred(tx, req.practiceId, req.patientId);
    if (!p) throw new ShredRefused('unknown-patient', null, 'no such patient in this practice');
    if (p.shreddedAt !== null) throw new ShredRefused('already-shredded', null, 'this patient was already shredded');
    // Birth and death dates are sealed: opened here, while the key still exists.
    const identity = (await admin.patient(req.patientId))!;
    const ends = retentionEnds({
      birthDate: identity.birthDate, lastVisit: await admin.lastVisit(req.patientId), createdOn: p.createdOn,
      deceasedDate: identity.deceasedDate,
    });
    const running = req.now.toISOString().slice(0, 10) < ends;
    if (running && !req.force) {
      throw new ShredRefused(
        'retention', ends, `the record must be kept until ${ends} (R1112-7); use --force to override`,
      );
    }
    await admin.markShredded(req.patientId, req.now);
    await appendAuditEvents(tx, [
      {
        id: randomUUID(), at: req.now, practiceId: req.practiceId, userId: null, role: 'operator', sessionId: null,
        sourceIp: null, action: 'patient.shred', resourceType: 'Patient', resourceId: req.patientId,
        patientId: req.patientId, segment: 'keys',
        labels: [], purpose: 'system', outcome: 'success', reason: req.reason,
        // The retention end is not kept: it is a birth, death or visit date moved by a fixed term.
        detail: { actor: req.actor, forced: running },
      },
    ]);
    // The key row goes with the transaction: shredded and keyless together, or neither.
    await deletePatientKey(tx, req.practiceId, req.patientId);
    // The clinical types' search beacons go too (their bodies are sealed under the key just deleted).
    await tx.enter({ role: 'clinical', practiceId: req.practiceId });
    await clearClinicalBeacons(tx, req.practiceId, req.patientId);
    return { retentionEnds: ends, forced: running };
  });
  vault.keyAdministration().forgetPatient(req.practiceId, req.patientId);
  // Then backups: the epoch closes (resumed by the next start or shred if this one is interrupted).
  const epoch = await closePatientKeyEpoch(
    db, vault, req.practiceId, { ...epochOptions, now: () => req.now, fresh: true },
  );
  return { ...done, epoch };
}
