/**
 * A patient row of `admin.patients`: its columns, how its identity and secrets are sealed and
 * opened, the opened identity prepared for search (normalised once, kept by the vault), and how a
 * search's criteria match and order it. The repository (admin.ts) runs the statements.
 */
import { normalisedNameMatches, normaliseName, type Id, type Patient } from '../domain/index.js';
import { byteaText } from './rows.js';
import type { Identity, IdentitySealer, IndexedColumn, OpenedIdentity } from './sealing.js';

export interface PatientSearch {
  readonly family?: string;
  readonly given?: string;
  /** Any part of a name, family or given (FHIR `name`). */
  readonly name?: string;
  readonly birthDate?: string;
  readonly nir?: string;
  readonly email?: string;
  readonly phone?: string;
  /** Narrows a search by the other criteria (never a search alone: the sex is sealed, not indexed). */
  readonly gender?: Patient['sex'];
  readonly limit: number;
  readonly offset?: number;
}

/**
 * What is stored of a patient: the identity in one sealed value (`identity_sealed`), secrets each
 * in their own, blind indexes for the exact-match secrets. The clear identity columns are read
 * only for rows an older medvault wrote and `medvault keys seal` has not sealed yet.
 */
export const PATIENT_COLUMNS = [
  'id', 'practice_id', 'identity_sealed', 'nir_sealed', 'nir_bidx', 'email_sealed', 'email_bidx', 'phone_sealed', 'phone_bidx',
  'mobile_sealed', 'mobile_bidx', 'address_sealed',
];
export const LEGACY_IDENTITY = ['birth_family_name', 'used_family_name', 'given_names', 'used_given_name', 'sex', 'birth_date', 'birthplace_insee', 'identity_status', 'vip', 'deceased_date'];
/** The patient's erasure-key row, read in the same statement (the vault then opens without a round trip). */
const keyColumns = (practice: string, patient: string) =>
  `(SELECT k.kek_version FROM keys.patient_keys k WHERE k.practice_id = ${practice} AND k.patient_id = ${patient}) AS pk_version,
   (SELECT k.wrapped FROM keys.patient_keys k WHERE k.practice_id = ${practice} AND k.patient_id = ${patient}) AS pk_wrapped`;
/** The last 16 bytes of a sealed column (identityStamp), in SQL. */
export const TAIL = (column: string) => `substring(${column} FROM octet_length(${column}) - 15)`;
export const PATIENT_SELECT = [...PATIENT_COLUMNS, ...LEGACY_IDENTITY, 'shredded_at', 'version', 'updated_at', keyColumns('admin.patients.practice_id', 'admin.patients.id')].join(', ');

export interface PatientRow {
  id: string; practice_id: string; identity_sealed: Buffer | null;
  birth_family_name: string | null; used_family_name: string | null; given_names: string[] | null;
  used_given_name: string | null; sex: Patient['sex'] | null; birth_date: string | null; birthplace_insee: string | null;
  identity_status: Patient['identityStatus'] | null; vip: boolean | null; deceased_date: string | null;
  nir_sealed: Buffer | null; email_sealed: Buffer | null; phone_sealed: Buffer | null;
  mobile_sealed: Buffer | null; address_sealed: Buffer | null; shredded_at: Date | null; version: number; updated_at: Date;
  pk_version: number | null; pk_wrapped: Buffer | null;
}

/** A patient as read back: the identity, plus whether its secrets were erased (crypto-shredded). */
export type StoredPatient = Patient & { readonly shredded: boolean; readonly version: number; readonly updatedAt: Date };

/** The sealed fields of a patient: each with its own data key, bound to the patient's erasure key. */
type SealedField = 'identity' | 'nir' | 'email' | 'phone' | 'mobile' | 'address';

/** The identity as sealed (short keys: it is in every patient row). */
interface SealedIdentity {
  bf: string; uf: string | null; gn: string[]; ug: string | null; sx: Patient['sex']; bd: string; bp: string | null;
  is: Patient['identityStatus']; vip: boolean; dd: string | null;
  /** What a migration brings beyond the INS traits, only when there is some (most rows have none). */
  x?: {
    id?: Patient['otherIdentifiers']; ac?: boolean; gp?: Patient['generalPractitioners']; lg?: Patient['languages'];
  };
}

export function identityJson(p: Identity): string {
  const x: NonNullable<SealedIdentity['x']> = {
    ...(p.otherIdentifiers?.length ? { id: p.otherIdentifiers } : {}),
    ...(p.active === false ? { ac: false } : {}),
    ...(p.generalPractitioners?.length ? { gp: p.generalPractitioners } : {}),
    ...(p.languages?.length ? { lg: p.languages } : {}),
  };
  const v: SealedIdentity = {
    bf: p.birthFamilyName, uf: p.usedFamilyName, gn: [...p.givenNames], ug: p.usedGivenName, sx: p.sex, bd: p.birthDate,
    bp: p.birthplaceInsee, is: p.identityStatus, vip: p.vip, dd: p.deceasedDate,
    ...(Object.keys(x).length > 0 ? { x } : {}),
  };
  return JSON.stringify(v);
}

function identityFrom(v: SealedIdentity): Identity {
  return {
    birthFamilyName: v.bf, usedFamilyName: v.uf, givenNames: v.gn, usedGivenName: v.ug, sex: v.sx, birthDate: v.bd,
    birthplaceInsee: v.bp, identityStatus: v.is, vip: v.vip, deceasedDate: v.dd,
    ...(v.x?.id ? { otherIdentifiers: v.x.id } : {}), ...(v.x?.ac === false ? { active: false } : {}),
    ...(v.x?.gp ? { generalPractitioners: v.x.gp } : {}), ...(v.x?.lg ? { languages: v.x.lg } : {}),
  };
}

/** What is left of a shredded patient's identity: nothing (its key is destroyed). */
const ERASED: Identity = {
  birthFamilyName: '', usedFamilyName: null, givenNames: [], usedGivenName: null, sex: 'unknown', birthDate: '',
  birthplaceInsee: null, identityStatus: 'PROV', vip: false, deceasedDate: null,
};

export async function sealPatient(v: IdentitySealer, p: Patient): Promise<Record<string, unknown>> {
  const seal = async (field: SealedField, value: string | null) => (value === null ? null : hex(await v.seal(p.id, p.id, `patient.${field}`, value)));
  const index = async (column: IndexedColumn, value: string | null) => (value === null ? null : hexOrNull(await v.blindIndex(column, value)));
  return {
    id: p.id, practice_id: p.practiceId,
    identity_sealed: await seal('identity', identityJson(p)),
    nir_sealed: await seal('nir', p.nir), nir_bidx: await index('nir', p.nir),
    email_sealed: await seal('email', p.email), email_bidx: await index('email', p.email),
    phone_sealed: await seal('phone', p.phone), phone_bidx: await index('phone', p.phone),
    mobile_sealed: await seal('mobile', p.mobile), mobile_bidx: await index('phone', p.mobile),
    address_sealed: await seal('address', p.address === null ? null : JSON.stringify(p.address)),
  };
}

function legacyIdentity(r: PatientRow): Identity {
  return {
    birthFamilyName: r.birth_family_name ?? '', usedFamilyName: r.used_family_name, givenNames: r.given_names ?? [], usedGivenName: r.used_given_name,
    sex: r.sex ?? 'unknown', birthDate: r.birth_date ?? '', birthplaceInsee: r.birthplace_insee, identityStatus: r.identity_status ?? 'PROV',
    vip: r.vip ?? false, deceasedDate: r.deceased_date,
  };
}

/** A patient's identity alone (what a search filters and sorts on); the secrets stay sealed. */
async function openIdentity(v: IdentitySealer, r: PatientRow): Promise<Identity> {
  return (await openedIdentity(v, r)).identity;
}

/** An identity with its names normalised once, frozen: the vault may keep it and give it to every later search. */
function prepared(identity: Identity, updatedAt: Date): OpenedIdentity {
  const givenNames = Object.freeze([...identity.givenNames]);
  return Object.freeze({
    identity: Object.freeze({ ...identity, givenNames }),
    updatedAt,
    family: Object.freeze([identity.birthFamilyName, identity.usedFamilyName ?? ''].map(normaliseName)),
    given: Object.freeze([...givenNames, identity.usedGivenName ?? ''].map(normaliseName)),
    sortFamily: normaliseName(identity.usedFamilyName ?? identity.birthFamilyName),
    sortGiven: normaliseName(identity.usedGivenName ?? givenNames[0] ?? ''),
  });
}

/**
 * What an opened identity is remembered under: the record's version and the last 16 bytes of its
 * sealed value — ciphertext under a data key drawn for that write, so a new value at every write
 * (an update that never committed, a restored backup that reuses a version number, do not match)
 * and the same after a key rotation, which rewraps the data key without touching the body.
 */
export function identityStamp(version: number, sealed: Uint8Array): string {
  return `${Number(version)}.${Buffer.from(sealed.subarray(sealed.length - 16)).toString('hex')}`;
}

/** A row's identity, prepared for search: from the vault's memory at this version, else opened (and remembered). */
export async function openedIdentity(v: IdentitySealer, r: PatientRow): Promise<OpenedIdentity> {
  v.knownKey(r.id, r.pk_version === null || r.pk_wrapped === null ? null : { version: Number(r.pk_version), wrapped: Buffer.from(r.pk_wrapped) });
  const updatedAt = new Date(r.updated_at);
  if (r.shredded_at !== null) return prepared(ERASED, updatedAt);
  if (r.identity_sealed === null) return prepared(legacyIdentity(r), updatedAt);
  const stamp = identityStamp(r.version, r.identity_sealed);
  const cached = v.cachedIdentity(r.id, stamp);
  if (cached !== null) return cached;
  const opened = prepared(identityFrom(JSON.parse(await v.openIdentity(r.id, r.identity_sealed)) as SealedIdentity), updatedAt);
  v.rememberIdentity(r.id, stamp, opened);
  return opened;
}

export async function openPatient(v: IdentitySealer, r: PatientRow, opened?: Identity): Promise<StoredPatient> {
  const shredded = r.shredded_at !== null;
  const o = opened ?? (await openIdentity(v, r));
  const identity = { ...o, givenNames: [...o.givenNames] };
  const open = async (field: SealedField, sealed: Buffer | null) => {
    if (sealed === null || shredded) return null;
    return v.open(r.id, r.id, `patient.${field}`, sealed);
  };
  const address = await open('address', r.address_sealed);
  return {
    id: r.id, practiceId: r.practice_id, ...identity,
    nir: await open('nir', r.nir_sealed), email: await open('email', r.email_sealed), phone: await open('phone', r.phone_sealed),
    mobile: await open('mobile', r.mobile_sealed), address: address === null ? null : (JSON.parse(address) as Patient['address']),
    shredded, version: r.version, updatedAt: new Date(r.updated_at),
  };
}

/** A search candidate: its sealed identity's tail (identityStamp) instead of the value, null for a row not sealed yet. */
export interface Candidate { id: string; version: number; tail: Uint8Array | null }

/** What a search returns of a patient: the identity a picker shows; the secrets stay sealed (listings disclose no contact or NIR). */
export function listed(id: Id, o: OpenedIdentity, version: number, practiceId: Id): StoredPatient {
  return {
    ...o.identity, givenNames: [...o.identity.givenNames], id, practiceId, nir: null, email: null, phone: null, mobile: null, address: null,
    shredded: false, version: Number(version), updatedAt: new Date(o.updatedAt),
  };
}

/** A search's criteria, normalised once. */
export interface Criteria {
  readonly family?: string; readonly given?: string; readonly name?: string; readonly birthDate?: string;
  readonly gender?: Patient['sex'];
}
export function criteriaOf(q: PatientSearch): Criteria {
  return {
    ...(q.family !== undefined ? { family: normaliseName(q.family) } : {}),
    ...(q.given !== undefined ? { given: normaliseName(q.given) } : {}),
    ...(q.name !== undefined ? { name: normaliseName(q.name) } : {}),
    ...(q.birthDate !== undefined ? { birthDate: q.birthDate } : {}),
    ...(q.gender !== undefined ? { gender: q.gender } : {}),
  };
}

/** Whether an opened identity meets every name and birth-date criterion of a search (the beacons only found candidates). */
export function meets(p: OpenedIdentity, c: Criteria): boolean {
  const any = (names: readonly string[], term: string) => names.some((n) => normalisedNameMatches(n, term));
  if (c.family !== undefined && !any(p.family, c.family)) return false;
  if (c.given !== undefined && !any(p.given, c.given)) return false;
  if (c.name !== undefined && !nameMeets(p, c.name, any)) return false;
  if (c.birthDate !== undefined && p.identity.birthDate !== c.birthDate) return false;
  if (c.gender !== undefined && p.identity.sex !== c.gender) return false;
  return true;
}

/**
 * FHIR `name`: the term prefixes a family or a given name — or, typed as a person says it ("nom
 * prénom" or "prénom nom"), its words split in two, one part prefixing a family name and the other a
 * given name, in either order.
 */
function nameMeets(p: OpenedIdentity, t: string, any: (names: readonly string[], term: string) => boolean): boolean {
  if (any(p.family, t) || any(p.given, t)) return true;
  for (let i = t.indexOf(' '); i !== -1; i = t.indexOf(' ', i + 1)) {
    const a = t.slice(0, i);
    const b = t.slice(i + 1);
    if ((any(p.family, a) && any(p.given, b)) || (any(p.family, b) && any(p.given, a))) return true;
  }
  return false;
}

/** The order of search results: used (else birth) family name, then given name, then id — on the opened values. */
export function byName(a: { readonly id: Id; readonly o: OpenedIdentity }, b: { readonly id: Id; readonly o: OpenedIdentity }): number {
  if (a.o.sortFamily !== b.o.sortFamily) return a.o.sortFamily < b.o.sortFamily ? -1 : 1;
  if (a.o.sortGiven !== b.o.sortGiven) return a.o.sortGiven < b.o.sortGiven ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

const hex = byteaText;
function hexOrNull(b: Buffer | null): string | null {
  return b === null ? null : hex(b);
}
