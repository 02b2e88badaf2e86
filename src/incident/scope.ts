import { disclosed } from '../audit/disclosure.js';
import { incidentCategories, REGISTRY, type IncidentCategory } from '../resources/index.js';
import type { SensitivityLabel } from '../domain/index.js';
import type { Tx } from '../store/index.js';
import { suspectEvents, usernamesOf, type ScopedEventRow } from '../store/incidents.js';

/**
 * Incident scoping: from suspected accounts (or sessions, or source addresses) and a window,
 * exactly which patients were disclosed, which categories of their data, which sensitive
 * labels, per practice — computed from the audit log alone, which records for every access the
 * patients it returned (search results included) and whether a care relationship explained it.
 */

/** What an access can disclose of a patient: the identity, the calendar and notes… */
export const BASE_CATEGORIES = ['identity', 'contacts', 'nir', 'appointments', 'notes'] as const;
/** …and the categories of the registry's clinical types (problems, treatments, results…), from their modules. */
export const CLINICAL_CATEGORIES: readonly IncidentCategory[] = incidentCategories(REGISTRY);
export const CATEGORIES: readonly string[] = [...BASE_CATEGORIES, ...CLINICAL_CATEGORIES.map((c) => c.code)];
export type Category = string;

/** The incident category of a clinical resource type (null: not one of the registry's). */
function categoryOfType(type: string): string | null {
  return REGISTRY.module(type)?.category.code ?? null;
}

export interface AccountQuery {
  readonly kind: 'account-abuse';
  /** Account ids (usernames are resolved before). At least one of accounts, sessions, addresses. */
  readonly userIds: readonly string[];
  readonly sessions: readonly string[];
  readonly addresses: readonly string[];
  readonly from: Date;
  readonly to: Date;
  /**
   * Whether accesses a care relationship explains count as disclosed. By default, those of the
   * named sessions and addresses do (they are the attacker's: a copied token reading the doctor's
   * own patients), and those matched by an account alone are reported apart (the doctor's own
   * care work in the same window). True or false applies to every access.
   */
  readonly countCare?: boolean;
}

export interface PatientDisclosure {
  readonly patientId: string;
  readonly practiceId: string;
  readonly categories: Category[];
  readonly notes: string[];
  /** Clinical resources disclosed (problems, treatments, results…: the registry's types), by id. */
  readonly resources: string[];
  readonly labels: SensitivityLabel[];
  /** Accounts that disclosed this patient's data (ids). */
  readonly accounts: string[];
  readonly accesses: number;
  readonly firstAt: string;
  readonly lastAt: string;
  /** Whether one of the accesses was a break-the-glass. */
  readonly breakGlass: boolean;
  /** Whether a care relationship explained some of the accesses (counted because of countCare). */
  readonly underCare: boolean;
}

export interface PracticeSummary {
  readonly practiceId: string;
  readonly patients: number;
  readonly notes: number;
  readonly categories: Record<Category, number>;
  readonly labels: Partial<Record<SensitivityLabel, number>>;
}

export interface AccountSummary {
  readonly userId: string;
  readonly username: string | null;
  readonly role: string | null;
  readonly practiceId: string | null;
  readonly events: number;
  readonly disclosedPatients: number;
  readonly careAccesses: number;
  readonly denied: number;
}

export interface AccessScope {
  readonly kind: 'account-abuse';
  readonly from: string;
  readonly to: string;
  /** Events examined (all outcomes) of the suspected accounts/sessions/addresses in the window. */
  readonly events: number;
  /** Patients whose data was disclosed by an access no care relationship explains. */
  readonly patients: string[];
  /** Clinical notes disclosed by such accesses. */
  readonly notes: string[];
  /** Clinical resources (the registry's types) disclosed by such accesses. */
  readonly resources: string[];
  /** Patients per category, over the disclosed patients. */
  readonly categories: Record<Category, number>;
  /** Disclosed patients per sensitivity label (of the notes disclosed). */
  readonly labels: Partial<Record<SensitivityLabel, number>>;
  readonly byPractice: PracticeSummary[];
  readonly accounts: AccountSummary[];
  readonly disclosures: PatientDisclosure[];
  /** Accesses of the same accounts that a care relationship explains: reported, not counted as disclosed. */
  readonly care: { readonly accesses: number; readonly patients: string[] };
  /** What the accounts changed (creations, updates): integrity, not disclosure. */
  readonly modified: { readonly resourceType: string; readonly resourceId: string | null; readonly patientId: string | null; readonly at: string }[];
  /** Refused attempts (not disclosures). */
  readonly denied: number;
  /** Plaintext was disclosed through the API: Art. 34's exemption for unintelligible data cannot apply. */
  readonly plaintext: true;
}

/** An audit row as scoping reads it (store/incidents.ts), its time as a Date or text. */
type Row = Omit<ScopedEventRow, 'at' | 'session_id' | 'source_ip'>
  & { at: Date | string; session_id?: string | null; source_ip?: string | null };

interface Touch {
  readonly patientId: string;
  readonly categories: readonly Category[];
  readonly notes: readonly string[];
  readonly resources: readonly string[];
  readonly labels: readonly SensitivityLabel[];
  readonly explained: boolean;
  readonly breakGlass: boolean;
}

const PATIENT_RESOURCE: Category[] = ['identity', 'contacts', 'nir'];


/**
 * What one successful access disclosed, patient by patient, and whether a care relationship
 * explains it. An access is explained when the audit event says so: for a practitioner's
 * identity and appointment reads, the patient is not among `detail.unexplained`; for clinical
 * content, the policy's purpose was care. A broad search (no criterion, a short term, a later
 * page) is never care: it lists the practice. Break-the-glass and accesses by roles without care
 * relationships are not explained. A patient reading their own record is.
 */
export function touches(r: Row): Touch[] {
  return disclosed({ action: r.action, outcome: r.outcome, resourceType: r.resource_type, resourceId: r.resource_id, patientId: r.patient_id, purpose: r.purpose, labels: r.labels, detail: r.detail })
    .map((x) => ({
      patientId: x.patientId,
      categories: [
        ...(x.identity === 'full' ? PATIENT_RESOURCE : x.identity === 'listed' ? ['identity'] : []),
        ...(x.appointments ? ['appointments'] : []), ...(x.notes.length > 0 ? ['notes'] : []),
        ...Object.entries(x.resources ?? {}).filter(([, ids]) => ids.length > 0).map(([type]) => categoryOfType(type))
          .filter((c): c is string => c !== null),
      ],
      notes: x.notes,
      resources: Object.values(x.resources ?? {}).flat(),
      labels: x.labels as SensitivityLabel[],
      // A broad listing is never care: it lists the practice.
      explained: x.listing !== 'broad' && (x.care === 'own' || x.care === 'scheduled' || x.care === 'standing'),
      breakGlass: x.breakGlass,
    }))
    // A chart searched that returned nothing is counted by the budgets and the detector, but holds
    // none of the patient's data to notify.
    .filter((t) => t.categories.length > 0);
}

const MODIFYING = new Set(['create', 'update']);

function emptyCategories(): Record<Category, number> {
  return Object.fromEntries(CATEGORIES.map((c) => [c, 0]));
}

/** Runs in a transaction of the security reader with platform scope. */
export async function scopeAccounts(tx: Tx, q: AccountQuery): Promise<AccessScope> {
  if (q.userIds.length + q.sessions.length + q.addresses.length === 0) throw new RangeError('name at least one account, session or address');
  if (!(q.from < q.to)) throw new RangeError('the window must end after it starts');
  const rows = await suspectEvents(tx, q);
  const disclosed = new Map<string, {
    practiceId: string; categories: Set<Category>; notes: Set<string>; resources: Set<string>; labels: Set<SensitivityLabel>; accounts: Set<string>; accesses: number; first: Date; last: Date; glass: boolean; care: boolean;
  }>();
  const careOnly = new Set<string>();
  const sessions = new Set(q.sessions);
  const addresses = new Set(q.addresses);
  const users = new Set(q.userIds);
  let careAccesses = 0;
  let denied = 0;
  const modified: AccessScope['modified'] = [];
  const perAccount = new Map<string, { role: string | null; practiceId: string | null; events: number; patients: Set<string>; care: number; denied: number }>();
  for (const r of rows) {
    const at = new Date(r.at);
    const acct = r.user_id ?? 'unknown';
    const a = perAccount.get(acct) ?? { role: r.role, practiceId: r.practice_id, events: 0, patients: new Set<string>(), care: 0, denied: 0 };
    perAccount.set(acct, a);
    a.events++;
    if (r.outcome !== 'success') {
      if (r.resource_type !== null) {
        denied++;
        a.denied++;
      }
      continue;
    }
    if (MODIFYING.has(r.action) && r.resource_type && r.resource_type !== 'Account') {
      modified.push({ resourceType: r.resource_type, resourceId: r.resource_id, patientId: r.patient_id, at: at.toISOString() });
    }
    // A row that a named session or address matched is the attacker's: its care accesses count
    // too, unless countCare says otherwise; a row matched by the account alone keeps care apart.
    // With accounts named too, an address counts only for their rows: colleagues behind the same
    // address (a practice's NAT, a carrier's) keep their honest care work apart.
    const byAddress = typeof r.source_ip === 'string' && addresses.has(r.source_ip) && (users.size === 0 || (r.user_id !== null && users.has(r.user_id)));
    const countCare = q.countCare ?? ((typeof r.session_id === 'string' && sessions.has(r.session_id)) || byAddress);
    for (const t of touches(r)) {
      if (t.explained && !countCare) {
        careAccesses++;
        a.care++;
        careOnly.add(t.patientId);
        continue;
      }
      let e = disclosed.get(t.patientId);
      if (!e) {
        e = { practiceId: r.practice_id ?? '', categories: new Set(), notes: new Set(), resources: new Set(), labels: new Set(), accounts: new Set(), accesses: 0, first: at, last: at, glass: false, care: false };
        disclosed.set(t.patientId, e);
      }
      for (const c of t.categories) e.categories.add(c);
      for (const n of t.notes) e.notes.add(n);
      for (const n of t.resources) e.resources.add(n);
      for (const l of t.labels) e.labels.add(l);
      e.accounts.add(acct);
      e.accesses++;
      e.last = at;
      e.glass ||= t.breakGlass;
      e.care ||= t.explained;
      a.patients.add(t.patientId);
    }
  }
  for (const p of disclosed.keys()) careOnly.delete(p);

  const disclosures: PatientDisclosure[] = [...disclosed].map(([patientId, e]) => ({
    patientId, practiceId: e.practiceId, categories: CATEGORIES.filter((c) => e.categories.has(c)), notes: [...e.notes].sort(), resources: [...e.resources].sort(), labels: [...e.labels].sort(),
    accounts: [...e.accounts].sort(), accesses: e.accesses, firstAt: e.first.toISOString(), lastAt: e.last.toISOString(), breakGlass: e.glass, underCare: e.care,
  }));
  disclosures.sort((x, y) => x.practiceId.localeCompare(y.practiceId) || x.patientId.localeCompare(y.patientId));
  const categories = emptyCategories();
  const labels: Partial<Record<SensitivityLabel, number>> = {};
  const practices = new Map<string, PracticeSummary & { categories: Record<Category, number>; labels: Partial<Record<SensitivityLabel, number>> }>();
  for (const d of disclosures) {
    const p = practices.get(d.practiceId) ?? { practiceId: d.practiceId, patients: 0, notes: 0, categories: emptyCategories(), labels: {} };
    practices.set(d.practiceId, { ...p, patients: p.patients + 1, notes: p.notes + d.notes.length });
    const pp = practices.get(d.practiceId)!;
    for (const c of d.categories) {
      categories[c] = (categories[c] ?? 0) + 1;
      pp.categories[c] = (pp.categories[c] ?? 0) + 1;
    }
    for (const l of d.labels) {
      labels[l] = (labels[l] ?? 0) + 1;
      pp.labels[l] = (pp.labels[l] ?? 0) + 1;
    }
  }
  const names = perAccount.size === 0 ? new Map<string, string>() : new Map(
    (await usernamesOf(tx, [...perAccount.keys()].filter((k) => k !== 'unknown'))).map((u) => [u.id, u.username]),
  );
  return {
    kind: 'account-abuse', from: q.from.toISOString(), to: q.to.toISOString(), events: rows.length,
    patients: disclosures.map((d) => d.patientId),
    notes: disclosures.flatMap((d) => d.notes),
    resources: disclosures.flatMap((d) => d.resources),
    categories, labels,
    byPractice: [...practices.values()].sort((x, y) => x.practiceId.localeCompare(y.practiceId)),
    accounts: [...perAccount].map(([userId, a]) => ({
      userId, username: names.get(userId) ?? null, role: a.role, practiceId: a.practiceId, events: a.events, disclosedPatients: a.patients.size, careAccesses: a.care, denied: a.denied,
    })),
    disclosures,
    care: { accesses: careAccesses, patients: [...careOnly].sort() },
    modified, denied, plaintext: true,
  };
}
