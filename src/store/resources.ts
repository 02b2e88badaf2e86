import type { SensitivityLabel } from '../domain/index.js';
import type { Tx } from './database.js';
import { SegmentError } from './admin.js';
import { byteaText, insertMany } from './rows.js';
import { noteCareForNoteSql, noteCareSql, visitNoteSql, type CareClass } from './care.js';
import { isShreddedKeyError, type NoteSealer } from './sealing.js';

/**
 * The clinical resources (src/resources/: problems, allergies, treatments, results, vaccinations,
 * consultations) in their one table, clinical.resources (migration 017). A version's body and
 * labels are sealed under the patient's key, bound to `id/version`; only type, patient, author,
 * dates and keyed beacons stay in clear. Lists are paged in SQL and counted before anything is
 * opened: the caller opens what the disclosure ledger admitted, and nothing else.
 */
export interface ResourceVersion {
  readonly id: string;
  readonly version: number;
  readonly type: string;
  readonly patientId: string;
  readonly authorId: string;
  readonly writtenAt: Date;
  readonly effectiveAt: Date | null;
  readonly current: boolean;
}

/** A stored version before it is opened: what decides and counts, and `open` for its body. */
export interface SealedResource extends ResourceVersion {
  /** The reading practitioner's care for it (null: other roles, or none), as for a note. */
  readonly care: CareClass | null;
  /** Its labels, opened (a shredded patient's: none). */
  readonly labels: readonly SensitivityLabel[];
  /** Its search beacons (bound to its patient): whether it has a status is checked without opening it. */
  readonly tokens: readonly number[];
  open(): Promise<Record<string, unknown>>;
}

interface Row {
  id: string; version: number; type: string; patient_id: string; author_id: string;
  written_at: Date; effective_at: Date | null; current: boolean;
  labels_sealed: Buffer; body_sealed: Buffer; pk_version: number | null; pk_wrapped: Buffer | null;
  tokens: number[];
  care?: CareClass | null;
}

/** A row of `patientPage`: the patient's (live, care, key) with one resource of the page, or none (id null). */
type PageRow = Omit<Row, 'id' | 'care'> & { id: string | null; live: boolean; care: CareClass | null };

const T = 'clinical.resources';
const COLUMNS = `cr.id, cr.version, cr.type, cr.patient_id, cr.author_id, cr.written_at, cr.effective_at, cr.current,
  cr.labels_sealed, cr.body_sealed, cr.tokens`;
const SELECT = `${COLUMNS}, k.kek_version AS pk_version, k.wrapped AS pk_wrapped`;
/** A search's order (FHIR `_sort`), always ending by id (a stable page); the default: newest clinical date first. */
const ORDERS = {
  'date-desc': 'cr.effective_at DESC NULLS LAST, cr.written_at DESC, cr.id',
  'date-asc': 'cr.effective_at ASC NULLS LAST, cr.written_at ASC, cr.id',
  'updated-desc': 'cr.written_at DESC, cr.id',
  'updated-asc': 'cr.written_at ASC, cr.id',
} as const;
export type ResourceOrder = keyof typeof ORDERS;
const orderOf = (o: ResourceOrder | undefined, alias = 'cr') =>
  ORDERS[o ?? 'date-desc'].replaceAll('cr.', `${alias}.`);
const FROM = `${T} cr LEFT JOIN keys.patient_keys k
  ON k.practice_id = cr.practice_id AND k.patient_id = cr.patient_id`;

export interface ResourceQuery {
  readonly type: string;
  readonly patientId: string;
  /**
   * Every beacon must be among the version's (AND of parameters); each entry is an OR of beacons
   * (a parameter's values).
   */
  readonly tokens: readonly (readonly number[])[];
  readonly from?: Date;
  readonly to?: Date;
  /** Only these resources (`_id`). */
  readonly ids?: readonly string[];
  /** The current version written from (inclusive) and before (exclusive): `_lastUpdated`. */
  readonly updatedFrom?: Date;
  readonly updatedTo?: Date;
  readonly order?: ResourceOrder;
  /**
   * Only what this practitioner wrote in her open visit (store/care.ts), for a reader a visit alone
   * lets in.
   */
  readonly visitOf?: { practitionerId: string; at: Date } | null;
  readonly limit: number;
  readonly offset: number;
}

/** Only what a practitioner wrote in her open visit (store/care.ts `visitNoteSql`), or everything (null). */
type VisitOf = { practitionerId: string; at: Date } | null;

/**
 * A search's patient and page as one statement read them (`patientPage`): whether the patient is
 * live, the reader's care for it, and the page — still sealed, its labels not opened yet.
 */
export interface PatientPage {
  readonly live: boolean;
  readonly care: CareClass | null;
  /**
   * The page under the scope the decision gives (`visitOf`), labels opened: the rows read with the
   * patient when the statement scoped them the same way, else read again under `visitOf`. Called only
   * once the policy has allowed the search: nothing of the page is opened before.
   */
  page(visitOf: VisitOf): Promise<SealedResource[]>;
}

export interface NewVersion {
  readonly id: string;
  readonly type: string;
  readonly patientId: string;
  readonly authorId: string;
  readonly writtenAt: Date;
  readonly effectiveAt: Date | null;
  readonly labels: readonly SensitivityLabel[];
  readonly body: Record<string, unknown>;
  /** Token search values (`code=system|code`…), stored as keyed beacons. */
  readonly tokens: readonly string[];
}

export class ResourceRepository {
  private readonly vault: NoteSealer;

  constructor(private readonly tx: Tx, sealer: NoteSealer) {
    this.vault = sealer.inTransaction(tx);
    if (tx.scope.role !== 'clinical' || tx.scope.practiceId === null) {
      throw new SegmentError('the resource repository needs a clinical-scoped transaction with a practice');
    }
    if (sealer.practiceId !== tx.scope.practiceId) throw new SegmentError("the vault handle is another practice's");
  }

  private get practiceId(): string {
    return this.tx.scope.practiceId as string;
  }

  /**
   * In one statement: whether the patient is the practice's (and not shredded: `live`), and, for a
   * practitioner, her care class for the patient's clinical record (care.ts `noteCareSql`: genuine
   * care or a visit). Null: no such patient.
   */
  async patientCare(
    patientId: string, practitionerId: string | null, at: Date,
  ): Promise<{ live: boolean; care: CareClass | null } | null> {
    const care = practitionerId === null ? 'NULL::text' : noteCareSql('p.id', '$1', '$3', '$4::timestamptz');
    const params = practitionerId === null
      ? [this.practiceId, patientId]
      : [this.practiceId, patientId, practitionerId, at.toISOString()];
    const r = await this.tx.query<{ live: boolean; care: CareClass | null }>(
      `SELECT p.shredded_at IS NULL AS live, ${care} AS care
        FROM admin.patients p WHERE p.practice_id = $1 AND p.id = $2`,
      params,
    );
    return r.rows[0] ?? null;
  }

  /** Whether the patient is one of the practice's (and, with `live`, not shredded). */
  async patientExists(patientId: string, live = false): Promise<boolean> {
    const r = await this.tx.query(
      `SELECT 1 FROM admin.patients WHERE practice_id = $1 AND id = $2 ${live ? 'AND shredded_at IS NULL' : ''}`,
      [this.practiceId, patientId],
    );
    return r.rows.length > 0;
  }

  /** Beacons of a type's token values (`code=system|code`), as a search looks them up. */
  async tokens(type: string, patientId: string, values: readonly string[]): Promise<number[]> {
    // 32-bit MACs as PostgreSQL's signed integer.
    // Bound to the patient: every clinical search reads one patient's record, and a copy of the
    // table must not show which patients share a code (an HIV code among them).
    return (await this.vault.tokens(values.map((t) => `${type}|${patientId}|${t}`))).map((x) => x | 0);
  }

  /**
   * Writes a version: the first (version 1) or the next after `expected`, which must be the current
   * one (optimistic concurrency: If-Match). Returns the version written, or null when `expected` is
   * not the current version (a conflict) or the resource is not this type's or this patient's.
   */
  async write(v: NewVersion, expected: number | null): Promise<number | null> {
    let version = 1;
    if (expected !== null) {
      const r = await this.tx.query<{ version: number }>(
        `UPDATE ${T} SET current = false
          WHERE practice_id = $1 AND id = $2 AND current AND version = $3 AND type = $4 AND patient_id = $5
          RETURNING version`,
        [this.practiceId, v.id, expected, v.type, v.patientId],
      );
      if (r.rows.length !== 1) return null;
      version = expected + 1;
    }
    const row = await this.versionRow(v, version);
    await insertMany(this.tx, T, Object.keys(row), [row]);
    return version;
  }

  /**
   * Writes many new resources (their first versions) in one statement: the demo's seeded charts.
   * Each is sealed, bound to `id/1`, and indexed as `write` seals and indexes one; the caller says
   * who wrote it and when (a visit's practitioner and time), as the records say it for a client.
   */
  async insertVersions(versions: readonly NewVersion[]): Promise<number> {
    const rows: Record<string, unknown>[] = [];
    for (const v of versions) rows.push(await this.versionRow(v, 1));
    return rows.length === 0 ? 0 : insertMany(this.tx, T, Object.keys(rows[0] as object), rows);
  }

  /** A version's row: its labels and body sealed, bound to `id/version`, and its token values as beacons. */
  private async versionRow(v: NewVersion, version: number): Promise<Record<string, unknown>> {
    const vid = `${v.id}/${version}`;
    const seal = async (field: 'resource.body' | 'resource.labels', value: unknown): Promise<string> =>
      byteaText(await this.vault.sealResource(v.patientId, vid, field, JSON.stringify(value)));
    return {
      practice_id: this.practiceId, id: v.id, version, type: v.type, patient_id: v.patientId, author_id: v.authorId,
      written_at: v.writtenAt.toISOString(), effective_at: v.effectiveAt?.toISOString() ?? null, current: true,
      tokens: await this.tokens(v.type, v.patientId, v.tokens),
      labels_sealed: await seal('resource.labels', v.labels),
      body_sealed: await seal('resource.body', v.body),
    };
  }

  private async sealed(r: Row): Promise<SealedResource> {
    const key = r.pk_version === null || r.pk_wrapped === null
      ? null
      : { version: Number(r.pk_version), wrapped: Buffer.from(r.pk_wrapped) };
    this.vault.knownKey(r.patient_id, key);
    const vid = `${r.id}/${r.version}`;
    const labels = await this.vault.openResource(r.patient_id, vid, 'resource.labels', r.labels_sealed)
      .then((j) => JSON.parse(j) as SensitivityLabel[])
      .catch((e: unknown) => {
        if (isShreddedKeyError(e)) return [];
        throw e;
      });
    return {
      id: r.id, version: Number(r.version), type: r.type, patientId: r.patient_id, authorId: r.author_id,
      writtenAt: new Date(r.written_at), effectiveAt: r.effective_at ? new Date(r.effective_at) : null,
      current: r.current, care: r.care ?? null, labels, tokens: r.tokens.map(Number),
      open: async () => {
        const body = await this.vault.openResource(r.patient_id, vid, 'resource.body', r.body_sealed);
        return JSON.parse(body) as Record<string, unknown>;
      },
    };
  }

  /**
   * One resource (its current version, or `version`) with the reading practitioner's care for it —
   * the patient's genuine care, or `visit` for what she wrote in her open visit — in one statement.
   */
  async one(
    type: string, id: string, version: number | null, practitionerId: string | null, at: Date, lock = false,
  ): Promise<SealedResource | null> {
    const care = practitionerId === null ? 'NULL::text' : noteCareForNoteSql('cr', '$1', '$5', '$6::timestamptz');
    const careParams = practitionerId === null ? [] : [practitionerId, at.toISOString()];
    const read = () => this.tx.query<Row>(
      `SELECT ${SELECT}, ${care} AS care FROM ${FROM}
        WHERE cr.practice_id = $1 AND cr.type = $2 AND cr.id = $3
          AND ($4::int IS NULL AND cr.current OR cr.version = $4::int)${lock ? ' FOR UPDATE OF cr' : ''}`,
      [this.practiceId, type, id, version, ...careParams],
    );
    let r = await read();
    // Locked for a write: a version committed meanwhile by another writer retired the row this one
    // waited for (its `current` no longer holds once the lock is granted); the next statement sees
    // the new current version and locks it.
    for (let tries = 0; lock && version === null && r.rows.length === 0 && tries < 3; tries++) r = await read();
    return r.rows[0] ? this.sealed(r.rows[0]) : null;
  }

  /** Every version of a resource, newest first (its history). */
  async history(
    type: string, id: string, visitOf: { practitionerId: string; at: Date } | null, limit: number, offset: number,
  ): Promise<SealedResource[]> {
    const visit = visitOf === null ? '' : `AND ${visitNoteSql('cr', '$1', '$5', '$6::timestamptz')}`;
    const visitParams = visitOf === null ? [] : [visitOf.practitionerId, visitOf.at.toISOString()];
    const r = await this.tx.query<Row>(
      `SELECT ${SELECT} FROM ${FROM} WHERE cr.practice_id = $1 AND cr.type = $2 AND cr.id = $3 ${visit}
        ORDER BY cr.version DESC LIMIT $4 OFFSET ${Math.max(0, Math.trunc(offset))}`,
      [this.practiceId, type, id, limit, ...visitParams],
    );
    return Promise.all(r.rows.map((x) => this.sealed(x)));
  }

  /** A page of one patient's current resources of a type, newest clinical date first, still sealed. */
  async search(q: ResourceQuery): Promise<SealedResource[]> {
    const params: unknown[] = [this.practiceId, q.type, q.patientId, q.limit, q.offset];
    const where = this.filters(q, params);
    if (q.visitOf) {
      params.push(q.visitOf.practitionerId, q.visitOf.at.toISOString());
      where.push(visitNoteSql('cr', '$1', `$${params.length - 1}`, `$${params.length}::timestamptz`));
    }
    const r = await this.tx.query<Row>(
      `SELECT ${SELECT} FROM ${FROM}
        WHERE cr.practice_id = $1 AND cr.type = $2 AND cr.patient_id = $3 AND cr.current
          ${where.map((w) => `AND ${w}`).join(' ')}
        ORDER BY ${orderOf(q.order)} LIMIT $4 OFFSET $5`,
      params,
    );
    return Promise.all(r.rows.map((x) => this.sealed(x)));
  }

  /** A search's token and date conditions on `cr`, their values appended to `params`. */
  private filters(q: Omit<ResourceQuery, 'visitOf'>, params: unknown[]): string[] {
    const where: string[] = [];
    for (const any of q.tokens) {
      params.push(any);
      where.push(`cr.tokens && $${params.length}::int[]`);
    }
    if (q.from) {
      params.push(q.from.toISOString());
      where.push(`cr.effective_at >= $${params.length}::timestamptz`);
    }
    if (q.to) {
      params.push(q.to.toISOString());
      where.push(`cr.effective_at < $${params.length}::timestamptz`);
    }
    if (q.ids) {
      params.push(q.ids);
      where.push(`cr.id = ANY($${params.length}::uuid[])`);
    }
    if (q.updatedFrom) {
      params.push(q.updatedFrom.toISOString());
      where.push(`cr.written_at >= $${params.length}::timestamptz`);
    }
    if (q.updatedTo) {
      params.push(q.updatedTo.toISOString());
      where.push(`cr.written_at < $${params.length}::timestamptz`);
    }
    return where;
  }

  /**
   * A search's patient and page in one statement (one round trip where `patientCare` then `search`
   * took two): the patient, whether it is live, the reading practitioner's care for it (as
   * `patientCare`), and the page of `q` as `search` reads it. The decision that scopes the page comes
   * after, so the page is read as the care found in the same statement scopes it — everything under
   * genuine care or for another role, else only what the practitioner wrote in her open visit — and
   * `page` reads it again only if the decision scopes it otherwise (break-the-glass, a visit giving
   * way). Nothing is opened here: the labels are opened by `page`, after the decision. Null: no such
   * patient in the practice.
   */
  async patientPage(
    q: Omit<ResourceQuery, 'visitOf'>, practitionerId: string | null, at: Date,
  ): Promise<PatientPage | null> {
    const params: unknown[] = [this.practiceId, q.type, q.patientId, q.limit, q.offset];
    const where = this.filters(q, params);
    let care = 'NULL::text';
    if (practitionerId !== null) {
      params.push(practitionerId, at.toISOString());
      const prac = `$${params.length - 1}`;
      const ts = `$${params.length}::timestamptz`;
      care = noteCareSql('p.id', '$1', prac, ts);
      where.push(`(p.care IN ('scheduled', 'standing') OR ${visitNoteSql('cr', '$1', prac, ts)})`);
    }
    // The patient's row is read once (MATERIALIZED: its care is not computed again for each row),
    // its key row too; the page is the same query as `search`'s, under the patient's care.
    // A patient without a resource of the page: one row, its resource columns null.
    const r = await this.tx.query<PageRow>(
      `WITH p AS MATERIALIZED (
          SELECT p.id, p.shredded_at IS NULL AS live, ${care} AS care
            FROM admin.patients p WHERE p.practice_id = $1 AND p.id = $3)
        SELECT p.live, p.care, k.kek_version AS pk_version, k.wrapped AS pk_wrapped, r.*
          FROM p LEFT JOIN keys.patient_keys k ON k.practice_id = $1 AND k.patient_id = p.id
          LEFT JOIN LATERAL (
            SELECT ${COLUMNS} FROM ${T} cr
              WHERE cr.practice_id = $1 AND cr.type = $2 AND cr.patient_id = $3 AND cr.current
                ${where.map((w) => `AND ${w}`).join(' ')}
              ORDER BY ${orderOf(q.order)} LIMIT $4 OFFSET $5) r ON true
          ORDER BY ${orderOf(q.order, 'r')}`,
      params,
    );
    const first = r.rows[0];
    if (!first) return null;
    const rows: Row[] = [];
    for (const { id, live: _live, care: _care, ...x } of r.rows) if (id !== null) rows.push({ ...x, id });
    const genuine = first.care === 'scheduled' || first.care === 'standing';
    const read: VisitOf = practitionerId === null || genuine ? null : { practitionerId, at };
    const same = (v: VisitOf) => v === null || read === null
      ? v === read
      : v.practitionerId === read.practitionerId && v.at.getTime() === read.at.getTime();
    return {
      live: first.live, care: first.care,
      page: async (visitOf) => same(visitOf)
        ? Promise.all(rows.map((x) => this.sealed(x)))
        : this.search({ ...q, visitOf }),
    };
  }

  /** Every current resource of a patient, of these types (the whole record), still sealed. */
  async ofPatient(
    patientId: string, types: readonly string[], visitOf: { practitionerId: string; at: Date } | null,
  ): Promise<SealedResource[]> {
    const visit = visitOf === null ? '' : `AND ${visitNoteSql('cr', '$1', '$4', '$5::timestamptz')}`;
    const visitParams = visitOf === null ? [] : [visitOf.practitionerId, visitOf.at.toISOString()];
    const r = await this.tx.query<Row>(
      `SELECT ${SELECT} FROM ${FROM}
        WHERE cr.practice_id = $1 AND cr.patient_id = $2 AND cr.type = ANY($3::text[]) AND cr.current ${visit}
        ORDER BY cr.type, cr.effective_at DESC NULLS LAST, cr.id`,
      [this.practiceId, patientId, [...types], ...visitParams],
    );
    return Promise.all(r.rows.map((x) => this.sealed(x)));
  }
}
