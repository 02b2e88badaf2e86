import { randomUUID } from 'node:crypto';
import {
  decide, freshSecondFactor, hasBreakGlass, type Action, type Decision, type DecisionContext, type Principal,
  type Resource,
} from '../access/index.js';
import { AccessError } from '../access/errors.js';
import type { SensitivityLabel } from '../domain/index.js';
import {
  AdminRepository, appendAuditEvents, ClinicalRepository, ResourceRepository, damagedPlaceOf,
  type AuditEventInput, type Database, type DbRole, type Tx,
} from '../store/index.js';
import type { Vault } from '../vault/index.js';
import type { AuditBatcher } from '../audit/batcher.js';
import type { AuditKindInput, ClinicalType } from '../audit/events.js';
import { RecordError, refusalFor } from './errors.js';
import { hasCareRelationship } from './facts.js';
import { careDetail, careFor, claimed, noteCare, type Care } from './care-claims.js';
import type { CareClass } from '../store/care.js';
import type { DisclosedPatient, Finding } from '../detect/index.js';


export interface RequestContext {
  readonly ip: string | null;
  readonly now: Date;
  /** A short fingerprint of the client's user agent (recorded so detection sees a copied session). */
  readonly device?: string | null;
}

export type Segment = AuditEventInput['segment'];

/**
 * An access of the records, as audited: one of the vocabulary's kinds about a patient's record
 * (audit/events.ts) — its type, action and that kind's detail — and what it was about.
 */
export type Audited = Extract<AuditKindInput, { resourceType: RecordSubject }> & {
  readonly resourceId: string | null;
  readonly patientId: string | null;
  readonly labels?: readonly SensitivityLabel[];
};
type RecordSubject = 'Patient' | 'Appointment' | 'DocumentReference' | 'Record' | 'Schedule' | ClinicalType;

export const NO_FACTS = { careRelationship: false, breakGlass: false, freshAuthentication: false };

/** What is known of one note when deciding on it: whether it is shared with its patient, whether the reader wrote it. */
export type NoteFacts = Pick<DecisionContext, 'sharedWithPatient' | 'authorOfNote'>;

/**
 * The disclosure ledger (detect/ledger.ts), as the records see it: before a response is sent, how
 * many of the patients it would disclose (in order) may leave, and the refusal for the rest.
 */
export interface DisclosureLedger {
  admit(
    p: Principal, patients: readonly DisclosedPatient[], at: Date, sourceIp?: string | null,
  ): { admitted: number; refusal: AccessError | null };
  /** Raises an alert (a damaged record found by this account's request). */
  flag?(userId: string, practiceId: string | null, finding: Finding): void;
}

/** What a patient in a response is, before the ledger sees it. */
export type Disclosing = Omit<DisclosedPatient, 'care'>;

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
export function cutOf(cut: boolean, refusal: AccessError | null): { cut?: true; why?: string } {
  return cut ? { cut: true, ...(refusal?.why ? { why: refusal.why } : {}) } : {};
}

/**
 * The records of one request: every operation is decided by the policy, run in one transaction
 * as the role the decision names and inside the principal's practice (row-level security
 * applies again), audited in that transaction, and decrypted only after the decision.
 * Refusals are audited too. Handlers never hold a database handle: they hold this.
 */
export class RecordsCore {
  /** Events of the transaction in progress, handed to the observer (detection) once it commits. */
  protected current: AuditEventInput[] = [];
  /** Whether the transaction in progress is a read whose events go through group commit. */
  protected grouped = false;

  constructor(
    protected readonly db: Database,
    protected readonly vault: Vault,
    readonly principal: Principal,
    protected readonly ctx: RequestContext,
    private readonly ledger: DisclosureLedger,
    private readonly observer: (events: readonly AuditEventInput[]) => void = () => undefined,
    private readonly batcher: AuditBatcher | null = null,
  ) {}

  /** Asks the ledger; returns how many may leave and the refusal for the rest. */
  protected admit(
    patients: readonly Disclosing[], care: (id: string) => DisclosedPatient['care'],
  ): { admitted: number; refusal: AccessError | null } {
    const cls = claimed(this.principal, care);
    const disclosed = patients.map((x) => ({ ...x, care: cls(x.patientId) }));
    return this.ledger.admit(this.principal, disclosed, this.ctx.now, this.ctx.ip);
  }

  protected careFor(tx: Tx, patientIds: readonly string[]): Promise<Care> {
    return careFor(tx, this.principal, this.practiceId, patientIds, this.ctx.now);
  }

  protected careDetail(ids: readonly string[], care: Care): ReturnType<typeof careDetail> {
    return careDetail(this.principal, ids, care);
  }

  /** Appends audit events to the transaction (they commit with it, or nothing does). */
  protected audit(tx: Tx, events: AuditEventInput[]): Promise<void> {
    this.current.push(...events);
    if (this.grouped) return Promise.resolve();
    return appendAuditEvents(tx, events);
  }

  protected get practiceId(): string {
    if (this.principal.practiceId === null) throw new AccessError('forbidden');
    return this.principal.practiceId;
  }

  protected event(
    d: Decision | null, a: Audited, outcome: AuditEventInput['outcome'], reason: string, segment: Segment,
  ): AuditEventInput {
    const device = this.ctx.device ? { device: this.ctx.device } : {};
    // The kind's own detail and the client's fingerprint, which every kind carries (ClientDetail):
    // the union of kinds cannot follow that spread, so it is said once here.
    const detail = (a.detail || this.ctx.device ? { detail: { ...a.detail, ...device } } : {}) as
      Pick<Audited, 'detail'>;
    return {
      id: randomUUID(), at: this.ctx.now, practiceId: this.principal.practiceId, userId: this.principal.userId,
      role: this.principal.role, sessionId: this.principal.sessionId, sourceIp: this.ctx.ip,
      ...a, ...detail, segment, labels: a.labels ?? [], purpose: d?.allow ? d.purpose : null, outcome, reason,
    } as AuditEventInput;
  }

  /** A refusal, audited in a transaction of its own, then thrown. 404 where 403 would confirm existence. */
  protected async refuse(a: Audited, reason: string, error: AccessError | RecordError): Promise<never> {
    const e = this.event(null, a, 'denied', reason, null);
    // A refusal is audited even when the transaction Bundle it was part of rolls back.
    await this.db.outlasting(async () => {
      await this.db.transaction(
        { role: 'auditWriter', practiceId: this.principal.practiceId },
        (tx) => appendAuditEvents(tx, [e]),
      );
      this.observer([e]);
    });
    throw error;
  }

  /**
   * A sealed value failed its integrity check: a security event. Audited with the record's id
   * (nothing of its content), in a transaction of its own, and raised as an alert with its place;
   * the request then fails with 500 "damaged" at the edge.
   */
  protected async damaged(place: { practiceId: string; recordId: string; field: string }): Promise<void> {
    const check: Audited = {
      action: 'integrity-check', resourceType: 'Record', resourceId: place.recordId, patientId: null,
      detail: { field: place.field },
    };
    const reason = `a sealed value failed its integrity check (${place.field})`;
    const e = this.event(null, check, 'error', reason, 'security');
    await this.db.outlasting(async () => {
      await this.db.transaction(
        { role: 'auditWriter', practiceId: this.principal.practiceId },
        (tx) => appendAuditEvents(tx, [e]),
      ).catch(() => undefined);
      this.observer([e]);
    });
    const what = `${place.field} of record ${place.recordId} in practice ${place.practiceId}`;
    this.ledger.flag?.(this.principal.userId, this.principal.practiceId, {
      rule: 'record-damaged', response: 'alert',
      reason: `a record failed its integrity check (altered or damaged in the database): ${what}`,
      evidence: { count: 1, window: 'now', examples: [`${place.field}:${place.recordId}`] },
    });
  }

  protected fresh(): boolean {
    return freshSecondFactor(this.principal, this.ctx.now);
  }

  /** Decides; for clinical content, looks up the care facts (in the clinical role) and decides again. */
  protected async decideWithFacts(
    tx: Tx | null, action: Action, r: Resource, knownCare?: boolean, note: NoteFacts = {},
  ): Promise<Decision> {
    const first = decide(this.principal, action, r, { ...NO_FACTS, freshAuthentication: this.fresh(), ...note });
    if (first.allow || first.reason !== 'no-care-relationship' || !r.patientId || tx === null) return first;
    const care = knownCare
      ?? (await hasCareRelationship(tx, this.practiceId, this.principal.userId, r.patientId, this.ctx.now));
    const glass = care
      ? false
      : await hasBreakGlass(tx, this.practiceId, this.principal.userId, r.patientId, this.ctx.now);
    const facts = { careRelationship: care, breakGlass: glass, freshAuthentication: this.fresh(), ...note };
    return decide(this.principal, action, r, facts);
  }

  /**
   * Runs allowed work as the decided role, with the audit row in the same transaction. A read
   * (`read`) may instead hand its events to the group commit (when the server has one): nothing
   * is returned to the handler before they are committed, and if they cannot be, the read fails.
   */
  protected async run<T>(role: DbRole, work: (tx: Tx) => Promise<T>, kind: 'read' | 'write' = 'write'): Promise<T> {
    this.current = [];
    this.grouped = kind === 'read' && this.batcher !== null;
    try {
      const done = (async () => {
        const out = await this.db.transaction({ role, practiceId: this.practiceId }, work);
        const committed = this.current;
        const grouped = this.grouped;
        if (grouped) await this.db.afterCommit(() => this.batcher!.append(committed));
        // Detection learns at once, inside a transaction Bundle too: its later entries meet the
        // account's new state (a Bundle of creates is held to the bulk-creation rules as the same
        // creates one by one), and a rollback overstates, never hides.
        this.observer(committed);
        // What a rolled-back Bundle disclosed (a read, a search, a duplicate check) stays audited.
        const disclosed = committed.filter((e) => e.action === 'read' || e.action === 'search');
        if (disclosed.length > 0) {
          this.db.onRollback(() => this.db.transaction(
            { role: 'auditWriter', practiceId: this.principal.practiceId }, (tx) => appendAuditEvents(tx, disclosed),
          ));
        }
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

  protected admin(tx: Tx) {
    return new AdminRepository(tx, this.vault.admin(this.practiceId));
  }

  protected clinical(tx: Tx) {
    return new ClinicalRepository(tx, this.vault.clinical(this.practiceId));
  }

  /**
   * The patient of a clinical request, in one statement: null when the practice has no such patient
   * (or, with `live`, it was shredded); else the practitioner's care class for its clinical record
   * (null for other roles, or none). With a break-the-glass grant a visit gives way, as noteCareOf says.
   * `read`: the patient's row and care as a statement of this transaction already read them (null:
   * none), for a search that reads its page in the same statement; left out, they are read here.
   */
  protected async clinicalPatient(
    tx: Tx, patientId: string, live: boolean, read?: { live: boolean; care: CareClass | null } | null,
  ): Promise<{ cls: CareClass | null } | null> {
    const reader = this.principal.role === 'practitioner' ? this.principal.userId : null;
    const found = read !== undefined ? read : await this.resources(tx).patientCare(patientId, reader, this.ctx.now);
    if (!found || (live && !found.live)) return null;
    const visitGivesWay = found.care === 'visit' && reader
      && (await hasBreakGlass(tx, this.practiceId, reader, patientId, this.ctx.now));
    if (visitGivesWay) return { cls: null };
    return { cls: found.care };
  }

  /** The registry's clinical types (and the patient checks every clinical write makes), in a clinical transaction. */
  protected resources(tx: Tx): ResourceRepository {
    return new ResourceRepository(tx, this.vault.clinical(this.practiceId));
  }

  protected patientResource(patientId: string | null): Resource {
    return { type: 'Patient', practiceId: this.principal.practiceId, patientId };
  }

  // ─── clinical notes ──────────────────────────────────────────────────────────────────────
  protected async noteDecision(
    tx: Tx, patientId: string, action: Action, knownCare?: boolean, note: NoteFacts = {},
  ): Promise<Decision> {
    const notes: Resource = { type: 'DocumentReference', practiceId: this.principal.practiceId, patientId };
    return this.decideWithFacts(tx, action, notes, knownCare, note);
  }

  protected noteCare(d: Decision, cls: CareClass | null): Care {
    return noteCare(this.principal, d, cls);
  }

  /**
   * Clinical content is read in the clinical role; only a principal who may read some of this type
   * gets that far (asked with the most favourable facts: in care, a note shared with its patient).
   */
  protected clinicalGate(a: Audited): Promise<void> | void {
    const ofType = { type: a.resourceType, practiceId: this.principal.practiceId, patientId: this.principal.patientId };
    const d = decide(this.principal, 'read', ofType, { ...NO_FACTS, careRelationship: true, sharedWithPatient: true });
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
  }
}
