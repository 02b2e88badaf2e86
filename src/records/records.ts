import { randomUUID } from 'node:crypto';
import { decide, hasBreakGlass, type Action, type Decision, type Principal, type Resource, STEP_UP_MAX_AGE_S } from '../access/index.js';
import { AccessError } from '../access/errors.js';
import type { Appointment, ClinicalNote, SensitivityLabel } from '../domain/index.js';
import {
  AdminRepository, appendAuditEvents, ClinicalRepository, damagedPlaceOf, isShreddedKeyError, type AuditEventInput, type Database, type DbRole, type StoredPatient, type Tx,
} from '../store/index.js';
import type { Vault } from '../vault/index.js';
import type { AuditBatcher } from '../audit/batcher.js';
import { RecordError, refusalFor } from './errors.js';
import { hasCareRelationship, noteCareOf } from './facts.js';
import { careDetail, careFor, claimed, noteCare, recordCare, visitScope, type Care } from './care-claims.js';
import { listingOf, namedBy, nearCalendar } from './calendar.js';
import type { CareClass } from '../store/care.js';
import type { DisclosedPatient, Finding } from '../detect/index.js';

export interface RequestContext {
  readonly ip: string | null;
  readonly now: Date;
  /** A short fingerprint of the client's user agent (recorded so detection sees a copied session). */
  readonly device?: string | null;
}

type Segment = AuditEventInput['segment'];

interface Audited {
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string | null;
  readonly patientId: string | null;
  readonly labels?: readonly SensitivityLabel[];
  readonly detail?: Record<string, unknown>;
}

const NO_FACTS = { careRelationship: false, breakGlass: false, freshAuthentication: false };

/**
 * The disclosure ledger (detect/ledger.ts), as the records see it: before a response is sent, how
 * many of the patients it would disclose (in order) may leave, and the refusal for the rest.
 */
export interface DisclosureLedger {
  admit(p: Principal, patients: readonly DisclosedPatient[], at: Date, sourceIp?: string | null): { admitted: number; refusal: AccessError | null };
  /** Raises an alert (a damaged record found by this account's request). */
  flag?(userId: string, practiceId: string | null, finding: Finding): void;
}

/** What a patient in a response is, before the ledger sees it. */
type Disclosing = Omit<DisclosedPatient, 'care'>;

/** One page of a search: what the client receives (and the audit names), and whether more follow. */
export interface Page<T> {
  readonly items: T[];
  readonly more: boolean;
  /** The disclosure ledger cut the page short (a budget was reached): no next page. */
  readonly cut?: boolean;
  /** Why it was cut, in French (the budget reached: detect/explain.ts). */
  readonly why?: string;
}

/** A page's cut, and the refusal's reason for it, when the ledger cut it. */
function cutOf(cut: boolean, refusal: AccessError | null): { cut?: true; why?: string } {
  return cut ? { cut: true, ...(refusal?.why ? { why: refusal.why } : {}) } : {};
}

/**
 * The records of one request: every operation is decided by the policy, run in one transaction
 * as the role the decision names and inside the principal's practice (row-level security
 * applies again), audited in that transaction, and decrypted only after the decision.
 * Refusals are audited too. Handlers never hold a database handle: they hold this.
 */
export class Records {
  /** Events of the transaction in progress, handed to the observer (detection) once it commits. */
  private current: AuditEventInput[] = [];
  /** Whether the transaction in progress is a read whose events go through group commit. */
  private grouped = false;

  constructor(
    private readonly db: Database,
    private readonly vault: Vault,
    readonly principal: Principal,
    private readonly ctx: RequestContext,
    private readonly ledger: DisclosureLedger,
    private readonly observer: (events: readonly AuditEventInput[]) => void = () => undefined,
    private readonly batcher: AuditBatcher | null = null,
  ) {}

  /** Asks the ledger; returns how many may leave and the refusal for the rest. */
  private admit(patients: readonly Disclosing[], care: (id: string) => DisclosedPatient['care']): { admitted: number; refusal: AccessError | null } {
    const cls = claimed(this.principal, care);
    return this.ledger.admit(this.principal, patients.map((x) => ({ ...x, care: cls(x.patientId) })), this.ctx.now, this.ctx.ip);
  }

  private careFor(tx: Tx, patientIds: readonly string[]): Promise<Care> {
    return careFor(tx, this.principal, this.practiceId, patientIds, this.ctx.now);
  }

  private careDetail(ids: readonly string[], care: Care): ReturnType<typeof careDetail> {
    return careDetail(this.principal, ids, care);
  }

  /** Appends audit events to the transaction (they commit with it, or nothing does). */
  private audit(tx: Tx, events: AuditEventInput[]): Promise<void> {
    this.current.push(...events);
    if (this.grouped) return Promise.resolve();
    return appendAuditEvents(tx, events);
  }

  private get practiceId(): string {
    if (this.principal.practiceId === null) throw new AccessError('forbidden');
    return this.principal.practiceId;
  }

  private event(d: Decision | null, a: Audited, outcome: AuditEventInput['outcome'], reason: string, segment: Segment): AuditEventInput {
    return {
      id: randomUUID(), at: this.ctx.now, practiceId: this.principal.practiceId, userId: this.principal.userId, role: this.principal.role,
      sessionId: this.principal.sessionId, sourceIp: this.ctx.ip, action: a.action, resourceType: a.resourceType, resourceId: a.resourceId,
      patientId: a.patientId, segment, labels: a.labels ?? [], purpose: d?.allow ? d.purpose : null, outcome, reason,
      ...(a.detail || this.ctx.device ? { detail: { ...a.detail, ...(this.ctx.device ? { device: this.ctx.device } : {}) } } : {}),
    };
  }

  /** A refusal, audited in a transaction of its own, then thrown. 404 where 403 would confirm existence. */
  private async refuse(a: Audited, reason: string, error: AccessError | RecordError): Promise<never> {
    const e = this.event(null, a, 'denied', reason, null);
    await this.db.transaction({ role: 'auditWriter', practiceId: this.principal.practiceId }, (tx) => appendAuditEvents(tx, [e]));
    this.observer([e]);
    throw error;
  }

  /**
   * A sealed value failed its integrity check (issue 13): a security event. Audited with the
   * record's id (nothing of its content), in a transaction of its own, and raised as an alert with
   * its place; the request then fails with 500 "damaged" at the edge.
   */
  private async damaged(place: { practiceId: string; recordId: string; field: string }): Promise<void> {
    const e = this.event(null, { action: 'integrity-check', resourceType: 'Record', resourceId: place.recordId, patientId: null, detail: { field: place.field } }, 'error', `a sealed value failed its integrity check (${place.field})`, 'security');
    await this.db.transaction({ role: 'auditWriter', practiceId: this.principal.practiceId }, (tx) => appendAuditEvents(tx, [e])).catch(() => undefined);
    this.observer([e]);
    this.ledger.flag?.(this.principal.userId, this.principal.practiceId, {
      rule: 'record-damaged', response: 'alert',
      reason: `a record failed its integrity check (altered or damaged in the database): ${place.field} of record ${place.recordId} in practice ${place.practiceId}`,
      evidence: { count: 1, window: 'now', examples: [`${place.field}:${place.recordId}`] },
    });
  }

  private fresh(): boolean {
    return this.ctx.now.getTime() - this.principal.authTime.getTime() <= STEP_UP_MAX_AGE_S * 1000;
  }

  /** Decides; for clinical content, looks up the care facts (in the clinical role) and decides again. */
  private async decideWithFacts(tx: Tx | null, action: Action, r: Resource, knownCare?: boolean): Promise<Decision> {
    const first = decide(this.principal, action, r, { ...NO_FACTS, freshAuthentication: this.fresh() });
    if (first.allow || first.reason !== 'no-care-relationship' || !r.patientId || tx === null) return first;
    const care = knownCare ?? (await hasCareRelationship(tx, this.practiceId, this.principal.userId, r.patientId, this.ctx.now));
    const glass = care ? false : await hasBreakGlass(tx, this.practiceId, this.principal.userId, r.patientId, this.ctx.now);
    return decide(this.principal, action, r, { careRelationship: care, breakGlass: glass, freshAuthentication: this.fresh() });
  }

  /**
   * Runs allowed work as the decided role, with the audit row in the same transaction. A read
   * (`read`) may instead hand its events to the group commit (when the server has one): nothing
   * is returned to the handler before they are committed, and if they cannot be, the read fails.
   */
  private async run<T>(role: DbRole, work: (tx: Tx) => Promise<T>, kind: 'read' | 'write' = 'write'): Promise<T> {
    this.current = [];
    this.grouped = kind === 'read' && this.batcher !== null;
    try {
      const done = (async () => {
        const out = await this.db.transaction({ role, practiceId: this.practiceId }, work);
        const committed = this.current;
        if (this.grouped) await this.batcher!.append(committed);
        this.observer(committed);
        return out;
      })();
      return await this.db.withinDeadline(done);
    } catch (e) {
      const place = damagedPlaceOf(e);
      if (place) await this.damaged(place);
      throw e;
    } finally {
      this.current = [];
      this.grouped = false;
    }
  }

  private admin(tx: Tx) {
    return new AdminRepository(tx, this.vault.admin(this.practiceId));
  }

  private clinical(tx: Tx) {
    return new ClinicalRepository(tx, this.vault.clinical(this.practiceId));
  }

  private patientResource(patientId: string | null): Resource {
    return { type: 'Patient', practiceId: this.principal.practiceId, patientId };
  }

  // ─── patients ────────────────────────────────────────────────────────────────────────────
  async readPatient(id: string): Promise<StoredPatient> {
    const a: Audited = { action: 'read', resourceType: 'Patient', resourceId: id, patientId: id };
    const d = decide(this.principal, 'read', this.patientResource(id), NO_FACTS);
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    const r = await this.run(d.dbRole, async (tx) => {
      const repo = this.admin(await this.asAdmin(tx));
      // A practitioner's read gets the care fact in the same statement.
      let found: StoredPatient | null;
      let care: (x: string) => DisclosedPatient['care'] = () => null;
      if (this.principal.role === 'practitioner') {
        const w = await repo.patientWithCare(id, this.principal.userId, this.ctx.now);
        found = w?.patient ?? null;
        care = () => w?.care ?? 'none';
      } else {
        found = await repo.patient(id);
        if (found) care = await this.careFor(tx, [id]);
      }
      if (!found) return { kind: 'missing' as const };
      // A shredded patient's identity went with its key: nothing is left to show.
      if (found.shredded) return { kind: 'gone' as const };
      const ok = this.admit([{ patientId: id, identity: true, listed: null, notes: [], sensitive: false }], care);
      if (ok.refusal) return { kind: 'over' as const, refusal: ok.refusal };
      await this.audit(tx, [this.event(d, { ...a, detail: this.careDetail([id], care) }, 'success', d.reason, 'admin')]);
      return { kind: 'ok' as const, patient: found };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'gone') return this.refuse(a, 'the record was erased (crypto-shredded)', new RecordError('gone'));
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    return r.patient;
  }

  /** Identity reads go through the admin repository; a patient's own read runs as admin too. */
  private async asAdmin(tx: Tx): Promise<Tx> {
    if (tx.scope.role !== 'admin') await tx.enter({ role: 'admin', practiceId: this.practiceId });
    return tx;
  }

  /** A page of patients, and whether more follow. The audit names exactly the patients returned. */
  async searchPatients(q: { family?: string; given?: string; name?: string; birthDate?: string; nir?: string; email?: string; phone?: string; limit: number; offset: number }): Promise<Page<StoredPatient>> {
    const a: Audited = { action: 'search', resourceType: 'Patient', resourceId: null, patientId: null };
    if (this.principal.role === 'patient') {
      // A patient's search finds only themselves.
      const me = q.offset === 0 ? await this.readPatient(this.principal.patientId as string) : null;
      return { items: me ? [me] : [], more: false };
    }
    const d = decide(this.principal, 'search', this.patientResource(null), NO_FACTS);
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    // A broad search (no criterion, a term under 3 letters, or a later page) lists the practice
    // rather than finding someone: such lists have budgets of their own.
    const term = (x?: string) => x !== undefined && x.trim().length >= 3;
    const broad = q.offset > 0 || !(term(q.family) || term(q.given) || term(q.name) || q.birthDate || q.nir || q.email || q.phone);
    const r = await this.run(d.dbRole, async (tx) => {
      const found = await this.admin(tx).searchPatients({ ...q, limit: q.limit + 1 });
      let items = found.slice(0, q.limit);
      const care = broad ? await this.careFor(tx, items.map((p) => p.id)) : () => null;
      // The ledger: a page is cut to what the budgets leave; none left refuses the search.
      const ok = this.admit(items.map((p) => ({ patientId: p.id, identity: false, listed: broad ? ('broad' as const) : ('found' as const), notes: [], sensitive: false })), care);
      if (ok.refusal && ok.admitted === 0) return { kind: 'over' as const, refusal: ok.refusal };
      const cut = ok.admitted < items.length;
      items = items.slice(0, ok.admitted);
      const returned = items.map((p) => p.id);
      const careDetail = broad ? this.careDetail(returned, care) : this.principal.role === 'practitioner' ? { unexplained: [] } : {};
      await this.audit(tx, [this.event(d, { ...a, detail: { returned, offset: q.offset, count: q.limit, broad, fields: 'picker', ...(cut ? { cut: true } : {}), ...careDetail } }, 'success', d.reason, 'admin')]);
      return { kind: 'ok' as const, page: { items, more: !cut && found.length > q.limit, ...cutOf(cut, ok.refusal) } };
    }, 'read');
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    return r.page;
  }

  async createPatient(input: Omit<StoredPatient, 'id' | 'practiceId' | 'vip' | 'shredded' | 'version' | 'updatedAt'>): Promise<StoredPatient> {
    const id = randomUUID();
    const a: Audited = { action: 'create', resourceType: 'Patient', resourceId: id, patientId: id };
    const d = decide(this.principal, 'create', this.patientResource(id), NO_FACTS);
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    const r = await this.run(d.dbRole, async (tx) => {
      const repo = this.admin(tx);
      const dup = input.nir ? await repo.searchPatients({ nir: input.nir, limit: 1 }) : [];
      if (dup.length > 0) {
        // "This NIR is already a patient here" tells who is a patient of the practice: it is a
        // NIR search that found someone, audited and counted by the ledger as one (regression:
        // the answer was unaudited, an oracle for the practice's patient list).
        const found = dup[0]!.id;
        const ok = this.admit([{ patientId: found, identity: false, listed: 'found', notes: [], sensitive: false }], () => null);
        if (ok.refusal) return { kind: 'over' as const, refusal: ok.refusal };
        await this.audit(tx, [this.event(d, { action: 'search', resourceType: 'Patient', resourceId: null, patientId: null, detail: { returned: [found], broad: false, fields: 'picker', duplicateCheck: true } }, 'success', 'a patient with this INS-NIR already exists', 'admin')]);
        return { kind: 'duplicate' as const };
      }
      await repo.insertPatients([{ ...input, id, practiceId: this.practiceId, vip: false }], { by: this.principal.userId, at: this.ctx.now });
      await this.audit(tx, [this.event(d, a, 'success', d.reason, 'admin')]);
      return { kind: 'ok' as const, patient: (await repo.patient(id)) as StoredPatient };
    });
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    if (r.kind === 'duplicate') throw new RecordError('unprocessable', ['a patient with this INS-NIR already exists in the practice']);
    return r.patient;
  }

  async updatePatient(id: string, input: Omit<StoredPatient, 'id' | 'practiceId' | 'vip' | 'shredded' | 'version' | 'updatedAt'>, expectedVersion: number): Promise<StoredPatient> {
    const a: Audited = { action: 'update', resourceType: 'Patient', resourceId: id, patientId: id };
    const d = decide(this.principal, 'update', this.patientResource(id), NO_FACTS);
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    const out = await this.run(d.dbRole, async (tx) => {
      const repo = this.admin(tx);
      const current = await repo.patient(id);
      if (!current) return null;
      if (current.shredded) throw new RecordError('gone');
      const v = await repo.updatePatient({ ...input, id, practiceId: this.practiceId, vip: current.vip }, expectedVersion);
      if (v === null) throw new RecordError('version_conflict');
      await this.audit(tx, [this.event(d, { ...a, detail: { version: v } }, 'success', d.reason, 'admin')]);
      return repo.patient(id);
    });
    if (!out) return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    return out;
  }

  // ─── clinical notes ──────────────────────────────────────────────────────────────────────
  private async noteDecision(tx: Tx, patientId: string, action: Action, knownCare?: boolean): Promise<Decision> {
    return this.decideWithFacts(tx, action, { type: 'DocumentReference', practiceId: this.principal.practiceId, patientId }, knownCare);
  }

  private noteCare(d: Decision, cls: CareClass | null): Care {
    return noteCare(this.principal, d, cls);
  }

  /** Notes are read in the clinical role; only a principal who may read some note gets that far. */
  private clinicalGate(a: Audited): Promise<void> | void {
    const d = decide(this.principal, 'read', { type: 'DocumentReference', practiceId: this.principal.practiceId, patientId: this.principal.patientId }, { ...NO_FACTS, careRelationship: true });
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
  }

  async readNote(id: string): Promise<ClinicalNote> {
    const a: Audited = { action: 'read', resourceType: 'DocumentReference', resourceId: id, patientId: null };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      // The note's patient, labels, sealed body and (for a practitioner) the care fact, in one
      // statement; the body is opened only once the policy and the ledger have decided.
      const row = await this.clinical(tx).noteForDecision(id, this.principal.role === 'practitioner' ? this.principal.userId : null, this.ctx.now);
      if (!row) return { kind: 'missing' as const };
      const d = await this.noteDecision(tx, row.patientId, 'read', this.principal.role === 'practitioner' ? row.care !== null : undefined);
      if (!d.allow) return { kind: 'denied' as const, d, patientId: row.patientId };
      const care = this.noteCare(d, row.care);
      const ok = this.admit([{ patientId: row.patientId, identity: false, listed: null, notes: [id], sensitive: row.labels.length > 0 }], care);
      if (ok.refusal) return { kind: 'over' as const, refusal: ok.refusal, patientId: row.patientId };
      const note = await row.open().catch((e: unknown) => {
        if (isShreddedKeyError(e)) throw new RecordError('gone');
        throw e;
      });
      await this.audit(tx, [this.event(d, { ...a, patientId: row.patientId, labels: row.labels, detail: this.careDetail([row.patientId], care) }, 'success', d.reason, 'clinical')]);
      return { kind: 'ok' as const, note };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'over') return this.refuse({ ...a, patientId: r.patientId }, 'disclosure budget reached', r.refusal);
    if (r.kind === 'denied') return this.refuse({ ...a, patientId: r.patientId }, r.d.allow ? '' : r.d.reason, r.d.allow ? new AccessError('forbidden') : refusalFor(r.d.reason));
    return r.note;
  }

  async notesOf(patientId: string, page: { offset: number; limit: number } = { offset: 0, limit: 1_000_000 }): Promise<Page<ClinicalNote>> {
    const a: Audited = { action: 'search', resourceType: 'DocumentReference', resourceId: null, patientId };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      const exists = await tx.query('SELECT 1 FROM admin.patients WHERE practice_id = $1 AND id = $2', [this.practiceId, patientId]);
      if (exists.rowCount === 0) return { kind: 'missing' as const };
      const cls = this.principal.role === 'practitioner' ? await noteCareOf(tx, this.practiceId, this.principal.userId, patientId, this.ctx.now) : null;
      const d = await this.noteDecision(tx, patientId, 'search', this.principal.role === 'practitioner' ? cls !== null : undefined);
      if (!d.allow) return { kind: 'denied' as const, d };
      const all = await this.clinical(tx).notesOf(patientId, visitScope(this.principal, d, cls, this.ctx.now)).catch((e: unknown) => {
        if (isShreddedKeyError(e)) throw new RecordError('gone');
        throw e;
      });
      let notes = all.slice(page.offset, page.offset + page.limit);
      // The ledger counts notes one by one: a list is cut to what the budgets leave.
      const care = this.noteCare(d, cls);
      const ok = this.admit(notes.map((n) => ({ patientId, identity: false, listed: null, notes: [n.id], sensitive: n.labels.length > 0 })), care);
      if (ok.refusal && ok.admitted === 0) return { kind: 'over' as const, refusal: ok.refusal };
      const cut = ok.admitted < notes.length;
      notes = notes.slice(0, ok.admitted);
      const labels = [...new Set(notes.flatMap((n) => n.labels))];
      await this.audit(tx, [this.event(d, { ...a, labels, detail: { returned: notes.map((n) => n.id), ...(cut ? { cut: true } : {}), ...this.careDetail([patientId], care) } }, 'success', d.reason, 'clinical')]);
      return { kind: 'ok' as const, notes, more: !cut && all.length > page.offset + page.limit, cut: cutOf(cut, ok.refusal) };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    if (r.kind === 'denied') return this.refuse(a, r.d.allow ? '' : r.d.reason, r.d.allow ? new AccessError('forbidden') : refusalFor(r.d.reason));
    return { items: r.notes, more: r.more, ...r.cut };
  }

  async createNote(patientId: string, text: string, labels: readonly SensitivityLabel[]): Promise<ClinicalNote> {
    const id = randomUUID();
    const a: Audited = { action: 'create', resourceType: 'DocumentReference', resourceId: id, patientId, labels };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      const exists = await tx.query('SELECT 1 FROM admin.patients WHERE practice_id = $1 AND id = $2 AND shredded_at IS NULL', [this.practiceId, patientId]);
      if (exists.rowCount === 0) return { kind: 'missing' as const };
      const cls = this.principal.role === 'practitioner' ? await noteCareOf(tx, this.practiceId, this.principal.userId, patientId, this.ctx.now) : null;
      const d = await this.noteDecision(tx, patientId, 'create', this.principal.role === 'practitioner' ? cls !== null : undefined);
      if (!d.allow) return { kind: 'denied' as const, d };
      const note: ClinicalNote = { id, practiceId: this.practiceId, patientId, authorId: this.principal.userId, writtenAt: this.ctx.now, text, labels };
      await this.clinical(tx).insertNotes([note]);
      await this.audit(tx, [this.event(d, a, 'success', d.reason, 'clinical')]);
      return { kind: 'ok' as const, note };
    });
    if (r.kind === 'missing') return this.refuse(a, 'patient not found in the practice', new RecordError('not_found'));
    if (r.kind === 'denied') return this.refuse(a, r.d.allow ? '' : r.d.reason, r.d.allow ? new AccessError('forbidden') : refusalFor(r.d.reason));
    return r.note;
  }

  // ─── appointments ────────────────────────────────────────────────────────────────────────
  async readAppointment(id: string): Promise<Appointment> {
    const a: Audited = { action: 'read', resourceType: 'Appointment', resourceId: id, patientId: null };
    const r = await this.run('admin', async (tx) => {
      const found = (await tx.query<{ patient_id: string }>('SELECT patient_id FROM admin.appointments WHERE practice_id = $1 AND id = $2', [this.practiceId, id])).rows[0];
      if (!found) return null;
      const d = decide(this.principal, 'read', { type: 'Appointment', practiceId: this.principal.practiceId, patientId: found.patient_id }, NO_FACTS);
      if (!d.allow) return { d, patientId: found.patient_id };
      const appt = (await this.admin(tx).appointments({ patientId: found.patient_id, from: new Date(0), to: new Date('9999-12-31T00:00:00Z') })).find((x) => x.id === id)!;
      const care = await this.careFor(tx, [found.patient_id]);
      // An appointment beyond the near calendar names its patient like a listing does (calendar.ts).
      const listing = listingOf(this.principal, appt, nearCalendar(this.ctx.now));
      const pid = found.patient_id;
      const calendar = listing === null ? {} : { [listing === 'own' ? 'calendarOwn' : 'calendarOthers']: [pid] };
      if (listing !== null) {
        const named = { patientId: pid, identity: false, listed: null, notes: [], sensitive: false };
        const ok = this.admit([{ ...named, calendarListing: listing }], care);
        if (ok.refusal) return { d, patientId: pid, refusal: ok.refusal };
      }
      const detail = { ...calendar, ...this.careDetail([pid], care) };
      await this.audit(tx, [this.event(d, { ...a, patientId: pid, detail }, 'success', d.reason, 'admin')]);
      return { d, appt, patientId: found.patient_id };
    }, 'read');
    if (r === null) return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if ('refusal' in r && r.refusal) {
      return this.refuse({ ...a, patientId: r.patientId }, 'disclosure budget reached', r.refusal);
    }
    if (!r.d.allow || !('appt' in r) || r.appt === undefined) return this.refuse({ ...a, patientId: r.patientId }, r.d.allow ? '' : r.d.reason, new RecordError('not_found'));
    return r.appt;
  }

  /**
   * A page of appointments. Each names its patient: beyond the account's near calendar the page is
   * a listing of who is a patient, counted by the ledger per distinct patient (calendar.ts); a page
   * is cut to what the budgets leave, and none left refuses the search. `excluded`: FHIR `ne` dates.
   */
  async searchAppointments(q: {
    patientId?: string; practitionerId?: string; from: Date; to: Date; excluded?: readonly { from: Date; to: Date }[];
    limit: number; offset: number;
  }): Promise<Page<Appointment>> {
    const patientId = this.principal.role === 'patient' ? (this.principal.patientId as string) : q.patientId;
    if (this.principal.role === 'patient' && q.patientId !== undefined && q.patientId !== patientId) return { items: [], more: false };
    const a: Audited = { action: 'search', resourceType: 'Appointment', resourceId: null, patientId: patientId ?? null };
    const d = decide(this.principal, 'search', { type: 'Appointment', practiceId: this.principal.practiceId, patientId: patientId ?? null }, NO_FACTS);
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    const r = await this.run('admin', async (tx) => {
      const filter = {
        ...(patientId ? { patientId } : {}), ...(q.practitionerId ? { practitionerId: q.practitionerId } : {}), from: q.from, to: q.to,
      };
      const excluded = q.excluded ?? [];
      const outside = (x: Appointment) => !excluded.some((e) => x.start >= e.from && x.start < e.to);
      const all = (await this.admin(tx).appointments(filter)).filter(outside);
      let page = all.slice(q.offset, q.offset + q.limit);
      const named = namedBy(this.principal, page, this.ctx.now);
      const care = await this.careFor(tx, named.map((n) => n.patientId));
      const ok = this.admit(named.map((n) => ({
        patientId: n.patientId, identity: false, listed: null, notes: [], sensitive: false,
        ...(n.listing ? { calendarListing: n.listing } : {}),
      })), care);
      if (ok.refusal && ok.admitted === 0 && named.length > 0) return { kind: 'over' as const, refusal: ok.refusal };
      // The page is cut before the first appointment of the first patient the budgets do not leave.
      const admitted = new Set(named.slice(0, ok.admitted).map((n) => n.patientId));
      const cut = ok.admitted < named.length;
      if (cut) page = page.slice(0, page.findIndex((x) => !admitted.has(x.patientId)));
      const returned = [...new Set(page.map((x) => x.patientId))];
      const listed = (l: string) =>
        named.filter((n) => n.listing === l && admitted.has(n.patientId)).map((n) => n.patientId);
      const calendar = { calendarOwn: listed('own'), calendarOthers: listed('others') };
      const detail = { returned, ...calendar, ...(cut ? { cut: true } : {}), ...this.careDetail(returned, care) };
      await this.audit(tx, [this.event(d, { ...a, detail }, 'success', d.reason, 'admin')]);
      const more = !cut && all.length > q.offset + q.limit;
      return { kind: 'ok' as const, page: { items: page, more, ...(cut ? { cut: true } : {}) } };
    }, 'read');
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    return r.page;
  }

  async saveAppointment(input: { id?: string; patientId: string; practitionerId: string; start: Date; end: Date; status: Appointment['status']; kind: Appointment['kind'] }): Promise<Appointment> {
    const id = input.id ?? randomUUID();
    const action = input.id ? 'update' : 'create';
    const a: Audited = { action, resourceType: 'Appointment', resourceId: id, patientId: input.patientId };
    const d = decide(this.principal, action, { type: 'Appointment', practiceId: this.principal.practiceId, patientId: input.patientId }, NO_FACTS);
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    const appt: Appointment = { ...input, id, practiceId: this.practiceId };
    const ok = await this.run('admin', async (tx) => {
      const refs = await tx.query<{ n: number }>(
        `SELECT (SELECT count(*)::int FROM admin.patients WHERE practice_id = $1 AND id = $2)
              + (SELECT count(*)::int FROM admin.users WHERE practice_id = $1 AND id = $3 AND role = 'practitioner') AS n`,
        [this.practiceId, input.patientId, input.practitionerId],
      );
      if (refs.rows[0]?.n !== 2) return false;
      const booked = { by: this.principal.userId, at: this.ctx.now };
      if (input.id) {
        if (!(await this.admin(tx).updateAppointment(appt, booked.by, booked.at))) return false;
      } else {
        await this.admin(tx).insertAppointments([appt], booked);
      }
      await this.audit(tx, [this.event(d, a, 'success', d.reason, 'admin')]);
      return true;
    });
    if (!ok) return this.refuse(a, 'patient, practitioner or appointment not found in the practice', new RecordError('not_found'));
    return appt;
  }

  // ─── the whole record ($everything, GDPR art. 15 and 20) ──────────────────────────────────
  async everything(patientId: string): Promise<{ patient: StoredPatient; appointments: Appointment[]; notes: ClinicalNote[] | null }> {
    const a: Audited = { action: 'everything', resourceType: 'Patient', resourceId: patientId, patientId };
    const d = decide(this.principal, 'read', this.patientResource(patientId), NO_FACTS);
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    const clinicalPossible = decide(this.principal, 'read', { type: 'DocumentReference', practiceId: this.principal.practiceId, patientId }, { ...NO_FACTS, careRelationship: true }).allow;
    const r = await this.run(clinicalPossible ? 'clinical' : 'admin', async (tx) => {
      const cls = this.principal.role === 'practitioner' ? await noteCareOf(tx, this.practiceId, this.principal.userId, patientId, this.ctx.now) : null;
      const notesDecision = clinicalPossible ? await this.noteDecision(tx, patientId, 'read', this.principal.role === 'practitioner' ? cls !== null : undefined) : null;
      const withNotes = notesDecision?.allow === true;
      // Identity and appointments are read in the admin segment, notes in the clinical one.
      if (tx.scope.role !== 'admin') await tx.enter({ role: 'admin', practiceId: this.practiceId });
      const admin = this.admin(tx);
      const patient = await admin.patient(patientId);
      if (!patient) return { kind: 'missing' as const };
      if (patient.shredded) return { kind: 'gone' as const };
      const appointments = await admin.appointments({ patientId, from: new Date(0), to: new Date('9999-12-31T00:00:00Z') });
      let notes: ClinicalNote[] | null = null;
      if (withNotes) {
        await tx.enter({ role: 'clinical', practiceId: this.practiceId });
        notes = await this.clinical(tx).notesOf(patientId, visitScope(this.principal, notesDecision, cls, this.ctx.now));
      }
      // The whole record leaves whole or not at all: the identity and every note, counted by the ledger.
      const care = withNotes || this.principal.role === 'practitioner' ? recordCare(this.principal, withNotes ? notesDecision : null, cls) : await this.careFor(tx, [patientId]);
      const ids = (notes ?? []).map((n) => n.id);
      const ok = this.admit([{ patientId, identity: true, listed: null, notes: ids, sensitive: (notes ?? []).some((n) => n.labels.length > 0) }], care);
      if (ok.refusal) return { kind: 'over' as const, refusal: ok.refusal };
      const labels = [...new Set((notes ?? []).flatMap((n) => n.labels))];
      await this.audit(tx, [
        this.event(withNotes ? notesDecision : d, { ...a, labels, detail: { appointments: appointments.length, notes: notes === null ? null : ids, ...this.careDetail([patientId], care) } }, 'success', withNotes && notesDecision?.allow ? notesDecision.reason : d.reason, withNotes ? 'clinical' : 'admin'),
      ]);
      return { kind: 'ok' as const, patient, appointments, notes };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'gone') return this.refuse(a, 'the record was erased (crypto-shredded)', new RecordError('gone'));
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    return { patient: r.patient, appointments: r.appointments, notes: r.notes };
  }
}
