/**
 * NIR (numéro d'inscription au répertoire, "numéro de sécurité sociale"), which is also the
 * INS-NIR identifier of the Identité Nationale de Santé.
 *
 * Layout (INSEE): sex (1) · year (2) · month (2) · birthplace (5: département + commune, or
 * 99 + country for births abroad) · serial (3) · key (2). The key is 97 − (first 13 digits
 * mod 97), where the Corsican départements 2A and 2B count as 19 and 18.
 */

export interface NirParts {
  /** 1 = male, 2 = female; 3/4 and 7/8 are provisional registrations (same parity). */
  readonly sexDigit: number;
  readonly year: number; // two digits
  /** 01–12, or an INSEE pseudo-month (20, 30–42, 50–99) for an unknown or incomplete birth date. */
  readonly month: number;
  /** Five characters: département (2 or 3) + commune, or "99" + country code. */
  readonly birthplace: string;
  readonly serial: number;
  readonly key: number;
}

export type NirResult = { ok: true; nir: string; parts: NirParts } | { ok: false; reason: NirError };

export type NirError =
  | 'length'
  | 'characters'
  | 'sex'
  | 'month'
  | 'birthplace'
  | 'serial'
  | 'key';

const SHAPE = /^[1-478][0-9]{4}(?:[0-9]{2}|2[AB])[0-9]{8}$/;

/** Removes the spaces, dots and dashes people type; upper-cases the Corsican letters. */
export function normaliseNir(input: string): string {
  return input.replace(/[\s.-]/g, '').toUpperCase();
}

/** The numeric value used for the key: 2A → 19, 2B → 18 (INSEE). */
function numericBody(first13: string): number {
  const dept = first13.slice(5, 7);
  const replaced = dept === '2A' ? '19' : dept === '2B' ? '18' : dept;
  // 13 decimal digits stay below 2^53, so plain numbers are exact here.
  return Number(first13.slice(0, 5) + replaced + first13.slice(7));
}

/** The two-digit control key of the first 13 characters. */
export function nirKey(first13: string): number {
  if (!/^[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{6}$/.test(first13)) {
    throw new RangeError('a NIR body is 13 characters: digits, with 2A or 2B allowed as département');
  }
  return 97 - (numericBody(first13) % 97);
}

function validMonth(month: number): boolean {
  // INSEE allows pseudo-months for people whose civil-status record lacks a month.
  return (month >= 1 && month <= 12) || month === 20 || (month >= 30 && month <= 42) || (month >= 50 && month <= 99);
}

function validBirthplace(place: string): boolean {
  const dept = place.slice(0, 2);
  if (dept === '2A' || dept === '2B') return /^[0-9]{3}$/.test(place.slice(2)) && place.slice(2) !== '000';
  if (!/^[0-9]{5}$/.test(place)) return false;
  const d = Number(dept);
  // No département 00. 20 stays valid: NIRs of people registered in Corsica before the 1976
  // split may still carry it.
  if (d === 0) return false;
  if (d === 99) return place.slice(2) !== '000'; // born abroad: 99 + country code
  if (d === 97) return Number(place[2]) >= 1 && Number(place[2]) <= 8; // 971–978 overseas
  return place.slice(2) !== '000';
}

/** Full validation: shape, sex, month, birthplace, serial and key. */
export function parseNir(input: string): NirResult {
  const nir = normaliseNir(input);
  if (nir.length !== 15) return { ok: false, reason: 'length' };
  if (!/^[0-9]{5}(?:[0-9]{2}|2[AB])[0-9]{8}$/.test(nir)) return { ok: false, reason: 'characters' };
  if (!SHAPE.test(nir)) return { ok: false, reason: 'sex' };
  const parts: NirParts = {
    sexDigit: Number(nir[0]),
    year: Number(nir.slice(1, 3)),
    month: Number(nir.slice(3, 5)),
    birthplace: nir.slice(5, 10),
    serial: Number(nir.slice(10, 13)),
    key: Number(nir.slice(13, 15)),
  };
  if (!validMonth(parts.month)) return { ok: false, reason: 'month' };
  if (!validBirthplace(parts.birthplace)) return { ok: false, reason: 'birthplace' };
  if (parts.serial === 0) return { ok: false, reason: 'serial' };
  if (parts.key !== nirKey(nir.slice(0, 13))) return { ok: false, reason: 'key' };
  return { ok: true, nir, parts };
}

export function isValidNir(input: string): boolean {
  return parseNir(input).ok;
}

/** Builds a NIR from its parts, computing the key. */
export function composeNir(p: Omit<NirParts, 'key'>): string {
  const body =
    String(p.sexDigit) +
    String(p.year).padStart(2, '0') +
    String(p.month).padStart(2, '0') +
    p.birthplace +
    String(p.serial).padStart(3, '0');
  return body + String(nirKey(body)).padStart(2, '0');
}

/**
 * Whether a NIR agrees with the identity traits it encodes: sex, year and month of birth,
 * birthplace. INS identity checks (référentiel INS) reject a mismatch.
 */
export function nirMatchesIdentity(
  nir: string,
  identity: { sex: 'female' | 'male' | 'other' | 'unknown'; birthDate: string; birthplaceInsee: string | null },
): boolean {
  const r = parseNir(nir);
  if (!r.ok) return false;
  const { parts } = r;
  const male = parts.sexDigit % 2 === 1;
  if (identity.sex === 'male' && !male) return false;
  if (identity.sex === 'female' && male) return false;
  const [y, m] = identity.birthDate.split('-').map(Number) as [number, number];
  if (parts.year !== y % 100) return false;
  if (parts.month >= 1 && parts.month <= 12 && parts.month !== m) return false;
  if (identity.birthplaceInsee !== null && identity.birthplaceInsee !== parts.birthplace) return false;
  return true;
}
