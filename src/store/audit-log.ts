import type { Sql, SqlResult } from './driver.js';

/**
 * The audit log's own bookkeeping, as the chainer, the checkpointer and verification read and
 * write it: the hash chain (audit.chain) and its recorded end (meta.audit_head), the signed tree
 * heads (audit.tree_heads) and their corrections (audit.head_corrections), and from which event on
 * events carry a MAC (meta.audit_mac). Writing the audit events themselves is store/audit.ts.
 *
 * Reads run as the security reader with platform scope; the writes of the chain, heads and
 * corrections as the audit writer (the caller enters that scope first). The MAC record is read
 * and started also on the owner's connection at start (`Sql` of the driver).
 */

/** A signed tree head as stored in the database. */
export interface StoredTreeHead {
  readonly treeSize: number;
  readonly rootHash: Buffer;
  readonly signedAt: Date;
  readonly keyId: string;
  readonly signature: Buffer;
}

/** A signed correction of a tree head signed over a wrong root (`medvault audit repair`). */
export interface StoredHeadCorrection extends StoredTreeHead {
  readonly wrongRoot: Buffer;
}

/** One link of the chain to write: the event's sequence number, the previous hash and its own. */
export interface ChainLink {
  readonly seq: number;
  readonly prev: Buffer;
  readonly hash: Buffer;
}

const EVENT_ROW = `SELECT e.seq, e.id, e.at, e.practice_id, e.user_id, e.role, e.session_id, e.source_ip, e.action,
    e.resource_type, e.resource_id, e.patient_id, e.segment, e.labels, e.purpose, e.outcome, e.reason, e.detail, e.mac,
    c.prev_hash, c.hash
  FROM audit.events e LEFT JOIN audit.chain c ON c.seq = e.seq`;

/**
 * One batch of audit events after sequence number `after`, in sequence order, each with its MAC
 * and its chain hashes (null where not chained yet): the rows verification walks. Takes a bare
 * `query` so that it runs on any connection (a transaction, a test's client).
 */
export function auditEventBatch(
  query: Sql['query'], after: number, limit: number,
): Promise<SqlResult<Record<string, unknown>>> {
  return query<Record<string, unknown>>(`${EVENT_ROW} WHERE e.seq > $1 ORDER BY e.seq LIMIT $2`, [after, limit]);
}

export class AuditLog {
  constructor(private readonly sql: Sql) {}

  /** Takes a transaction-level advisory lock on `key` if free; false if another transaction holds it. */
  async tryLock(key: number): Promise<boolean> {
    const r = await this.sql.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [key]);
    return r.rows[0]?.ok === true;
  }

  /** The chain's recorded end: last chained sequence number, events chained, last hash. */
  async head(): Promise<{ seq: number; count: number; hash: Buffer }> {
    const r = await this.sql.query<{ seq: number; count: number; hash: Buffer }>(
      'SELECT seq, count, hash FROM meta.audit_head',
    );
    return r.rows[0]!;
  }

  /** The chain's recorded end without its hash: last chained sequence number and events chained. */
  async chainEnd(): Promise<{ seq: number; count: number }> {
    const r = await this.sql.query<{ seq: number; count: number }>('SELECT seq, count FROM meta.audit_head');
    return r.rows[0]!;
  }

  /** How many events are chained and the last hash (null if the head row is missing). */
  async liveEnd(): Promise<{ count: number; hash: Buffer } | null> {
    const r = await this.sql.query<{ count: number; hash: Buffer }>('SELECT count, hash FROM meta.audit_head');
    return r.rows[0] ?? null;
  }

  /** How many events the log holds, with the chain's recorded count and last hash. */
  async totals(): Promise<{ n: number; hash: Buffer; count: number }> {
    const r = await this.sql.query<{ n: number; hash: Buffer; count: number }>(
      'SELECT (SELECT count(*)::int FROM audit.events) n, h.hash, h.count FROM meta.audit_head h',
    );
    return r.rows[0]!;
  }

  /** How many events the log holds. */
  async eventCount(): Promise<number> {
    const r = await this.sql.query<{ n: number }>('SELECT count(*)::int AS n FROM audit.events');
    return Number(r.rows[0]?.n ?? 0);
  }

  /** Up to `limit` events after sequence number `after`, in order: what the chain hashes of them. */
  async eventsAfter(after: number, limit: number): Promise<Record<string, unknown>[]> {
    const r = await this.sql.query<Record<string, unknown>>(
      `SELECT seq, id, at, practice_id, user_id, role, session_id, source_ip, action, resource_type, resource_id,
              patient_id, segment, labels, purpose, outcome, reason, detail
         FROM audit.events WHERE seq > $1 ORDER BY seq LIMIT $2`,
      [after, limit],
    );
    return r.rows;
  }

  /** Writes these links into the chain (one statement), as the audit writer. */
  async link(links: readonly ChainLink[]): Promise<void> {
    await this.sql.query(
      `INSERT INTO audit.chain (seq, prev_hash, hash)
       SELECT s, decode(p, 'hex'), decode(h, 'hex') FROM unnest($1::bigint[], $2::text[], $3::text[]) AS t(s, p, h)`,
      [links.map((x) => x.seq), links.map((x) => x.prev.toString('hex')), links.map((x) => x.hash.toString('hex'))],
    );
  }

  /** Moves the chain's recorded end to `seq`, `added` events further, at `hash`, as the audit writer. */
  async advanceHead(seq: number, added: number, hash: Buffer): Promise<void> {
    await this.sql.query('UPDATE meta.audit_head SET seq = $1, count = count + $2, hash = $3', [seq, added, hash]);
  }

  /** The chain's hashes after `after` up to `until` (sequence numbers), in order, at most `limit`. */
  async chainHashes(after: number, until: number, limit: number): Promise<{ seq: number; hash: Buffer }[]> {
    const r = await this.sql.query<{ seq: number; hash: Buffer }>(
      'SELECT seq, hash FROM audit.chain WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3', [after, until, limit],
    );
    return r.rows;
  }

  /** The largest signed tree head's size and root, if any. */
  async lastTreeHead(): Promise<{ treeSize: number; rootHash: Buffer } | null> {
    const r = await this.sql.query<{ tree_size: number; root_hash: Buffer }>(
      'SELECT tree_size, root_hash FROM audit.tree_heads ORDER BY tree_size DESC LIMIT 1',
    );
    const h = r.rows[0];
    return h ? { treeSize: Number(h.tree_size), rootHash: h.root_hash } : null;
  }

  /** The key id that signed the largest tree head, if any. */
  async lastTreeHeadKeyId(): Promise<string | null> {
    const r = await this.sql.query<{ key_id: string }>(
      'SELECT key_id FROM audit.tree_heads ORDER BY tree_size DESC LIMIT 1',
    );
    return r.rows[0]?.key_id ?? null;
  }

  /** Every signed tree head, by size. */
  async treeHeads(): Promise<StoredTreeHead[]> {
    const r = await this.sql.query<{
      tree_size: number; root_hash: Buffer; signed_at: Date; key_id: string; signature: Buffer;
    }>('SELECT tree_size, root_hash, signed_at, key_id, signature FROM audit.tree_heads ORDER BY tree_size');
    return r.rows.map((h) => ({
      treeSize: Number(h.tree_size), rootHash: h.root_hash, signedAt: new Date(h.signed_at), keyId: h.key_id,
      signature: h.signature,
    }));
  }

  /** Stores a signed tree head, as the audit writer. */
  async addTreeHead(h: StoredTreeHead): Promise<void> {
    await this.sql.query(
      'INSERT INTO audit.tree_heads (tree_size, root_hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5)',
      [h.treeSize, h.rootHash, h.signedAt.toISOString(), h.keyId, h.signature],
    );
  }

  /** Every signed correction of a tree head, by size. */
  async headCorrections(): Promise<StoredHeadCorrection[]> {
    const r = await this.sql.query<{
      tree_size: number; wrong_root: Buffer; root_hash: Buffer; signed_at: Date; key_id: string; signature: Buffer;
    }>(
      `SELECT tree_size, wrong_root, root_hash, signed_at, key_id, signature
         FROM audit.head_corrections ORDER BY tree_size`,
    );
    return r.rows.map((c) => ({
      treeSize: Number(c.tree_size), wrongRoot: c.wrong_root, rootHash: c.root_hash, signedAt: new Date(c.signed_at),
      keyId: c.key_id, signature: c.signature,
    }));
  }

  /** Stores a signed correction of a tree head, with why, as the audit writer. */
  async addHeadCorrection(c: StoredHeadCorrection, reason: string): Promise<void> {
    await this.sql.query(
      `INSERT INTO audit.head_corrections (tree_size, wrong_root, root_hash, signed_at, key_id, signature, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [c.treeSize, c.wrongRoot, c.rootHash, c.signedAt.toISOString(), c.keyId, c.signature, reason],
    );
  }

  /** From which sequence number on every event carries a MAC (null: MACs never turned on). */
  async macStart(): Promise<number | null> {
    const r = await this.sql.query<{ since_seq: number }>('SELECT since_seq FROM meta.audit_mac');
    return r.rows[0] ? Number(r.rows[0].since_seq) : null;
  }

  /**
   * Turns event MACs on, once: from `sinceSeq`, or else from the event after the log's last one.
   * Returns where they begin, or null if a record was there already (nothing written).
   */
  async startMacs(at: Date, sinceSeq: number | null): Promise<number | null> {
    const r = await this.sql.query<{ since_seq: number }>(
      `INSERT INTO meta.audit_mac (since_seq, enabled_at)
       SELECT COALESCE($2::bigint, COALESCE((SELECT max(seq) FROM audit.events), 0) + 1), $1
       ON CONFLICT (id) DO NOTHING RETURNING since_seq`,
      [at.toISOString(), sinceSeq],
    );
    return r.rows[0] ? Number(r.rows[0].since_seq) : null;
  }
}
