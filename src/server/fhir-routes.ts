import type { FastifyInstance, FastifyReply } from 'fastify';
import { isCalendarDate, isSex, normaliseNir, SEXES, type Sex } from '../domain/index.js';
import {
  capabilityStatement, directoryMatches, directoryProblems, ORGANIZATION_SEARCH, PATIENT_SEARCH, PRACTITIONER_SEARCH,
  toFhirClinical,
  fhirSchemaErrors, fromFhirPatient, INS_NIR_SYSTEM, searchBundle,
  toFhirAppointment, toFhirDocumentReference, toFhirOrganization, toFhirPatient, toFhirPatientListing, toFhirPractitioner,
} from '../fhir/index.js';
import { auditHistory, practice, practitioners, RecordError } from '../records/index.js';
import type { StoredPatient } from '../store/index.js';
import { principalOf } from './context.js';
import { auth, dateParam, fhirKit, idParams, ifMatch, one, refId, resourceOf, type Req } from './fhir-kit.js';
import { appointmentRoutes } from './appointment-routes.js';
import { bundleRoutes } from './bundle-routes.js';
import { documentRoutes } from './document-routes.js';
import { patched } from './json-patch.js';
import { ordonnanceRoute } from './ordonnance-route.js';
import { resourceRoutes } from './resource-routes.js';
import type { Services } from './services.js';


export function fhirRoutes(app: FastifyInstance, services: () => Services, clock: () => Date, version: string): void {
  const { records, send, base, paged } = fhirKit(app, services, clock);
  resourceRoutes(app, services, clock, { records, send, base, paged });
  ordonnanceRoute(app, services, clock, { records, send, base, paged });
  documentRoutes(app, services, clock, { records, send, base, paged });
  appointmentRoutes(app, { records, send, base, paged });
  bundleRoutes(app, services, { records, send, base, paged });
  app.get('/fhir/metadata', { config: { access: 'public' } }, async (req, reply) => send(reply, capabilityStatement(version, base(req))));

  // ─── Patient ─────────────────────────────────────────────────────────────────────────────
  const patientOut = (reply: FastifyReply, p: StoredPatient) => reply.header('etag', `W/"${p.version}"`);

  app.get('/fhir/Patient/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    const p = await records(req).readPatient(req.params.id as string);
    return send(patientOut(reply, p), toFhirPatient(p));
  });

  /**
   * `gender` narrows a search by name, birth date or identifier; alone it would list half the
   * practice (the sex is sealed, not indexed: nothing finds patients by it), so it is refused alone.
   */
  const patientGender = (q: Record<string, string | string[]>): Sex | undefined => {
    const g = one(q, 'gender');
    if (g === undefined) return undefined;
    if (!isSex(g)) throw new RecordError('invalid', [`gender: one of ${SEXES.join(', ')}`]);
    if (!PATIENT_SEARCH.some((k) => k !== 'gender' && q[k] !== undefined)) {
      throw new RecordError('invalid', ['gender narrows a search by name, family, given, birthdate or identifier']);
    }
    return g as Sex;
  };
  const patientSearch = async (req: Req, reply: FastifyReply) =>
    paged(req, reply, 'Patient', PATIENT_SEARCH, async (q, offset, limit) => {
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
      const gender = patientGender(q);
      const found = await records(req).searchPatients({
        ...(gender ? { gender } : {}),
        ...(family ? { family } : {}), ...(given ? { given } : {}), ...(name ? { name } : {}), ...(birth ? { birthDate: birth.replace(/^eq/, '') } : {}), ...(nir ? { nir } : {}),
        ...(email ? { email } : {}), ...(phone ? { phone } : {}), limit, offset,
      });
      return { items: found.items.map(toFhirPatientListing), more: found.more, ...(found.cut ? { cut: true, why: found.why } : {}) };
    });
  app.get('/fhir/Patient', { config: auth }, patientSearch);
  app.post('/fhir/Patient/_search', { config: auth }, patientSearch);

  const readPatientBody = (req: { body: unknown }): ReturnType<typeof fromFhirPatient>['value'] => {
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
    const expected = ifMatch(req.headers['if-match']);
    const p = await records(req).updatePatient(req.params.id as string, readPatientBody(req), expected);
    return send(patientOut(reply, p), toFhirPatient(p));
  });

  // JSON Patch: the patient read (audited, counted), patched, checked as an update, written as the next
  // version (a version written meanwhile, or an If-Match naming another, is a 412).
  app.patch('/fhir/Patient/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    const id = req.params.id as string;
    const current = await records(req).readPatient(id);
    const expected = ifMatch(req.headers['if-match']);
    if (expected !== null && expected !== current.version) throw new RecordError('version_conflict');
    const body = patched(toFhirPatient(current), req.body);
    const p = await records(req).updatePatient(id, readPatientBody({ body }), current.version);
    return send(patientOut(reply, p), toFhirPatient(p));
  });

  app.get('/fhir/Patient/:id/$everything', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    const r = await records(req).everything(req.params.id as string);
    const resources = [
      toFhirPatient(r.patient), ...r.appointments.map(toFhirAppointment), ...(r.notes ?? []).map(toFhirDocumentReference),
      ...r.resources.map(toFhirClinical),
    ];
    return send(reply, searchBundle(base(req), resources, resources.length, `${base(req)}/Patient/${r.patient.id}/$everything`, null));
  });

  // ─── Practitioner, Organization ──────────────────────────────────────────────────────────
  app.get('/fhir/Practitioner', { config: auth }, async (req: Req, reply) =>
    paged(req, reply, 'Practitioner', PRACTITIONER_SEARCH, async (q, offset, limit) => {
      const problems = directoryProblems(q);
      if (problems.length > 0) throw new RecordError('invalid', problems);
      const all = (await practitioners(services().db, services().vault, principalOf(req)))
        .map(toFhirPractitioner).filter((r) => directoryMatches(r, q));
      return { items: all.slice(offset, offset + limit), more: all.length > offset + limit };
    }),
  );
  app.get('/fhir/Practitioner/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    const u = (await practitioners(services().db, services().vault, principalOf(req))).find((x) => x.id === req.params.id);
    if (!u) throw new RecordError('not_found');
    return send(reply, toFhirPractitioner(u));
  });
  app.get('/fhir/Organization', { config: auth }, async (req: Req, reply) =>
    paged(req, reply, 'Organization', ORGANIZATION_SEARCH, async (q, offset) => {
      const problems = directoryProblems(q);
      if (problems.length > 0) throw new RecordError('invalid', problems);
      const mine = toFhirOrganization(await practice(services().db, services().vault, principalOf(req)));
      return { items: offset > 0 || !directoryMatches(mine, q) ? [] : [mine], more: false };
    }),
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
      return auditHistory(services().db, principalOf(req), filter, clock(), req.ip);
    }),
  );
}
