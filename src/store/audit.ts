import type { Id, SensitivityLabel } from '../domain/index.js';
import type { Tx } from './database.js';
import { auditTime, chainHash, GENESIS } from '../audit/chain.js';
import { byteaText, insertMany } from './rows.js';

export type AuditSegment = 'admin' | 'clinical' | 'audit' | 'security' | 'auth' | 'keys';
export type AuditPurpose = 'care' | 'break-the-glass' | 'admin' | 'patient' | 'security' | 'system';
export type AuditOutcome = 'success' | 'denied' | 'error';

/** One access to record. Identifiers and categories only: never the data itself. */
export interface AuditEventInput {
  readonly id: Id;
  readonly at: Date;
  readonly practiceId: Id | null;
  readonly userId: Id | null;
  readonly role: string | null;
  readonly sessionId: string | null;
  readonly sourceIp: string | null;
  readonly action: string;
  readonly resourceType: string | null;
  readonly resourceId: string | null;
  readonly patientId: Id | null;
  readonly segment: AuditSegment | null;
  readonly labels: readonly SensitivityLabel[];
  readonly purpose: AuditPurpose | null;
  readonly outcome: AuditOutcome;
  readonly reason: string | null;
  readonly detail?: Record<string, unknown>;
}

const COLUMNS = [
  'id', 'at', 'practice_id', 'user_id', 'role', 'session_id', 'source_ip', 'action', 'resource_type', 'resource_id',
  'patient_id', 'segment', 'labels', 'purpose', 'outcome', 'reason', 'detail', 'prev_hash', 'hash',
];

/**
 * Appends audit events inside the caller's transaction, as the audit-writer role (which may
 * only INSERT), then returns the transaction to the scope it was in. If the insert fails, the
 * caller's transaction fails with it: no access commits without its audit row.
 */
export async function appendAuditEvents(tx: Tx, events: readonly AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const previous = tx.scope;
  // Take the chain's end (and its lock, held to commit: events chain in commit order).
  await tx.enter({ role: 'auditWriter', practiceId: null });
  const head = await tx.query<{ seq: number; hash: Buffer }>('SELECT seq, hash FROM meta.audit_head FOR UPDATE');
  let prev = head.rows[0]?.hash ?? GENESIS;
  // Rows are inserted one practice at a time (row-level security checks each against its
  // practice), but in chain order, so that sequence numbers follow the chain.
  let run: Record<string, unknown>[] = [];
  let runPractice: Id | null | undefined;
  const flush = async () => {
    if (run.length === 0) return;
    await tx.enter({ role: 'auditWriter', practiceId: runPractice ?? null });
    await insertMany(tx, 'audit.events', COLUMNS, run);
    run = [];
  };
  for (const input of events) {
    const e = { ...input, at: auditTime(input.at), detail: input.detail ?? null };
    const hash = chainHash(prev, e);
    if (runPractice !== e.practiceId) {
      await flush();
      runPractice = e.practiceId;
    }
    run.push({
      id: e.id, at: e.at.toISOString(), practice_id: e.practiceId, user_id: e.userId, role: e.role,
      session_id: e.sessionId, source_ip: e.sourceIp, action: e.action, resource_type: e.resourceType,
      resource_id: e.resourceId, patient_id: e.patientId, segment: e.segment, labels: e.labels, purpose: e.purpose,
      outcome: e.outcome, reason: e.reason, detail: e.detail, prev_hash: byteaText(prev), hash: byteaText(hash),
    });
    prev = hash;
  }
  await flush();
  await tx.enter({ role: 'auditWriter', practiceId: null });
  await tx.query('UPDATE meta.audit_head SET seq = seq + $1, hash = $2', [events.length, prev]);
  await tx.enter(previous);
}
