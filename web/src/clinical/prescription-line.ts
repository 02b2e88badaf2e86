import { T } from '../i18n.js';
import { DRUGS, drugLabel, type Drug } from './codes.js';
import { ATC, UCUM } from './read.js';
import { localDay } from './write.js';

/**
 * One line of a prescription as the doctor fills it in, and the MedicationRequest it becomes
 * (src/resources/medication-request: a drug coded in ATC with its name, the dosage in words and in
 * structure, what to dispense, and whether a generic may replace it).
 */
export type TimeUnit = 'd' | 'wk' | 'mo';
/** The three reasons the law allows for refusing substitution (CSP art. L.5125-23, arrêté du 12 novembre 2019). */
export type NoSubstitution = 'MTE' | 'EFG' | 'CIF';

export interface LineDraft {
  /** The drug as picked from the list ("Amoxicilline 500 mg, gélule") or written. */
  readonly drug: string;
  /** The ATC code of a drug written by hand (the list's drugs carry theirs). */
  readonly atc: string;
  readonly dosage: string;
  readonly asNeeded: boolean;
  readonly dose: string;
  readonly frequency: string;
  readonly period: 'd' | 'wk';
  readonly duration: string;
  readonly durationUnit: TimeUnit;
  readonly quantity: string;
  readonly quantityUnit: string;
  readonly renewals: string;
  readonly noSubstitution: boolean;
  readonly reason: NoSubstitution | '';
}

export const EMPTY_LINE: LineDraft = {
  drug: '', atc: '', dosage: '', asNeeded: false, dose: '1', frequency: '', period: 'd', duration: '',
  durationUnit: 'd', quantity: '', quantityUnit: '', renewals: '', noSubstitution: false, reason: '',
};

export const REASONS: Readonly<Record<NoSubstitution, () => string>> = {
  MTE: () => T('MTE — marge thérapeutique étroite', 'MTE — narrow therapeutic margin'),
  EFG: () => T(
    'EFG — enfant de moins de 6 ans, pas de forme générique adaptée',
    'EFG — child under 6, no suitable generic form',
  ),
  CIF: () => T('CIF — contre-indication formelle à un excipient', 'CIF — formal contra-indication to an excipient'),
};

/** A unit of time in days; the longest a line runs with its renewals (the server holds every line to it). */
const DAYS: Readonly<Record<TimeUnit, number>> = { d: 1, wk: 7, mo: 30.4375 };
const MAX_DAYS = 366;

const UNIT_WORDS: Readonly<Record<TimeUnit, [string, string]>> = {
  d: ['jour', 'jours'], wk: ['semaine', 'semaines'], mo: ['mois', 'mois'],
};

/** A decimal number as a person types it (a comma or a point), or null. */
export function parseNumber(s: string): number | null {
  const t = s.trim().replace(',', '.');
  if (t === '' || !/^[0-9]+(\.[0-9]+)?$/.test(t)) return null;
  return Number(t);
}

/** The list's drug this line names, if it names one. */
export function listedDrug(l: LineDraft): Drug | null {
  const name = l.drug.trim().toLowerCase();
  return DRUGS.find((d) => drugLabel(d).toLowerCase() === name) ?? null;
}

/** The ATC code of the line: its listed drug's, else the one written by hand. */
export function atcOf(l: LineDraft): string {
  return listedDrug(l)?.code ?? l.atc.trim().toUpperCase();
}

/**
 * The dosage in words from its structure, when the doctor did not write it: "1 gélule 3 fois par
 * jour pendant 5 jours".
 */
export function dosageWords(l: LineDraft): string {
  const form = listedDrug(l)?.form ?? T('prise', 'dose');
  const parts = [`${l.dose.trim() || '1'} ${form}`];
  if (l.asNeeded) parts.push(T('si besoin', 'as needed'));
  const times = parseNumber(l.frequency);
  const per = l.period === 'd' ? T('jour', 'day') : T('semaine', 'week');
  if (times) parts.push(`${times} ${T('fois par', 'times a')} ${per}`);
  const days = parseNumber(l.duration);
  if (days) parts.push(`${T('pendant', 'for')} ${days} ${UNIT_WORDS[l.durationUnit][days > 1 ? 1 : 0]}`);
  return parts.join(' ');
}

/** What keeps a line from being saved, in words (the server checks again). */
export function lineProblems(l: LineDraft): string[] {
  const p: string[] = [];
  if (l.drug.trim() === '') p.push(T('le médicament manque', 'the drug is missing'));
  else if (!/^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$/.test(atcOf(l))) {
    p.push(T(
      'un médicament hors liste demande son code ATC (7 caractères, ex. N02BE01)',
      'a drug not in the list needs its ATC code (7 characters, e.g. N02BE01)',
    ));
  }
  if (!l.asNeeded && !parseNumber(l.frequency)) {
    p.push(T('indiquez le nombre de prises, ou « si besoin »', 'give the number of doses, or "as needed"'));
  }
  if (l.duration.trim() !== '' && !parseNumber(l.duration)) {
    p.push(T('la durée est un nombre', 'the duration is a number'));
  }
  if (l.quantity.trim() !== '' && !parseNumber(l.quantity)) {
    p.push(T('la quantité est un nombre', 'the quantity is a number'));
  }
  const days = parseNumber(l.duration);
  const renewals = parseNumber(l.renewals) ?? 0;
  if (days && DAYS[l.durationUnit] * days * (1 + renewals) > MAX_DAYS) {
    p.push(T(
      'la durée et ses renouvellements dépassent douze mois (CSP art. R.5132-21)',
      'the duration and its renewals exceed twelve months (CSP art. R.5132-21)',
    ));
  }
  if (l.noSubstitution && l.reason === '') {
    p.push(T(
      'un médicament non substituable demande son motif (MTE, EFG ou CIF)',
      'a non-substitutable drug needs its reason (MTE, EFG or CIF)',
    ));
  }
  return p;
}

const duration = (value: number, unit: TimeUnit) => ({
  value, unit: UNIT_WORDS[unit][value > 1 ? 1 : 0], system: UCUM, code: unit,
});

/** The MedicationRequest of a checked line, active, for this consultation. */
export function medicationRequest(
  patientId: string, encounterId: string | null, l: LineDraft, at: Date,
): Record<string, unknown> {
  const listed = listedDrug(l);
  const times = parseNumber(l.frequency);
  const days = parseNumber(l.duration);
  const dose = parseNumber(l.dose);
  const quantity = parseNumber(l.quantity);
  const renewals = parseNumber(l.renewals);
  const form = listed?.form ?? T('boîte', 'box');
  const repeat = {
    ...(times ? { frequency: times, period: 1, periodUnit: l.period } : {}),
    ...(days ? { boundsDuration: duration(days, l.durationUnit) } : {}),
  };
  return {
    resourceType: 'MedicationRequest',
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: {
      coding: [{ system: ATC, code: atcOf(l), ...(listed ? { display: listed.display } : {}) }],
      text: l.drug.trim(),
    },
    subject: { reference: `Patient/${patientId}` },
    ...(encounterId ? { encounter: { reference: `Encounter/${encounterId}` } } : {}),
    authoredOn: localDay(at),
    dosageInstruction: [{
      sequence: 1,
      text: l.dosage.trim() || dosageWords(l),
      ...(Object.keys(repeat).length > 0 ? { timing: { repeat } } : {}),
      ...(l.asNeeded ? { asNeededBoolean: true } : {}),
      ...(dose ? { doseAndRate: [{ doseQuantity: { value: dose, unit: listed?.form ?? T('prise', 'dose') } }] } : {}),
    }],
    ...(quantity || days || renewals ? {
      dispenseRequest: {
        ...(renewals ? { numberOfRepeatsAllowed: renewals } : {}),
        ...(quantity ? { quantity: { value: quantity, unit: l.quantityUnit.trim() || form } } : {}),
        ...(days ? { expectedSupplyDuration: duration(days, l.durationUnit) } : {}),
      },
    } : {}),
    substitution: l.noSubstitution ? { allowedBoolean: false, reason: { text: l.reason } } : { allowedBoolean: true },
  };
}
