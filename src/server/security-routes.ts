import type { FastifyInstance, FastifyReply } from 'fastify';
import { AccessError } from '../access/errors.js';
import { decide } from '../access/index.js';
import { IncidentError } from '../incident/index.js';
import { explain, type Finding } from '../detect/index.js';
import { readAlerts } from '../records/index.js';
import { SecurityViews } from '../store/index.js';
import { principalOf, requestMeta } from './context.js';
import { incidentRoutes } from './incident-routes.js';
import type { Services } from './services.js';

const NO_FACTS = { careRelationship: false, breakGlass: false, freshAuthentication: false };
/** POST /security/waves/end: the practice whose wave ends, or null for the platform's. */
const waveEndBody = {
  type: 'object', additionalProperties: false, required: ['practiceId'],
  properties: { practiceId: { type: ['string', 'null'], format: 'uuid' } },
} as const;

/** A 404 OperationOutcome with this text (no patient data). */
function notFound(reply: FastifyReply, text: string): FastifyReply {
  return reply.code(404).type('application/fhir+json').send({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: text }] });
}

/** An account as the console weighs it: contained (locked, or held by the detector) and the unlocks asked. */
interface AccountStanding {
  readonly username: string;
  readonly role: string;
  readonly status: string;
  /** The detector's response in force (alert, step-up, throttle, suspend, lock…). */
  readonly state: string;
  readonly contained: boolean;
  /** The officers who asked to unlock it, in requests no unlock answered yet (within a day). */
  readonly unlockRequestedBy: string[];
}

const userParams = { type: 'object', required: ['userId'], additionalProperties: false, properties: { userId: { type: 'string', format: 'uuid' } } } as const;

/** /security: the security officers' API of CONTRACTS.md (alerts, unlock, incidents). */
export function securityRoutes(app: FastifyInstance, services: () => Services, clock: () => Date = () => new Date()): void {
  /**
   * Each account's standing, for the console to offer only the step that applies (lock an account
   * that is not locked, unlock one that is contained), with the unlocks asked and not yet confirmed.
   */
  const standings = async (userIds: readonly string[]): Promise<Map<string, AccountStanding>> => {
    const ids = [...new Set(userIds)];
    const asked = await services().detection.officer.unlockRequests(ids);
    const rows = await services().db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
      const views = new SecurityViews(tx);
      const out: [string, { username: string; role: string; status: string }][] = [];
      for (const id of ids) {
        const a = await views.account(id);
        if (a) out.push([id, a]);
      }
      return out;
    });
    const now = clock();
    return new Map(rows.map(([id, a]) => {
      const state = services().detection.detector.state(id, now).response;
      const contained = a.status === 'locked' || state === 'suspend' || state === 'lock';
      return [id, { ...a, state, contained, unlockRequestedBy: asked.get(id) ?? [] }];
    }));
  };

  app.get('/security/alerts', { config: { access: 'authenticated' } }, async (req) => {
    const alerts = await readAlerts(services().db, principalOf(req), clock(), req.ip);
    const known = await standings(alerts.map((a) => a.userId));
    // The contract's fields, and the account's standing beside them (absent for an account gone).
    return { alerts: alerts.map((a) => ({ ...a, account: known.get(a.userId) ?? null })) };
  });

  /**
   * The unlocks that wait for a second officer, with who asked: of the accounts the detector holds,
   * those the latest alerts name and those the latest incidents contained (an unlock is asked of one).
   */
  app.get('/security/unlock-requests', { config: { access: 'authenticated' } }, async (req) => {
    const p = principalOf(req);
    if (!decide(p, 'read', { type: 'Incident', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
    const alerts = await readAlerts(services().db, p, clock(), req.ip);
    const incidents = (await services().incidents.list()).filter((i) => i.events.some((e) => e.event === 'contained'));
    const contained: string[] = [];
    for (const i of incidents.slice(0, 20)) contained.push(...((await services().incidents.get(i.id))?.query.userIds ?? []));
    const held = services().detection.detector.held();
    const known = await standings([...held, ...alerts.map((a) => a.userId), ...contained]);
    const requests = [...known].filter(([, s]) => s.unlockRequestedBy.length > 0)
      .map(([userId, s]) => ({ userId, ...s, mine: s.unlockRequestedBy.includes(p.userId) }));
    return { requests };
  });

  /**
   * The accounts that wait for a second person's approval, of every practice: a practice with one
   * admin has its new colleagues approved here. `mine`: this officer created the account or handed
   * out its link, and may not approve it.
   */
  app.get('/security/pending-accounts', { config: { access: 'authenticated' } }, async (req) => {
    const p = principalOf(req);
    const may = decide(p, 'lock-accounts', { type: 'Account', practiceId: null }, NO_FACTS);
    if (!may.allow) throw new AccessError('forbidden');
    const rows = await services().db.transaction({ role: 'securityReader', practiceId: null, platform: true },
      (tx) => new SecurityViews(tx).pendingAccounts());
    return {
      accounts: rows.map(({ createdBy, linkBy, createdAt, ...a }) => ({
        ...a, createdAt: createdAt.toISOString(), mine: createdBy === p.userId || linkBy === p.userId,
      })),
    };
  });

  app.post<{ Params: { userId: string } }>('/security/accounts/:userId/unlock', { config: { access: 'authenticated' }, schema: { params: userParams } }, async (req, reply) => {
    const p = principalOf(req);
    if (!decide(p, 'lock-accounts', { type: 'Account', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
    if (p.userId === req.params.userId) throw new AccessError('forbidden'); // nobody lifts their own containment
    const done = await services().detection.officer.unlock(p, req.params.userId);
    if (done === 'not-found') return notFound(reply, 'No such account.');
    if (done === 'asked-again') {
      return reply.code(202).send({
        status: 'pending', again: true,
        message: 'Vous avez déjà demandé ce déverrouillage : un second responsable sécurité, autre que vous, '
          + 'doit le confirmer depuis son compte. Le compte reste verrouillé.',
      });
    }
    // Four eyes: the first officer's call is recorded; a second officer's lifts the account.
    if (done === 'pending') {
      return reply.code(202).send({
        status: 'pending',
        message: 'Demande de déverrouillage enregistrée : un second responsable sécurité doit la confirmer.',
      });
    }
    return reply.code(204).send();
  });

  app.post<{ Params: { userId: string } }>('/security/accounts/:userId/approve', { config: { access: 'authenticated' }, schema: { params: userParams } }, async (req) =>
    services().accounts.approve(principalOf(req), req.params.userId),
  );

  app.get<{ Params: { userId: string } }>('/security/accounts/:userId/clients', { config: { access: 'authenticated' }, schema: { params: userParams } }, async (req) =>
    services().auth.clients(principalOf(req), req.params.userId),
  );

  app.post<{ Params: { userId: string }; Body: { client: string } }>(
    '/security/accounts/:userId/clients/approve',
    { config: { access: 'authenticated' }, schema: { params: userParams, body: { type: 'object', additionalProperties: false, required: ['client'], properties: { client: { type: 'string', minLength: 1, maxLength: 120 } } } } },
    async (req, reply) => {
      // Four eyes: the first officer's call is recorded; a second officer's approves.
      if ((await services().auth.approveClientAsOfficer(principalOf(req), req.params.userId, req.body.client, requestMeta(req))) === 'pending') {
        return reply.code(202).send({ status: 'pending', message: 'Demande d\'approbation enregistrée : un second responsable sécurité doit la confirmer.' });
      }
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { userId: string } }>('/security/accounts/:userId/lock', { config: { access: 'authenticated' }, schema: { params: userParams } }, async (req, reply) => {
    const p = principalOf(req);
    if (!decide(p, 'lock-accounts', { type: 'Account', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
    if (p.userId === req.params.userId) throw new AccessError('forbidden'); // an officer does not lock themselves out
    if (!(await services().detection.officer.lock(p, req.params.userId))) return reply.code(404).type('application/fhir+json').send({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'No such account.' }] });
    return reply.code(204).send();
  });

  /** One account's activity and alerts over the last two days (counts by hour; no patient). */
  app.get<{ Params: { userId: string } }>('/security/accounts/:userId/risk', { config: { access: 'authenticated' }, schema: { params: userParams } }, async (req) => {
    const p = principalOf(req);
    if (!decide(p, 'read', { type: 'Alert', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
    const since = new Date(clock().getTime() - 48 * 3_600_000);
    const view = await services().db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
      const views = new SecurityViews(tx);
      const account = await views.account(req.params.userId);
      if (!account) throw new IncidentError('not_found', 'no such account');
      const hours = await views.hoursOf(req.params.userId, since);
      const alerts = await views.alertsOf(req.params.userId, since);
      return {
        userId: req.params.userId, username: account.username, role: account.role, status: account.status,
        state: services().detection.detector.state(req.params.userId, clock()).response,
        hours: hours.map((h) => ({ hour: new Date(h.hour).toISOString(), accesses: h.accesses, patients: h.patients, refused: h.refused })),
        alerts: alerts.map((a) => ({
          at: new Date(a.at).toISOString(), action: a.response, reasons: a.findings.map((f) => f.reason),
          explanations: a.findings.map((f) => explain(f as Finding)),
        })),
      };
    });
    const standing = (await standings([req.params.userId])).get(req.params.userId);
    return { ...view, contained: standing?.contained ?? false, unlockRequestedBy: standing?.unlockRequestedBy ?? [] };
  });

  /** The waves under way: where, since when, which containments started them, whom they asked for a step-up. */
  app.get('/security/waves', { config: { access: 'authenticated' } }, async (req) => {
    const p = principalOf(req);
    if (!decide(p, 'read', { type: 'Alert', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
    return { waves: services().detection.officer.waves() };
  });

  /** An officer ends a wave (a practice's, or the platform's with practiceId null). Audited. */
  app.post<{ Body: { practiceId: string | null } }>(
    '/security/waves/end',
    { config: { access: 'authenticated' }, schema: { body: waveEndBody } },
    async (req, reply) => {
      const p = principalOf(req);
      if (!decide(p, 'lock-accounts', { type: 'Account', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
      if (!(await services().detection.officer.endWave(p, req.body.practiceId))) {
        return notFound(reply, 'Aucune vague en cours à cet endroit.');
      }
      return reply.code(204).send();
    },
  );

  /** The console's overview: accesses per hour (two days) and alerts per day (thirty days), counts only. */
  app.get('/security/overview', { config: { access: 'authenticated' } }, async (req) => {
    const p = principalOf(req);
    if (!decide(p, 'read', { type: 'Alert', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
    const now = clock().getTime();
    return services().db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
      const { hours, days } = await new SecurityViews(tx).overview(new Date(now - 48 * 3_600_000), new Date(now - 30 * 86_400_000));
      return {
        hours: hours.map((h) => ({ hour: new Date(h.hour).toISOString(), accesses: h.accesses, refused: h.refused })),
        days: days.map((d) => ({ day: new Date(d.day).toISOString().slice(0, 10), alerts: d.alerts, contained: d.contained })),
      };
    });
  });

  app.get('/security/audit', { config: { access: 'authenticated' } }, async (req) => {
    const p = principalOf(req);
    if (!decide(p, 'read', { type: 'Alert', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
    const a = services().auditStatus;
    if (!a) throw new IncidentError('unprocessable', 'no audit signing key on this server');
    return a.status();
  });

  app.post('/security/audit/verify', { config: { access: 'authenticated' } }, async (req) => {
    const p = principalOf(req);
    if (!decide(p, 'read', { type: 'Alert', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
    const a = services().auditStatus;
    if (!a) throw new IncidentError('unprocessable', 'no audit signing key on this server');
    return a.verify();
  });

  incidentRoutes(app, services);
}
