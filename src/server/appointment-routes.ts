import type { FastifyInstance, FastifyReply } from 'fastify';
import { isId, type Appointment } from '../domain/index.js';
import {
  APPOINTMENT_SEARCH, CANCEL_REASON_SYSTEM, fhirSchemaErrors, isSubsetted, SUBSETTED_WRITE, toFhirAppointment,
  VISIT_TYPE_SYSTEM,
} from '../fhir/index.js';
import { RecordError } from '../records/index.js';
import { agendaRoutes } from './agenda-routes.js';
import {
  auth, CALENDAR_CUT, dateParam, idParams, ifMatch, one, refId, resourceOf, type FhirKit, type Json, type Req,
} from './fhir-kit.js';

const STATUSES = ['booked', 'arrived', 'fulfilled', 'cancelled', 'noshow'];
const KINDS = ['consultation', 'home-visit', 'teleconsultation'];
/** HL7 appointment-cancellation-reason codes (FHIR R4): the patient's, the practitioner's, and others. */
export const CANCEL_REASONS = [
  'pat', 'pat-crs', 'pat-cpp', 'pat-dec', 'pat-fb', 'pat-lt', 'pat-mt', 'pat-mv', 'pat-preg', 'pat-swl', 'pat-ucp',
  'prov', 'prov-pers', 'prov-dch', 'prov-edu', 'prov-hosp', 'prov-labs', 'prov-mri', 'prov-onc',
  'maint', 'meds-inc', 'other', 'oth-cms', 'oth-err', 'oth-fin', 'oth-iv', 'oth-int', 'oth-mal', 'oth-mu',
  'oth-pv', 'oth-pyr', 'oth-req', 'oth-swie', 'oth-trans', 'oth-ut', 'oth-wthr',
];

// meta: a client sends back what it read (its version and dates); medvault sets them again.
const ACCEPTED = new Set([
  'resourceType', 'id', 'meta', 'status', 'serviceType', 'appointmentType', 'cancelationReason', 'start', 'end',
  'participant',
]);

/** Who wrote a version (an account of the practice: a Practitioner resource names its staff). */
const changedBy = (base: string, id: string) => ({
  url: `${base}/StructureDefinition/changed-by`, valueReference: { reference: `Practitioner/${id}` },
});

const codingOf = (x: unknown): { system?: unknown; code?: unknown } | undefined =>
  ((x as Json | undefined)?.coding as Json[] | undefined)?.[0];

/** An Appointment as a client writes it, checked: participants, times, status, kind, visit type, why cancelled. */
function appointmentBody(req: Req, id?: string) {
  const b = resourceOf(req, 'Appointment');
  if (isSubsetted(b)) throw new RecordError('invalid', [SUBSETTED_WRITE]);
  const problems = fhirSchemaErrors(b);
  if (problems.length > 0) throw new RecordError('invalid', problems);
  for (const k of Object.keys(b)) if (!ACCEPTED.has(k)) problems.push(`Appointment.${k} is not accepted`);
  const actors = (Array.isArray(b.participant) ? (b.participant as Json[]) : [])
    .map((p) => (p.actor as Json | undefined)?.reference).filter((r): r is string => typeof r === 'string');
  const patient = actors.find((r) => r.startsWith('Patient/'))?.slice(8);
  const practitioner = actors.find((r) => r.startsWith('Practitioner/'))?.slice(13);
  const start = typeof b.start === 'string' ? new Date(b.start) : null;
  const end = typeof b.end === 'string' ? new Date(b.end) : null;
  const status = STATUSES.includes(b.status as string) ? (b.status as Appointment['status']) : null;
  const kind = (codingOf((b.serviceType as Json[] | undefined)?.[0])?.code ?? 'consultation') as string;
  const type = codingOf(b.appointmentType);
  const visitTypeId = type === undefined ? null : type.code;
  const cancel = codingOf(b.cancelationReason);
  const cancelReason = cancel === undefined ? null : cancel.code;
  if (!patient || !isId(patient)) problems.push('Appointment.participant needs a Patient/{id}');
  if (!practitioner || !isId(practitioner)) problems.push('Appointment.participant needs a Practitioner/{id}');
  if (!start || !end || Number.isNaN(start.getTime()) || Number.isNaN(end.getTime()) || end <= start) {
    problems.push('Appointment needs start and end, end after start');
  }
  if (!status) problems.push('Appointment.status must be booked, arrived, fulfilled, cancelled or noshow');
  if (!KINDS.includes(kind)) {
    problems.push('Appointment.serviceType must be consultation, home-visit or teleconsultation');
  }
  const visitTypeOk = typeof visitTypeId === 'string' && isId(visitTypeId);
  if (type !== undefined && (type.system !== VISIT_TYPE_SYSTEM || !visitTypeOk)) {
    problems.push(`Appointment.appointmentType must be a code of ${VISIT_TYPE_SYSTEM} (a visit type's id)`);
  }
  const reasonOk = CANCEL_REASONS.includes(cancelReason as string);
  if (cancel !== undefined && (cancel.system !== CANCEL_REASON_SYSTEM || !reasonOk)) {
    problems.push(`Appointment.cancelationReason must be a code of ${CANCEL_REASON_SYSTEM}`);
  }
  if (cancel !== undefined && status !== 'cancelled') {
    problems.push('Appointment.cancelationReason needs status cancelled');
  }
  if (problems.length > 0) throw new RecordError('invalid', problems);
  return {
    ...(id ? { id } : {}), patientId: patient as string, practitionerId: practitioner as string, start: start as Date,
    end: end as Date, status: status as Appointment['status'], kind: kind as Appointment['kind'],
    visitTypeId: visitTypeId as string | null, cancelReason: cancelReason as string | null,
  };
}

/** The calendar through FHIR (Appointment: read, search, book, change, every version) and the agenda's settings. */
export function appointmentRoutes(app: FastifyInstance, kit: FhirKit): void {
  const { records, send, base, paged } = kit;
  /** An Appointment answered with its version as the ETag (a client's next If-Match). */
  const etagged = (reply: FastifyReply, a: Json) =>
    send(reply.header('etag', `W/"${(a.meta as Json | undefined)?.versionId ?? 1}"`), a);
  agendaRoutes(app, kit);

  app.get('/fhir/Appointment/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) =>
    etagged(reply, toFhirAppointment(await records(req).readAppointment(req.params.id as string))),
  );

  app.get('/fhir/Appointment/:id/_history', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    const { appointment: a, versions } = await records(req).appointmentHistory(req.params.id as string);
    const entry = versions.map((v) => {
      const at: Appointment = {
        ...a, practitionerId: v.practitionerId, start: v.start, end: v.end, status: v.status as Appointment['status'],
        visitTypeId: v.visitTypeId, cancelReason: v.cancelReason,
      };
      const meta = {
        versionId: String(v.version), lastUpdated: v.changedAt.toISOString(),
        ...(v.changedBy ? { extension: [changedBy(base(req), v.changedBy)] } : {}),
      };
      return { fullUrl: `${base(req)}/Appointment/${a.id}`, resource: { ...toFhirAppointment(at), meta } };
    });
    return send(reply, { resourceType: 'Bundle', type: 'history', total: entry.length, entry });
  });

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

  app.post('/fhir/Appointment', { config: auth }, async (req: Req, reply) => {
    if (resourceOf(req, 'Appointment').id !== undefined) {
      throw new RecordError('invalid', ['Appointment.id is assigned by the server']);
    }
    const a = await records(req).saveAppointment(appointmentBody(req));
    // No vread route for Appointment (its versions are read whole in _history): the location is the resource.
    reply.header('location', `${base(req)}/Appointment/${a.id}`).header('etag', `W/"${a.version ?? 1}"`);
    return send(reply, toFhirAppointment(a), 201);
  });

  app.put('/fhir/Appointment/:id', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    if (resourceOf(req, 'Appointment').id !== req.params.id) {
      throw new RecordError('invalid', ['Appointment.id must match the URL']);
    }
    const expected = ifMatch(req.headers['if-match']);
    const a = await records(req).saveAppointment(appointmentBody(req, req.params.id), expected);
    return etagged(reply, toFhirAppointment(a));
  });
}
