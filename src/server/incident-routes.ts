import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AccessError } from '../access/errors.js';
import { decide } from '../access/index.js';
import {
  actorOf, CONTAIN_ACTIONS, IncidentError, type ContainAction, type DocumentFormat, type DocumentKind, type IncidentRequest,
} from '../incident/index.js';
import { principalOf } from './context.js';
import type { Services } from './services.js';

const NO_FACTS = { careRelationship: false, breakGlass: false, freshAuthentication: false };

/**
 * /security/incidents: the officer scopes an incident, contains it, downloads its documents, and a
 * second officer approves the notices that name patients (CONTRACTS.md).
 */
export function incidentRoutes(app: FastifyInstance, services: () => Services): void {
  const officer = (req: FastifyRequest, action: 'read' | 'create') => {
    const p = principalOf(req);
    if (!decide(p, action, { type: 'Incident', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
    return actorOf(p, req.ip);
  };
  const strings = (max: number) => ({ type: 'array', maxItems: max, items: { type: 'string', minLength: 1, maxLength: 200 } }) as const;
  const incidentBody = {
    type: 'object', additionalProperties: false,
    properties: {
      kind: { type: 'string', enum: ['account-abuse', 'database-copy'] },
      accounts: strings(1000), sessions: strings(1000), addresses: strings(1000),
      from: { type: 'string', maxLength: 40 }, to: { type: 'string', maxLength: 40 },
      tables: strings(10), keysCompromised: { type: 'boolean' }, countCare: { type: 'boolean' }, lang: { type: 'string', enum: ['fr', 'en'] },
    },
  } as const;
  const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', format: 'uuid' } } } as const;
  const documentsOf = (id: string) => Object.fromEntries((['art33', 'art34', 'record', 'practitioners'] as const).map((k) => [k, `/security/incidents/${id}/documents/${k}`]));

  app.post<{ Body: IncidentRequest }>('/security/incidents', { config: { access: 'authenticated' }, schema: { body: incidentBody } }, async (req, reply) => {
    const a = officer(req, 'create');
    const i = await services().incidents.create(a, req.body ?? {});
    const s = i.scope;
    const names = await services().incidents.practices(i.summary.byPractice.map((p) => p.practiceId));
    return reply.code(201).send({
      id: i.id, kind: i.kind, createdAt: i.createdAt,
      patients: s.kind === 'account-abuse' ? s.patients : [],
      notes: s.kind === 'account-abuse' ? s.notes : [],
      categories: i.summary.categories, labels: i.summary.labels, summary: i.summary,
      byPractice: i.summary.byPractice.map((p) => ({ ...p, name: names.get(p.practiceId)?.name ?? null })),
      ...(s.kind === 'account-abuse' ? { accounts: s.accounts, care: s.care, disclosures: s.disclosures, modified: s.modified, denied: s.denied } : { tables: s.byTable, plaintext: s.plaintext }),
      art34: i.art34, timeline: i.timeline, documents: documentsOf(i.id),
    });
  });

  app.get('/security/incidents', { config: { access: 'authenticated' } }, async (req) => {
    officer(req, 'read');
    return { incidents: await services().incidents.list() };
  });

  app.get<{ Params: { id: string } }>('/security/incidents/:id', { config: { access: 'authenticated' }, schema: { params: idParams } }, async (req) => {
    officer(req, 'read');
    const i = await services().incidents.get(req.params.id);
    if (!i) throw new IncidentError('not_found', 'no such incident');
    // The practices by name, as the scope's answer gives them (the console's incident screen).
    const names = await services().incidents.practices(i.summary.byPractice.map((p) => p.practiceId));
    const byPractice = i.summary.byPractice.map((p) => ({ ...p, name: names.get(p.practiceId)?.name ?? null }));
    return { ...i, byPractice, documents: documentsOf(i.id) };
  });

  app.get<{ Params: { id: string; kind: DocumentKind }; Querystring: { format?: DocumentFormat; lang?: 'fr' | 'en' } }>('/security/incidents/:id/documents/:kind', {
    config: { access: 'authenticated' },
    schema: {
      params: { type: 'object', required: ['id', 'kind'], additionalProperties: false, properties: { id: { type: 'string', format: 'uuid' }, kind: { type: 'string', enum: ['art33', 'art34', 'record', 'practitioners'] } } },
      querystring: { type: 'object', additionalProperties: false, properties: { format: { type: 'string', enum: ['json', 'pdf', 'csv'] }, lang: { type: 'string', enum: ['fr', 'en'] } } },
    },
  }, async (req, reply) => {
    const a = officer(req, 'read');
    const d = await services().incidents.document(a, req.params.id, req.params.kind, req.query.format, req.query.lang ?? 'fr');
    reply.header('content-disposition', `attachment; filename="${d.filename}"`).header('cache-control', 'no-store').type(d.contentType);
    return reply.send(d.body);
  });

  app.post<{ Params: { id: string }; Body: { actions: ContainAction[] } }>('/security/incidents/:id/actions', {
    config: { access: 'authenticated' },
    schema: { params: idParams, body: { type: 'object', required: ['actions'], additionalProperties: false, properties: { actions: { type: 'array', minItems: 1, maxItems: 3, uniqueItems: true, items: { type: 'string', enum: [...CONTAIN_ACTIONS] } } } } },
  }, async (req) => {
    const p = principalOf(req);
    if (!decide(p, 'lock-accounts', { type: 'Account', practiceId: null }, NO_FACTS).allow) throw new AccessError('forbidden');
    return services().incidents.contain(actorOf(p, req.ip), req.params.id, req.body.actions);
  });

  app.post<{ Params: { id: string } }>('/security/incidents/:id/approve-notices', { config: { access: 'authenticated' }, schema: { params: idParams } }, async (req, reply) => {
    const a = officer(req, 'create');
    return reply.code(201).send(await services().incidents.approveNotices(a, req.params.id));
  });

  app.post<{ Params: { id: string }; Body: { event: string; at?: string; note?: string } }>('/security/incidents/:id/timeline', {
    config: { access: 'authenticated' },
    schema: { params: idParams, body: { type: 'object', required: ['event'], additionalProperties: false, properties: { event: { type: 'string', maxLength: 40 }, at: { type: 'string', maxLength: 40 }, note: { type: 'string', maxLength: 2000 } } } },
  }, async (req, reply) => {
    const a = officer(req, 'create');
    return reply.code(201).send(await services().incidents.addTimeline(a, req.params.id, req.body.event, req.body.at, req.body.note));
  });

  app.post<{ Params: { id: string }; Body: { lang?: 'fr' | 'en'; again?: boolean } }>('/security/incidents/:id/notify-patients', {
    config: { access: 'authenticated' },
    schema: { params: idParams, body: { type: 'object', additionalProperties: false, properties: { lang: { type: 'string', enum: ['fr', 'en'] }, again: { type: 'boolean' } } } },
  }, async (req) => {
    const a = officer(req, 'create');
    return services().incidents.notifyPatients(a, req.params.id, req.body?.lang ?? 'fr', req.body?.again === true);
  });
}
