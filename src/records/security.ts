import { randomUUID } from 'node:crypto';
import { AccessError } from '../access/errors.js';
import { decide, type Principal } from '../access/index.js';
import { appendAuditEvents, SecurityViews, type Database } from '../store/index.js';
import { explain } from '../detect/index.js';

const NO_FACTS = { careRelationship: false, breakGlass: false, freshAuthentication: false };

export interface AlertView {
  readonly id: string;
  readonly at: string;
  readonly userId: string;
  readonly username: string | null;
  readonly practiceId: string | null;
  readonly severity: string;
  readonly action: string;
  readonly reasons: string[];
  /** The same reasons in French, as the person refused was told them (detect/explain.ts). */
  readonly explanations: string[];
  readonly evidence: Record<string, unknown>[];
}

const SEVERITY: Record<string, string> = { alert: 'medium', 'step-up': 'medium', throttle: 'high', suspend: 'high', lock: 'critical' };

/**
 * The security officer's alert list, decided and audited like any other read (the
 * security officer is watched too). Alerts' evidence names patients by id only; the audit event
 * records which ones the response carried, in the transaction of the read.
 */
export async function readAlerts(db: Database, p: Principal, now: Date, ip: string | null): Promise<AlertView[]> {
  const d = decide(p, 'read', { type: 'Alert', practiceId: null }, NO_FACTS);
  if (!d.allow) throw new AccessError('forbidden');
  return db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
    const rows = await new SecurityViews(tx).alerts(500);
    const alerts = rows.map((a) => ({
      id: a.id, at: new Date(a.at).toISOString(), userId: a.user_id, username: a.username, practiceId: a.practice_id,
      severity: SEVERITY[a.response] ?? 'medium', action: a.response,
      reasons: a.findings.map((f) => f.reason), explanations: a.findings.map((f) => explain(f)), evidence: a.findings.map((f) => ({ rule: f.rule, ...f.evidence })),
    }));
    const ids = [...new Set(rows.flatMap((a) => a.findings.flatMap((f) => f.evidence.examples ?? [])))];
    await appendAuditEvents(tx, [{
      id: randomUUID(), at: now, practiceId: null, userId: p.userId, role: p.role, sessionId: p.sessionId, sourceIp: ip, action: 'search', resourceType: 'Alert',
      resourceId: null, patientId: null, segment: 'security', labels: [], purpose: 'security', outcome: 'success', reason: d.allow ? d.reason : '',
      detail: { alerts: alerts.length, returned: ids },
    }]);
    return alerts;
  });
}
