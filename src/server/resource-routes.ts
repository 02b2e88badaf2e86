import type { FastifyInstance, FastifyReply } from 'fastify';
import { isId, isSensitivityLabel, type SensitivityLabel } from '../domain/index.js';
import {
  fhirSchemaErrors, isSubsetted, SUBSETTED_WRITE, toFhirClinical, V3_ACT_CODE, V3_CONFIDENTIALITY,
} from '../fhir/index.js';
import type { OpenedResource, ResourceOrder, ResourceSearch } from '../records/resources.js';
import { RecordError, type Page } from '../records/index.js';
import {
  beaconValues, clinicalDate, REGISTRY, routeLists, tokenQuery, type Registry, type ResourceModule,
} from '../resources/index.js';
import {
  auth, dateParam, idParams, ifMatch, one, refId, resourceOf, type FhirKit, type Found, type Req,
} from './fhir-kit.js';
import { patched } from './json-patch.js';
import type { Services } from './services.js';

const versionParams = {
  type: 'object', required: ['id', 'vid'], additionalProperties: false,
  properties: { ...idParams.properties, vid: { type: 'string', pattern: '^[1-9][0-9]{0,8}$' } },
} as const;

/**
 * The sensitivity labels a client asserts in `meta.security` (HL7 v3 ActCode, as a note's
 * `securityLabel`): a problem written in words ("suivi VIH") has no code to derive its label from.
 * The confidentiality codes medvault writes itself (N, R) are its own, not the client's.
 */
function assertedLabels(meta: unknown): { labels: SensitivityLabel[]; problems: string[] } {
  const labels: SensitivityLabel[] = [];
  const problems: string[] = [];
  const security = (meta as { security?: unknown } | undefined)?.security;
  for (const c of Array.isArray(security) ? (security as { system?: unknown; code?: unknown }[]) : []) {
    if (c.system === V3_CONFIDENTIALITY) continue;
    if (c.system === V3_ACT_CODE && typeof c.code === 'string' && isSensitivityLabel(c.code)) labels.push(c.code);
    else problems.push('meta.security: only HL7 v3 ActCode sensitivity codes are accepted');
  }
  return { labels, problems };
}

/** A client's resource of a module's type, checked (schema, then the module), as the records write it. */
/**
 * A clinical resource's largest size, notes included: a problem, a result or a prescription line
 * is a few kilobytes (letters and scans are documents: DocumentReference). A flood of huge
 * resources would make a patient's whole record too large to export.
 */
const MAX_RESOURCE_BYTES = 64 * 1024;

function written(m: ResourceModule, resource: unknown, now: Date) {
  const sent = resourceOf({ body: resource }, m.type);
  if (isSubsetted(sent)) throw new RecordError('invalid', [SUBSETTED_WRITE]);
  if (Buffer.byteLength(JSON.stringify(sent)) > MAX_RESOURCE_BYTES) {
    const limit = `a ${m.type} holds at most 64 kB; letters and scans are documents (DocumentReference)`;
    throw new RecordError('invalid', [limit]);
  }
  // A client that read a resource sends it back whole: its id and meta (version, dates, the labels
  // medvault wrote) and the author elements medvault sets are dropped, not refused; medvault sets
  // them again, to the account that writes. Labels the client adds in meta.security are kept.
  const authored = new Set(['id', 'meta', ...Object.keys(m.author({ reference: 'Practitioner/x' }))]);
  const body = Object.fromEntries(Object.entries(sent).filter(([k]) => !authored.has(k)));
  const schema = fhirSchemaErrors(sent);
  if (schema.length > 0) throw new RecordError('invalid', schema);
  const checked = m.check(body, now);
  const asserted = assertedLabels(sent.meta);
  const problems = [...checked.problems, ...asserted.problems];
  if (problems.length > 0 || checked.patientId === null) throw new RecordError('invalid', problems);
  const tokens = beaconValues(m, body);
  const labels: SensitivityLabel[] = [...new Set([...m.labels(body), ...asserted.labels])];
  return { patientId: checked.patientId, body, effectiveAt: clinicalDate(body, m.date), tokens, labels };
}

/** The parameters every resource has: `_id` (ids, ORed) and `_lastUpdated` (a date range, prefixes as `date`). */
/** FHIR `_sort` values a clinical search takes: its clinical date or its last update, either way. */
const SORTS: Record<string, ResourceOrder> = {
  'date': 'date-asc', '-date': 'date-desc', '_lastUpdated': 'updated-asc', '-_lastUpdated': 'updated-desc',
};

/** What every clinical search takes besides its type's own parameters. */
type CommonSearch = Pick<ResourceSearch, 'ids' | 'updatedFrom' | 'updatedTo' | 'order'>;

function common(q: Record<string, string | string[]>): CommonSearch {
  const out: { ids?: string[]; updatedFrom?: Date; updatedTo?: Date; order?: ResourceOrder } = {};
  const sort = one(q, '_sort');
  if (sort !== undefined) {
    const order = Object.hasOwn(SORTS, sort.trim()) ? SORTS[sort.trim()] : undefined;
    if (!order) throw new RecordError('invalid', ['_sort: date, -date, _lastUpdated or -_lastUpdated']);
    out.order = order;
  }
  const id = one(q, '_id');
  if (id !== undefined) {
    const ids = id.split(',').map((x) => x.trim());
    if (ids.length > 50 || !ids.every(isId)) throw new RecordError('invalid', ['_id: 1 to 50 resource ids']);
    out.ids = ids;
  }
  const updated = dateParam(q, '_lastUpdated', { ne: false });
  if (updated?.from) out.updatedFrom = updated.from;
  if (updated?.to) out.updatedTo = updated.to;
  return out;
}

/** A page of the records as a search answers it: FHIR resources, and the ledger's cut if it cut the page. */
function found(page: Page<OpenedResource>): Found {
  return { items: page.items.map(toFhirClinical), more: page.more, ...(page.cut ? { cut: true, why: page.why } : {}) };
}

/**
 * The FHIR routes of every type in the registry (src/resources/), made from its modules: read,
 * vread, history, search in one patient's compartment (`patient` is required: a clinical search
 * across patients is the sweep the vault exists to stop), create, and update with If-Match.
 */
export function resourceRoutes(
  app: FastifyInstance, _services: () => Services, clock: () => Date, kit: FhirKit, registry: Registry = REGISTRY,
): void {
  const { records, send, base, paged } = kit;
  const out = (reply: FastifyReply, r: OpenedResource, status = 200) => {
    const headed = reply.header('etag', `W/"${r.version}"`).header('last-modified', r.writtenAt.toUTCString());
    return send(headed, toFhirClinical(r), status);
  };

  for (const { type, interactions, search } of routeLists(registry)) {
    const m = registry.module(type) as ResourceModule;
    const has = (i: string) => interactions.includes(i as never);

    if (has('read')) {
      app.get(`/fhir/${type}/:id`, { config: auth, schema: { params: idParams } }, async (req: Req, reply) =>
        out(reply, await records(req).readResource(type, req.params.id as string)));
    }
    if (has('vread')) {
      const vread = async (req: Req, reply: FastifyReply) =>
        out(reply, await records(req).readResource(type, req.params.id as string, Number(req.params.vid)));
      app.get(`/fhir/${type}/:id/_history/:vid`, { config: auth, schema: { params: versionParams } }, vread);
    }
    if (has('history-instance')) {
      app.get(`/fhir/${type}/:id/_history`, { config: auth, schema: { params: idParams } }, async (req: Req, reply) =>
        paged(req, reply, `${type}/${req.params.id as string}/_history`, [], async (_q, offset, limit) => {
          const page = await records(req).resourceHistory(type, req.params.id as string, { offset, limit });
          return found(page);
        }));
    }
    if (has('search-type')) {
      const run = (req: Req, reply: FastifyReply) =>
        paged(req, reply, type, search.filter((s) => s !== '_count'), async (q, offset, limit) => {
          const patientId = refId(one(q, 'patient'), 'Patient');
          if (!patientId) {
            throw new RecordError('invalid', [`patient is required: a ${type} search reads one patient's record`]);
          }
          const tokens: string[][] = [];
          let range: { from?: Date; to?: Date } = {};
          for (const p of m.search) {
            if (p.index === 'date') {
              const c = dateParam(q, p.name, { ne: false });
              if (c) range = { ...(c.from ? { from: c.from } : {}), ...(c.to ? { to: c.to } : {}) };
              continue;
            }
            const v = one(q, p.name);
            if (v === undefined) continue;
            const values = v.split(',').map((x) => x.trim()).filter((x) => x !== '' && x.length <= 200);
            if (values.length === 0 || values.length > 20) {
              throw new RecordError('invalid', [`${p.name}: 1 to 20 values`]);
            }
            tokens.push(values.map((x) => tokenQuery(p.name, x)));
          }
          const query = { patientId, tokens, ...range, ...common(q), limit, offset };
          const page = await records(req).searchResources(type, query);
          return found(page);
        });
      app.get(`/fhir/${type}`, { config: auth }, run);
      app.post(`/fhir/${type}/_search`, { config: auth }, run);
    }
    if (has('create')) {
      app.post(`/fhir/${type}`, { config: auth }, async (req: Req, reply) => {
        if (resourceOf(req, type).id !== undefined) {
          throw new RecordError('invalid', [`${type}.id is assigned by the server`]);
        }
        const r = await records(req).writeResource(type, written(m, req.body, clock()));
        reply.header('location', `${base(req)}/${type}/${r.id}/_history/${r.version}`);
        return out(reply, r, 201);
      });
    }
    if (has('update')) {
      app.put(`/fhir/${type}/:id`, { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
        if (resourceOf(req, type).id !== req.params.id) {
          throw new RecordError('invalid', [`${type}.id must match the URL`]);
        }
        const expected = ifMatch(req.headers['if-match']);
        const update = { id: req.params.id as string, expected };
        return out(reply, await records(req).writeResource(type, written(m, req.body, clock()), update));
      });
      // JSON Patch: the current version read (audited, counted), patched, and written as its next
      // version; a version written meanwhile is a 412, as an If-Match naming another one is.
      app.patch(`/fhir/${type}/:id`, { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
        const id = req.params.id as string;
        const current = await records(req).readResource(type, id);
        const expected = ifMatch(req.headers['if-match']);
        if (expected !== null && expected !== current.version) throw new RecordError('version_conflict');
        const body = patched(toFhirClinical(current), req.body);
        const write = written(m, body, clock());
        return out(reply, await records(req).writeResource(type, write, { id, expected: current.version }));
      });
    }
  }
}
