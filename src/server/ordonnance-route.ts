import type { FastifyInstance } from 'fastify';
import { isId } from '../domain/index.js';
import { ordonnancePdf, type OrdonnanceInput } from '../documents/index.js';
import { practice, practitioners, RecordError } from '../records/index.js';
import type { Json } from '../resources/index.js';
import { principalOf } from './context.js';
import { auth, idParams, one, type FhirKit, type Req } from './fhir-kit.js';
import type { Services } from './services.js';

const MAX_LINES = 30;

const text = (c: unknown): string | null => {
  const o = c as Json | undefined;
  if (!o) return null;
  if (typeof o.text === 'string') return o.text;
  const coding = (Array.isArray(o.coding) ? (o.coding as Json[]) : []).find((x) => typeof x.display === 'string');
  return (coding?.display as string | undefined) ?? null;
};

/** "30 jours", "3 mois": a Duration in French. */
function duration(d: unknown): string | null {
  const o = d as Json | undefined;
  if (!o || typeof o.value !== 'number') return null;
  const unit: Record<string, [string, string]> = {
    d: ['jour', 'jours'], wk: ['semaine', 'semaines'], mo: ['mois', 'mois'], a: ['an', 'ans'],
  };
  const u = unit[String(o.code ?? o.unit)];
  return u ? `${o.value} ${o.value > 1 ? u[1] : u[0]}` : `${o.value} ${String(o.unit ?? '')}`.trim();
}

/** One MedicationRequest as a line of the ordonnance. */
function lineOf(r: Json): OrdonnanceInput['lines'][number] {
  const instructions = (r.dosageInstruction as Json[] | undefined) ?? [];
  const dosage = instructions.map((x) => x.text).filter((x): x is string => typeof x === 'string');
  const dispense = (r.dispenseRequest ?? {}) as Json;
  const quantity = dispense.quantity as Json | undefined;
  const forDuration = duration(dispense.expectedSupplyDuration);
  const substitution = r.substitution as Json | undefined;
  return {
    drug: text(r.medicationCodeableConcept) ?? 'Médicament',
    dosage: dosage.join(' ; ') || 'Selon avis médical',
    // The page writes "Durée :" and "Quantité :" itself (documents/ordonnance-text.ts).
    duration: forDuration,
    quantity: quantity && typeof quantity.value === 'number'
      ? `${quantity.value} ${String(quantity.unit ?? '')}`.trim()
      : null,
    substitutable: substitution?.allowedBoolean !== false,
    // A refused substitution is printed with its legal reason (MTE, EFG, CIF: CSP art. L.5125-23).
    note: [
      substitution?.allowedBoolean === false ? `Motif : ${text(substitution.reason) ?? ''}` : null,
      ...((r.note as Json[] | undefined) ?? []).map((n) => n.text),
    ].filter((x): x is string => typeof x === 'string').join(' — ') || null,
  };
}

/**
 * `GET /fhir/Patient/{id}/$ordonnance?request={id},{id}…` — the French prescription of these
 * MedicationRequest lines as a PDF, for the prescriber to print and sign. Each line and the patient
 * are read through the records (decided, counted, audited like any read); only the prescriber's
 * own active lines of this patient are printed: an ordonnance is signed by whoever prescribed it.
 */
export function ordonnanceRoute(
  app: FastifyInstance, services: () => Services, clock: () => Date, kit: FhirKit,
): void {
  app.get('/fhir/Patient/:id/$ordonnance', { config: auth, schema: { params: idParams } }, async (req: Req, reply) => {
    const p = principalOf(req);
    if (p.role !== 'practitioner') throw new RecordError('invalid', ['only a practitioner prints a prescription']);
    const ids = (one(req.query, 'request') ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
    if (ids.length === 0 || ids.length > MAX_LINES) {
      throw new RecordError('invalid', [`request: 1 to ${MAX_LINES} MedicationRequest ids`]);
    }
    for (const k of Object.keys(req.query)) {
      if (k !== 'request') throw new RecordError('invalid', [`unknown parameter ${k.slice(0, 40)}`]);
    }
    const records = kit.records(req);
    const patientId = req.params.id as string;
    const malformed = ids.some((id) => !isId(id));
    if (malformed) throw new RecordError('invalid', ['request must be MedicationRequest ids']);
    // Checked sealed (patient, author, status) before anything is counted, opened or audited.
    const lines = (await records.prescriptionLines(patientId, [...new Set(ids)])).map((r) => r.body);
    const patient = await records.readPatient(patientId);
    const me = (await practitioners(services().db, services().vault, p)).find((u) => u.id === p.userId);
    const office = await practice(services().db, services().vault, p);
    const repeats = lines.map((l) => Number((l.dispenseRequest as Json | undefined)?.numberOfRepeatsAllowed ?? 0));
    const renewals = Math.max(0, ...repeats);
    const sex = patient.sex === 'male' || patient.sex === 'female' || patient.sex === 'other' ? patient.sex : 'unknown';
    const pdf = await ordonnancePdf({
      practice: {
        name: office.name, addressLines: [], postalCode: office.postalCode, city: office.city, phone: office.phone,
        finess: office.finess,
      },
      prescriber: {
        title: 'Dr', givenName: me?.givenName ?? '', familyName: me?.familyName ?? '', specialty: 'Médecine générale',
        rpps: me?.rpps ?? null,
      },
      patient: {
        givenName: patient.usedGivenName ?? patient.givenNames[0] ?? '',
        familyName: patient.usedFamilyName ?? patient.birthFamilyName,
        birthDate: patient.birthDate, sex,
      },
      date: clock(),
      lines: lines.map(lineOf),
      renewals: renewals > 0 ? renewals : null,
      reference: ids.map((x) => x.slice(0, 8)).join('-'),
    });
    return reply.code(200).type('application/pdf')
      .header('content-disposition', 'inline; filename="ordonnance.pdf"').header('cache-control', 'no-store')
      .send(pdf);
  });
}
