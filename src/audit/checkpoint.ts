import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from '../store/index.js';
import { AuditChainer } from './chainer.js';
import { MerkleFrontier } from './merkle.js';
import { treeHeadMessage, type AuditSigner } from './signing.js';
import type { TreeHead } from './verify.js';

/**
 * Signed checkpoints of the audit log: at intervals and at shutdown, the RFC 9162 tree head over
 * every event so far is signed and written twice — in the database (audit.tree_heads) and in a
 * file outside it (one JSON line per head), so that rewriting the database cannot also rewrite
 * what was signed.
 */
export class AuditCheckpointer {
  private readonly tree = new MerkleFrontier();
  private lastSeq = 0;
  private lastSigned = -1;

  constructor(
    private readonly db: Database,
    private readonly signer: AuditSigner,
    private readonly headsFile: string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    mkdirSync(dirname(headsFile), { recursive: true, mode: 0o700 });
  }

  /** Reads the events added since the last call into the tree; returns how many. */
  private async catchUp(): Promise<number> {
    let added = 0;
    for (;;) {
      const r = await this.db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) =>
        tx.query<{ seq: number; hash: Buffer }>('SELECT seq, hash FROM audit.chain WHERE seq > $1 ORDER BY seq LIMIT 10000', [this.lastSeq]),
      );
      for (const row of r.rows) {
        this.tree.push(row.hash);
        this.lastSeq = Number(row.seq);
      }
      added += r.rows.length;
      if (r.rows.length < 10_000) return added;
    }
  }

  /** Chains what is committed, then signs a new tree head if the chain grew; returns it, or null. */
  async checkpoint(): Promise<TreeHead | null> {
    await new AuditChainer(this.db).run();
    await this.catchUp();
    if (this.tree.size === this.lastSigned || this.tree.size === 0) return null;
    const size = this.tree.size;
    const root = this.tree.root();
    const signedAt = this.clock();
    const signature = this.signer.sign(treeHeadMessage(size, root, signedAt));
    const head: TreeHead = { treeSize: size, rootHash: root, signedAt, keyId: this.signer.keyId, signature, source: 'database' };
    await this.db.transaction({ role: 'auditWriter', practiceId: null, platform: true }, (tx) =>
      tx.query('INSERT INTO audit.tree_heads (tree_size, root_hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree_size) DO NOTHING', [
        size, root, signedAt.toISOString(), this.signer.keyId, signature,
      ]),
    );
    appendFileSync(
      this.headsFile,
      JSON.stringify({ treeSize: size, rootHash: root.toString('hex'), signedAt: signedAt.toISOString(), keyId: this.signer.keyId, signature: signature.toString('base64') }) + '\n',
      { mode: 0o600 },
    );
    this.lastSigned = size;
    return head;
  }
}

/** The heads kept in the file outside the database. */
export function readHeadsFile(path: string): TreeHead[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const h = JSON.parse(l) as { treeSize: number; rootHash: string; signedAt: string; keyId: string; signature: string };
      return { treeSize: h.treeSize, rootHash: Buffer.from(h.rootHash, 'hex'), signedAt: new Date(h.signedAt), keyId: h.keyId, signature: Buffer.from(h.signature, 'base64'), source: 'file' as const };
    });
}

/** The heads kept in the database. */
export async function readDatabaseHeads(db: Database): Promise<TreeHead[]> {
  const r = await db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) =>
    tx.query<{ tree_size: number; root_hash: Buffer; signed_at: Date; key_id: string; signature: Buffer }>(
      'SELECT tree_size, root_hash, signed_at, key_id, signature FROM audit.tree_heads ORDER BY tree_size',
    ),
  );
  return r.rows.map((h) => ({ treeSize: Number(h.tree_size), rootHash: h.root_hash, signedAt: new Date(h.signed_at), keyId: h.key_id, signature: h.signature, source: 'database' as const }));
}
