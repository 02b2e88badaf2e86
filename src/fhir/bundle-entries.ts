import { STATUS_CODES } from 'node:http';

/**
 * The entries of a batch or transaction Bundle (FHIR R4 §3.1.0.11) as medvault serves them: read
 * from the request, ordered, and answered. Serving them is server/bundle-routes.ts.
 */
type Json = Record<string, unknown>;

/** What is wrong with a Bundle as a request (the route answers it with a 400). */
export class BundleProblem extends Error {
  override readonly name = 'BundleProblem';
}

const MAX_ENTRIES = 1000;
const TYPE_PATH = /^[A-Z][A-Za-z]{1,63}(\/[A-Za-z0-9\-.]{1,64}(\/_history\/[0-9]{1,9})?)?(\?[^#]*)?$/;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']);
/** FHIR R4: a transaction processes DELETEs, then POSTs, then PUTs and PATCHes, then GETs. */
const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3 };

export interface Entry {
  readonly index: number;
  readonly method: string;
  readonly url: string;
  readonly fullUrl: string | null;
  readonly resource: Json | null;
  readonly ifMatch: string | null;
  readonly ifNoneExist: string | null;
}

export interface Answer {
  readonly status: number;
  readonly body: Json | null;
  readonly location: string | null;
  readonly etag: string | null;
  readonly lastModified: string | null;
}

/** The entries of a Bundle as its request says them, or a 400 naming what is wrong. */
export function entriesOf(body: unknown, base: string): { type: 'batch' | 'transaction'; entries: Entry[] } {
  const b = body as Json | null;
  if (b === null || typeof b !== 'object' || Array.isArray(b) || b.resourceType !== 'Bundle') {
    throw new BundleProblem('POST /fhir takes a Bundle of type batch or transaction');
  }
  if (b.type !== 'batch' && b.type !== 'transaction') {
    throw new BundleProblem('Bundle.type must be batch or transaction');
  }
  const list = b.entry ?? [];
  if (!Array.isArray(list)) throw new BundleProblem('Bundle.entry must be a list');
  if (list.length > MAX_ENTRIES) throw new BundleProblem(`a Bundle holds at most ${MAX_ENTRIES} entries`);
  const fullUrls = new Set<string>();
  const entries = list.map((raw: unknown, index): Entry => {
    const e = raw as Json;
    const where = `Bundle.entry[${index}]`;
    const request = (e && typeof e === 'object' ? e.request : undefined) as Json | undefined;
    if (!request || typeof request !== 'object') throw new BundleProblem(`${where}.request is required`);
    const method = request.method;
    if (typeof method !== 'string' || !METHODS.has(method)) {
      throw new BundleProblem(`${where}.request.method must be one of ${[...METHODS].join(', ')}`);
    }
    let url = typeof request.url === 'string' ? request.url : '';
    if (url.startsWith(`${base}/`)) url = url.slice(base.length + 1);
    if (!TYPE_PATH.test(url) || url.includes('..')) {
      throw new BundleProblem(`${where}.request.url must be a relative FHIR URL (Type, Type/id, Type?query)`);
    }
    const resource = e.resource === undefined ? null : e.resource as Json;
    if ((method === 'POST' || method === 'PUT') && (resource === null || typeof resource !== 'object')) {
      throw new BundleProblem(`${where}.resource is required for ${method}`);
    }
    const fullUrl = typeof e.fullUrl === 'string' ? e.fullUrl : null;
    if (fullUrl !== null && fullUrl.startsWith('urn:uuid:')) {
      if (fullUrls.has(fullUrl)) throw new BundleProblem(`${where}.fullUrl is used by another entry`);
      fullUrls.add(fullUrl);
    }
    const text = (k: string) => (typeof request[k] === 'string' ? request[k] as string : null);
    return { index, method, url, fullUrl, resource, ifMatch: text('ifMatch'), ifNoneExist: text('ifNoneExist') };
  });
  return { type: b.type, entries };
}

/** Every `reference` string in a resource, with a setter (references are rewritten in place, on a copy). */
export function references(x: unknown, out: { get: () => string; set: (v: string) => void }[] = []) {
  if (Array.isArray(x)) for (const v of x) references(v, out);
  else if (x !== null && typeof x === 'object') {
    const o = x as Json;
    for (const [k, v] of Object.entries(o)) {
      if (k === 'reference' && typeof v === 'string') out.push({ get: () => o[k] as string, set: (s) => (o[k] = s) });
      else references(v, out);
    }
  }
  return out;
}

/**
 * A transaction's entries in the order FHIR processes them (deletes, creates, updates), each
 * create after the creates whose `urn:uuid` it refers to (a Bundle need not list them in that
 * order); a cycle of such references is a 400.
 */
/** A create the Bundle names by a `urn:uuid:` full URL: other entries may refer to it by that URL. */
export function createsUrn(e: Entry): boolean {
  return e.method === 'POST' && e.fullUrl !== null && e.fullUrl.startsWith('urn:uuid:');
}

export function inOrder(entries: readonly Entry[]): Entry[] {
  const sorted = [...entries].sort((a, b) => ORDER[a.method]! - ORDER[b.method]! || a.index - b.index);
  const creates = new Set(entries.filter(createsUrn).map((e) => e.fullUrl!));
  // The Bundle's creates an entry refers to (not itself): they are written first.
  const needsOf = (e: Entry) => {
    const named = references(e.resource).map((r) => r.get());
    return new Set(named.filter((v) => creates.has(v) && v !== e.fullUrl));
  };
  const needs = new Map(entries.map((e) => [e, needsOf(e)]));
  const done = new Set<string>();
  const out: Entry[] = [];
  let left = sorted;
  while (left.length > 0) {
    const ready = left.find((e) => [...needs.get(e)!].every((v) => done.has(v)));
    if (ready === undefined) throw new BundleProblem('entries of the transaction refer to each other in a cycle');
    out.push(ready);
    if (ready.fullUrl !== null) done.add(ready.fullUrl);
    left = left.filter((e) => e !== ready);
  }
  return out;
}


export function failure(status: number, diagnostics: string): Answer {
  const code = status === 412 ? 'conflict' : 'invalid';
  return {
    status, body: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] },
    location: null, etag: null, lastModified: null,
  };
}

/** A Bundle response's entry: the status line, where the resource is, and the resource or the outcome. */
export function entryOf(a: Answer, base: string, minimal: boolean): Json {
  const response: Json = { status: `${a.status} ${STATUS_CODES[a.status] ?? ''}`.trim() };
  if (a.location) response.location = a.location.startsWith(base) ? a.location.slice(base.length + 1) : a.location;
  if (a.etag) response.etag = a.etag;
  if (a.lastModified) response.lastModified = new Date(a.lastModified).toISOString();
  if (a.status >= 400) return { response: { ...response, outcome: a.body ?? undefined } };
  return { ...(a.body && !minimal ? { resource: a.body } : {}), response };
}
