import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  dateCondition, type DateCondition, DEFAULT_COUNT, MAX_COUNT, searchBundle, type SearchWarning, subset, subsetOf,
} from '../fhir/index.js';
import { clientFingerprint } from '../access/index.js';
import { isId } from '../domain/index.js';
import { RecordError, Records } from '../records/index.js';
import { principalOf } from './context.js';
import type { Services } from './services.js';

/**
 * What every FHIR route shares: parameters read one way (a repeated one is a 400, an unknown one
 * too), the body as a resource of the expected type, the per-request records bound to the
 * principal, and paged searches whose next pages are opaque cursors.
 */
export type Req = FastifyRequest<{
  Params: Record<string, string>; Querystring: Record<string, string | string[]>; Body: unknown;
}>;
export type Json = Record<string, unknown>;

export const FHIR_JSON = 'application/fhir+json; charset=utf-8';
export const idParams = {
  type: 'object', required: ['id'], additionalProperties: false,
  properties: { id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } },
} as const;
export const auth = { access: 'authenticated' as const, gate: true };

/** Search parameters sent as a body (POST _search): an object of strings, or a 400. */
function searchBody(body: unknown): Record<string, string> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw new RecordError('invalid', ['a search body must be form parameters']);
  }
  for (const v of Object.values(body)) {
    if (typeof v !== 'string') throw new RecordError('invalid', ['search parameters must be strings']);
  }
  return body as Record<string, string>;
}

/** One search parameter, or a 400 naming it. Repeated parameters are refused. */
export function one(q: Record<string, string | string[]>, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw new RecordError('invalid', [`search parameter ${name} given more than once`]);
  return v;
}

/** Whether the client asked for lenient handling of search parameters (`Prefer: handling=lenient`). */
export function lenient(prefer: string | string[] | undefined): boolean {
  return /(?:^|[,;\s])handling\s*=\s*"?lenient"?/i.test(String(prefer ?? ''));
}

export function checkParams(q: Record<string, string | string[]>, allowed: string[]): void {
  for (const k of Object.keys(q)) {
    if (!allowed.includes(k)) throw new RecordError('invalid', [`unknown search parameter ${k.slice(0, 40)}`]);
  }
}

function countOf(q: Record<string, string | string[]>): number {
  const c = one(q, '_count');
  if (c === undefined) return DEFAULT_COUNT;
  if (!/^[0-9]{1,4}$/.test(c) || Number(c) < 1) {
    throw new RecordError('invalid', ['_count must be a positive whole number']);
  }
  return Math.min(MAX_COUNT, Number(c));
}

/**
 * A date parameter, given once or repeated (AND: `date=ge…&date=le…` is a range), with the FHIR R4
 * prefixes (fhir/date-search.ts), or a 400 naming it. `ne` only where the search can exclude.
 */
export function dateParam(
  q: Record<string, string | string[]>, name: string, o: { ne: boolean },
): DateCondition | null {
  const v = q[name];
  if (v === undefined) return null;
  const c = dateCondition(name, Array.isArray(v) ? v : [v]);
  if (!c.ok) throw new RecordError('invalid', [c.problem]);
  if (!o.ne && c.value.excluded.length > 0) {
    throw new RecordError('invalid', [`${name} : le préfixe ne n'est pas pris en charge ici`]);
  }
  return c.value;
}

export function refId(v: string | undefined, type: string): string | undefined {
  if (v === undefined) return undefined;
  const id = v.startsWith(`${type}/`) ? v.slice(type.length + 1) : v;
  if (!isId(id)) throw new RecordError('invalid', [`${type.toLowerCase()} must be an id or ${type}/{id}`]);
  return id;
}

/** The body as a resource of the expected type, or a 400. */
export function resourceOf(req: { body: unknown }, type: string): Json {
  const b = req.body;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) {
    throw new RecordError('invalid', ['the body must be a FHIR resource (a JSON object)']);
  }
  if ((b as Json).resourceType !== type) throw new RecordError('invalid', [`resourceType must be ${type}`]);
  return b as Json;
}

/** One page of a search, as a route hands it to `paged`; `warning` replaces the default cut warning. */
export type Found = { items: Json[]; more: boolean; cut?: boolean; why?: string | undefined; warning?: string };

/**
 * The warning of a listing the disclosure ledger cut (the client shows it): which budget, in
 * French, when the records layer says (detect/explain.ts), and what to do.
 */
function cutWarning(why: string | undefined): string {
  const what = why ? why.charAt(0).toLowerCase() + why.slice(1) : 'ce compte a atteint un plafond de consultation.';
  return `Liste coupée : ${what} Les résultats suivants ne sont pas affichés ; `
    + 'si ce travail est légitime, adressez-vous au responsable sécurité de la plateforme.';
}

/** The warning of an appointment listing cut by the ledger's calendar budgets (the client reads it). */
export const CALENDAR_CUT = 'Liste coupée : ce compte a atteint son budget de patients nommés par des agendas '
  + 'hors de son agenda proche. Consultez votre agenda des prochains jours, '
  + 'ou adressez-vous à votre responsable sécurité.';

/**
 * A user agent's fingerprint: 12 hex digits of its SHA-256 (the string itself is not kept); a
 * missing agent has one too.
 */
export function deviceOf(userAgent: string | undefined): string {
  return clientFingerprint(userAgent);
}

export interface FhirKit {
  readonly records: (req: FastifyRequest) => Records;
  readonly send: (reply: FastifyReply, body: Json, status?: number) => FastifyReply;
  readonly base: (req: FastifyRequest) => string;
  readonly paged: (
    req: Req, reply: FastifyReply, kind: string, allowed: readonly string[],
    run: (params: Record<string, string | string[]>, offset: number, count: number) => Promise<Found>,
  ) => Promise<FastifyReply>;
}

/** The FHIR routes' shared pieces, and the content types they parse (registered once). */
export function fhirKit(app: FastifyInstance, services: () => Services, clock: () => Date): FhirKit {
  const cursors = () => services().cursors;
  // Links are built from the configured public address, never from the request's Host header
  // (a forged Host would otherwise point a client's next page at another server).
  const base = (_req: FastifyRequest) => `${services().publicUrl}/fhir`;
  const records = (req: FastifyRequest) =>
    new Records(
      services().db, services().vault, principalOf(req),
      { ip: req.ip, now: clock(), device: deviceOf(req.headers['user-agent']) },
      services().detection, (events) => services().detection.observe(events), services().auditBatch,
    );
  const send = (reply: FastifyReply, body: Json, status = 200) => reply.code(status).type(FHIR_JSON).send(body);

  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/fhir+json', { parseAs: 'string', bodyLimit: 1024 * 1024 }, jsonParser);
  app.addContentTypeParser(
    'application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  // _summary and _elements on a read (a search applies them to its entries in `paged`): checked
  // before the route runs, applied to the resource it answers. Searches answer Bundles, which are
  // not subset; an OperationOutcome neither.
  const shapeOf = (req: FastifyRequest) =>
    req.method === 'GET' && req.url.startsWith('/fhir/') ? subsetOf(req.query as Record<string, string>) : null;
  app.addHook('preHandler', async (req) => {
    const shape = shapeOf(req);
    if (shape !== null && 'problems' in shape) throw new RecordError('invalid', shape.problems);
  });
  app.addHook('preSerialization', async (req, _reply, payload: unknown) => {
    const shape = shapeOf(req);
    if (shape === null || 'problems' in shape || typeof payload !== 'object' || payload === null) return payload;
    const type = (payload as Json).resourceType;
    return type === 'Bundle' || type === 'OperationOutcome' ? payload : subset(payload as Json, shape);
  });

  /** Runs a search from its parameters or from a cursor, and answers a Bundle with opaque links. */
  async function paged(
    req: Req, reply: FastifyReply, kind: string, allowed: readonly string[],
    run: (params: Record<string, string | string[]>, offset: number, count: number) => Promise<Found>,
  ) {
    const p = principalOf(req);
    let params: Record<string, string | string[]> = { ...req.query, ...searchBody(req.body) };
    let offset = 0;
    let count: number;
    const ignored: string[] = [];
    const cursorId = one(params, '_cursor');
    if (cursorId !== undefined) {
      if (Object.keys(params).length > 1) throw new RecordError('invalid', ['_cursor stands alone']);
      const c = await cursors().get(cursorId, p.userId, kind);
      if (!c) throw new RecordError('invalid', ['this page link expired; search again']);
      params = c.params;
      offset = c.offset;
      count = c.count;
    } else {
      // `Prefer: handling=lenient` (FHIR R4 §3.1.1.5.2): parameters medvault does not know are left
      // out and named in the answer; strict (the default) refuses them.
      const known = [...allowed, '_count', '_summary', '_elements'];
      const unknown = Object.keys(params).filter((k) => !known.includes(k));
      if (unknown.length > 0 && lenient(req.headers.prefer)) {
        ignored.push(...unknown.map((k) => k.slice(0, 40)));
        params = Object.fromEntries(Object.entries(params).filter(([k]) => known.includes(k)));
      }
      checkParams(params, known);
      count = countOf(params);
      // A new object, not `delete`: a deleted key leaves the object slow for every later use.
      const { _count: _c, ...rest } = params;
      params = rest;
    }
    // _summary and _elements shape the answer, not the search: out of the route's parameters, kept in
    // the cursor's (the next page is shaped alike).
    const { _summary: _s, _elements: _e, ...criteria } = params;
    const shape = subsetOf(params);
    if (shape !== null && 'problems' in shape) throw new RecordError('invalid', shape.problems);
    const found = await run(criteria, offset, count);
    if (shape !== null) found.items = found.items.map((r) => subset(r, shape));
    const link = async (o: number) => {
      const cursor = await cursors().put({
        userId: p.userId, kind, params: params as Record<string, string>, offset: o, count,
      });
      return `${base(req)}/${kind}?_cursor=${cursor}`;
    };
    const warnings: SearchWarning[] = [];
    if (found.cut) warnings.push({ code: 'throttled', diagnostics: found.warning ?? cutWarning(found.why) });
    if (ignored.length > 0) {
      const diagnostics = `Paramètres ignorés (non pris en charge) : ${ignored.join(', ')}`;
      warnings.push({ code: 'not-supported', diagnostics });
    }
    const self = await link(offset);
    const next = found.more ? await link(offset + count) : null;
    return send(reply, searchBundle(base(req), found.items, null, self, next, warnings));
  }
  return { records, send, base, paged };
}

/**
 * The version an If-Match names (W/"3", or "3" as some clients send it), null when there is none
 * (an update without it writes over the current version, as FHIR's update does), or a 400.
 */
export function ifMatch(header: string | string[] | undefined): number | null {
  if (header === undefined) return null;
  const m = /^(?:W\/)?"(\d{1,9})"$/.exec(String(header).trim());
  if (!m) throw new RecordError('invalid', ['If-Match must be W/"<version>"']);
  return Number(m[1]);
}
