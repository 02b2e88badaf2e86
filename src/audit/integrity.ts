import type { Database, OpenedStore } from '../store/index.js';
import { PLATFORM_KEY_SCOPE } from '../store/index.js';
import type { KeyProvider } from '../vault/index.js';
import { AUDIT_KEY_LABEL } from './chain.js';
import type { EventIntegrity, HeadCorrection } from './verify.js';

/**
 * The audit key (issue 13): events are authenticated when written with a key derived from the key
 * provider (the platform's index key, in the keyring or the HSM), never stored in the database.
 * `create` says whether a missing platform key may be made (the server, at start) or not (a
 * read-only verification, which then has no key).
 */
export async function auditKey(provider: KeyProvider, create: boolean): Promise<Buffer | null> {
  if (!create && !(await provider.list()).some((k) => k.practiceId === PLATFORM_KEY_SCOPE && k.purpose === 'index')) return null;
  return provider.mac(PLATFORM_KEY_SCOPE, Buffer.from(AUDIT_KEY_LABEL));
}

/**
 * Turns event MACs on for this database (once): from the next sequence number on, every event
 * must carry one. Run by the owner connection at start, before the server writes anything.
 */
export async function enableAuditMacs(store: OpenedStore, key: Buffer, at: Date): Promise<void> {
  await store.driver.transaction((q) =>
    q.query(
      `INSERT INTO meta.audit_mac (since_seq, enabled_at)
       SELECT COALESCE((SELECT max(seq) FROM audit.events), 0) + 1, $1 ON CONFLICT (id) DO NOTHING`,
      [at.toISOString()],
    ),
  );
  store.db.useAuditKey(key);
}

/** What verification needs to authenticate events: the key, and from which event on a MAC is due. */
export async function eventIntegrity(db: Database, key: Buffer | null): Promise<EventIntegrity> {
  const r = await db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) => tx.query<{ since_seq: number }>('SELECT since_seq FROM meta.audit_mac'));
  const since = r.rows[0] ? Number(r.rows[0].since_seq) : null;
  if (since !== null && key === null) throw new Error('the audit log carries MACs since event #' + since + ' but the audit key is missing from the key provider');
  return { key, sinceSeq: since };
}

/** The signed corrections of tree heads (`medvault audit repair`). */
export async function readCorrections(db: Database): Promise<HeadCorrection[]> {
  const r = await db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) =>
    tx.query<{ tree_size: number; wrong_root: Buffer; root_hash: Buffer; signed_at: Date; key_id: string; signature: Buffer }>(
      'SELECT tree_size, wrong_root, root_hash, signed_at, key_id, signature FROM audit.head_corrections ORDER BY tree_size',
    ),
  );
  return r.rows.map((c) => ({ treeSize: Number(c.tree_size), wrongRoot: c.wrong_root, rootHash: c.root_hash, signedAt: new Date(c.signed_at), keyId: c.key_id, signature: c.signature }));
}
