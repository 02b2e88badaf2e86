import type { GeneralPractitioner, Patient, PatientIdentifier, PatientLanguage } from '../domain/index.js';
import { INS_NIR_SYSTEM } from './codes.js';

/**
 * The Patient elements a migration brings beyond the INS identity (src/fhir/patient.ts): the other
 * systems' identifiers, `active`, `generalPractitioner` and `communication`. Read strictly — what
 * is not kept is named in a problem, never dropped — and written back as read.
 */
type Json = Record<string, unknown>;
type Extras = Pick<Patient, 'otherIdentifiers' | 'active' | 'generalPractitioners' | 'languages'>;

export const BCP47 = 'urn:ietf:bcp:47';
const URI = /^(?:urn:[a-z0-9][a-z0-9-]{0,31}:\S+|https?:\/\/\S+)$/i;
const LANGUAGE = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/i;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const USES = ['usual', 'official', 'secondary', 'old', 'temp'] as const;
/** At most this many of each list: a record, not a store for arbitrary data. */
const MAX = 10;

const text = (v: unknown, max: number): string | null =>
  typeof v === 'string' && v.trim() !== '' && v.length <= max ? v.trim() : null;
const only = (o: Json, keys: readonly string[], at: string, problems: string[]) => {
  for (const k of Object.keys(o)) if (!keys.includes(k)) problems.push(`${at}.${k} is not accepted`);
};
const list = (v: unknown, at: string, problems: string[]): Json[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'object' || x === null || Array.isArray(x))) {
    problems.push(`${at} must be a list of objects`);
    return [];
  }
  if (v.length > MAX) problems.push(`${at}: at most ${MAX}`);
  return (v as Json[]).slice(0, MAX);
};

function identifierType(v: unknown, at: string, problems: string[]): PatientIdentifier['type'] {
  if (v === undefined) return null;
  if (typeof v !== 'object' || v === null) {
    problems.push(`${at} must be a CodeableConcept`);
    return null;
  }
  const t = v as Json;
  only(t, ['coding', 'text'], at, problems);
  const coding = list(t.coding, `${at}.coding`, problems).map((c, i) => {
    only(c, ['system', 'code', 'display'], `${at}.coding[${i}]`, problems);
    const system = text(c.system, 255);
    const code = text(c.code, 64);
    if (!system || !URI.test(system) || !code) problems.push(`${at}.coding[${i}] needs a system (a URI) and a code`);
    const display = c.display === undefined ? null : text(c.display, 200);
    if (c.display !== undefined && display === null) problems.push(`${at}.coding[${i}].display must be a short text`);
    return { system: system ?? '', code: code ?? '', ...(display ? { display } : {}) };
  });
  const label = t.text === undefined ? null : text(t.text, 200);
  if (t.text !== undefined && label === null) problems.push(`${at}.text must be a short text`);
  // FHIR JSON has no empty arrays: a type is a coding or a text.
  if (coding.length === 0 && label === null) problems.push(`${at} needs a coding or a text`);
  return { coding, ...(label ? { text: label } : {}) };
}

/** The identifiers other than the INS-NIR (which patient.ts reads). */
function otherIdentifiers(v: unknown, problems: string[]): PatientIdentifier[] {
  const out: PatientIdentifier[] = [];
  list(v, 'Patient.identifier', problems).forEach((id, i) => {
    if (id.system === INS_NIR_SYSTEM) return;
    const at = `Patient.identifier[${i}]`;
    only(id, ['use', 'type', 'system', 'value'], at, problems);
    const system = text(id.system, 255);
    const value = text(id.value, 100);
    if (!system || !URI.test(system)) problems.push(`${at}.system must be a URI (urn:… or http(s)://…)`);
    if (!value) problems.push(`${at}.value is required (at most 100 characters)`);
    const use = (USES as readonly unknown[]).includes(id.use) ? (id.use as PatientIdentifier['use']) : null;
    if (id.use !== undefined && use === null) problems.push(`${at}.use must be one of ${USES.join(', ')}`);
    out.push({ system: system ?? '', value: value ?? '', use, type: identifierType(id.type, `${at}.type`, problems) });
  });
  return out;
}

function generalPractitioners(v: unknown, problems: string[]): GeneralPractitioner[] {
  return list(v, 'Patient.generalPractitioner', problems).map((r, i): GeneralPractitioner => {
    const at = `Patient.generalPractitioner[${i}]`;
    only(r, ['reference', 'identifier', 'display'], at, problems);
    if (r.reference !== undefined && (r.identifier !== undefined || r.display !== undefined)) {
      problems.push(`${at}: a reference to a practitioner of the practice, or an identifier and a name, not both`);
    }
    if (r.reference !== undefined) {
      const m = typeof r.reference === 'string' ? /^Practitioner\/(.+)$/.exec(r.reference) : null;
      if (!m || !UUID.test(m[1] as string)) problems.push(`${at}.reference must be Practitioner/{id} of the practice`);
      return { practitionerId: (m?.[1] ?? '').toLowerCase() };
    }
    const id = (typeof r.identifier === 'object' && r.identifier !== null ? r.identifier : {}) as Json;
    only(id, ['system', 'value'], `${at}.identifier`, problems);
    const system = text(id.system, 255);
    const value = text(id.value, 64);
    if (!system || !URI.test(system) || !value) {
      problems.push(`${at} needs a reference to a Practitioner of the practice, or an identifier (an RPPS)`);
    }
    const display = r.display === undefined ? null : text(r.display, 200);
    if (r.display !== undefined && display === null) problems.push(`${at}.display must be a short text`);
    return { identifier: { system: system ?? '', value: value ?? '' }, display };
  });
}

function languages(v: unknown, problems: string[]): PatientLanguage[] {
  const out = list(v, 'Patient.communication', problems).map((c, i): PatientLanguage => {
    const at = `Patient.communication[${i}]`;
    only(c, ['language', 'preferred'], at, problems);
    const lang = (typeof c.language === 'object' && c.language !== null ? c.language : {}) as Json;
    only(lang, ['coding', 'text'], `${at}.language`, problems);
    const coding = list(lang.coding, `${at}.language.coding`, problems);
    const bcp = coding.find((x) => x.system === BCP47);
    const code = text(bcp?.code, 35);
    if (!code || !LANGUAGE.test(code)) problems.push(`${at}.language needs a ${BCP47} code (fr, en-US…)`);
    if (coding.some((x) => x.system !== BCP47)) problems.push(`${at}.language: only ${BCP47} codings are kept`);
    const preferred = c.preferred === undefined || typeof c.preferred === 'boolean';
    if (!preferred) problems.push(`${at}.preferred must be true or false`);
    const display = text(bcp?.display, 100) ?? text(lang.text, 100);
    return { code: code ?? '', display, preferred: c.preferred === true };
  });
  return out;
}

/** Reads the extras of a client's Patient; each problem names the element. */
export function extrasFromFhir(r: Json, problems: string[]): Extras {
  if (r.active !== undefined && typeof r.active !== 'boolean') problems.push('Patient.active must be true or false');
  const ids = otherIdentifiers(r.identifier, problems);
  const gps = generalPractitioners(r.generalPractitioner, problems);
  const langs = languages(r.communication, problems);
  return {
    ...(ids.length > 0 ? { otherIdentifiers: ids } : {}),
    ...(r.active === false ? { active: false } : {}),
    ...(gps.length > 0 ? { generalPractitioners: gps } : {}),
    ...(langs.length > 0 ? { languages: langs } : {}),
  };
}

/** The extras as FHIR elements (the NIR identifier is patient.ts's, first in the list). */
export function extrasToFhir(p: Extras): { identifier: Json[]; rest: Json } {
  const identifier = (p.otherIdentifiers ?? []).map((i) => ({
    ...(i.use ? { use: i.use } : {}),
    ...(i.type ? { type: i.type.coding.length > 0 ? i.type : { text: i.type.text } } : {}),
    system: i.system, value: i.value,
  }));
  const gp = (p.generalPractitioners ?? []).map((g) => ('practitionerId' in g
    ? { reference: `Practitioner/${g.practitionerId}` }
    : { identifier: g.identifier, ...(g.display ? { display: g.display } : {}) }));
  const communication = (p.languages ?? []).map((l) => ({
    language: { coding: [{ system: BCP47, code: l.code, ...(l.display ? { display: l.display } : {}) }] },
    ...(l.preferred ? { preferred: true } : {}),
  }));
  return {
    identifier,
    rest: {
      active: p.active !== false,
      ...(gp.length > 0 ? { generalPractitioner: gp } : {}),
      ...(communication.length > 0 ? { communication } : {}),
    },
  };
}
