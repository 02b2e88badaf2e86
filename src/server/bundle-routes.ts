import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RecordError } from '../records/index.js';
import {
  type Answer, BundleProblem, createsUrn, type Entry, entriesOf, entryOf, failure, inOrder, references,
} from '../fhir/bundle-entries.js';
import { ENTRY_HEADER, entryGrant, principalOf } from './context.js';
import { auth, type FhirKit, type Json, type Req } from './fhir-kit.js';
import { preferredReturn } from './fhir-http.js';
import type { Services } from './services.js';

/**
 * Batches and transactions (`POST /fhir`, FHIR R4 §3.1.0.11): each entry is served by the route
 * that serves it alone, as a request made inside the process for the Bundle's principal (an entry
 * grant, server/context.ts), so that every rule — policy, care, ledger, audit, detection — applies
 * to each entry as to a request of its own. A batch answers each entry on its own; a transaction
 * runs every entry in one database transaction (a unit of work) and commits all or nothing.
 * References to `urn:uuid:` full URLs of the Bundle's creates and conditional references
 * (`Patient?identifier=…`) are resolved before an entry is served; `ifNoneExist` makes a create
 * conditional (also on a create's own `If-None-Exist` header).
 */
/** A search Bundle's entry that is a match (not the warning an outcome entry carries). */
const isMatch = (e: Json) => (e.search as Json | undefined)?.mode !== 'outcome';

/** The answer of a conditional create that found its resource: 200, where it is, nothing created. */
const existing = (location: string): Answer => ({ status: 200, body: null, location, etag: null, lastModified: null });

/** A Bundle's own problems (not an entry's) are a 400. */
function read<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof BundleProblem) throw new RecordError('invalid', [e.message]);
    throw e;
  }
}

class EntryFailed extends Error {
  constructor(readonly entry: Entry, readonly answer: Answer) {
    super('a transaction entry failed');
  }
}

export function bundleRoutes(app: FastifyInstance, services: () => Services, kit: FhirKit): void {
  /** One request inside the process, for the grant's principal, from the Bundle's client and address. */
  async function serve(
    req: FastifyRequest, grant: string, method: string, url: string, payload: Json | null,
    headers: Record<string, string>,
  ): Promise<Answer> {
    const r = await app.inject({
      method: method as 'GET', url: `/fhir/${url}`, remoteAddress: req.ip,
      headers: {
        [ENTRY_HEADER]: grant, accept: 'application/fhir+json', 'user-agent': req.headers['user-agent'] ?? '',
        ...(payload === null ? {} : { 'content-type': 'application/fhir+json' }), ...headers,
      },
      ...(payload === null ? {} : { payload: JSON.stringify(payload) }),
    });
    const body = r.body === '' ? null : (JSON.parse(r.body) as Json);
    const h = (k: string) => (typeof r.headers[k] === 'string' ? r.headers[k] as string : null);
    return { status: r.statusCode, body, location: h('location'), etag: h('etag'), lastModified: h('last-modified') };
  }

  /** What a search (`Type?query`) finds, as `Type/id`, at most two (one is what conditional operations want). */
  async function matches(req: FastifyRequest, grant: string, search: string): Promise<string[]> {
    const [type, query = ''] = search.split('?');
    // Two are enough to tell one from several; a client's own _count must not hide the second.
    const params = new URLSearchParams(query);
    params.delete('_count');
    params.set('_count', '2');
    const found = await serve(req, grant, 'GET', `${type}?${params}`, null, {});
    if (found.status !== 200) throw new EntryAnswer(found);
    const hits = ((found.body?.entry ?? []) as Json[]).filter(isMatch);
    return hits.map((h) => `${type}/${(h.resource as Json).id as string}`);
  }

  /** The one resource a search finds; a 412 when it finds none or several. */
  async function resolve(req: FastifyRequest, grant: string, search: string, what: string): Promise<string> {
    const hits = await matches(req, grant, search);
    if (hits.length !== 1) {
      const why = `${what}: the search matched ${hits.length === 0 ? 'nothing' : 'more than one resource'}`;
      throw new EntryAnswer(failure(412, why));
    }
    return hits[0]!;
  }

  // A create's own `If-None-Exist` (FHIR conditional create): one match answers 200 with it and
  // creates nothing; several are a 412; none lets the create go on.
  app.addHook('preHandler', async (req, reply) => {
    const asked = req.headers['if-none-exist'];
    if (req.method !== 'POST' || typeof asked !== 'string' || !/^\/fhir\/[A-Z][A-Za-z]+$/.test(req.url)) return;
    const type = req.url.slice('/fhir/'.length);
    const grant = entryGrant(principalOf(req));
    try {
      const hits = await matches(req, grant.value, `${type}?${asked.replace(/^\?/, '')}`);
      if (hits.length === 0) return;
      if (hits.length > 1) {
        const answer = failure(412, 'If-None-Exist: the search matched more than one resource; nothing was created');
        return kit.send(reply, answer.body!, 412);
      }
      const at = hits[0]!;
      const found = await serve(req, grant.value, 'GET', at, null, {});
      if (found.etag) reply.header('etag', found.etag);
      reply.header('location', `${kit.base(req)}/${at}`);
      return kit.send(reply, found.body ?? {}, found.status);
    } catch (e) {
      if (e instanceof EntryAnswer) return kit.send(reply, e.answer.body ?? {}, e.answer.status);
      throw e;
    } finally {
      grant.end();
    }
  });

  const bundle = async (req: Req, reply: FastifyReply) => {
    const base = kit.base(req);
    const { type, entries } = read(() => entriesOf(req.body, base));
    const minimal = preferredReturn(req.headers.prefer as string | undefined) === 'minimal';
    const p = principalOf(req);
    const grant = entryGrant(p);
    const created = new Map<string, string>();
    const answers = new Array<Answer>(entries.length);

    /**
     * What an entry needs read before it is written: its conditional references resolved and its
     * `ifNoneExist` searched. Reads, made outside any transaction so that they are audited whatever
     * becomes of it: a rolled-back transaction is no unaudited oracle of what a search finds.
     * Returns the entry with those references set, or the answer it already has (found: 200; a
     * search that failed or matched several: its failure).
     */
    const prepare = async (e: Entry): Promise<Entry | Answer> => {
      try {
        const resource = e.resource === null ? null : structuredClone(e.resource);
        for (const ref of references(resource)) {
          const v = ref.get();
          if (/^[A-Z][A-Za-z]+\?/.test(v)) ref.set(await resolve(req, grant.value, v, 'conditional reference'));
        }
        if (e.ifNoneExist !== null && e.method === 'POST') {
          const type = e.url.split(/[/?]/)[0]!;
          const hits = await matches(req, grant.value, `${type}?${e.ifNoneExist.replace(/^\?/, '')}`);
          if (hits.length > 1) return failure(412, 'ifNoneExist: the search matched more than one resource');
          if (hits.length === 1) {
            return existing(`${kit.base(req)}/${hits[0]!}`);
          }
        }
        return { ...e, resource, ifNoneExist: null };
      } catch (err) {
        if (err instanceof EntryAnswer) return err.answer;
        throw err;
      }
    };
    /** Writes (or reads, in a batch) one prepared entry, its references to the Bundle's creates set. */
    const one = async (e: Entry): Promise<Answer> => {
      let resource = e.resource;
      for (const ref of references(resource)) {
        const v = ref.get();
        if (!v.startsWith('urn:uuid:')) continue;
        const to = created.get(v);
        if (to === undefined) return failure(400, `reference ${v.slice(0, 60)} names no entry created before this one`);
        ref.set(to);
      }
      if (resource !== null && createsUrn(e) && typeof resource.id === 'string') {
        // An id in a create's resource is the sender's; the server assigns its own.
        const { id: _id, ...rest } = resource;
        resource = rest;
      }
      const headers: Record<string, string> = e.ifMatch === null ? {} : { 'if-match': e.ifMatch };
      return serve(req, grant.value, e.method, e.url, resource, headers);
    };
    const isAnswer = (x: Entry | Answer): x is Answer => 'status' in x;
    const remember = (e: Entry, a: Answer) => {
      answers[e.index] = a;
      const m = a.location === null ? null : /\/fhir\/([A-Z][A-Za-z]+\/[^/]+)/.exec(a.location);
      if (createsUrn(e) && m && a.status < 300) created.set(e.fullUrl!, m[1]!);
    };

    try {
      if (type === 'batch') {
        // Entries in order, each on its own: one that fails does not stop the others.
        for (const e of entries) {
          const ready = await prepare(e);
          remember(e, isAnswer(ready) ? ready : await one(ready));
        }
      } else {
        if (entries.some((e) => e.method === 'GET')) {
          throw new RecordError('invalid', ['a transaction writes: send reads in a batch']);
        }
        const ordered = read(() => inOrder(entries));
        const ready = new Map<Entry, Entry | Answer>();
        for (const e of ordered) {
          const r = await prepare(e);
          if (isAnswer(r) && r.status >= 400) throw new EntryFailed(e, r);
          ready.set(e, r);
        }
        await services().db.unitOfWork({ role: 'auditWriter', practiceId: p.practiceId }, async () => {
          for (const e of ordered) {
            const r = ready.get(e)!;
            const a = isAnswer(r) ? r : await one(r);
            if (a.status >= 400) throw new EntryFailed(e, a);
            remember(e, a);
          }
        });
      }
    } catch (err) {
      if (!(err instanceof EntryFailed)) throw err;
      // Nothing of the transaction was kept: the failing entry's outcome, named, with its status.
      const issues = ((err.answer.body?.issue ?? []) as Json[]).map((i) => ({
        ...i, diagnostics: `Bundle.entry[${err.entry.index}]: ${String(i.diagnostics ?? '')}`,
      }));
      return kit.send(reply, { resourceType: 'OperationOutcome', issue: issues }, err.answer.status);
    } finally {
      grant.end();
    }
    return kit.send(reply, {
      resourceType: 'Bundle', type: `${type}-response`,
      entry: answers.map((a) => entryOf(a, base, minimal)),
    });
  };
  // The service base, with or without its trailing slash (clients write both).
  app.post('/fhir', { config: auth }, bundle);
  app.post('/fhir/', { config: auth }, bundle);
}

class EntryAnswer extends Error {
  constructor(readonly answer: Answer) {
    super('entry answered');
  }
}
