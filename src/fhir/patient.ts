import { isCalendarDate, isSex, normaliseNir, validatePatientIdentity, type Patient } from '../domain/index.js';
import type { StoredPatient } from '../store/index.js';
import { extrasFromFhir, extrasToFhir } from './patient-extras.js';
import { BIRTH_PLACE_EXT, FR_CORE_PATIENT, FR_CORE_PATIENT_INS, IDENTITY_STATUS_EXT, INS_NIR_SYSTEM, INSEE_CODE_EXT } from './codes.js';

type Json = Record<string, unknown>;
const COMMUNE_SYSTEM = 'https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM';

/** A patient as an FR Core-shaped FHIR Patient (INS-NIR identifier, birth and used names, birthplace). */
export function toFhirPatient(p: StoredPatient): Json {
  const telecom = [
    ...(p.phone ? [{ system: 'phone', value: p.phone, use: 'home' }] : []),
    ...(p.mobile ? [{ system: 'phone', value: p.mobile, use: 'mobile' }] : []),
    ...(p.email ? [{ system: 'email', value: p.email }] : []),
  ];
  const extras = extrasToFhir(p);
  const identifier = [
    ...(p.nir
      ? [{
          use: 'official',
          type: { coding: [{ system: 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203', code: 'INS-NIR' }] },
          system: INS_NIR_SYSTEM,
          value: p.nir,
        }]
      : []),
    ...extras.identifier,
  ];
  const { active: _active, ...more } = extras.rest;
  return {
    resourceType: 'Patient',
    id: p.id,
    meta: { versionId: String(p.version), lastUpdated: p.updatedAt.toISOString(), profile: [p.nir ? FR_CORE_PATIENT_INS : FR_CORE_PATIENT] },
    extension: [
      { url: IDENTITY_STATUS_EXT, valueCode: p.identityStatus },
      ...(p.birthplaceInsee
        ? [{ url: BIRTH_PLACE_EXT, valueAddress: { extension: [{ url: INSEE_CODE_EXT, valueCoding: { system: COMMUNE_SYSTEM, code: p.birthplaceInsee } }] } }]
        : []),
    ],
    ...(identifier.length > 0 ? { identifier } : {}),
    active: extras.rest.active,
    name: [
      { use: 'official', family: p.birthFamilyName, given: [...p.givenNames] },
      ...(p.usedFamilyName || p.usedGivenName ? [{ use: 'usual', family: p.usedFamilyName ?? p.birthFamilyName, given: [p.usedGivenName ?? p.givenNames[0]] }] : []),
    ],
    ...(telecom.length > 0 ? { telecom } : {}),
    gender: p.sex,
    birthDate: p.birthDate,
    ...(p.deceasedDate ? { deceasedDateTime: p.deceasedDate } : {}),
    ...(p.address ? { address: [{ use: 'home', line: [p.address.line], postalCode: p.address.postalCode, city: p.address.city, country: p.address.country }] } : {}),
    ...more,
  };
}

export interface PatientInput {
  readonly value: Omit<Patient, 'id' | 'practiceId' | 'vip'>;
  readonly problems: string[];
}

const ALLOWED = new Set([
  'resourceType', 'id', 'meta', 'identifier', 'name', 'telecom', 'gender', 'birthDate', 'address', 'deceasedDateTime',
  'extension', 'text', 'active', 'generalPractitioner', 'communication',
]);

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

/**
 * Reads a client's Patient into an identity, refusing what a client may not set: fields
 * medvault does not keep, another practice (managingOrganization), the VIP flag, audit fields.
 */
export function fromFhirPatient(r: Json, today: string): PatientInput {
  const problems: string[] = [];
  for (const k of Object.keys(r)) if (!ALLOWED.has(k)) problems.push(`Patient.${k} is not accepted`);
  if (r.meta !== undefined && (typeof r.meta !== 'object' || Object.keys(r.meta as object).some((k) => k !== 'versionId' && k !== 'profile' && k !== 'lastUpdated'))) {
    problems.push('Patient.meta may only carry versionId, lastUpdated and profile');
  }
  const names = Array.isArray(r.name) ? (r.name as Json[]) : [];
  const official = names.find((n) => n.use === 'official') ?? names[0];
  const usual = names.find((n) => n.use === 'usual' && n !== official);
  const birthFamilyName = str(official?.family);
  const givenNames = Array.isArray(official?.given) ? (official.given as unknown[]).map(str).filter((g): g is string => g !== null) : [];
  if (!birthFamilyName) problems.push('Patient.name (official) needs a family name');
  if (givenNames.length === 0) problems.push('Patient.name (official) needs a given name');
  const gender = isSex(r.gender) ? r.gender : null;
  if (!gender) problems.push('Patient.gender is required');
  const birthDate = typeof r.birthDate === 'string' && isCalendarDate(r.birthDate) ? r.birthDate : null;
  if (!birthDate) problems.push('Patient.birthDate must be a full date (YYYY-MM-DD)');
  const identifiers = Array.isArray(r.identifier) ? (r.identifier as Json[]) : [];
  const nirs = identifiers.filter((i) => i.system === INS_NIR_SYSTEM);
  if (nirs.length > 1) problems.push('Patient.identifier: one INS-NIR at most');
  const extras = extrasFromFhir(r, problems);
  const nirRaw = str(identifiers.find((i) => i.system === INS_NIR_SYSTEM)?.value);
  const telecom = Array.isArray(r.telecom) ? (r.telecom as Json[]) : [];
  const addr = Array.isArray(r.address) ? (r.address as Json[])[0] : undefined;
  const exts = Array.isArray(r.extension) ? (r.extension as Json[]) : [];
  const birthPlaceExt = exts.find((e) => e.url === BIRTH_PLACE_EXT);
  const inseeExt = ((birthPlaceExt?.valueAddress as Json | undefined)?.extension as Json[] | undefined)?.find((e) => e.url === INSEE_CODE_EXT);
  const birthplaceInsee = str((inseeExt?.valueCoding as Json | undefined)?.code);
  const statusExt = exts.find((e) => e.url === IDENTITY_STATUS_EXT);
  for (const e of exts) if (e.url !== IDENTITY_STATUS_EXT && e.url !== BIRTH_PLACE_EXT) problems.push('Patient.extension: only identity reliability and birthplace are accepted');
  const status = statusExt?.valueCode;
  const value = {
    birthFamilyName: birthFamilyName ?? '',
    usedFamilyName: usual ? str(usual.family) : null,
    givenNames,
    usedGivenName: null,
    sex: gender ?? 'unknown',
    birthDate: birthDate ?? '',
    birthplaceInsee,
    nir: nirRaw ? normaliseNir(nirRaw) : null,
    identityStatus: status === 'VALI' || status === 'QUAL' ? status : 'PROV',
    phone: str(telecom.find((t) => t.system === 'phone' && t.use !== 'mobile')?.value),
    mobile: str(telecom.find((t) => t.system === 'phone' && t.use === 'mobile')?.value),
    email: str(telecom.find((t) => t.system === 'email')?.value),
    address: addr
      ? { line: str((addr.line as unknown[] | undefined)?.[0]) ?? '', postalCode: str(addr.postalCode) ?? '', city: str(addr.city) ?? '', country: str(addr.country) ?? 'FR' }
      : null,
    deceasedDate: typeof r.deceasedDateTime === 'string' ? r.deceasedDateTime.slice(0, 10) : null,
    ...extras,
  } satisfies Omit<Patient, 'id' | 'practiceId' | 'vip'>;
  if (problems.length === 0) {
    for (const p of validatePatientIdentity(value, today)) problems.push(`Patient identity: invalid ${p}`);
  }
  return { value, problems };
}

/**
 * A patient as a search lists them: what a picker needs (name, sex, birth date) and no more. The
 * NIR, the address and the contact details come with a read of that one patient (a
 * page of search results must not be a page of full identities). Marked SUBSETTED, as FHIR R4
 * asks of a resource returned incomplete (Resource.meta.tag, _summary).
 */
export function toFhirPatientListing(p: StoredPatient): Json {
  const full = toFhirPatient(p);
  return {
    resourceType: 'Patient',
    id: p.id,
    meta: { ...(full.meta as Json), tag: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED', display: 'subsetted' }] },
    name: full.name,
    gender: p.sex,
    birthDate: p.birthDate,
    ...(p.deceasedDate ? { deceasedDateTime: p.deceasedDate } : {}),
  };
}
