import type { FastifyInstance } from 'fastify';
import { RecordError } from '../records/index.js';
import { auth, idParams, type FhirKit, type Req } from './fhir-kit.js';

const uuid = { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } as const;
const time = { type: 'string', pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' } as const;
const instant = { type: 'string', format: 'date-time', maxLength: 40 } as const;

const visitTypes = {
  type: 'object', required: ['visitTypes'], additionalProperties: false,
  properties: {
    visitTypes: {
      type: 'array', maxItems: 40,
      items: {
        type: 'object', required: ['id', 'label', 'minutes', 'colour', 'kind'], additionalProperties: false,
        properties: {
          // Stored trimmed (1 to 60 characters): a label of spaces alone is none.
          id: uuid, label: { type: 'string', minLength: 1, maxLength: 60, pattern: '\\S' },
          minutes: { type: 'integer', minimum: 5, maximum: 240 }, colour: { type: 'string', pattern: '^#[0-9a-f]{6}$' },
          kind: { enum: ['consultation', 'home-visit', 'teleconsultation'] }, active: { type: 'boolean' },
        },
      },
    },
  },
} as const;

const hours = {
  type: 'object', required: ['practitionerId', 'hours'], additionalProperties: false,
  properties: {
    practitionerId: { anyOf: [uuid, { type: 'null' }] },
    hours: {
      type: 'array', maxItems: 28,
      items: {
        type: 'object', required: ['weekday', 'opens', 'closes'], additionalProperties: false,
        properties: { weekday: { type: 'integer', minimum: 1, maximum: 7 }, opens: time, closes: time },
      },
    },
  },
} as const;

const absence = {
  type: 'object', required: ['practitionerId', 'start', 'end'], additionalProperties: false,
  properties: { practitionerId: uuid, start: instant, end: instant },
} as const;

const range = {
  type: 'object', additionalProperties: false, properties: { from: instant, to: instant },
} as const;

const DAY = 86_400_000;

/**
 * The agenda's settings: visit types (name, length, colour), opening hours (the practice's, or a
 * practitioner's own) and absences. Read by the practice's staff, written by its admin (the policy:
 * `Schedule`). Bodies are checked by their JSON schemas (a 400 OperationOutcome names the field).
 */
export function agendaRoutes(app: FastifyInstance, kit: FhirKit): void {
  const { records } = kit;
  app.get('/agenda/settings', { config: auth, schema: { querystring: range } }, async (req: Req) => {
    const q = req.query as { from?: string; to?: string };
    const from = q.from ? new Date(q.from) : new Date(Date.now() - 7 * DAY);
    const to = q.to ? new Date(q.to) : new Date(from.getTime() + 62 * DAY);
    if (to <= from || to.getTime() - from.getTime() > 400 * DAY) {
      throw new RecordError('invalid', ['to must be after from, at most 400 days later']);
    }
    const s = await records(req).agendaSettings(from, to);
    return {
      visitTypes: s.visitTypes, hours: s.hours,
      absences: s.absences.map((a) => ({ ...a, start: a.start.toISOString(), end: a.end.toISOString() })),
    };
  });

  app.put('/agenda/visit-types', { config: auth, schema: { body: visitTypes } }, async (req: Req, reply) => {
    type Type = { id: string; label: string; minutes: number; colour: string; kind: 'consultation'; active?: boolean };
    const body = req.body as { visitTypes: Type[] };
    const ids = new Set(body.visitTypes.map((t) => t.id));
    if (ids.size !== body.visitTypes.length) throw new RecordError('invalid', ['visitTypes: each id once']);
    const types = body.visitTypes.map((t) => ({ ...t, label: t.label.trim(), active: t.active ?? true }));
    await records(req).saveVisitTypes(types);
    return reply.code(204).send();
  });

  app.put('/agenda/hours', { config: auth, schema: { body: hours } }, async (req: Req, reply) => {
    type Day = { weekday: number; opens: string; closes: string };
    const body = req.body as { practitionerId: string | null; hours: Day[] };
    if (body.hours.some((h) => h.closes <= h.opens)) throw new RecordError('invalid', ['hours: closes after opens']);
    await records(req).setOpeningHours(body.practitionerId, body.hours);
    return reply.code(204).send();
  });

  app.post('/agenda/absences', { config: auth, schema: { body: absence } }, async (req: Req, reply) => {
    const body = req.body as { practitionerId: string; start: string; end: string };
    const start = new Date(body.start);
    const end = new Date(body.end);
    if (Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) {
      throw new RecordError('invalid', ['end must be after start']);
    }
    const a = await records(req).addAbsence({ practitionerId: body.practitionerId, start, end });
    return reply.code(201).send({ ...a, start: a.start.toISOString(), end: a.end.toISOString() });
  });

  app.delete('/agenda/absences/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    await records(req).removeAbsence(req.params.id as string);
    return reply.code(204).send();
  });
}
