import { ATC, CIS, UCUM } from '../systems.js';
import { atcCode, Problems } from '../check.js';
import { concept, duration, fields, integer, list, period, quantity } from '../elements.js';
import { labelsOfConcepts } from '../labels.js';
import type { Json, ResourceModule } from '../module.js';
import { dosage } from './dosage.js';

/**
 * MedicationRequest — one line of a prescription: a drug named by its substance (ATC, with the
 * French CIS code when the client has it), its dosage in words and in structure, and what the
 * pharmacist may dispense. The prescriber is the author medvault records (`requester`). An
 * antiretroviral, an antidepressant or a nicotine substitute carries the label a note about it would.
 */
const STATUS = [
  'active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown',
] as const;
const ACCEPTED = [
  'status', 'intent', 'medicationCodeableConcept', 'subject', 'encounter', 'authoredOn', 'dosageInstruction',
  'dispenseRequest', 'substitution', 'note',
];
const SERVER_OWNED = ['requester', 'recorder', 'text'];
const DISPENSE = ['validityPeriod', 'numberOfRepeatsAllowed', 'quantity', 'expectedSupplyDuration'];

/** A substance: an ATC code of level 5 (seven characters), as a prescription in DCI names it (CSP L.5121-1-2). */
const atcSubstance = (c: string) => c.length === 7 && atcCode(c);

/** CIS (a specialty: 8 digits) or CIP 13 (a presentation: 34009 and an EAN-13 check digit). */
function cisOrCip(c: string): boolean {
  if (/^[0-9]{8}$/.test(c)) return true;
  if (!/^34009[0-9]{8}$/.test(c)) return false;
  const sum = c.slice(0, 12).split('').reduce((s, d, i) => s + Number(d) * (i % 2 === 0 ? 1 : 3), 0);
  return (10 - (sum % 10)) % 10 === Number(c[12]);
}

const DRUGS = { [ATC]: atcSubstance, [CIS]: cisOrCip };

/**
 * A prescription of a listed medicine covers at most twelve months (Code de la santé publique,
 * art. R.5132-21); medvault does not know which drugs are listed, so it holds every line to it.
 */
const MAX_DAYS = 366;

function dispense(p: Problems, v: unknown): void {
  if (v === undefined) return;
  const d = fields(p, v, 'dispenseRequest', DISPENSE);
  if (!d) return;
  period(p, d.validityPeriod, 'dispenseRequest.validityPeriod');
  const repeats = d.numberOfRepeatsAllowed;
  integer(p, repeats, 'dispenseRequest.numberOfRepeatsAllowed', 0, 12);
  const q = quantity(p, d.quantity, 'dispenseRequest.quantity', true);
  if (q && q.value <= 0) p.add('dispenseRequest.quantity must be positive');
  const supply = duration(p, d.expectedSupplyDuration, 'dispenseRequest.expectedSupplyDuration');
  const times = 1 + (typeof repeats === 'number' ? repeats : 0);
  if (supply !== null && supply * times > MAX_DAYS) {
    p.add('dispenseRequest: the supply and its repeats exceed twelve months (CSP art. R.5132-21)');
  }
}

/**
 * Whether the pharmacist may dispense a generic. Refusing it needs one of the three reasons the
 * law allows, written on the prescription (CSP art. L.5125-23, arrêté du 12 novembre 2019): MTE
 * (narrow therapeutic margin), EFG (child under six, no suitable generic form) or CIF (formal
 * contra-indication to an excipient).
 */
function substitution(p: Problems, v: unknown): void {
  if (v === undefined) return;
  const s = fields(p, v, 'substitution', ['allowedBoolean', 'reason']);
  if (!s) return;
  if (typeof s.allowedBoolean !== 'boolean') p.add('substitution.allowedBoolean is required');
  if (s.reason !== undefined) {
    const reason = fields(p, s.reason, 'substitution.reason', ['text']);
    if (reason) p.text(reason.text, 'substitution.reason.text', 200);
  }
  if (s.allowedBoolean === false) {
    const text = (s.reason as Json | undefined)?.text;
    if (typeof text !== 'string' || !/\b(MTE|EFG|CIF)\b/.test(text)) {
      p.add('substitution.reason.text must name MTE, EFG or CIF when substitution is refused');
    }
  }
}

export const medicationRequest: ResourceModule = {
  type: 'MedicationRequest',
  title: { fr: 'Prescriptions', en: 'Prescriptions' },
  segment: 'clinical',
  ledger: 'clinical',
  category: { code: 'treatments', fr: 'traitements', en: 'treatments' },
  interactions: ['read', 'vread', 'create', 'update', 'search-type', 'history-instance'],
  search: [
    { name: 'code', index: 'token' },
    { name: 'status', index: 'token' },
    { name: 'intent', index: 'token' },
    { name: 'authoredon', index: 'date' },
    { name: 'encounter', index: 'reference' },
  ],
  date: 'MedicationRequest.authoredOn',
  patient: 'MedicationRequest.subject',
  serverOwned: SERVER_OWNED,
  // The prescriber signs the prescription: the account that writes the line.
  author: (practitioner) => ({ requester: practitioner }),
  audit: ['read', 'search', 'create', 'update'],
  check(r: Json, now: Date) {
    const p = new Problems('MedicationRequest');
    p.only(r, ACCEPTED, SERVER_OWNED);
    const patientId = p.reference(r.subject, 'subject', 'Patient', true);
    p.reference(r.encounter, 'encounter', 'Encounter', false);
    p.code(r.status, 'status', STATUS, true);
    // A prescription line is an order; proposals and plans are not what medvault prints.
    p.code(r.intent, 'intent', ['order'], true);
    // A GP names a drug outside the list in words: accepted, but then labelled only by what the
    // client asserts (meta.security). A coded one carries its ATC class, which labels it.
    const codings = concept(p, r.medicationCodeableConcept, 'medicationCodeableConcept', DRUGS, true, true);
    const drug = r.medicationCodeableConcept as Json | undefined;
    if (drug !== undefined) {
      // A drug known only by its CIS code would go unlabelled: a coded drug has its ATC class.
      const unclassed = codings.length > 0 && !codings.some((c) => c.system === ATC);
      if (unclassed) p.add(`medicationCodeableConcept needs a coding from ${ATC}`);
      if (drug.text === undefined) p.add('medicationCodeableConcept.text is required (the name of the drug)');
    }
    // CSP art. R.5132-3: a prescription is dated and states the dosage.
    p.past(r.authoredOn, 'authoredOn', now, true);
    if (r.dosageInstruction === undefined) p.add('dosageInstruction is required');
    const days = list(p, r.dosageInstruction, 'dosageInstruction', 10)
      .map((d, i) => dosage(p, d, `dosageInstruction[${i}]`));
    if (days.some((d) => d !== null && d > MAX_DAYS)) {
      p.add('dosageInstruction: a treatment of more than twelve months (CSP art. R.5132-21)');
    }
    dispense(p, r.dispenseRequest);
    substitution(p, r.substitution);
    p.notes(r.note, 'note');
    return { problems: p.list, patientId };
  },
  labels: (r: Json) => labelsOfConcepts([r.medicationCodeableConcept]),
  example: (patientId: string, _practitionerId: string, at: Date) => {
    const day = at.toISOString().slice(0, 10);
    // The first dispensing of a listed medicine is due within three months (CSP art. R.5132-22).
    const validUntil = new Date(at.getTime() + 90 * 86_400_000).toISOString().slice(0, 10);
    return {
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: {
        coding: [{ system: ATC, code: 'C08CA01', display: 'amlodipine' }],
        text: 'Amlodipine 5 mg, comprimé',
      },
      subject: { reference: `Patient/${patientId}` },
      authoredOn: day,
      dosageInstruction: [{
        sequence: 1,
        text: '1 comprimé le matin, pendant 3 mois',
        timing: {
          repeat: {
            frequency: 1, period: 1, periodUnit: 'd',
            boundsDuration: { value: 3, unit: 'mois', system: UCUM, code: 'mo' },
          },
        },
        doseAndRate: [{ doseQuantity: { value: 1, unit: 'comprimé' } }],
      }],
      dispenseRequest: {
        validityPeriod: { start: day, end: validUntil },
        numberOfRepeatsAllowed: 2,
        quantity: { value: 30, unit: 'comprimé' },
        expectedSupplyDuration: { value: 30, unit: 'jours', system: UCUM, code: 'd' },
      },
      substitution: { allowedBoolean: true },
    };
  },
};
