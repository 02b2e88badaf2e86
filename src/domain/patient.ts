import type { Id } from './ids.js';
import { nirMatchesIdentity, parseNir } from './nir.js';

export type Sex = 'female' | 'male' | 'other' | 'unknown';
export const SEXES: readonly Sex[] = ['female', 'male', 'other', 'unknown'];
export const isSex = (v: unknown): v is Sex => (SEXES as readonly unknown[]).includes(v);

/** Identity status of the INS (référentiel national d'identitovigilance). */
export type IdentityStatus = 'PROV' | 'VALI' | 'QUAL';

export interface PostalAddress {
  readonly line: string;
  readonly postalCode: string;
  readonly city: string;
  readonly country: string; // ISO 3166-1 alpha-2
}

/** An identifier of the patient other than the INS-NIR: another system's file number, kept as given. */
export interface PatientIdentifier {
  readonly system: string;
  readonly value: string;
  readonly use: 'usual' | 'official' | 'secondary' | 'old' | 'temp' | null;
  /** What kind of number it is (HL7 v2 table 0203: MR, SS…), as the other system coded it. */
  readonly type: {
    readonly coding: readonly { readonly system: string; readonly code: string; readonly display?: string }[];
    readonly text?: string;
  } | null;
}

/**
 * The patient's declared general practitioner (médecin traitant): a practitioner of the practice
 * (by id), or one outside it known by an identifier (RPPS) and a name.
 */
export type GeneralPractitioner =
  | { readonly practitionerId: string }
  | { readonly identifier: { readonly system: string; readonly value: string }; readonly display: string | null };

/** A language the patient speaks (BCP 47 code), and whether it is the one they prefer. */
export interface PatientLanguage {
  readonly code: string;
  readonly display: string | null;
  readonly preferred: boolean;
}

/**
 * A patient's administrative identity. The five INS strict traits are the birth family name,
 * the birth given names, the birth date, the sex and the birthplace INSEE code.
 */
export interface Patient {
  readonly id: Id;
  readonly practiceId: Id;
  readonly birthFamilyName: string;
  readonly usedFamilyName: string | null;
  /** Birth given names, in civil-status order; the first is the one used unless usedGivenName says otherwise. */
  readonly givenNames: readonly string[];
  readonly usedGivenName: string | null;
  readonly sex: Sex;
  readonly birthDate: string; // YYYY-MM-DD
  /** INSEE code of the birth commune, or 99 + country code for a birth abroad. */
  readonly birthplaceInsee: string | null;
  readonly nir: string | null;
  readonly identityStatus: IdentityStatus;
  readonly phone: string | null;
  readonly mobile: string | null;
  readonly email: string | null;
  readonly address: PostalAddress | null;
  /** A notable person: any access without a care relationship raises an alert. */
  readonly vip: boolean;
  readonly deceasedDate: string | null;
  /** Identifiers from other systems (absent: none). */
  readonly otherIdentifiers?: readonly PatientIdentifier[];
  /** False: the record is no longer in active use (the patient left the practice); absent: true. */
  readonly active?: boolean;
  readonly generalPractitioners?: readonly GeneralPractitioner[];
  readonly languages?: readonly PatientLanguage[];
}

export type PatientProblem =
  | 'birthFamilyName'
  | 'givenNames'
  | 'birthDate'
  | 'birthplaceInsee'
  | 'nir'
  | 'nirIdentity'
  | 'email';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

export function isCalendarDate(value: string): boolean {
  const m = DATE.exec(value);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

/** Checks an identity before it is stored; `today` (YYYY-MM-DD) bounds the birth date. */
export function validatePatientIdentity(
  p: Pick<Patient, 'birthFamilyName' | 'givenNames' | 'birthDate' | 'birthplaceInsee' | 'nir' | 'sex' | 'email'>,
  today: string,
): PatientProblem[] {
  const problems: PatientProblem[] = [];
  if (p.birthFamilyName.trim() === '' || p.birthFamilyName.length > 100) problems.push('birthFamilyName');
  if (p.givenNames.length === 0 || p.givenNames.some((g) => g.trim() === '' || g.length > 100)) problems.push('givenNames');
  if (!isCalendarDate(p.birthDate) || p.birthDate > today || p.birthDate < '1890-01-01') problems.push('birthDate');
  if (p.birthplaceInsee !== null && !/^(?:[0-9]{2}|2[AB])[0-9]{3}$/.test(p.birthplaceInsee)) problems.push('birthplaceInsee');
  if (p.nir !== null) {
    if (!parseNir(p.nir).ok) problems.push('nir');
    else if (!nirMatchesIdentity(p.nir, p)) problems.push('nirIdentity');
  }
  if (p.email !== null && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(p.email)) problems.push('email');
  return problems;
}

/** The family name a person goes by: the used name when there is one, else the birth name. */
export function displayFamilyName(p: Pick<Patient, 'usedFamilyName' | 'birthFamilyName'>): string {
  return p.usedFamilyName ?? p.birthFamilyName;
}
