import type { FastifyInstance, FastifyReply } from 'fastify';
import { isNoteStatus, type ClinicalNote, type NoteStatus } from '../domain/index.js';
import { fhirSchemaErrors, fromFhirDocumentReference, toFhirDocumentReference } from '../fhir/index.js';
import { RecordError } from '../records/index.js';
import { auth, idParams, one, refId, resourceOf, type FhirKit, type Json, type Req } from './fhir-kit.js';
import type { Services } from './services.js';

/**
 * A DocumentReference may carry a document inline: 5 MiB of bytes are 6.7 MiB of base64. Only the
 * routes that take one parse bodies this large (a route's `bodyLimit` overrides the 1 MiB of the
 * application/fhir+json parser in fhir-kit.ts); beyond it Fastify answers 413 before anything is
 * parsed or written. A body within it whose document is over 5 MiB is refused by the parser (400).
 */
export const DOCUMENT_BODY_LIMIT = 8 * 1024 * 1024;

/**
 * The status search parameter: `current`, `superseded`, `entered-in-error`, comma-separated (ORed),
 * with or without their system.
 */
const STATUS_SYSTEM = 'http://hl7.org/fhir/document-reference-status';
function statusesOf(v: string | undefined): NoteStatus[] | null {
  if (v === undefined) return null;
  const withoutSystem = (s: string) => (s.startsWith(`${STATUS_SYSTEM}|`) ? s.slice(STATUS_SYSTEM.length + 1) : s);
  const out = v.split(',').map(withoutSystem);
  if (out.length === 0 || !out.every(isNoteStatus)) {
    throw new RecordError('invalid', ['status must be current, superseded or entered-in-error']);
  }
  return [...new Set(out)];
}

/**
 * The one change a note accepts, as FHIR's patch interaction takes it (JSON Patch, RFC 6902):
 * its status replaced by `entered-in-error`, optionally after a `test` that it is `current`.
 */
function isWithdrawal(body: unknown): boolean {
  if (!Array.isArray(body) || body.length < 1 || body.length > 2) return false;
  const ops = body as Json[];
  const last = ops[ops.length - 1] as Json;
  const test = ops.length === 2 ? (ops[0] as Json) : null;
  const exact = (o: Json, op: string, value: string) =>
    Object.keys(o).length === 3 && o.op === op && o.path === '/status' && o.value === value;
  return exact(last, 'replace', 'entered-in-error') && (test === null || exact(test, 'test', 'current'));
}

/**
 * The body of `$share`: a FHIR Parameters resource with exactly one parameter, `shared`, a boolean
 * (true: the patient's portal shows the note; false: it no longer does). Anything else is refused.
 */
function sharedOf(body: unknown): boolean {
  const b = body as Json | null;
  const params = Array.isArray(b?.parameter) ? (b.parameter as Json[]) : [];
  const p = params[0];
  const exact = b !== null && typeof b === 'object' && b.resourceType === 'Parameters' && params.length === 1
    && Object.keys(b).every((k) => k === 'resourceType' || k === 'parameter')
    && typeof p === 'object' && p !== null && Object.keys(p).length === 2
    && p.name === 'shared' && typeof p.valueBoolean === 'boolean';
  if (!exact) throw new RecordError('invalid', ['$share takes Parameters with one boolean parameter "shared"']);
  return p.valueBoolean as boolean;
}

/** A note's bytes and their type: the document's, or the typed text's. */
function contentOf(n: ClinicalNote): { type: string; bytes: Buffer } {
  if (n.document?.bytes !== undefined) return { type: n.document.contentType, bytes: Buffer.from(n.document.bytes) };
  return { type: 'text/plain; charset=utf-8', bytes: Buffer.from(n.text, 'utf8') };
}

/**
 * Clinical notes and documents (DocumentReference): read whole, search in one patient's record,
 * create (typed text or a document, or an amendment that replaces an earlier note), withdraw
 * (patch to entered-in-error), share with the patient (`$share`), and the document's bytes raw for the web viewer — at
 * `DocumentReference/{id}/$content` and at `Binary/{id}`, the URL a described document names.
 * Every one goes through the records: decided, counted by the ledger and audited as a read of the note.
 */
export function documentRoutes(
  app: FastifyInstance, _services: () => Services, _clock: () => Date, kit: FhirKit,
): void {
  const { records, send, base, paged } = kit;

  if (!app.hasContentTypeParser('application/json-patch+json')) {
    const jsonParser = app.getDefaultJsonParser('error', 'error');
    app.addContentTypeParser('application/json-patch+json', { parseAs: 'string', bodyLimit: 4 * 1024 }, jsonParser);
  }

  app.get('/fhir/DocumentReference/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) =>
    send(reply, toFhirDocumentReference(await records(req).readNote(req.params.id as string))),
  );

  /** The raw bytes, inline, never cached, never sniffed into something a browser would run. */
  const raw = (reply: FastifyReply, n: ClinicalNote) => {
    const c = contentOf(n);
    return reply.code(200).type(c.type).header('content-disposition', 'inline')
      .header('x-content-type-options', 'nosniff').header('cache-control', 'no-store').send(c.bytes);
  };
  const byId = { config: auth, schema: { params: idParams } };
  app.get('/fhir/DocumentReference/:id/$content', byId, async (req: Req, reply) =>
    raw(reply, await records(req).readNote(req.params.id as string)),
  );
  // FHIR R4 Binary read (binary.html#rest): the bytes themselves, or the Binary resource when the
  // client asks for FHIR JSON. Its id is the note's; access is the note's (securityContext).
  app.get('/fhir/Binary/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    const n = await records(req).readNote(req.params.id as string);
    if (!/application\/fhir\+json/i.test(req.headers.accept ?? '')) return raw(reply, n);
    const c = contentOf(n);
    return send(reply, {
      resourceType: 'Binary', id: n.id, contentType: c.type,
      securityContext: { reference: `DocumentReference/${n.id}` }, data: c.bytes.toString('base64'),
    });
  });

  app.get('/fhir/DocumentReference', { config: auth }, async (req: Req, reply) =>
    paged(req, reply, 'DocumentReference', ['patient', 'status'], async (q, offset, limit) => {
      const patient = refId(one(q, 'patient'), 'Patient');
      if (!patient) throw new RecordError('invalid', ['patient is required']);
      const page = await records(req).notesOf(patient, { offset, limit }, statusesOf(one(q, 'status')));
      const cut = page.cut ? { cut: true, why: page.why } : {};
      return { items: page.items.map(toFhirDocumentReference), more: page.more, ...cut };
    }),
  );

  app.post('/fhir/DocumentReference', { config: auth, bodyLimit: DOCUMENT_BODY_LIMIT }, async (req: Req, reply) => {
    const body = resourceOf(req, 'DocumentReference');
    const schema = fhirSchemaErrors(body);
    if (schema.length > 0) throw new RecordError('invalid', schema);
    const parsed = fromFhirDocumentReference(body);
    if (parsed.problems.length > 0 || parsed.patientId === null) throw new RecordError('invalid', parsed.problems);
    const note = await records(req).createNote(parsed.patientId, parsed.text, parsed.labels, {
      kind: parsed.kind, title: parsed.title, document: parsed.document, replaces: parsed.replaces,
    });
    reply.header('location', `${base(req)}/DocumentReference/${note.id}`);
    return send(reply, toFhirDocumentReference(note), 201);
  });

  // Shares the note with its patient (her portal lists and opens it), or stops: its author's
  // decision while she treats the patient. The note carries the mark as a meta.tag (fhir/document-reference.ts).
  app.post('/fhir/DocumentReference/:id/$share', byId, async (req: Req, reply) => {
    const shared = sharedOf(req.body);
    await records(req).shareNote(req.params.id as string, shared);
    return send(reply, { resourceType: 'Parameters', parameter: [{ name: 'shared', valueBoolean: shared }] });
  });

  app.patch('/fhir/DocumentReference/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    if (!isWithdrawal(req.body)) {
      throw new RecordError('invalid', [
        'a note is never rewritten: the one patch accepted replaces /status with entered-in-error (JSON Patch)',
      ]);
    }
    await records(req).withdrawNote(req.params.id as string);
    const diagnostics = `DocumentReference/${req.params.id as string} is now entered-in-error.`;
    return send(reply, {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', code: 'informational', diagnostics }],
    });
  });
}
