import type { Id, SensitivityLabel } from '../domain/index.js';
import type { Tx } from './database.js';
import { auditTime } from '../audit/chain.js';
import { insertMany } from './rows.js';

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
  'patient_id', 'segment', 'labels', 'purpose', 'outcome', 'reason', 'detail',
];

/**
 * Appends audit events inside the caller's transaction, as the audit-writer role (which may
 * only INSERT), then returns the transaction to the scope it was in. If the insert fails, the
 * caller's transaction fails with it: no access commits without its audit row.
 */
export async function appendAuditEvents(tx: Tx, events: readonly AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const previous = tx.scope;
  // One insert per practice (row-level security checks each row against its practice). No lock:
  // concurrent requests commit independently and PostgreSQL shares their fsyncs; the chainer
  // links the committed events into the hash chain right after (src/audit/chainer.ts).
  const byPractice = new Map<Id | null, Record<string, unknown>[]>();
  for (const input of events) {
    const e = { ...input, at: auditTime(input.at) };
    const row = {
      id: e.id, at: e.at.toISOString(), practice_id: e.practiceId, user_id: e.userId, role: e.role,
      session_id: e.sessionId, source_ip: e.sourceIp, action: e.action, resource_type: e.resourceType,
      resource_id: e.resourceId, patient_id: e.patientId, segment: e.segment, labels: e.labels, purpose: e.purpose,
      outcome: e.outcome, reason: e.reason, detail: e.detail ?? null,
    };
    byPractice.set(e.practiceId, [...(byPractice.get(e.practiceId) ?? []), row]);
  }
  for (const [practiceId, rows] of byPractice) {
    await tx.enter({ role: 'auditWriter', practiceId });
    await insertMany(tx, 'audit.events', COLUMNS, rows);
  }
  await tx.enter(previous);
}
