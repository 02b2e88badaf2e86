import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isCalendarDate, isId, normaliseNir } from '../domain/index.js';
import {
  APPOINTMENT_SEARCH, capabilityStatement, dateCondition, type DateCondition,
  DEFAULT_COUNT, fhirSchemaErrors, fromFhirDocumentReference, fromFhirPatient, INS_NIR_SYSTEM, MAX_COUNT, searchBundle,
  toFhirAppointment, toFhirDocumentReference, toFhirOrganization, toFhirPatient, toFhirPatientListing, toFhirPractitioner,
} from '../fhir/index.js';
import { clientFingerprint } from '../access/index.js';
import { auditHistory, practice, practitioners, RecordError, Records } from '../records/index.js';
import type { StoredPatient } from '../store/index.js';
import { principalOf } from './context.js';
import { CursorStore } from './cursors.js';
import type { Services } from './services.js';

type Req = FastifyRequest<{ Params: Record<string, string>; Querystring: Record<string, string | string[]>; Body: unknown }>;
type Json = Record<string, unknown>;

const FHIR_JSON = 'application/fhir+json; charset=utf-8';
const idParams = { type: 'object', required: ['id'], additionalProperties: false, properties: { id: { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' } } } as const;
const auth = { access: 'authenticated' as const, gate: true };

/** Search parameters sent as a body (POST _search): an object of strings, or a 400. */
function searchBody(body: unknown): Record<string, string> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new RecordError('invalid', ['a search body must be form parameters']);
  for (const v of Object.values(body)) if (typeof v !== 'string') throw new RecordError('invalid', ['search parameters must be strings']);
  return body as Record<string, string>;
}

/** One search parameter, or a 400 naming it. Repeated parameters are refused. */
function one(q: Record<string, string | string[]>, name: string): string | undefined {
  const v = q[name];
  if (Array.isArray(v)) throw new RecordError('invalid', [`search parameter ${name} given more than once`]);
  return v;
}

function checkParams(q: Record<string, string | string[]>, allowed: string[]): void {
  for (const k of Object.keys(q)) if (!allowed.includes(k)) throw new RecordError('invalid', [`unknown search parameter ${k.slice(0, 40)}`]);
}

function countOf(q: Record<string, string | string[]>): number {
  const c = one(q, '_count');
  if (c === undefined) return DEFAULT_COUNT;
  if (!/^[0-9]{1,4}$/.test(c) || Number(c) < 1) throw new RecordError('invalid', ['_count must be a positive whole number']);
  return Math.min(MAX_COUNT, Number(c));
}

/**
 * A date parameter, given once or repeated (AND: `date=ge…&date=le…` is a range), with the FHIR R4
 * prefixes (fhir/date-search.ts), or a 400 naming it. `ne` only where the search can exclude.
 */
function dateParam(q: Record<string, string | string[]>, name: string, o: { ne: boolean }): DateCondition | null {
  const v = q[name];
  if (v === undefined) return null;
  const c = dateCondition(name, Array.isArray(v) ? v : [v]);
  if (!c.ok) throw new RecordError('invalid', [c.problem]);
  if (!o.ne && c.value.excluded.length > 0) {
    throw new RecordError('invalid', [`${name} : le préfixe ne n'est pas pris en charge ici`]);
  }
  return c.value;
}

function refId(v: string | undefined, type: string): string | undefined {
  if (v === undefined) return undefined;
  const id = v.startsWith(`${type}/`) ? v.slice(type.length + 1) : v;
  if (!isId(id)) throw new RecordError('invalid', [`${type.toLowerCase()} must be an id or ${type}/{id}`]);
  return id;
}

/** The body as a resource of the expected type, or a 400. */
function resourceOf(req: { body: unknown }, type: string): Json {
  const b = req.body;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new RecordError('invalid', ['the body must be a FHIR resource (a JSON object)']);
  if ((b as Json).resourceType !== type) throw new RecordError('invalid', [`resourceType must be ${type}`]);
  return b as Json;
}

/** One page of a search, as a route hands it to `paged`; `warning` replaces the default cut warning. */
type Found = { items: Json[]; more: boolean; cut?: boolean; why?: string | undefined; warning?: string };

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
const CALENDAR_CUT = 'Liste coupée : ce compte a atteint son budget de patients nommés par des agendas '
  + 'hors de son agenda proche. Consultez votre agenda des prochains jours, '
  + 'ou adressez-vous à votre responsable sécurité.';

/** A user agent's fingerprint: 12 hex digits of its SHA-256 (the string itself is not kept); a missing agent has one too. */
export function deviceOf(userAgent: string | undefined): string {
  return clientFingerprint(userAgent);
}

export function fhirRoutes(app: FastifyInstance, services: () => Services, clock: () => Date, version: string): void {
  const cursors = () => new CursorStore(services().ephemeral);
  // Links are built from the configured public address, never from the request's Host header
  // (a forged Host would otherwise point a client's next page at another server).
  const base = (_req: FastifyRequest) => `${services().publicUrl}/fhir`;
  const records = (req: FastifyRequest) =>
    new Records(services().db, services().vault, principalOf(req), { ip: req.ip, now: clock(), device: deviceOf(req.headers['user-agent']) }, services().detection, (events) => services().detection.observe(events), services().auditBatch);
  const send = (reply: FastifyReply, body: Json, status = 200) => reply.code(status).type(FHIR_JSON).send(body);

  app.addContentTypeParser('application/fhir+json', { parseAs: 'string', bodyLimit: 1024 * 1024 }, app.getDefaultJsonParser('error', 'error'));
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 64 * 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
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
    const cursorId = one(params, '_cursor');
    if (cursorId !== undefined) {
      if (Object.keys(params).length > 1) throw new RecordError('invalid', ['_cursor stands alone']);
      const c = await cursors().get(cursorId, p.userId, kind);
      if (!c) throw new RecordError('invalid', ['this page link expired; search again']);
      params = c.params;
      offset = c.offset;
      count = c.count;
    } else {
      checkParams(params, [...allowed, '_count']);
      count = countOf(params);
      delete params._count;
    }
    const found = await run(params, offset, count);
    const link = async (o: number) => `${base(req)}/${kind}?_cursor=${await cursors().put({ userId: p.userId, kind, params: params as Record<string, string>, offset: o, count })}`;
    const warning = found.cut ? (found.warning ?? cutWarning(found.why)) : null;
    return send(reply, searchBundle(base(req), found.items, null, await link(offset), found.more ? await link(offset + count) : null, warning));
  }

  app.get('/fhir/metadata', { config: { access: 'public' } }, async (req, reply) => send(reply, capabilityStatement(version, base(req))));

  // ─── Patient ─────────────────────────────────────────────────────────────────────────────
  const patientOut = (reply: FastifyReply, p: StoredPatient) => reply.header('etag', `W/"${p.version}"`);

  app.get('/fhir/Patient/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    const p = await records(req).readPatient(req.params.id as string);
    return send(patientOut(reply, p), toFhirPatient(p));
  });

  const patientSearch = async (req: Req, reply: FastifyReply) =>
    paged(req, reply, 'Patient', ['name', 'family', 'given', 'birthdate', 'identifier', 'email', 'phone'], async (q, offset, limit) => {
      const identifier = one(q, 'identifier');
      let nir: string | undefined;
      if (identifier !== undefined) {
        const [system, value] = identifier.includes('|') ? identifier.split('|', 2) : [INS_NIR_SYSTEM, identifier];
        if (system !== INS_NIR_SYSTEM || !value) throw new RecordError('invalid', [`identifier must be ${INS_NIR_SYSTEM}|value`]);
        nir = normaliseNir(value);
      }
      const birth = one(q, 'birthdate');
      if (birth !== undefined && !(/^(eq)?\d{4}-\d{2}-\d{2}$/.test(birth) && isCalendarDate(birth.replace(/^eq/, '')))) throw new RecordError('invalid', ['birthdate must be a full date (eq only)']);
      const family = one(q, 'family');
      const name = one(q, 'name');
      const email = one(q, 'email');
      const phone = one(q, 'phone');
      const given = one(q, 'given');
      const found = await records(req).searchPatients({
        ...(family ? { family } : {}), ...(given ? { given } : {}), ...(name ? { name } : {}), ...(birth ? { birthDate: birth.replace(/^eq/, '') } : {}), ...(nir ? { nir } : {}),
        ...(email ? { email } : {}), ...(phone ? { phone } : {}), limit, offset,
      });
      return { items: found.items.map(toFhirPatientListing), more: found.more, ...(found.cut ? { cut: true, why: found.why } : {}) };
    });
  app.get('/fhir/Patient', { config: auth }, patientSearch);
  app.post('/fhir/Patient/_search', { config: auth }, patientSearch);

  const readPatientBody = (req: Req): ReturnType<typeof fromFhirPatient>['value'] => {
    const body = resourceOf(req, 'Patient');
    // The official schema first: what follows may then trust the shape of every element.
    const schema = fhirSchemaErrors(body);
    if (schema.length > 0) throw new RecordError('invalid', schema);
    const parsed = fromFhirPatient(body, clock().toISOString().slice(0, 10));
    if (parsed.problems.length > 0) throw new RecordError('invalid', parsed.problems);
    return parsed.value;
  };

  app.post('/fhir/Patient', { config: auth }, async (req: Req, reply) => {
    const body = resourceOf(req, 'Patient');
    if ('id' in body) throw new RecordError('invalid', ['Patient.id is assigned by the server']);
    const p = await records(req).createPatient(readPatientBody(req));
    reply.header('location', `${base(req)}/Patient/${p.id}/_history/${p.version}`);
    return send(patientOut(reply, p), toFhirPatient(p), 201);
  });

  app.put('/fhir/Patient/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    const body = resourceOf(req, 'Patient');
    if (body.id !== req.params.id) throw new RecordError('invalid', ['Patient.id must match the URL']);
    const ifMatch = req.headers['if-match'];
    if (ifMatch === undefined) throw new RecordError('precondition_required');
    const m = /^W\/"(\d+)"$/.exec(String(ifMatch));
    if (!m || Number(m[1]) > 2_147_483_647) throw new RecordError('invalid', ['If-Match must be W/"<version>"']);
    const p = await records(req).updatePatient(req.params.id as string, readPatientBody(req), Number(m[1]));
    return send(patientOut(reply, p), toFhirPatient(p));
  });

  app.get('/fhir/Patient/:id/$everything', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    const r = await records(req).everything(req.params.id as string);
    const resources = [toFhirPatient(r.patient), ...r.appointments.map(toFhirAppointment), ...(r.notes ?? []).map(toFhirDocumentReference)];
    return send(reply, searchBundle(base(req), resources, resources.length, `${base(req)}/Patient/${r.patient.id}/$everything`, null));
  });

  // ─── DocumentReference (clinical notes) ──────────────────────────────────────────────────
  app.get('/fhir/DocumentReference/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) =>
    send(reply, toFhirDocumentReference(await records(req).readNote(req.params.id as string))),
  );

  app.get('/fhir/DocumentReference', { config: auth }, async (req: Req, reply) =>
    paged(req, reply, 'DocumentReference', ['patient'], async (q, offset, limit) => {
      const patient = refId(one(q, 'patient'), 'Patient');
      if (!patient) throw new RecordError('invalid', ['patient is required']);
      const page = await records(req).notesOf(patient, { offset, limit });
      return { items: page.items.map(toFhirDocumentReference), more: page.more, ...(page.cut ? { cut: true, why: page.why } : {}) };
    }),
  );

  app.post('/fhir/DocumentReference', { config: auth }, async (req: Req, reply) => {
    const body = resourceOf(req, 'DocumentReference');
    const schema = fhirSchemaErrors(body);
    if (schema.length > 0) throw new RecordError('invalid', schema);
    const parsed = fromFhirDocumentReference(body);
    const problems = parsed.problems;
    if (problems.length > 0 || parsed.patientId === null) throw new RecordError('invalid', problems);
    const note = await records(req).createNote(parsed.patientId, parsed.text, parsed.labels);
    reply.header('location', `${base(req)}/DocumentReference/${note.id}`);
    return send(reply, toFhirDocumentReference(note), 201);
  });

  // ─── Appointment ─────────────────────────────────────────────────────────────────────────
  app.get('/fhir/Appointment/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) =>
    send(reply, toFhirAppointment(await records(req).readAppointment(req.params.id as string))),
  );

  app.get('/fhir/Appointment', { config: auth }, async (req: Req, reply) =>
    paged(req, reply, 'Appointment', APPOINTMENT_SEARCH, async (q, offset, limit) => {
      const date = dateParam(q, 'date', { ne: true });
      const patientId = refId(one(q, 'patient'), 'Patient');
      const practitionerId = refId(one(q, 'practitioner'), 'Practitioner');
      const found = await records(req).searchAppointments({
        ...(patientId ? { patientId } : {}), ...(practitionerId ? { practitionerId } : {}),
        from: date?.from ?? new Date(0), to: date?.to ?? new Date('9999-12-31T00:00:00Z'),
        excluded: date?.excluded ?? [], limit, offset,
      });
      const cut = found.cut ? { cut: true, warning: CALENDAR_CUT } : {};
      return { items: found.items.map(toFhirAppointment), more: found.more, ...cut };
    }),
  );

  const readAppointmentBody = (req: Req, id?: string) => {
    const b = resourceOf(req, 'Appointment');
    const problems = fhirSchemaErrors(b);
    if (problems.length > 0) throw new RecordError('invalid', problems);
    const allowed = new Set(['resourceType', 'id', 'status', 'serviceType', 'start', 'end', 'participant']);
    for (const k of Object.keys(b)) if (!allowed.has(k)) problems.push(`Appointment.${k} is not accepted`);
    const actors = (Array.isArray(b.participant) ? (b.participant as Json[]) : []).map((p) => (p.actor as Json | undefined)?.reference).filter((r): r is string => typeof r === 'string');
    const patient = actors.find((r) => r.startsWith('Patient/'))?.slice(8);
    const practitioner = actors.find((r) => r.startsWith('Practitioner/'))?.slice(13);
    const start = typeof b.start === 'string' ? new Date(b.start) : null;
    const end = typeof b.end === 'string' ? new Date(b.end) : null;
    const status = ['booked', 'arrived', 'fulfilled', 'cancelled', 'noshow'].includes(b.status as string) ? (b.status as 'booked') : null;
    const kindCode = ((((b.serviceType as Json[] | undefined)?.[0]?.coding as Json[] | undefined)?.[0]?.code) ?? 'consultation') as string;
    if (!patient || !isId(patient)) problems.push('Appointment.participant needs a Patient/{id}');
    if (!practitioner || !isId(practitioner)) problems.push('Appointment.participant needs a Practitioner/{id}');
    if (!start || !end || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) problems.push('Appointment needs start and end, end after start');
    if (!status) problems.push('Appointment.status must be booked, arrived, fulfilled, cancelled or noshow');
    if (!['consultation', 'home-visit', 'teleconsultation'].includes(kindCode)) problems.push('Appointment.serviceType must be consultation, home-visit or teleconsultation');
    if (problems.length > 0) throw new RecordError('invalid', problems);
    return { ...(id ? { id } : {}), patientId: patient as string, practitionerId: practitioner as string, start: start as Date, end: end as Date, status: status as 'booked', kind: kindCode as 'consultation' };
  };

  app.post('/fhir/Appointment', { config: auth }, async (req: Req, reply) => {
    if (resourceOf(req, 'Appointment').id !== undefined) throw new RecordError('invalid', ['Appointment.id is assigned by the server']);
    const a = await records(req).saveAppointment(readAppointmentBody(req));
    reply.header('location', `${base(req)}/Appointment/${a.id}`);
    return send(reply, toFhirAppointment(a), 201);
  });

  app.put('/fhir/Appointment/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    if (resourceOf(req, 'Appointment').id !== req.params.id) throw new RecordError('invalid', ['Appointment.id must match the URL']);
    return send(reply, toFhirAppointment(await records(req).saveAppointment(readAppointmentBody(req, req.params.id))));
  });

  // ─── Practitioner, Organization ──────────────────────────────────────────────────────────
  app.get('/fhir/Practitioner', { config: auth }, async (req: Req, reply) =>
    paged(req, reply, 'Practitioner', [], async (_q, offset, limit) => {
      const all = await practitioners(services().db, services().vault, principalOf(req));
      return { items: all.slice(offset, offset + limit).map(toFhirPractitioner), more: all.length > offset + limit };
    }),
  );
  app.get('/fhir/Practitioner/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    const u = (await practitioners(services().db, services().vault, principalOf(req))).find((x) => x.id === req.params.id);
    if (!u) throw new RecordError('not_found');
    return send(reply, toFhirPractitioner(u));
  });
  app.get('/fhir/Organization', { config: auth }, async (req: Req, reply) =>
    paged(req, reply, 'Organization', [], async (_q, offset) => ({ items: offset > 0 ? [] : [toFhirOrganization(await practice(services().db, services().vault, principalOf(req)))], more: false })),
  );
  app.get('/fhir/Organization/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    const o = await practice(services().db, services().vault, principalOf(req));
    if (o.id !== req.params.id) throw new RecordError('not_found');
    return send(reply, toFhirOrganization(o));
  });

  // ─── AuditEvent ──────────────────────────────────────────────────────────────────────────
  app.get('/fhir/AuditEvent', { config: auth }, async (req: Req, reply) =>
    paged(req, reply, 'AuditEvent', ['patient', 'agent', 'date'], async (q, offset, limit) => {
      const date = dateParam(q, 'date', { ne: false });
      const patientId = refId(one(q, 'patient'), 'Patient');
      const agentId = refId(one(q, 'agent'), 'Practitioner');
      const range = { ...(date?.from ? { from: date.from } : {}), ...(date?.to ? { to: date.to } : {}) };
      const filter = { ...(patientId ? { patientId } : {}), ...(agentId ? { agentId } : {}), ...range, limit, offset };
      return auditHistory(services().db, principalOf(req), filter, clock());
    }),
  );
}
