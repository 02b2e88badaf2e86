import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from '../store/index.js';
import { AuditLog } from '../store/audit-log.js';
import { AuditChainer } from './chainer.js';
import { MerkleFrontier } from './merkle.js';
import { treeHeadMessage, type AuditSigner } from './signing.js';
import type { TreeHead } from './verify.js';

/** One checkpointer at a time per database, across timers, processes and instances. */
const CHECKPOINT_LOCK = 0x6d76_636b; // "mvck"

/** The log's heads no longer match its events: nothing more is signed until `medvault audit repair`. */
export class AuditHeadMismatchError extends Error {
  override readonly name = 'AuditHeadMismatchError';
}

/**
 * Signed checkpoints of the audit log: at intervals and at shutdown, the RFC 9162 tree head over
 * every chained event so far is signed and written twice — in the database (audit.tree_heads) and
 * in a file outside it (one JSON line per head), so that rewriting the database cannot also
 * rewrite what was signed.
 *
 * Single-flight and idempotent (overlapping runs pushed the same rows twice into the
 * tree and signed wrong roots for good): calls of this process run one after the other; across
 * processes an advisory lock lets one run at a time; and the last head stored in the database is
 * the only source of where the tree ends — the in-memory tree is used only when it is exactly at
 * that head (same size, same root), otherwise it is rebuilt from the chain. Before signing, the
 * tree's size must equal the chain's recorded count at the same snapshot: a head is signed over
 * exactly the events it covers, or not at all.
 */
export class AuditCheckpointer {
  private tree = new MerkleFrontier();
  private lastSeq = 0;
  private running: Promise<TreeHead | null> | null = null;
  private next: Promise<TreeHead | null> | null = null;

  constructor(
    private readonly db: Database,
    private readonly signer: AuditSigner,
    private readonly headsFile: string,
    private readonly clock: () => Date = () => new Date(),
  ) {
    mkdirSync(dirname(headsFile), { recursive: true, mode: 0o700 });
  }

  /**
   * Chains what is committed, then signs a new tree head if the chain grew; returns it, or null
   * (nothing new, or another instance holds the lock). A call made while one runs waits for it and
   * runs once more after it (callers arriving meanwhile share that run).
   */
  checkpoint(): Promise<TreeHead | null> {
    if (this.running === null) {
      this.running = this.once().finally(() => {
        this.running = null;
      });
      return this.running;
    }
    this.next ??= this.running
      .catch(() => null)
      .then(() => {
        this.next = null;
        return this.checkpoint();
      });
    return this.next;
  }

  private async once(): Promise<TreeHead | null> {
    await new AuditChainer(this.db).run();
    const signed = await this.db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
      const log = new AuditLog(tx);
      if (!(await log.tryLock(CHECKPOINT_LOCK))) return null;
      const stored = await log.lastTreeHead();
      const storedSize = stored ? stored.treeSize : 0;
      const head = await log.chainEnd();
      const chainSeq = Number(head.seq);
      const chainCount = Number(head.count);
      // The tree in memory goes on only from exactly the stored head; anything else is rebuilt.
      const atStored = this.tree.size === storedSize && (storedSize === 0 || this.tree.root().equals(stored!.rootHash));
      if (!atStored) {
        this.tree = new MerkleFrontier();
        this.lastSeq = 0;
        await this.readChain(log, chainSeq, storedSize);
        if (storedSize > 0 && (this.tree.size !== storedSize || !this.tree.root().equals(stored!.rootHash))) {
          this.tree = new MerkleFrontier();
          this.lastSeq = 0;
          throw new AuditHeadMismatchError(`the signed head at ${storedSize} events does not match the chain: run medvault audit verify, then medvault audit repair`);
        }
      }
      await this.readChain(log, chainSeq);
      if (this.tree.size !== chainCount) {
        const size = this.tree.size;
        this.tree = new MerkleFrontier();
        this.lastSeq = 0;
        throw new AuditHeadMismatchError(`the tree holds ${size} events, the chain records ${chainCount}: not signed`);
      }
      if (this.tree.size === storedSize) return null;
      const size = this.tree.size;
      const root = this.tree.root();
      const signedAt = this.clock();
      const signature = this.signer.sign(treeHeadMessage(size, root, signedAt));
      await tx.enter({ role: 'auditWriter', practiceId: null, platform: true });
      await log.addTreeHead({ treeSize: size, rootHash: root, signedAt, keyId: this.signer.keyId, signature });
      return { treeSize: size, rootHash: root, signedAt, keyId: this.signer.keyId, signature, source: 'database' as const };
    }).catch((e: unknown) => {
      // A failed transaction may have left the tree past the stored head: the next run rebuilds it.
      this.tree = new MerkleFrontier();
      this.lastSeq = 0;
      throw e;
    });
    if (signed === null) return null;
    // The file copy only once the database holds the head.
    appendFileSync(
      this.headsFile,
      JSON.stringify({ treeSize: signed.treeSize, rootHash: signed.rootHash.toString('hex'), signedAt: signed.signedAt.toISOString(), keyId: signed.keyId, signature: signed.signature.toString('base64') }) + '\n',
      { mode: 0o600 },
    );
    return signed;
  }

  /** Pushes the chain's hashes after lastSeq, up to seq `until` (and at most `count` leaves in all), into the tree. */
  private async readChain(log: AuditLog, until: number, count = Number.MAX_SAFE_INTEGER): Promise<void> {
    for (;;) {
      const room = count - this.tree.size;
      if (room <= 0) return;
      const rows = await log.chainHashes(this.lastSeq, until, Math.min(10_000, room));
      for (const row of rows) {
        this.tree.push(row.hash);
        this.lastSeq = Number(row.seq);
      }
      if (rows.length < Math.min(10_000, room)) return;
    }
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
  const scope = { role: 'securityReader', practiceId: null, platform: true } as const;
  const heads = await db.transaction(scope, (tx) => new AuditLog(tx).treeHeads());
  return heads.map((h) => ({ ...h, source: 'database' as const }));
}
