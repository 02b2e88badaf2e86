import { randomBytes, randomUUID } from 'node:crypto';
import { hashPassword, type AuthService, type Principal } from '../access/index.js';
import { fourEyes } from '../access/policy.js';
import { AdminRepository, appendAuditEvents, AuthRepository, type AuditEventInput, type Database, type Tx } from '../store/index.js';
import {
  accountsNamed, firstAlertOf, IncidentRegister, practiceIds, practicesNamed, replaceCredentials, treatingPractitioners,
} from '../store/incidents.js';
import type { ActionOf, AuditKindInput, DetailOf } from '../audit/events.js';
import type { Vault } from '../vault/index.js';
import { COPYABLE, isCopyableTable, scopeCopy, type CopyableTable } from './copy.js';
import {
  art33, art33Pdf, incidentRecord, mailMergeCsv, noticesPdf, patientNotice, practitionersPdf,
  type Art34, type Contact, type Lang, type PatientNoticeInput, type PractitionerNoticeInput,
} from './documents.js';
import { IncidentError } from './errors.js';
import type { Mailer } from './mail.js';
import { CATEGORIES, scopeAccounts, type AccessScope, type Category } from './scope.js';
import { TIMELINE_EVENTS, type Incident, type IncidentQuery, type IncidentSummary, type TimelineEntry, type TimelineEvent } from './types.js';

/** The steps an officer records herself (the others are the service's own: scoped, contained, notices approved). */
type RecordedStep = Exclude<TimelineEvent, 'scoped' | 'contained' | 'notices-approved'>;

/** The kinds of event the incident service writes: an incident's, or an account's it contains. */
type IncidentKind = Extract<AuditKindInput, { resourceType: 'Incident' | 'Account' }>;
type Written<S extends 'Incident', A extends ActionOf<S>> = Partial<DetailOf<S, A>>;

/** An incident's event of kind `action`, with that kind's detail. */
function incidentKind<A extends ActionOf<'Incident'>>(action: A, detail: Written<'Incident', A>): IncidentKind {
  return { resourceType: 'Incident', action, detail } as IncidentKind;
}

export interface IncidentRequest {
  readonly kind?: 'account-abuse' | 'database-copy';
  readonly accounts?: readonly string[];
  readonly sessions?: readonly string[];
  readonly addresses?: readonly string[];
  readonly from?: string;
  readonly to?: string;
  readonly tables?: readonly string[];
  readonly keysCompromised?: boolean;
  /** Count accesses a care relationship explains as disclosed too (the sessions or addresses named are the attacker's). */
  readonly countCare?: boolean;
  readonly lang?: Lang;
}

export type ContainAction = 'lock' | 'revoke-sessions' | 'reset-credentials';
export const CONTAIN_ACTIONS: readonly ContainAction[] = ['lock', 'revoke-sessions', 'reset-credentials'];

export type DocumentKind = 'art33' | 'art34' | 'record' | 'practitioners';
export type DocumentFormat = 'json' | 'pdf' | 'csv';

export interface RenderedDocument {
  readonly contentType: string;
  readonly filename: string;
  readonly body: Buffer | string | object;
}

/** Who acts (a security officer through the API, or the operator through the CLI). */
/** An incident as the breach register lists it (counts and steps; no patient). */
export interface RegisterEntry {
  readonly id: string;
  readonly createdAt: string;
  readonly kind: string;
  readonly patients: number;
  readonly notes: number;
  readonly events: { at: string; event: string }[];
  /** Whether the notices naming patients wait for a second officer's approval. */
  readonly awaitingApproval: boolean;
  /** Who scoped it, when its notices wait (that officer may not approve them); null otherwise. */
  readonly createdBy: string | null;
}

export interface Actor {
  readonly userId: string | null;
  readonly role: string;
  readonly sessionId: string | null;
  readonly ip: string | null;
}

export function actorOf(p: Principal, ip: string | null): Actor {
  return { userId: p.userId, role: p.role, sessionId: p.sessionId, ip };
}

export const OPERATOR: Actor = { userId: null, role: 'operator', sessionId: null, ip: null };

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function instant(v: string | undefined, what: string): Date {
  if (v === undefined || !ISO.test(v) || Number.isNaN(Date.parse(v))) throw new IncidentError('invalid', `${what} must be an ISO 8601 date-time with a time zone`);
  return new Date(v);
}

/**
 * Incident response: scope, register, containment, documents, notifications. Every step is
 * audited; the register is append-only (Art. 33(5)).
 */
export class IncidentService {
  constructor(
    private readonly o: { db: Database; vault: Vault; clock: () => Date; contact: Contact; auth?: AuthService | null; mailer?: Mailer | null },
  ) {}

  private platform<T>(role: 'securityReader' | 'auditWriter' | 'platform', fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.o.db.transaction({ role, practiceId: null, platform: true }, fn);
  }

  private event(
    a: Actor, kind: IncidentKind, resourceId: string, practiceId: string | null,
    segment: AuditEventInput['segment'] = 'security', patientId: string | null = null,
  ): AuditEventInput {
    return {
      id: randomUUID(), at: this.o.clock(), practiceId, userId: a.userId, role: a.role, sessionId: a.sessionId,
      sourceIp: a.ip, ...kind, resourceId, patientId, segment, labels: [], purpose: 'security', outcome: 'success',
      reason: 'incident response',
    };
  }

  /** Scopes an incident and enters it in the register. */
  async create(a: Actor, req: IncidentRequest): Promise<Incident> {
    const kind = req.kind ?? 'account-abuse';
    const lang = req.lang ?? 'fr';
    const now = this.o.clock();
    const id = randomUUID();
    let query: IncidentQuery;
    let scope: Incident['scope'];
    let summary: IncidentSummary;
    let art34: Art34;
    let userIds: string[] = [];
    if (kind === 'database-copy') {
      const tables = req.tables ?? [];
      const bad = tables.find((t) => !isCopyableTable(t));
      if (tables.length === 0 || bad !== undefined) throw new IncidentError('invalid', `tables must name some of: ${Object.keys(COPYABLE).join(', ')}${bad ? ` (not ${JSON.stringify(bad).slice(0, 40)})` : ''}`);
      const practices = await this.platform('platform', (tx) => practiceIds(tx));
      const copy = await scopeCopy(this.o.db, practices, tables as CopyableTable[], req.keysCompromised === true, lang);
      query = { tables: [...tables], keysCompromised: req.keysCompromised === true, ...(req.from ? { from: instant(req.from, 'from').toISOString() } : {}), ...(req.to ? { to: instant(req.to, 'to').toISOString() } : {}) };
      scope = copy;
      art34 = copy.art34;
      summary = { patients: copy.patients, notes: copy.notes, records: copy.byTable.reduce((n, t) => n + t.rows, 0), accounts: 0, categories: copy.categories, labels: copy.labels, byPractice: copy.byPractice };
    } else {
      const from = instant(req.from, 'from');
      const to = instant(req.to, 'to');
      if (!(from < to)) throw new IncidentError('invalid', 'the window must end after it starts');
      if (to.getTime() - from.getTime() > 366 * 86_400_000) throw new IncidentError('invalid', 'the window is at most a year');
      const accounts = [...new Set(req.accounts ?? [])];
      const sessions = [...new Set(req.sessions ?? [])];
      const addresses = [...new Set(req.addresses ?? [])];
      if (accounts.length + sessions.length + addresses.length === 0) throw new IncidentError('invalid', 'name at least one account, session or source address');
      if (accounts.length + sessions.length + addresses.length > 1000) throw new IncidentError('invalid', 'at most 1,000 accounts, sessions and addresses in all');
      const found = await this.platform('securityReader', (tx) => accountsNamed(tx, accounts));
      const unknown = accounts.filter((u) => !found.some((r) => r.username === u));
      if (unknown.length > 0) throw new IncidentError('unknown_account', `no such account: ${unknown.length} of the names given`);
      userIds = found.map((r) => r.id);
      // Accesses of the sessions and addresses named are the attacker's: everything they were
      // served counts, whatever a care relationship explains (a thief reading the doctor's own
      // patients). Accesses matched by an account alone mix the doctor's honest work in: care is
      // listed apart. `countCare` applies one rule to every access, either way.
      const countCare = req.countCare;
      const s = await this.platform('securityReader', (tx) => scopeAccounts(tx, { kind: 'account-abuse', userIds, sessions, addresses, from, to, ...(countCare !== undefined ? { countCare } : {}) }));
      query = { accounts, userIds, sessions, addresses, from: from.toISOString(), to: to.toISOString(), countCare: countCare ?? 'matched' };
      scope = s;
      summary = summarise(s);
      art34 = s.patients.length > 0
        ? { required: true, reason: lang === 'fr' ? 'Les données ont été consultées en clair au travers de comptes légitimes : le risque pour les droits et libertés des personnes est élevé (données de santé).' : 'The data were viewed in clear through legitimate accounts: the risk to the persons’ rights and freedoms is high (health data).' }
        : { required: false, reason: lang === 'fr' ? 'Aucune donnée de patient n’a été divulguée dans la fenêtre.' : 'No patient data were disclosed in the window.' };
    }
    // When it was detected: the first alert on these accounts in the window, if any.
    const since = query.from ?? new Date(0).toISOString();
    const detected = userIds.length === 0
      ? null
      : await this.platform('securityReader', (tx) => firstAlertOf(tx, userIds, since));
    const timeline: TimelineEntry[] = [
      ...(detected ? [{ at: new Date(detected.at).toISOString(), event: 'detected' as const, by: null, detail: { alert: detected.id } }] : []),
      { at: now.toISOString(), event: 'scoped', by: a.userId, detail: { patients: summary.patients, notes: summary.notes } },
    ];
    const incident: Incident = { id, createdAt: now.toISOString(), createdBy: a.userId, kind, query, summary, scope, art34, timeline };
    await this.platform('auditWriter', async (tx) => {
      const register = new IncidentRegister(tx);
      await register.insert({
        id, createdAt: incident.createdAt, createdBy: a.userId, kind, query: { ...query, art34 }, summary, scope,
      });
      for (const t of timeline) await register.addTimeline(id, t);
      const scoped = incidentKind('incident.scope', { kind, patients: summary.patients, notes: summary.notes });
      await appendAuditEvents(tx, [this.event(a, scoped, id, null)]);
    });
    return incident;
  }

  async get(id: string): Promise<Incident | null> {
    return this.platform('securityReader', async (tx) => {
      const register = new IncidentRegister(tx);
      const row = await register.incident(id);
      if (!row) return null;
      const t = await register.timeline(id);
      const { art34, ...query } = row.query;
      return {
        id: row.id, createdAt: new Date(row.created_at).toISOString(), createdBy: row.created_by, kind: row.kind, query, summary: row.summary, scope: row.scope, art34,
        timeline: t.map((x) => ({ at: new Date(x.at).toISOString(), event: x.event, by: x.by_user, detail: x.detail })),
      };
    });
  }

  /**
   * The register: every incident, newest first, with its summary and timeline events, and whether
   * its notices wait for a second officer (then also who scoped it: that officer may not approve).
   */
  async list(): Promise<RegisterEntry[]> {
    return this.platform('securityReader', async (tx) => {
      const register = new IncidentRegister(tx);
      const r = await register.latest();
      const t = await register.timelines(r.map((x) => x.id));
      const out: RegisterEntry[] = [];
      for (const x of r) {
        const events = t.filter((e) => e.incident_id === x.id)
          .map((e) => ({ at: new Date(e.at).toISOString(), event: e.event }));
        // The scoping officer's own approval is refused (approveNotices): any approval recorded counts.
        const awaiting = x.kind === 'account-abuse' && x.summary.patients > 0
          && !events.some((e) => e.event === 'notices-approved');
        const createdBy = awaiting ? ((await register.incident(x.id))?.created_by ?? null) : null;
        out.push({
          id: x.id, createdAt: new Date(x.created_at).toISOString(), kind: x.kind, patients: x.summary.patients,
          notes: x.summary.notes, events, awaitingApproval: awaiting, createdBy,
        });
      }
      return out;
    });
  }

  private async need(id: string): Promise<Incident> {
    const i = await this.get(id);
    if (!i) throw new IncidentError('not_found', 'no such incident');
    return i;
  }

  /** Records a step of the timeline (CNIL notified, patients notified…). */
  async addTimeline(a: Actor, id: string, event: string, at?: string, note?: string): Promise<TimelineEntry> {
    await this.need(id);
    if (!(TIMELINE_EVENTS as readonly string[]).includes(event) || event === 'scoped' || event === 'contained' || event === 'notices-approved') {
      throw new IncidentError('invalid', 'event must be one of detected, cnil-notified, patients-notified, practitioners-notified, closed, note');
    }
    const when = at === undefined ? this.o.clock() : instant(at, 'at');
    const entry: TimelineEntry = { at: when.toISOString(), event: event as TimelineEvent, by: a.userId, detail: note ? { note: note.slice(0, 2000) } : {} };
    await this.platform('auditWriter', async (tx) => {
      await insertTimeline(tx, id, entry);
      await appendAuditEvents(tx, [this.event(a, incidentKind(`incident.${event as RecordedStep}`, {}), id, null)]);
    });
    return entry;
  }

  /**
   * A second security officer approves the exports that name patients (Art. 34 letters and CSV,
   * e-mails, the practitioners' lists): never the officer who scoped the incident (the
   * security officer is watched too). Recorded in the timeline and audited.
   */
  async approveNotices(a: Actor, id: string): Promise<TimelineEntry> {
    const i = await this.need(id);
    // Scoping the incident asked for the notices; another officer confirms them (the policy's four eyes).
    if (i.createdBy !== null && a.userId !== null && fourEyes(a.userId, [i.createdBy]) !== 'confirm') {
      throw new IncidentError('second_officer', 'vous avez établi le périmètre de cet incident ; '
        + 'un autre responsable sécurité, connecté avec son propre compte, approuve les notifications.');
    }
    if (i.scope.kind !== 'account-abuse') throw new IncidentError('unprocessable', 'individual notices are drawn up for account incidents');
    const entry: TimelineEntry = { at: this.o.clock().toISOString(), event: 'notices-approved', by: a.userId, detail: { patients: i.summary.patients } };
    await this.platform('auditWriter', async (tx) => {
      await insertTimeline(tx, id, entry);
      const approved = incidentKind('incident.notices-approved', { patients: i.summary.patients });
      await appendAuditEvents(tx, [this.event(a, approved, id, null)]);
    });
    return entry;
  }

  /** Exports naming patients exist only once a second officer approved them. */
  private needApproval(i: Incident): void {
    // The operator's own approval (CLI, by: null) counts: they hold the database and the keys.
    const confirmed = (by: string | null) => by === null || i.createdBy === null || fourEyes(by, [i.createdBy]) === 'confirm';
    if (!i.timeline.some((t) => t.event === 'notices-approved' && confirmed(t.by))) {
      throw new IncidentError('second_officer', 'les documents qui nomment des patients attendent l\'approbation '
        + 'd\'un second responsable sécurité, autre que celui qui a établi le périmètre (console : Approbations).');
    }
  }

  /**
   * Containment of the incident's accounts: lock (until a security officer unlocks), end their
   * sessions, and reset their credentials (the password becomes unknown to everyone and the
   * second factor is removed: the account must be enrolled again). Each action is audited.
   */
  async contain(a: Actor, id: string, actions: readonly ContainAction[]): Promise<{ accounts: number; actions: ContainAction[] }> {
    const i = await this.need(id);
    if (actions.length === 0 || actions.some((x) => !CONTAIN_ACTIONS.includes(x))) throw new IncidentError('invalid', 'actions must be some of lock, revoke-sessions, reset-credentials');
    const userIds = i.query.userIds ?? [];
    if (userIds.length === 0) throw new IncidentError('invalid', 'this incident names no account to contain');
    const now = this.o.clock();
    const unusable = actions.includes('reset-credentials') ? await hashPassword(randomBytes(32).toString('base64')) : null;
    await this.platform('platform', async (tx) => {
      const repo = new AuthRepository(tx);
      const events: AuditEventInput[] = [];
      for (const u of userIds) {
        const account = await repo.accountById(u);
        if (!account) continue;
        if (actions.includes('lock')) {
          await repo.setStatus(u, 'locked');
          const lock = { resourceType: 'Account', action: 'account.lock', detail: { incident: id } } as const;
          events.push(this.event(a, lock, u, account.practiceId));
        }
        if (actions.includes('revoke-sessions') || actions.includes('reset-credentials') || actions.includes('lock')) {
          const ended = await repo.revokeSessionsOf(u, now, `incident ${id}`);
          const detail = { incident: id, sessions: ended.length };
          const revoke = { resourceType: 'Account', action: 'account.revoke-sessions', detail } as const;
          events.push(this.event(a, revoke, u, account.practiceId));
        }
        if (unusable) {
          await replaceCredentials(tx, u, unusable);
          const reset = {
            resourceType: 'Account', action: 'account.reset-credentials', detail: { incident: id },
          } as const;
          events.push(this.event(a, reset, u, account.practiceId));
        }
      }
      await appendAuditEvents(tx, events);
    });
    this.o.auth?.forgetAccount();
    await this.platform('auditWriter', (tx) => insertTimeline(tx, id, { at: now.toISOString(), event: 'contained', by: a.userId, detail: { actions: [...actions], accounts: userIds.length } }));
    return { accounts: userIds.length, actions: [...actions] };
  }

  /** The practices' names and cities (for the documents and the console). */
  async practices(ids: readonly string[]): Promise<Map<string, { name: string; city: string | null }>> {
    const r = await this.platform('platform', (tx) => practicesNamed(tx, ids));
    return new Map(r.map((p) => [p.id, { name: p.name, city: p.city }]));
  }

  /**
   * For each practice of the scope, in a transaction of its own as the practice's admin role:
   * its disclosures and a repository that opens identities. Opening identities to write to
   * people is itself an access: audited there, as `action`.
   */
  private async perPractice<T>(
    a: Actor, i: Incident, action: 'incident.notices' | 'incident.practitioner-notices',
    fn: (x: { repo: AdminRepository; tx: Tx; practiceId: string; practiceName: string; mine: AccessScope['disclosures'] }) => Promise<T[]>,
  ): Promise<T[]> {
    if (i.scope.kind !== 'account-abuse') return [];
    const scope = i.scope;
    const names = await this.practices(scope.byPractice.map((p) => p.practiceId));
    const out: T[] = [];
    for (const { practiceId } of scope.byPractice) {
      const mine = scope.disclosures.filter((d) => d.practiceId === practiceId);
      await this.o.db.transaction({ role: 'admin', practiceId }, async (tx) => {
        const repo = new AdminRepository(tx, this.o.vault.admin(practiceId));
        out.push(...(await fn({ repo, tx, practiceId, practiceName: names.get(practiceId)?.name ?? '', mine })));
        const opened = incidentKind(action, { patients: mine.length });
        await appendAuditEvents(tx, [this.event(a, opened, i.id, practiceId, 'admin')]);
      });
    }
    return out;
  }

  /** Each disclosed patient's notice input: their identity (opened with the vault) and their own disclosure only. */
  private noticeInputs(a: Actor, i: Incident): Promise<PatientNoticeInput[]> {
    const contained = i.timeline.some((t) => t.event === 'contained');
    return this.perPractice(a, i, 'incident.notices', async ({ repo, practiceName, mine }) => {
      const out: PatientNoticeInput[] = [];
      for (const d of mine) {
        const p = await repo.patient(d.patientId).catch(() => null);
        if (!p || p.shredded) continue;
        const given = p.usedGivenName ?? p.givenNames[0] ?? '';
        out.push({
          patientId: d.patientId, name: `${given} ${(p.usedFamilyName ?? p.birthFamilyName).toUpperCase()}`.trim(), address: p.address, email: p.email,
          practiceName, categories: d.categories, sensitive: d.labels.length > 0, firstAt: d.firstAt, lastAt: d.lastAt, contained,
        });
      }
      return out;
    });
  }

  /** To each practitioner, the disclosed patients they are the treating doctor of (and those with none). */
  private practitionerInputs(a: Actor, i: Incident): Promise<PractitionerNoticeInput[]> {
    return this.perPractice(a, i, 'incident.practitioner-notices', async ({ repo, tx, practiceId, practiceName, mine }) => {
      const doctors = await repo.users('practitioner');
      const patientIds = mine.map((d) => d.patientId);
      const treating = await treatingPractitioners(tx, practiceId, patientIds, this.o.clock());
      // Patients without a treating doctor in the practice are listed for every practitioner.
      const orphans = mine.filter((d) => !treating.some((t) => t.patient_id === d.patientId));
      const out: PractitionerNoticeInput[] = [];
      for (const doc of doctors) {
        const treated = (d: (typeof mine)[number]) =>
          treating.some((t) => t.practitioner_id === doc.id && t.patient_id === d.patientId);
        const list = [...mine.filter(treated), ...orphans];
        if (list.length === 0) continue;
        const patients = [];
        for (const d of list) {
          const p = await repo.patient(d.patientId).catch(() => null);
          if (!p || p.shredded) continue;
          patients.push({ name: `${(p.usedFamilyName ?? p.birthFamilyName).toUpperCase()} ${p.usedGivenName ?? p.givenNames[0] ?? ''}`.trim(), birthDate: p.birthDate, categories: d.categories, labels: d.labels });
        }
        out.push({ practitionerName: `${doc.givenName} ${doc.familyName}`, practiceName, patients });
      }
      return out;
    });
  }

  /** A document of the incident, audited. */
  async document(a: Actor, id: string, kind: DocumentKind, format: DocumentFormat | undefined, lang: Lang): Promise<RenderedDocument> {
    const i = await this.need(id);
    const short = i.id.slice(0, 8);
    const audited = async (detail: Omit<Written<'Incident', 'incident.document'>, 'kind'>) =>
      this.platform('auditWriter', (tx) =>
        appendAuditEvents(tx, [this.event(a, incidentKind('incident.document', { kind, ...detail }), id, null)]));
    switch (kind) {
      case 'art33': {
        const doc = art33(i, await this.practices(i.summary.byPractice.map((p) => p.practiceId)), this.o.contact, lang, this.o.clock());
        await audited({ format: format ?? 'json' });
        if (format === 'pdf') return { contentType: 'application/pdf', filename: `incident-${short}-art33-${lang}.pdf`, body: await art33Pdf(doc) };
        if (format === 'csv') throw new IncidentError('invalid', 'the Art. 33 notification is JSON or PDF');
        return { contentType: 'application/json', filename: `incident-${short}-art33-${lang}.json`, body: doc };
      }
      case 'record': {
        if (format !== undefined && format !== 'json') throw new IncidentError('invalid', 'the incident record is JSON');
        await audited({ format: 'json' });
        return { contentType: 'application/json', filename: `incident-${short}-record.json`, body: incidentRecord(i) };
      }
      case 'art34': {
        if (i.scope.kind !== 'account-abuse') {
          throw new IncidentError('unprocessable', `individual notices are drawn up for account incidents; for a database copy: ${i.art34.required ? 'Art. 34 applies — notify the patients of the practices concerned (or, if disproportionate, a public communication, Art. 34(3)(c))' : 'Art. 34 does not apply'}`);
        }
        this.needApproval(i);
        const inputs = await this.noticeInputs(a, i);
        const notices = inputs.map((p) => patientNotice(p, this.o.contact, lang));
        // Watermarked with an export reference that the audit event ties to the officer and the patients.
        const mark = watermark(a, this.o.clock());
        await audited({ format: format ?? 'pdf', notices: notices.length, export: mark.ref, patients: inputs.map((p) => p.patientId) });
        if (format === 'csv') return { contentType: 'text/csv; charset=utf-8', filename: `incident-${short}-art34-${lang}.csv`, body: mailMergeCsv(inputs, lang, mark.text) };
        if (format === 'json') return { contentType: 'application/json', filename: `incident-${short}-art34-${lang}.json`, body: { export: mark.text, notices } };
        return { contentType: 'application/pdf', filename: `incident-${short}-art34-${lang}.pdf`, body: await noticesPdf(notices, lang, mark.text) };
      }
      case 'practitioners': {
        if (format !== undefined && format !== 'pdf') throw new IncidentError('invalid', 'the practitioners’ notices are PDF');
        this.needApproval(i);
        const items = await this.practitionerInputs(a, i);
        await audited({ format: 'pdf', practitioners: items.length });
        return { contentType: 'application/pdf', filename: `incident-${short}-practitioners-${lang}.pdf`, body: await practitionersPdf(items, this.o.contact, i, lang) };
      }
    }
  }

  /** E-mails each disclosed patient who has an address their own notice (once, unless `again`); records it in the timeline. */
  async notifyPatients(a: Actor, id: string, lang: Lang, again = false): Promise<{ emailed: number; withoutEmail: number; failed: number }> {
    if (!this.o.mailer) throw new IncidentError('unprocessable', 'no SMTP server is configured (MEDVAULT_SMTP_URL)');
    const i = await this.need(id);
    this.needApproval(i);
    // Patients are written to once: a second sending must be asked for explicitly.
    if (!again && i.timeline.some((t) => t.event === 'patients-notified' && t.detail.channel === 'email')) {
      throw new IncidentError('unprocessable', 'the patients were already e-mailed for this incident; send {"again": true} to send again');
    }
    const inputs = await this.noticeInputs(a, i);
    let emailed = 0;
    let failed = 0;
    for (const p of inputs) {
      if (!p.email) continue;
      const n = patientNotice(p, this.o.contact, lang);
      try {
        await this.o.mailer.send(p.email, n.subject, n.text);
        emailed++;
      } catch {
        failed++;
      }
    }
    const withoutEmail = inputs.filter((p) => !p.email).length;
    await this.platform('auditWriter', async (tx) => {
      await insertTimeline(tx, id, { at: this.o.clock().toISOString(), event: 'patients-notified', by: a.userId, detail: { channel: 'email', emailed, failed, withoutEmail } });
      const notified = incidentKind('incident.patients-notified', { emailed, failed, withoutEmail });
      await appendAuditEvents(tx, [this.event(a, notified, id, null)]);
    });
    return { emailed, withoutEmail, failed };
  }
}

/** An export's reference and the line printed on it: who exported, when (the audit event says which patients). */
function watermark(a: Actor, now: Date): { ref: string; text: string } {
  const ref = randomUUID().slice(0, 8);
  return { ref, text: `export ${ref} · ${a.role} ${a.userId?.slice(0, 8) ?? '?'} · ${now.toISOString().slice(0, 16)}Z` };
}

function insertTimeline(tx: Tx, incidentId: string, t: TimelineEntry): Promise<void> {
  return new IncidentRegister(tx).addTimeline(incidentId, t);
}

export function summarise(s: AccessScope): IncidentSummary {
  const identityRecords = s.disclosures.filter((d) => d.categories.some((c) => c === 'identity' || c === 'contacts' || c === 'nir')).length;
  const appointmentRecords = s.disclosures.filter((d) => d.categories.includes('appointments')).length;
  // Art. 33(3)(a) asks for the number of records concerned: the clinical resources (problems,
  // treatments, results…) disclosed are records as much as the notes are.
  return {
    patients: s.patients.length, notes: s.notes.length,
    records: identityRecords + appointmentRecords + s.notes.length + s.resources.length,
    accounts: s.accounts.length, categories: s.categories, labels: s.labels, byPractice: s.byPractice,
  };
}

export const ALL_CATEGORIES: readonly Category[] = CATEGORIES;
