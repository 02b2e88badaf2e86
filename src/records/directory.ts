import { decide, type Principal } from '../access/index.js';
import { AccessError } from '../access/errors.js';
import type { Practice, User } from '../domain/index.js';
import { AdminRepository, appendAuditEvents, SecurityViews, type Database } from '../store/index.js';
import type { Vault } from '../vault/index.js';
import { toFhirAuditEvent, type AuditRecord } from '../fhir/resources.js';
import { RecordError } from './errors.js';
import { randomUUID } from 'node:crypto';

const NO_FACTS = { careRelationship: false, breakGlass: false, freshAuthentication: false };

/** The practice's professionals and the practice itself (no patient data: not audited). */
export async function practitioners(db: Database, vault: Vault, p: Principal): Promise<User[]> {
  const d = decide(p, 'search', { type: 'Practitioner', practiceId: p.practiceId }, NO_FACTS);
  if (!d.allow || p.practiceId === null) throw new AccessError('forbidden');
  const practiceId = p.practiceId;
  return db.transaction({ role: 'admin', practiceId }, (tx) => new AdminRepository(tx, vault.admin(practiceId)).users('practitioner'));
}

export async function practice(db: Database, vault: Vault, p: Principal): Promise<Practice> {
  const d = decide(p, 'read', { type: 'Organization', practiceId: p.practiceId }, NO_FACTS);
  if (!d.allow || p.practiceId === null) throw new AccessError('forbidden');
  const practiceId = p.practiceId;
  const found = await db.transaction({ role: 'admin', practiceId }, (tx) => new AdminRepository(tx, vault.admin(practiceId)).practice());
  if (!found) throw new RecordError('not_found');
  return found;
}

export interface AuditQuery {
  readonly patientId?: string;
  readonly agentId?: string;
  readonly from?: Date;
  readonly to?: Date;
  readonly limit: number;
  readonly offset: number;
}

/**
 * Access history as FHIR AuditEvents. Security officers search the whole log; a patient sees
 * who opened their own record, when and why (L1111-19) — professionals by name and role, never
 * other patients, never network addresses. Reading the log is itself audited.
 */
export async function auditHistory(
  db: Database, p: Principal, q: AuditQuery, now: Date, ip: string | null,
): Promise<{ items: Record<string, unknown>[]; more: boolean }> {
  const d = decide(p, 'search', { type: 'AuditEvent', practiceId: p.practiceId, patientId: p.role === 'patient' ? p.patientId : (q.patientId ?? null) }, NO_FACTS);
  if (!d.allow) throw new AccessError('forbidden');
  const patientView = p.role === 'patient';
  const patientId = patientView ? (p.patientId as string) : q.patientId;
  const scope = patientView ? { role: 'securityReader' as const, practiceId: p.practiceId } : { role: 'securityReader' as const, practiceId: null, platform: true };
  return db.transaction(scope, async (tx) => {
    const rows = await new SecurityViews(tx).events({
      patientId: patientId ?? null, agentId: q.agentId ?? null, from: q.from ?? null, to: q.to ?? null, patientView, limit: q.limit, offset: q.offset,
    });
    const events = rows.slice(0, q.limit).map((x) => {
      const rec: AuditRecord = {
        id: x.id as string, at: new Date(x.at as Date), userId: x.user_id as string | null, role: x.role as string | null,
        userName: x.family_name ? `${x.given_name as string} ${x.family_name as string}` : null, sourceIp: x.source_ip as string | null,
        action: x.action as string, resourceType: x.resource_type as string | null, resourceId: x.resource_id as string | null,
        patientId: x.patient_id as string | null, purpose: x.purpose as string | null, outcome: x.outcome as string,
        // The patient reads the reason a professional stated for an emergency access to her record
        // (break-the-glass), not the policy's reasons for the others.
        reason: patientView && x.action !== 'break-glass' ? null : (x.reason as string | null),
        labels: patientView ? [] : (x.labels as string[]),
      };
      return toFhirAuditEvent(rec, { withNetwork: !patientView });
    });
    await appendAuditEvents(tx, [
      {
        id: randomUUID(), at: now, practiceId: p.practiceId, userId: p.userId, role: p.role, sessionId: p.sessionId,
        sourceIp: ip,
        action: 'search', resourceType: 'AuditEvent', resourceId: null, patientId: patientId ?? null, segment: 'audit', labels: [],
        purpose: d.allow ? d.purpose : null, outcome: 'success', reason: d.allow ? d.reason : null, detail: { count: events.length },
      },
    ]);
    return { items: events, more: rows.length > q.limit };
  });
}
