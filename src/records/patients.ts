import { randomUUID } from 'node:crypto';
import { decide, type Decision } from '../access/index.js';
import type { AccessError } from '../access/errors.js';
import { enterAsPatient, type DbRole, type StoredPatient, type Tx } from '../store/index.js';
import { RecordError, refusalFor } from './errors.js';
import type { DisclosedPatient } from '../detect/index.js';
import { cutOf, NO_FACTS, type Audited, type Page } from './core.js';
import { RecordsCore } from './core.js';

/** What a patient is registered or updated with: all but what the practice itself sets. */
const NOT_OUR_PRACTITIONER = 'Patient.generalPractitioner: a reference names no practitioner of the practice';

type PatientInput = Omit<StoredPatient, 'id' | 'practiceId' | 'vip' | 'shredded' | 'version' | 'updatedAt'>;

/** A patient search's criteria and page. */
interface PatientQuery {
  family?: string; given?: string; name?: string; birthDate?: string; nir?: string; email?: string; phone?: string;
  limit: number; offset: number;
}

/** Patients: identity reads, searches and registration. */
export class PatientRecords extends RecordsCore {
  /**
   * A patient's session names her to the database first thing in each of its transactions: then
   * row-level security shows it only her notes shared with her, whatever the query (migration 021).
   */
  protected override run<T>(role: DbRole, work: (tx: Tx) => Promise<T>, kind: 'read' | 'write' = 'write'): Promise<T> {
    if (this.principal.role !== 'patient') return super.run(role, work, kind);
    const patientId = this.principal.patientId;
    return super.run(role, async (tx) => {
      await enterAsPatient(tx, patientId);
      return work(tx);
    }, kind);
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
      const detail = this.careDetail([id], care);
      await this.audit(tx, [this.event(d, { ...a, detail }, 'success', d.reason, 'admin')]);
      return { kind: 'ok' as const, patient: found };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'gone') return this.refuse(a, 'the record was erased (crypto-shredded)', new RecordError('gone'));
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    return r.patient;
  }

  /** Identity reads go through the admin repository; a patient's own read runs as admin too. */
  protected async asAdmin(tx: Tx): Promise<Tx> {
    if (tx.scope.role !== 'admin') await tx.enter({ role: 'admin', practiceId: this.practiceId });
    return tx;
  }

  /** A page of patients, and whether more follow. The audit names exactly the patients returned. */
  async searchPatients(q: PatientQuery): Promise<Page<StoredPatient>> {
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
    const named = term(q.family) || term(q.given) || term(q.name);
    const broad = q.offset > 0 || !(named || q.birthDate || q.nir || q.email || q.phone);
    const r = await this.run(d.dbRole, async (tx) => {
      const found = await this.admin(tx).searchPatients({ ...q, limit: q.limit + 1 });
      let items = found.slice(0, q.limit);
      const care = broad ? await this.careFor(tx, items.map((p) => p.id)) : () => null;
      // The ledger: a page is cut to what the budgets leave; none left refuses the search.
      const listed = broad ? ('broad' as const) : ('found' as const);
      const disclosed = (p: StoredPatient) =>
        ({ patientId: p.id, identity: false, listed, notes: [], sensitive: false });
      const ok = this.admit(items.map(disclosed), care);
      if (ok.refusal && ok.admitted === 0) return { kind: 'over' as const, refusal: ok.refusal };
      const cut = ok.admitted < items.length;
      items = items.slice(0, ok.admitted);
      const returned = items.map((p) => p.id);
      const unexplained = this.principal.role === 'practitioner' ? { unexplained: [] } : {};
      const careDetail = broad ? this.careDetail(returned, care) : unexplained;
      const page = { returned, offset: q.offset, count: q.limit, broad, fields: 'picker' as const };
      const detail = { ...page, ...(cut ? { cut: true } : {}), ...careDetail };
      await this.audit(tx, [this.event(d, { ...a, detail }, 'success', d.reason, 'admin')]);
      return { kind: 'ok' as const, page: { items, more: !cut && found.length > q.limit, ...cutOf(cut, ok.refusal) } };
    }, 'read');
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    return r.page;
  }

  async createPatient(input: PatientInput): Promise<StoredPatient> {
    const id = randomUUID();
    const a: Audited = { action: 'create', resourceType: 'Patient', resourceId: id, patientId: id };
    const d = decide(this.principal, 'create', this.patientResource(id), NO_FACTS);
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    const r = await this.run(d.dbRole, async (tx) => {
      const repo = this.admin(tx);
      await this.checkGeneralPractitioners(tx, input);
      const dup = await this.duplicate(tx, d, input.nir, null);
      if (dup) return dup;
      const registered = { by: this.principal.userId, at: this.ctx.now };
      await repo.insertPatients([{ ...input, id, practiceId: this.practiceId, vip: false }], registered);
      await this.audit(tx, [this.event(d, a, 'success', d.reason, 'admin')]);
      return { kind: 'ok' as const, patient: (await repo.patient(id)) as StoredPatient };
    });
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    if (r.kind === 'duplicate') {
      throw new RecordError('unprocessable', ['a patient with this INS-NIR already exists in the practice']);
    }
    return r.patient;
  }

  /** A general practitioner named by reference is one of the practice's practitioners (else 422). */
  private async checkGeneralPractitioners(tx: Tx, input: PatientInput): Promise<void> {
    const local = (input.generalPractitioners ?? []).flatMap((g) => ('practitionerId' in g ? [g.practitionerId] : []));
    if (local.length === 0) return;
    const ours = new Set((await this.admin(tx).users()).filter((u) => u.role === 'practitioner').map((u) => u.id));
    if (local.some((id) => !ours.has(id))) {
      throw new RecordError('unprocessable', [NOT_OUR_PRACTITIONER]);
    }
  }

  /**
   * Another patient of the practice with this INS-NIR, as a create or an update would find it.
   * "This NIR is already a patient here" tells who is a patient of the practice: it is a NIR search
   * that found someone, audited and counted by the ledger as one (regression: the answer was
   * unaudited, an oracle for the practice's patient list — through a create, then an update).
   */
  private async duplicate(
    tx: Tx, d: Decision, nir: string | null | undefined, except: string | null,
  ): Promise<{ kind: 'over'; refusal: AccessError } | { kind: 'duplicate' } | null> {
    if (!nir) return null;
    const dup = (await this.admin(tx).searchPatients({ nir, limit: 2 })).filter((x) => x.id !== except);
    if (dup.length === 0) return null;
    const found = dup[0]!.id;
    const disclosed = { patientId: found, identity: false, listed: 'found' as const, notes: [], sensitive: false };
    const ok = this.admit([disclosed], () => null);
    if (ok.refusal) return { kind: 'over', refusal: ok.refusal };
    const check: Audited = {
      action: 'search', resourceType: 'Patient', resourceId: null, patientId: null,
      detail: { returned: [found], broad: false, fields: 'picker', duplicateCheck: true },
    };
    await this.audit(tx, [this.event(d, check, 'success', 'a patient with this INS-NIR already exists', 'admin')]);
    return { kind: 'duplicate' };
  }

  async updatePatient(id: string, input: PatientInput, expectedVersion: number | null): Promise<StoredPatient> {
    const a: Audited = { action: 'update', resourceType: 'Patient', resourceId: id, patientId: id };
    const d = decide(this.principal, 'update', this.patientResource(id), NO_FACTS);
    if (!d.allow) return this.refuse(a, d.reason, refusalFor(d.reason));
    const out = await this.run(d.dbRole, async (tx) => {
      const repo = this.admin(tx);
      const current = await repo.patient(id);
      if (!current) return null;
      if (current.shredded) throw new RecordError('gone');
      await this.checkGeneralPractitioners(tx, input);
      const dup = await this.duplicate(tx, d, input.nir, id);
      if (dup) return dup;
      const updated = { ...input, id, practiceId: this.practiceId, vip: current.vip };
      const v = await repo.updatePatient(updated, expectedVersion);
      if (v === null) throw new RecordError('version_conflict');
      await this.audit(tx, [this.event(d, { ...a, detail: { version: v } }, 'success', d.reason, 'admin')]);
      return { kind: 'ok' as const, patient: await repo.patient(id) };
    });
    if (!out) return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (out.kind === 'over') return this.refuse(a, 'disclosure budget reached', out.refusal);
    if (out.kind === 'duplicate') {
      throw new RecordError('unprocessable', ['a patient with this INS-NIR already exists in the practice']);
    }
    if (!out.patient) return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    return out.patient;
  }

}
