import { ATC, CVX, SNOMED, UCUM } from '../systems.js';
import { atcCode, Problems } from '../check.js';
import { concept, fields, integer, list, measure, snomedConcept } from '../elements.js';
import { labelsOfConcepts } from '../labels.js';
import type { Json, ResourceModule } from '../module.js';

/**
 * Immunization — a vaccination given (or not given, and why): the vaccine by its ATC code (group
 * J07, the French schedule's list in codes/vaccins-fr.json) and its CVX code where one matches, the
 * dose, the lot (kept for pharmacovigilance) and the dose number in its series. The vaccinator is
 * the author medvault records.
 */
const STATUS = ['completed', 'not-done', 'entered-in-error'] as const;
const ACT_SITE = 'http://terminology.hl7.org/CodeSystem/v3-ActSite';
const ROUTE = 'http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
/** Arms, deltoids, thighs, vastus lateralis and gluteus: where a vaccine is injected. */
const SITES = ['LA', 'RA', 'LD', 'RD', 'LT', 'RT', 'LVL', 'RVL', 'LG', 'RG'];
/** R4 example value set immunization-route: intramuscular, subcutaneous, intradermal, oral, nasal. */
const ROUTES = ['IM', 'SQ', 'IDINJ', 'PO', 'NASINHLC'];
/** R4 immunization-status-reason: immunity, medical precaution, out of stock, patient objection. */
const NOT_DONE_REASONS = ['IMMUNE', 'MEDPREC', 'OSTOCK', 'PATOBJ'];
const VACCINES = {
  [ATC]: (c: string) => c.startsWith('J07') && atcCode(c),
  [CVX]: (c: string) => /^[0-9]{1,3}$/.test(c),
};
const ACCEPTED = [
  'status', 'statusReason', 'vaccineCode', 'patient', 'encounter', 'occurrenceDateTime', 'recorded', 'primarySource',
  'lotNumber', 'site', 'route', 'doseQuantity', 'protocolApplied', 'note',
];
/** The performer is the author medvault records; the narrative is generated. */
const SERVER_OWNED = ['performer', 'text'];
/** What only a vaccine given has. */
const GIVEN = ['lotNumber', 'site', 'route', 'doseQuantity', 'protocolApplied'] as const;

function protocols(p: Problems, v: unknown): void {
  list(p, v, 'protocolApplied', 5).forEach((x, i) => {
    const path = `protocolApplied[${i}]`;
    const a = fields(p, x, path, ['series', 'doseNumberPositiveInt', 'seriesDosesPositiveInt']);
    if (!a) return;
    p.text(a.series, `${path}.series`, 200);
    // R4: doseNumber[x] is required (1..1); medvault takes the number, not a string.
    if (a.doseNumberPositiveInt === undefined) p.add(`${path}.doseNumberPositiveInt is required`);
    integer(p, a.doseNumberPositiveInt, `${path}.doseNumberPositiveInt`, 1, 20);
    integer(p, a.seriesDosesPositiveInt, `${path}.seriesDosesPositiveInt`, 1, 20);
  });
}

export const immunization: ResourceModule = {
  type: 'Immunization',
  title: { fr: 'Vaccinations', en: 'Immunizations' },
  segment: 'clinical',
  ledger: 'clinical',
  category: { code: 'vaccinations', fr: 'vaccinations', en: 'vaccinations' },
  interactions: ['read', 'vread', 'create', 'update', 'search-type', 'history-instance'],
  search: [
    { name: 'vaccine-code', index: 'token' },
    { name: 'status', index: 'token' },
    { name: 'date', index: 'date' },
  ],
  date: 'Immunization.occurrence',
  patient: 'Immunization.patient',
  serverOwned: SERVER_OWNED,
  author: (practitioner) => ({ performer: [{ actor: practitioner }] }),
  audit: ['read', 'search', 'create', 'update'],
  check(r: Json, now: Date) {
    const p = new Problems('Immunization');
    p.only(r, ACCEPTED, SERVER_OWNED);
    const patientId = p.reference(r.patient, 'patient', 'Patient', true);
    p.reference(r.encounter, 'encounter', 'Encounter', false);
    const status = p.code(r.status, 'status', STATUS, true);
    const vaccine = concept(p, r.vaccineCode, 'vaccineCode', VACCINES, true);
    if (r.vaccineCode !== undefined && !vaccine.some((c) => c.system === ATC)) {
      p.add(`vaccineCode needs a coding from ${ATC} (group J07)`);
    }
    // R4: occurrence[x] is required; a vaccination is dated, not described ("enfance").
    p.past(r.occurrenceDateTime, 'occurrenceDateTime', now, true);
    p.past(r.recorded, 'recorded', now, false);
    if (r.primarySource !== undefined && typeof r.primarySource !== 'boolean') p.add('primarySource is a boolean');
    if (status === 'not-done') {
      for (const k of GIVEN) if (r[k] !== undefined) p.add(`${k}: a vaccine not given has none`);
    } else if (r.statusReason !== undefined) p.add('statusReason is for a vaccine not given (not-done)');
    concept(p, r.statusReason, 'statusReason', { [ACT_REASON]: (c) => NOT_DONE_REASONS.includes(c) }, false, true);
    p.text(r.lotNumber, 'lotNumber', 40);
    concept(p, r.site, 'site', { [ACT_SITE]: (c) => SITES.includes(c), [SNOMED]: snomedConcept }, false);
    concept(p, r.route, 'route', { [ROUTE]: (c) => ROUTES.includes(c) }, false);
    // A dose of vaccine is 0.05 mL (intradermal BCG for an infant) to 2 mL.
    if (r.doseQuantity !== undefined) measure(p, r.doseQuantity, 'doseQuantity', 'mL', 0.05, 2);
    protocols(p, r.protocolApplied);
    p.notes(r.note, 'note');
    return { problems: p.list, patientId };
  },
  labels: (r: Json) => labelsOfConcepts([r.vaccineCode]),
  example: (patientId: string, _practitionerId: string, at: Date) => ({
    resourceType: 'Immunization',
    status: 'completed',
    vaccineCode: {
      coding: [
        { system: ATC, code: 'J07BB02', display: 'Grippe, vaccin inactivé' },
        { system: CVX, code: '88', display: 'influenza, unspecified formulation' },
      ],
      text: 'Vaccin grippal saisonnier inactivé',
    },
    patient: { reference: `Patient/${patientId}` },
    occurrenceDateTime: at.toISOString(),
    primarySource: true,
    lotNumber: 'X4F27B',
    site: { coding: [{ system: ACT_SITE, code: 'LD', display: 'Deltoïde gauche' }] },
    route: { coding: [{ system: ROUTE, code: 'IM', display: 'Injection intramusculaire' }] },
    doseQuantity: { value: 0.5, unit: 'mL', system: UCUM, code: 'mL' },
    protocolApplied: [{ series: 'Campagne de vaccination antigrippale', doseNumberPositiveInt: 1 }],
    note: [{ text: 'Pas de réaction immédiate après quinze minutes de surveillance.' }],
  }),
};
