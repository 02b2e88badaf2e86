import type { Id, SensitivityLabel } from '../domain/index.js';
import type { Tx } from './database.js';
import { auditTime, eventMac } from '../audit/chain.js';
import { scopeStatement } from './database.js';
import { isAuditKind, type AuditKindInput } from '../audit/events.js';

export type AuditSegment = 'admin' | 'clinical' | 'audit' | 'security' | 'auth' | 'keys';
export type AuditPurpose = 'care' | 'break-the-glass' | 'admin' | 'patient' | 'security' | 'system';
export type AuditOutcome = 'success' | 'denied' | 'error';

/**
 * One access to record. Identifiers and categories only: never the data itself. Its resource type
 * and action are one of the kinds of the audit vocabulary (audit/events.ts), its detail that kind's.
 */
interface AuditCommon {
  readonly id: Id;
  readonly at: Date;
  readonly practiceId: Id | null;
  readonly userId: Id | null;
  readonly role: string | null;
  readonly sessionId: string | null;
  readonly sourceIp: string | null;
  readonly resourceId: string | null;
  readonly patientId: Id | null;
  readonly segment: AuditSegment | null;
  readonly labels: readonly SensitivityLabel[];
  readonly purpose: AuditPurpose | null;
  readonly outcome: AuditOutcome;
  readonly reason: string | null;
}

export type AuditEventInput = AuditCommon & AuditKindInput;

const COLUMNS = [
  'id', 'at', 'practice_id', 'user_id', 'role', 'session_id', 'source_ip', 'action', 'resource_type', 'resource_id',
  'patient_id', 'segment', 'labels', 'purpose', 'outcome', 'reason', 'detail', 'mac',
];

/**
 * Appends audit events inside the caller's transaction, as the audit-writer role (which may
 * only INSERT), then returns the transaction to the scope it was in. If the insert fails, the
 * caller's transaction fails with it: no access commits without its audit row.
 */
export async function appendAuditEvents(tx: Tx, events: readonly AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  // Fails closed: an event of no known kind would be read by no one (detection, incident scope,
  // the patient's history): it is a programming error, and the access fails with it.
  for (const e of events) {
    if (!isAuditKind(e.resourceType, e.action)) throw new Error('audit event of no known kind');
  }
  // Sent with the COMMIT (one round trip), as the audit-writer role inside each event's practice
  // (row-level security checks each row). If an insert fails, the transaction fails with it:
  // no access commits without its audit row. No lock: concurrent requests commit independently
  // and the chainer links their events afterwards (src/audit/chainer.ts).
  const byPractice = new Map<Id | null, Record<string, unknown>[]>();
  for (const input of events) {
    const e = { ...input, at: auditTime(input.at) };
    const canonicalDetail = e.detail === undefined ? null : JSON.parse(JSON.stringify(e.detail)) as unknown;
    const mac = tx.auditKey === null ? null : eventMac(tx.auditKey, { ...e, detail: canonicalDetail });
    const row = {
      id: e.id, at: e.at.toISOString(), practice_id: e.practiceId, user_id: e.userId, role: e.role,
      session_id: e.sessionId, source_ip: e.sourceIp, action: e.action, resource_type: e.resourceType,
      resource_id: e.resourceId, patient_id: e.patientId, segment: e.segment, labels: e.labels, purpose: e.purpose,
      outcome: e.outcome, reason: e.reason, detail: e.detail ?? null,
      // Authenticated as written: over the canonical form the chain will hash.
      mac: mac === null ? null : `\\x${mac.toString('hex')}`,
    };
    byPractice.set(e.practiceId, [...(byPractice.get(e.practiceId) ?? []), row]);
  }
  const cols = COLUMNS.join(', ');
  for (const [practiceId, rows] of byPractice) {
    // The JSON goes in a dollar-quoted literal; escaping every "$" as \u0024 keeps the quote closed.
    const json = JSON.stringify(rows).replace(/\$/g, '\\u0024');
    tx.atCommit(
      `${scopeStatement({ role: 'auditWriter', practiceId })}; ` +
        `INSERT INTO audit.events (${cols}) `
        + `SELECT ${cols} FROM json_populate_recordset(NULL::audit.events, $mvaudit$${json}$mvaudit$)`,
    );
  }
}
