import type { FastifyInstance } from 'fastify';
import FindMyWay from 'find-my-way';
import { operationOutcome } from './outcome.js';

/**
 * HTTP's own answers on the FHIR API, as FHIR's RESTful API expects them: a method the path does
 * not support is 405 with `Allow` (not 404, which says the resource or type does not exist), and
 * an `Accept` that admits no JSON is 406 (medvault answers in JSON only; XML is not served), and
 * a write honours `Prefer: return=minimal | representation | OperationOutcome` (FHIR R4 §3.1.0.5.2).
 */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** Paths that serve other media than JSON (a document's bytes, an ordonnance's PDF): Accept is theirs to read. */
const BYTES = /^\/fhir\/(Binary\/|[^?]*\/\$(content|ordonnance|record-summary)(\?|$))/;

/** A create (`POST /fhir/Type`), an update or a patch: the interactions `Prefer: return` applies to. */
const WRITE = /^\/fhir\/[A-Z][A-Za-z]+(\/[^/?$]+)?(\?|$)/;

/** What `Prefer: return=…` asks of a write's answer (RFC 7240 preferences, FHIR's `return`). */
export function preferredReturn(prefer: string | undefined): 'minimal' | 'OperationOutcome' | 'representation' {
  const m = /(?:^|[,;\s])return\s*=\s*"?(minimal|representation|OperationOutcome)"?/i.exec(prefer ?? '');
  const v = m?.[1]?.toLowerCase();
  return v === 'minimal' ? 'minimal' : v === 'operationoutcome' ? 'OperationOutcome' : 'representation';
}

/** Media ranges that admit FHIR JSON. */
const JSON_RANGES = new Set([
  '*/*', 'application/*', 'application/json', 'application/fhir+json', 'application/json+fhir',
]);

/** Whether an Accept header admits JSON (absent: anything goes). A range weighted q=0 admits nothing. */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((x) => x.trim().toLowerCase());
    const q = params.find((p) => p.startsWith('q='));
    return JSON_RANGES.has(type ?? '') && !(q !== undefined && Number(q.slice(2)) === 0);
  });
}

/**
 * Registers the rules on `app`; call it before the routes are added (it learns them as they are).
 * Returns what the not-found handler asks: the methods a FHIR path supports, when it is not this one.
 */
export function installFhirHttp(app: FastifyInstance): (method: string, url: string) => string[] {
  const router = FindMyWay({ ignoreTrailingSlash: true });
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/fhir')) return;
    for (const method of [route.method].flat()) {
      if (!router.hasRoute(method as never, route.url)) router.on(method as never, route.url, () => undefined);
    }
  });
  app.addHook('onRequest', async (req, reply) => {
    if (!req.url.startsWith('/fhir') || BYTES.test(req.url) || acceptsJson(req.headers.accept)) return;
    const why = 'medvault answers in JSON (application/fhir+json): ask for it in Accept. XML is not served.';
    return reply.code(406).type('application/fhir+json').send(operationOutcome(406, why));
  });
  app.addHook('onSend', async (req, reply, payload) => {
    const write = req.method === 'PUT' || req.method === 'PATCH'
      || (req.method === 'POST' && !req.url.includes('/_search'));
    if (!write || !WRITE.test(req.url) || (reply.statusCode !== 200 && reply.statusCode !== 201)) return payload;
    const wanted = preferredReturn(req.headers.prefer as string | undefined);
    if (wanted === 'representation') return payload;
    reply.header('preference-applied', `return=${wanted}`);
    if (wanted === 'minimal') {
      reply.removeHeader('content-type');
      return '';
    }
    const done = req.method === 'POST' ? 'Created.' : 'Updated.';
    const issue = [{ severity: 'information', code: 'informational', diagnostics: done }];
    return JSON.stringify({ resourceType: 'OperationOutcome', issue });
  });
  return (method, url) => {
    const path = url.split('?')[0] ?? '';
    if (!path.startsWith('/fhir/')) return [];
    return METHODS.filter((m) => m !== method && router.find(m, path) !== null);
  };
}
