import { CONTAIN_ACTIONS } from '../incident/index.js';

/** What the incident routes accept: JSON Schemas Fastify checks before a handler runs (a 400 otherwise). */

const strings = (max: number) =>
  ({ type: 'array', maxItems: max, items: { type: 'string', minLength: 1, maxLength: 200 } }) as const;
const lang = { type: 'string', enum: ['fr', 'en'] } as const;
const uuid = { type: 'string', format: 'uuid' } as const;

/** The documents an incident gives, by kind. */
export const DOCUMENT_KINDS = ['art33', 'art34', 'record', 'practitioners'] as const;

/** POST /security/incidents: the scope's query. */
export const incidentBody = {
  type: 'object', additionalProperties: false,
  properties: {
    kind: { type: 'string', enum: ['account-abuse', 'database-copy'] },
    accounts: strings(1000), sessions: strings(1000), addresses: strings(1000),
    from: { type: 'string', maxLength: 40 }, to: { type: 'string', maxLength: 40 },
    tables: strings(10), keysCompromised: { type: 'boolean' }, countCare: { type: 'boolean' }, lang,
  },
} as const;

export const idParams = {
  type: 'object', required: ['id'], additionalProperties: false, properties: { id: uuid },
} as const;

/** GET /security/incidents/{id}/documents/{kind}?format=&lang= */
export const documentParams = {
  type: 'object', required: ['id', 'kind'], additionalProperties: false,
  properties: { id: uuid, kind: { type: 'string', enum: [...DOCUMENT_KINDS] } },
} as const;
export const documentQuery = {
  type: 'object', additionalProperties: false,
  properties: { format: { type: 'string', enum: ['json', 'pdf', 'csv'] }, lang },
} as const;

/** POST /security/incidents/{id}/actions: one to three containment steps. */
export const containBody = {
  type: 'object', required: ['actions'], additionalProperties: false,
  properties: {
    actions: {
      type: 'array', minItems: 1, maxItems: 3, uniqueItems: true, items: { type: 'string', enum: [...CONTAIN_ACTIONS] },
    },
  },
} as const;

/** POST /security/incidents/{id}/timeline: a step the officer records. */
export const timelineBody = {
  type: 'object', required: ['event'], additionalProperties: false,
  properties: {
    event: { type: 'string', maxLength: 40 }, at: { type: 'string', maxLength: 40 },
    note: { type: 'string', maxLength: 2000 },
  },
} as const;

/** POST /security/incidents/{id}/notify-patients */
export const notifyBody = {
  type: 'object', additionalProperties: false, properties: { lang, again: { type: 'boolean' } },
} as const;
