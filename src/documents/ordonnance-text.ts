import { DocumentError } from './errors.js';
import { compareDays, decimal, longDate, parisDay, parseDay, shortDate } from './french.js';
import type { OrdonnanceInput, OrdonnanceLine, OrdonnanceText, PrintedLine } from './ordonnance-input.js';
import { pdfText } from './pdf-text.js';

/** More lines than a prescriber writes on one ordonnance: past this, the input is a mistake. */
export const MAX_LINES = 30;

// A monthly supply renewed eleven times covers the twelve months beyond which no prescription
// of a medicine can be dispensed; more renewals could never be honoured.
const MAX_RENEWALS = 11;

// Caps keep one prescription line shorter than a page, so a line never has to be split.
const MAX = { name: 100, drug: 200, dosage: 600, supply: 100, note: 600, reference: 48, address: 120 } as const;

/** The birth line agrees with the patient's sex; the inclusive form when it is not known. */
const BORN: Readonly<Record<OrdonnanceInput['patient']['sex'], string>> = {
  male: 'Né le',
  female: 'Née le',
  other: 'Né(e) le',
  unknown: 'Né(e) le',
};

function invalid(detail: string): never {
  throw new DocumentError('invalid', detail);
}

/** A required field, spelled for the page; `what` names it in the message ("le nom du patient"). */
function required(value: unknown, what: string, max: number, multiline = false): string {
  if (typeof value !== 'string') invalid(`${what} manque.`);
  const text = pdfText(value, { multiline });
  if (text === '') invalid(`${what} est vide.`);
  if (text.length > max) invalid(`${what} dépasse ${max} caractères.`);
  return text;
}

/** An optional field: absent, null or blank prints nothing. */
function optional(value: unknown, what: string, max: number, multiline = false): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') invalid(`${what} n’est pas un texte.`);
  const text = pdfText(value, { multiline });
  if (text.length > max) invalid(`${what} dépasse ${max} caractères.`);
  return text === '' ? null : text;
}

/** An identifier printed as given but checked for its shape; spaces between groups are dropped. */
function identifier(value: unknown, what: string, shape: RegExp, rule: string): string | null {
  const text = optional(value, what, 40);
  if (text === null) return null;
  const compact = text.replace(/[\s\u00a0]/g, '');
  if (!shape.test(compact)) invalid(`${what} ${rule}.`);
  return compact;
}

function upper(name: string): string {
  return name.toLocaleUpperCase('fr-FR');
}

function printedLine(line: OrdonnanceLine | undefined, n: number): PrintedLine {
  if (typeof line !== 'object' || line === null) invalid(`ligne ${n}, la ligne manque.`);
  const drug = required(line.drug, `ligne ${n}, le nom du médicament`, MAX.drug);
  const dosage = required(line.dosage, `ligne ${n}, la posologie`, MAX.dosage, true);
  const duration = optional(line.duration, `ligne ${n}, la durée`, MAX.supply);
  const quantity = optional(line.quantity, `ligne ${n}, la quantité`, MAX.supply);
  const note = optional(line.note, `ligne ${n}, la remarque`, MAX.note, true);
  if (typeof line.substitutable !== 'boolean') invalid(`ligne ${n}, la substituabilité n’est pas précisée.`);
  const supply = [duration && `Durée : ${duration}`, quantity && `Quantité : ${quantity}`].filter(Boolean).join(' — ');
  return { drug, dosage, supply: supply === '' ? null : supply, note, substitutable: line.substitutable };
}

/**
 * Checks a prescription and spells every field for the page. Messages name the field or the
 * line number, never a value: they may reach a log or a client.
 */
export function ordonnanceText(input: OrdonnanceInput): OrdonnanceText {
  if (!(input.date instanceof Date) || Number.isNaN(input.date.getTime())) invalid('la date n’est pas une date.');
  const today = parisDay(input.date);

  if (!Array.isArray(input.lines) || input.lines.length === 0) invalid('aucune ligne de prescription.');
  if (input.lines.length > MAX_LINES) invalid(`plus de ${MAX_LINES} lignes de prescription.`);
  const lines = input.lines.map((line, i) => printedLine(line, i + 1));

  const pr = input.prescriber;
  const title = optional(pr.title, 'le titre du prescripteur', 20);
  const prescriberName = `${required(pr.givenName, 'le prénom du prescripteur', MAX.name)} ${upper(
    required(pr.familyName, 'le nom du prescripteur', MAX.name),
  )}`;
  // RPPS numbers are 11 digits (the last a Luhn check digit); the length is what a typo breaks.
  const rpps = identifier(pr.rpps, 'le numéro RPPS', /^\d{11}$/, 'doit comporter 11 chiffres');
  const am = identifier(pr.amNumber, 'le numéro AM', /^[0-9AB]{9}$/i, 'doit comporter 9 caractères');
  const prescriberDetails = [
    required(pr.specialty, 'la spécialité du prescripteur', MAX.name),
    ...(rpps ? [`RPPS n° ${rpps}`] : []),
    ...(am ? [`AM n° ${am}`] : []),
  ];

  const pa = input.practice;
  if (!Array.isArray(pa.addressLines)) invalid('l’adresse du cabinet manque.');
  const address = pa.addressLines
    .map((l, i) => optional(l, `la ligne ${i + 1} de l’adresse du cabinet`, MAX.address))
    .filter((l): l is string => l !== null);
  const cityLine = `${required(pa.postalCode, 'le code postal du cabinet', 10)} ${upper(
    required(pa.city, 'la ville du cabinet', MAX.name),
  )}`;
  const phone = optional(pa.phone, 'le téléphone du cabinet', 30);
  // FINESS numbers are 9 characters; Corsican ones start with 2A or 2B.
  const finess = identifier(pa.finess, 'le numéro FINESS', /^(\d{2}|2A|2B)\d{7}$/i, 'doit comporter 9 caractères');

  const p = input.patient;
  const patientName = `${required(p.givenName, 'le prénom du patient', MAX.name)} ${upper(
    required(p.familyName, 'le nom du patient', MAX.name),
  )}`;
  const birth = typeof p.birthDate === 'string' ? parseDay(p.birthDate) : null;
  if (birth === null) invalid('la date de naissance n’est pas une date AAAA-MM-JJ.');
  if (compareDays(birth, today) > 0) invalid('la date de naissance est après la date de l’ordonnance.');
  if (!Object.hasOwn(BORN, p.sex)) invalid('le sexe du patient n’est pas reconnu.');
  const born = BORN[p.sex];
  let weight: string | null = null;
  if (p.weightKg !== undefined && p.weightKg !== null) {
    if (typeof p.weightKg !== 'number' || !(p.weightKg > 0 && p.weightKg <= 400)) {
      invalid('le poids doit être un nombre de kilogrammes entre 0 et 400.');
    }
    weight = `Poids : ${decimal(p.weightKg)} kg`;
  }

  const renewals = input.renewals ?? 0;
  if (!Number.isInteger(renewals) || renewals < 0 || renewals > MAX_RENEWALS) {
    invalid(`le nombre de renouvellements doit être un entier de 0 à ${MAX_RENEWALS}.`);
  }

  return {
    prescriber: { name: title ? `${title} ${prescriberName}` : prescriberName, details: prescriberDetails },
    practice: {
      name: required(pa.name, 'le nom du cabinet', MAX.name),
      details: [...address, cityLine, ...(phone ? [`Tél. ${phone}`] : []), ...(finess ? [`FINESS n° ${finess}`] : [])],
    },
    date: longDate(today),
    patient: { name: patientName, born: `${born} ${shortDate(birth)}`, weight },
    lines,
    renewals,
    ald: input.ald === true,
    reference: required(input.reference, 'la référence du document', MAX.reference),
  };
}
