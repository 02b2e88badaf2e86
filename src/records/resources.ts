import { randomUUID } from 'node:crypto';
import { AccessError } from '../access/errors.js';
import type { Decision } from '../access/index.js';
import type { ClinicalType } from '../audit/events.js';
import { REGISTRY, type ResourceModule } from '../resources/index.js';
import { isShreddedKeyError, type SealedResource, type Tx } from '../store/index.js';
import type { CareClass } from '../store/care.js';
import { RecordError, refusalFor } from './errors.js';
import { visitScope } from './care-claims.js';
import { type Audited, type Disclosing, type Page } from './core.js';
import { AppointmentRecords } from './appointments.js';
import type { OpenedResource, ResourceSearch, ResourceWrite } from './resource-types.js';

export type { OpenedResource, ResourceSearch, ResourceWrite } from './resource-types.js';
export type { ResourceOrder } from '../store/index.js';

const gone = (e: unknown): never => {
  if (isShreddedKeyError(e)) throw new RecordError('gone');
  throw e;
};

/**
 * The registry's clinical types (problems, allergies, treatments, results, vaccinations,
 * consultations): each read, search and write decided by the policy as clinical content (the
 * resource's own type, for scopes), under the care rules of notes (a visit opens only what its
 * practitioner wrote in it), counted by the one disclosure ledger before anything is opened, and
 * audited with the ids it returned.
 */
export class ResourceRecords extends AppointmentRecords {
  protected moduleOf(type: string): ResourceModule {
    const m = REGISTRY.module(type);
    if (!m) throw new RecordError('not_found');
    return m;
  }

  /** A registry type's name once its module is found: what its audit events are about (the clinical kinds). */
  protected clinicalType(type: string): ClinicalType {
    return this.moduleOf(type).type as ClinicalType;
  }

  private reader(): string | null {
    return this.principal.role === 'practitioner' ? this.principal.userId : null;
  }

  private decision(
    tx: Tx, type: string, patientId: string, action: 'read' | 'search' | 'create' | 'update', cls: CareClass | null,
  ): Promise<Decision> {
    const known = this.principal.role === 'practitioner' ? cls !== null : undefined;
    return this.decideWithFacts(tx, action, { type, practiceId: this.principal.practiceId, patientId }, known);
  }

  private denied(a: Audited, d: Decision): Promise<never> {
    return this.refuse(a, d.allow ? '' : d.reason, d.allow ? new AccessError('forbidden') : refusalFor(d.reason));
  }

  private async opened(r: SealedResource): Promise<OpenedResource> {
    const body = await r.open().catch(gone);
    return {
      id: r.id, type: r.type, version: r.version, patientId: r.patientId, authorId: r.authorId,
      writtenAt: r.writtenAt, labels: r.labels, body,
    };
  }

  /** One resource (its current version, or `version`: vread). */
  async readResource(type: string, id: string, version: number | null = null): Promise<OpenedResource> {
    const a: Audited = { action: 'read', resourceType: this.clinicalType(type), resourceId: id, patientId: null };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      const row = await this.resources(tx).one(type, id, version, this.reader(), this.ctx.now);
      if (!row) return { kind: 'missing' as const };
      const d = await this.decision(tx, type, row.patientId, 'read', row.care);
      if (!d.allow) return { kind: 'denied' as const, d, patientId: row.patientId };
      const care = this.noteCare(d, row.care);
      const disclosed: Disclosing = {
        patientId: row.patientId, identity: false, listed: null, notes: [], resources: [id],
        sensitive: row.labels.length > 0,
      };
      const ok = this.admit([disclosed], care);
      if (ok.refusal) return { kind: 'over' as const, refusal: ok.refusal, patientId: row.patientId };
      const out = await this.opened(row);
      const detail = { version: row.version, ...this.careDetail([row.patientId], care) };
      const audited = { ...a, patientId: row.patientId, labels: row.labels, detail };
      await this.audit(tx, [this.event(d, audited, 'success', d.reason, 'clinical')]);
      return { kind: 'ok' as const, out };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'over') return this.refuse({ ...a, patientId: r.patientId }, 'disclosure budget reached', r.refusal);
    if (r.kind === 'denied') return this.denied({ ...a, patientId: r.patientId }, r.d);
    return r.out;
  }

  /**
   * A page of one patient's resources of a type (`history`: every version of one resource). Paged
   * in SQL; the page is counted by the ledger, cut to what it admits, and only then opened.
   */
  async searchResources(
    type: string, search: ResourceSearch, history: string | null = null,
  ): Promise<Page<OpenedResource>> {
    let q = search;
    const a: Audited = {
      action: 'search', resourceType: this.clinicalType(type), resourceId: history,
      patientId: history === null ? q.patientId : null,
    };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      const repo = this.resources(tx);
      if (history !== null) {
        // A resource's history is its patient's compartment: the patient is the current version's.
        const current = await repo.one(type, history, null, null, this.ctx.now);
        if (!current) return { kind: 'missing' as const };
        q = { ...q, patientId: current.patientId };
      }
      // A search reads its patient, the care and the page in one statement; nothing of the page is
      // opened before the decision (`page` opens the labels, under the scope the decision gives).
      const read = history !== null ? undefined : await repo.patientPage({
        type, patientId: q.patientId, limit: q.limit + 1, offset: q.offset,
        tokens: await Promise.all(q.tokens.map((any) => repo.tokens(type, q.patientId, any))),
        ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}), ...(q.ids ? { ids: q.ids } : {}),
        ...(q.updatedFrom ? { updatedFrom: q.updatedFrom } : {}), ...(q.updatedTo ? { updatedTo: q.updatedTo } : {}),
        ...(q.order ? { order: q.order } : {}),
      }, this.reader(), this.ctx.now);
      const patient = await this.clinicalPatient(tx, q.patientId, false, read);
      if (!patient) return { kind: 'missing' as const };
      const cls = patient.cls;
      const d = await this.decision(tx, type, q.patientId, 'search', cls);
      if (!d.allow) return { kind: 'denied' as const, d };
      const visitOf = visitScope(this.principal, d, cls, this.ctx.now);
      const found = read
        ? await read.page(visitOf)
        : (await repo.history(type, history as string, visitOf, q.limit + 1, q.offset))
          .filter((x) => x.patientId === q.patientId);
      const page = found.slice(0, q.limit);
      const care = this.noteCare(d, cls);
      // One patient's page: the budgets count the patient (its chart searched, sensitive or not,
      // found or not: an empty answer discloses too), so the page is admitted whole or refused — one
      // entry for the ledger, however many rows. What the ledger admitted is what the audit names.
      const disclosed: Disclosing = {
        patientId: q.patientId, identity: false, listed: null, notes: [], searched: true,
        resources: [...new Set(page.map((x) => x.id))], sensitive: page.some((x) => x.labels.length > 0),
      };
      const ok = this.admit([disclosed], care);
      if (ok.refusal) return { kind: 'over' as const, refusal: ok.refusal };
      const items: OpenedResource[] = [];
      for (const x of page) items.push(await this.opened(x));
      const labels = [...new Set(page.flatMap((x) => x.labels))];
      const detail = { returned: disclosed.resources ?? [], ...this.careDetail([q.patientId], care) };
      const audited = { ...a, patientId: q.patientId, labels, detail };
      await this.audit(tx, [this.event(d, audited, 'success', d.reason, 'clinical')]);
      return { kind: 'ok' as const, items, more: found.length > q.limit };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    if (r.kind === 'denied') return this.denied(a, r.d);
    return { items: r.items, more: r.more };
  }

  /**
   * Every version of one resource, newest first (its `_history`), counted and audited as a search of
   * its patient.
   */
  resourceHistory(type: string, id: string, page: { offset: number; limit: number }): Promise<Page<OpenedResource>> {
    return this.searchResources(type, { patientId: '', tokens: [], ...page }, id);
  }

  /**
   * Writes a resource: a new one, or the next version of `id` when `expected` is its current
   * version (If-Match). Under a visit alone a practitioner updates only what she wrote in it.
   */
  async writeResource(
    type: string, w: ResourceWrite, update: { id: string; expected: number | null } | null = null,
  ): Promise<OpenedResource> {
    const m = this.moduleOf(type);
    const id = update?.id ?? randomUUID();
    const action = update ? 'update' : 'create';
    const a: Extract<Audited, { resourceType: ClinicalType; action: 'create' | 'update' }> = {
      action, resourceType: this.clinicalType(type), resourceId: id, patientId: w.patientId, labels: w.labels,
    };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      const repo = this.resources(tx);
      const patient = await this.clinicalPatient(tx, w.patientId, true);
      if (!patient) return { kind: 'missing' as const };
      let cls = patient.cls;
      // A version keeps the labels of the one before (an HIV treatment stopped is still one):
      // a client that leaves out meta.security does not unlabel a resource.
      let labels = [...w.labels];
      let expected: number | null = null;
      if (update) {
        // Locked until the write: the labels carried over and the version written over are this one's.
        const current = await repo.one(type, id, null, this.reader(), this.ctx.now, true);
        if (!current || current.patientId !== w.patientId) return { kind: 'missing' as const };
        expected = update.expected ?? current.version;
        if (this.reader()) cls = current.care;
        labels = [...new Set([...current.labels, ...labels])];
      }
      const d = await this.decision(tx, type, w.patientId, action, cls);
      // An update refused for want of care answers as an unknown id does: no oracle of whose it is.
      if (!d.allow) return update ? { kind: 'hidden' as const, d } : { kind: 'denied' as const, d };
      const encounter = (w.body.encounter as { reference?: unknown } | undefined)?.reference;
      if (typeof encounter === 'string') {
        // The consultation a resource is recorded in is one of the same patient's.
        const visit = /^Encounter\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(encounter);
        const found = visit ? await repo.one('Encounter', visit[1] as string, null, null, this.ctx.now) : null;
        if (!found || found.patientId !== w.patientId) return { kind: 'bad-encounter' as const };
      }
      const author = { reference: `Practitioner/${this.principal.userId}` };
      const body = { ...w.body, ...m.author(author) };
      const version = await repo.write({
        id, type, patientId: w.patientId, authorId: this.principal.userId, writtenAt: this.ctx.now,
        effectiveAt: w.effectiveAt, labels, body, tokens: w.tokens,
      }, expected);
      if (version === null) throw new RecordError('version_conflict');
      await this.audit(tx, [this.event(d, { ...a, labels, detail: { version } }, 'success', d.reason, 'clinical')]);
      const out: OpenedResource = {
        id, type, version, patientId: w.patientId, authorId: this.principal.userId, writtenAt: this.ctx.now,
        labels, body,
      };
      return { kind: 'ok' as const, out };
    });
    if (r.kind === 'missing') {
      return this.refuse(a, 'patient or resource not found in the practice', new RecordError('not_found'));
    }
    if (r.kind === 'hidden') return this.refuse(a, r.d.allow ? '' : r.d.reason, new RecordError('not_found'));
    if (r.kind === 'bad-encounter') {
      throw new RecordError('invalid', [`${type}.encounter must be a consultation of the same patient`]);
    }
    if (r.kind === 'denied') return this.denied(a, r.d);
    return r.out;
  }

  /**
   * The prescriber's own lines of one patient, for the ordonnance. The search of the patient's
   * prescriptions is decided first (a practitioner without care is refused, audited, before any line
   * is looked at); then each line is checked on its sealed row — the patient, the author, an active
   * or draft status through its beacon — before the ledger counts anything or anything opens. A
   * refused line is an audited refusal. Then read as one search: counted, opened, audited with the ids.
   */
  async prescriptionLines(patientId: string, ids: readonly string[]): Promise<OpenedResource[]> {
    const type = 'MedicationRequest';
    const a: Audited = { action: 'search', resourceType: this.clinicalType(type), resourceId: null, patientId };
    await this.clinicalGate(a);
    const r = await this.run('clinical', async (tx) => {
      const repo = this.resources(tx);
      const patient = await this.clinicalPatient(tx, patientId, false);
      if (!patient) return { kind: 'missing' as const };
      const d = await this.decision(tx, type, patientId, 'search', patient.cls);
      if (!d.allow) return { kind: 'denied' as const, d };
      const printable = new Set(await repo.tokens(type, patientId, ['status=active', 'status=draft']));
      const rows: SealedResource[] = [];
      for (const id of ids) {
        const row = await repo.one(type, id, null, this.reader(), this.ctx.now);
        if (!row || row.patientId !== patientId) {
          return { kind: 'invalid' as const, why: 'a prescription line of another patient' };
        }
        if (row.authorId !== this.principal.userId) {
          return { kind: 'invalid' as const, why: 'an ordonnance carries only its prescriber\'s own lines' };
        }
        if (!row.tokens.some((x) => printable.has(x))) {
          return { kind: 'invalid' as const, why: 'only active prescription lines are printed' };
        }
        rows.push(row);
      }
      const care = this.noteCare(d, patient.cls);
      const sensitive = rows.some((x) => x.labels.length > 0);
      const lines: Disclosing = { patientId, identity: false, listed: null, notes: [], resources: [...ids], sensitive };
      const ok = this.admit([lines], care);
      if (ok.refusal) return { kind: 'over' as const, refusal: ok.refusal };
      const items: OpenedResource[] = [];
      for (const x of rows) items.push(await this.opened(x));
      const labels = [...new Set(rows.flatMap((x) => x.labels))];
      const detail = { returned: [...ids], ordonnance: true, ...this.careDetail([patientId], care) };
      await this.audit(tx, [this.event(d, { ...a, labels, detail }, 'success', d.reason, 'clinical')]);
      return { kind: 'ok' as const, items };
    }, 'read');
    if (r.kind === 'missing') return this.refuse(a, 'not found in the practice', new RecordError('not_found'));
    if (r.kind === 'invalid') return this.refuse(a, r.why, new RecordError('invalid', [r.why]));
    if (r.kind === 'over') return this.refuse(a, 'disclosure budget reached', r.refusal);
    if (r.kind === 'denied') return this.denied(a, r.d);
    return r.items;
  }
}
