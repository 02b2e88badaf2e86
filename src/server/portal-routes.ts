import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AccessError } from '../access/errors.js';
import type { AppointmentKind, AppointmentStatus, ClinicalNote, DocumentKind } from '../domain/index.js';
import { recordSummaryPdf, type RecordSummaryInput } from '../documents/index.js';
import { auditHistory, practice, practitioners, Records } from '../records/index.js';
import { principalOf } from './context.js';
import { auth, deviceOf, idParams, type Json, type Req } from './fhir-kit.js';
import type { Services } from './services.js';

const KINDS: Record<AppointmentKind, string> = {
  consultation: 'Consultation au cabinet', 'home-visit': 'Visite à domicile', teleconsultation: 'Téléconsultation',
};
const STATUSES: Record<AppointmentStatus, string> = {
  booked: 'prévu', arrived: 'en cours', fulfilled: 'effectué', cancelled: 'annulé', noshow: 'manqué',
};
const DOCUMENT_KINDS: Record<DocumentKind, string> = {
  'progress-note': 'Note de consultation', letter: 'Courrier', 'lab-report': 'Résultats d’analyses',
  'imaging-report': 'Compte rendu d’imagerie',
};
const ROLES: Record<string, string> = {
  practitioner: 'médecin', assistant: 'assistant·e', 'practice-admin': 'administration du cabinet',
  'security-officer': 'responsable sécurité', system: 'système',
};
const ACTIONS: Record<string, string> = {
  read: 'a ouvert votre dossier', search: 'vous a trouvé(e) dans une recherche', create: 'a ajouté une information',
  update: 'a modifié votre dossier', everything: 'a consulté tout votre dossier',
  'break-glass': 'a demandé un accès d’urgence',
};
const PURPOSES: Record<string, string> = {
  TREAT: 'soins', ETREAT: 'accès d’urgence (bris de glace)', HOPERAT: 'gestion du cabinet', PATRQT: 'vous-même',
  HSYSADMIN: 'sécurité',
};

/** At most this many of each list in the summary: a year of a busy patient's record. */
const MAX_ITEMS = 500;

/** One access to the record, as the patient's access history gives it (records/directory.ts), in French. */
function accessOf(e: Json): RecordSummaryInput['accesses'][number] {
  const agent = (e.agent as Json[] | undefined)?.[0];
  const code = (x: unknown) => ((x as Json | undefined)?.coding as Json[] | undefined)?.[0]?.code as string | undefined;
  const purpose = code((e.purposeOfEvent as Json[] | undefined)?.[0]) ?? '';
  const action = (e.subtype as Json[] | undefined)?.[0]?.code as string | undefined;
  const stated = typeof e.outcomeDesc === 'string' ? ` — « ${e.outcomeDesc} »` : '';
  return {
    at: new Date(e.recorded as string),
    who: ((agent?.who as Json | undefined)?.display as string | undefined) ?? 'un professionnel',
    role: ROLES[code(agent?.type) ?? ''] ?? 'professionnel',
    what: ACTIONS[action ?? ''] ?? 'a accédé à votre dossier',
    why: `${PURPOSES[purpose] ?? 'non précisé'}${stated}`,
  };
}

/**
 * The patient portal's own routes: `GET /fhir/Patient/{id}/$record-summary`, her record as a
 * readable A4 PDF in French (identity, appointments, the documents shared with her, who accessed
 * her record and why). Patients only, their own record only; each part is one of her own reads
 * through the records — decided, counted and audited as the portal's screens read them.
 */
export function portalRoutes(app: FastifyInstance, services: () => Services, clock: () => Date): void {
  const records = (req: FastifyRequest) => new Records(
    services().db, services().vault, principalOf(req),
    { ip: req.ip, now: clock(), device: deviceOf(req.headers['user-agent']) },
    services().detection, (events) => services().detection.observe(events), services().auditBatch,
  );

  app.get('/fhir/Patient/:id/$record-summary', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    const p = principalOf(req);
    // A professional prints what she needs from the chart; this summary is the patient's copy.
    if (p.role !== 'patient') throw new AccessError('forbidden');
    const r = records(req);
    const patient = await r.readPatient(req.params.id as string);
    const now = clock();
    const all = { from: new Date(0), to: new Date('9999-12-31T00:00:00Z'), limit: MAX_ITEMS, offset: 0 };
    const appts = (await r.searchAppointments({ patientId: patient.id, ...all })).items;
    const notes = (await r.notesOf(patient.id, { offset: 0, limit: MAX_ITEMS })).items;
    const staff = await practitioners(services().db, services().vault, p);
    const office = await practice(services().db, services().vault, p);
    const history = await auditHistory(services().db, p, { patientId: patient.id, limit: MAX_ITEMS, offset: 0 }, now, req.ip);
    const nameOf = (id: string) => {
      const u = staff.find((x) => x.id === id);
      return u ? `Dr ${u.givenName} ${u.familyName}` : 'un médecin du cabinet';
    };
    const addr = patient.address;
    const given = patient.usedGivenName ?? patient.givenNames.join(' ');
    const titleOf = (n: ClinicalNote) => n.title ?? DOCUMENT_KINDS[n.kind ?? 'progress-note'];
    const pdf = await recordSummaryPdf({
      practice: { name: office.name, city: office.city ?? null },
      patient: {
        name: `${given} ${(patient.usedFamilyName ?? patient.birthFamilyName).toUpperCase()}`,
        birthDate: patient.birthDate, nir: patient.nir,
        address: addr ? `${addr.line}, ${addr.postalCode} ${addr.city}` : null,
      },
      generatedAt: now,
      appointments: [...appts].sort((a, b) => b.start.getTime() - a.start.getTime()).map((a) => ({
        start: a.start, with: nameOf(a.practitionerId), kind: KINDS[a.kind] ?? a.kind,
        status: STATUSES[a.status] ?? a.status, upcoming: a.start > now && a.status === 'booked',
      })),
      documents: notes.map((n) => ({
        date: n.writtenAt, title: titleOf(n), kind: DOCUMENT_KINDS[n.kind ?? 'progress-note'], author: nameOf(n.authorId),
      })),
      accesses: history.items.map(accessOf),
    });
    // The file's name says what it is, never whose (a download's name lands in the browser's history).
    return reply.code(200).type('application/pdf')
      .header('content-disposition', 'attachment; filename="releve-dossier-medvault.pdf"')
      .header('cache-control', 'no-store').header('x-content-type-options', 'nosniff').send(pdf);
  });
}
