import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AccessError } from '../access/errors.js';
import { decide } from '../access/index.js';
import {
  actorOf, IncidentError, type ContainAction, type DocumentFormat, type DocumentKind, type Incident,
  type IncidentRequest,
} from '../incident/index.js';
import { principalOf } from './context.js';
import {
  containBody, DOCUMENT_KINDS, documentParams, documentQuery, idParams, incidentBody, notifyBody, timelineBody,
} from './incident-schemas.js';
import type { Services } from './services.js';

const NO_FACTS = { careRelationship: false, breakGlass: false, freshAuthentication: false };

/**
 * /security/incidents: the officer scopes an incident, contains it, downloads its documents, and a
 * second officer approves the notices that name patients (CONTRACTS.md).
 */
export function incidentRoutes(app: FastifyInstance, services: () => Services): void {
  const auth = { access: 'authenticated' } as const;
  const officer = (req: FastifyRequest, action: 'read' | 'create') => {
    const p = principalOf(req);
    if (!decide(p, action, { type: 'Incident', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
    return actorOf(p, req.ip);
  };
  const documentsOf = (id: string) =>
    Object.fromEntries(DOCUMENT_KINDS.map((k) => [k, `/security/incidents/${id}/documents/${k}`]));
  /** The scope's practices with their names, as the console's incident screen shows them. */
  const byPracticeOf = async (i: Incident) => {
    const names = await services().incidents.practices(i.summary.byPractice.map((p) => p.practiceId));
    return i.summary.byPractice.map((p) => ({ ...p, name: names.get(p.practiceId)?.name ?? null }));
  };

  app.post<{ Body: IncidentRequest }>('/security/incidents', { config: auth, schema: { body: incidentBody } },
    async (req, reply) => {
      const a = officer(req, 'create');
      const i = await services().incidents.create(a, req.body ?? {});
      const s = i.scope;
      const abuse = s.kind === 'account-abuse';
      return reply.code(201).send({
        id: i.id, kind: i.kind, createdAt: i.createdAt,
        patients: abuse ? s.patients : [], notes: abuse ? s.notes : [],
        categories: i.summary.categories, labels: i.summary.labels, summary: i.summary,
        byPractice: await byPracticeOf(i),
        ...(abuse
          ? { accounts: s.accounts, care: s.care, disclosures: s.disclosures, modified: s.modified, denied: s.denied }
          : { tables: s.byTable, plaintext: s.plaintext }),
        art34: i.art34, timeline: i.timeline, documents: documentsOf(i.id),
      });
    });

  app.get('/security/incidents', { config: auth }, async (req) => {
    officer(req, 'read');
    return { incidents: await services().incidents.list() };
  });

  app.get<{ Params: { id: string } }>('/security/incidents/:id', { config: auth, schema: { params: idParams } },
    async (req) => {
      officer(req, 'read');
      const i = await services().incidents.get(req.params.id);
      if (!i) throw new IncidentError('not_found', 'no such incident');
      return { ...i, byPractice: await byPracticeOf(i), documents: documentsOf(i.id) };
    });

  type DocumentRequest = {
    Params: { id: string; kind: DocumentKind }; Querystring: { format?: DocumentFormat; lang?: 'fr' | 'en' };
  };
  app.get<DocumentRequest>('/security/incidents/:id/documents/:kind', {
    config: auth, schema: { params: documentParams, querystring: documentQuery },
  }, async (req, reply) => {
    const a = officer(req, 'read');
    const { id, kind } = req.params;
    const d = await services().incidents.document(a, id, kind, req.query.format, req.query.lang ?? 'fr');
    reply.header('content-disposition', `attachment; filename="${d.filename}"`).header('cache-control', 'no-store');
    return reply.type(d.contentType).send(d.body);
  });

  app.post<{ Params: { id: string }; Body: { actions: ContainAction[] } }>('/security/incidents/:id/actions', {
    config: auth, schema: { params: idParams, body: containBody },
  }, async (req) => {
    const p = principalOf(req);
    const may = decide(p, 'lock-accounts', { type: 'Account', practiceId: null }, NO_FACTS);
    if (!may.allow) throw new AccessError('forbidden');
    return services().incidents.contain(actorOf(p, req.ip), req.params.id, req.body.actions);
  });

  app.post<{ Params: { id: string } }>('/security/incidents/:id/approve-notices', {
    config: auth, schema: { params: idParams },
  }, async (req, reply) => {
    const a = officer(req, 'create');
    return reply.code(201).send(await services().incidents.approveNotices(a, req.params.id));
  });

  type TimelineRequest = { Params: { id: string }; Body: { event: string; at?: string; note?: string } };
  app.post<TimelineRequest>('/security/incidents/:id/timeline', {
    config: auth, schema: { params: idParams, body: timelineBody },
  }, async (req, reply) => {
    const a = officer(req, 'create');
    const { event, at, note } = req.body;
    return reply.code(201).send(await services().incidents.addTimeline(a, req.params.id, event, at, note));
  });

  type NotifyRequest = { Params: { id: string }; Body: { lang?: 'fr' | 'en'; again?: boolean } };
  app.post<NotifyRequest>('/security/incidents/:id/notify-patients', {
    config: auth, schema: { params: idParams, body: notifyBody },
  }, async (req) => {
    const a = officer(req, 'create');
    return services().incidents.notifyPatients(a, req.params.id, req.body?.lang ?? 'fr', req.body?.again === true);
  });
}
