import type { FastifyInstance } from 'fastify';
import { AccessError } from '../access/errors.js';
import { decide } from '../access/index.js';
import { principalOf } from './context.js';
import type { Services } from './services.js';

const NO_FACTS = { careRelationship: false, breakGlass: false, freshAuthentication: false };
const userParams = { type: 'object', required: ['userId'], additionalProperties: false, properties: { userId: { type: 'string', format: 'uuid' } } } as const;

/** /security: the security officers' API of CONTRACTS.md (alerts, unlock). */
export function securityRoutes(app: FastifyInstance, services: () => Services): void {
  app.get('/security/alerts', { config: { access: 'authenticated' } }, async (req) => {
    const p = principalOf(req);
    if (!decide(p, 'read', { type: 'Alert', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
    const r = await services().db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) =>
      tx.query<{ id: string; at: Date; user_id: string; username: string | null; response: string; findings: { rule: string; reason: string; evidence: unknown }[]; practice_id: string | null }>(
        `SELECT a.id, a.at, a.user_id, u.username, a.response, a.findings, a.practice_id
           FROM audit.alerts a LEFT JOIN admin.users u ON u.id = a.user_id ORDER BY a.at DESC LIMIT 500`,
      ),
    );
    const severity: Record<string, string> = { alert: 'medium', 'step-up': 'medium', throttle: 'high', suspend: 'high', lock: 'critical' };
    return {
      alerts: r.rows.map((a) => ({
        id: a.id, at: new Date(a.at).toISOString(), userId: a.user_id, username: a.username, practiceId: a.practice_id,
        severity: severity[a.response] ?? 'medium', action: a.response,
        reasons: a.findings.map((f) => f.reason), evidence: a.findings.map((f) => ({ rule: f.rule, ...(f.evidence as object) })),
      })),
    };
  });

  app.post<{ Params: { userId: string } }>('/security/accounts/:userId/unlock', { config: { access: 'authenticated' }, schema: { params: userParams } }, async (req, reply) => {
    const p = principalOf(req);
    if (!decide(p, 'lock-accounts', { type: 'Account', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
    if (!(await services().detection.unlock(p, req.params.userId))) return reply.code(404).type('application/fhir+json').send({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'No such account.' }] });
    return reply.code(204).send();
  });
}
