import type { KeyObject } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Database } from '../store/index.js';
import { AuditLog } from '../store/audit-log.js';
import { readDatabaseHeads, readHeadsFile } from './checkpoint.js';
import { auditRows } from './rows.js';
import { describeProblem, verifyAuditLog } from './verify.js';
import { eventIntegrity, readCorrections } from './integrity.js';

export interface VerificationRecord {
  readonly at: string;
  readonly ok: boolean;
  readonly events: number;
  readonly heads: number;
  readonly problem: string | null;
  readonly ms: number;
}

/**
 * The audit log's state for the security console: the last signed tree head, and a verification
 * run on request (the chain and every signed head, from the database and from the file kept
 * outside it). The CLI's `medvault audit verify` also checks the chain's live end; a running
 * server, whose chainer links events as they commit, checks up to the chain's end as recorded when
 * the run starts.
 */
export class AuditStatus {
  private last: VerificationRecord | null = null;
  private running: Promise<VerificationRecord> | null = null;

  constructor(
    private readonly db: Database,
    private readonly publicKey: KeyObject,
    private readonly headsFile: string | null,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  async status(): Promise<{ lastHead: { treeSize: number; signedAt: string; keyId: string; rootHash: string } | null; events: number; lastVerification: VerificationRecord | null }> {
    const heads = await readDatabaseHeads(this.db);
    const head = heads.at(-1) ?? null;
    const scope = { role: 'securityReader', practiceId: null, platform: true } as const;
    const events = await this.db.transaction(scope, (tx) => new AuditLog(tx).eventCount());
    return {
      lastHead: head ? { treeSize: head.treeSize, signedAt: head.signedAt.toISOString(), keyId: head.keyId, rootHash: head.rootHash.toString('hex') } : null,
      events,
      lastVerification: this.last,
    };
  }

  /** Verifies now (one run at a time: a second request waits for the one in progress). */
  verify(): Promise<VerificationRecord> {
    this.running ??= this.run().finally(() => (this.running = null));
    return this.running;
  }

  private async run(): Promise<VerificationRecord> {
    const started = performance.now();
    const heads = [...(await readDatabaseHeads(this.db)), ...(this.headsFile ? readHeadsFile(this.headsFile) : [])];
    const corrections = await readCorrections(this.db);
    let integrity;
    try {
      integrity = await eventIntegrity(this.db, this.db.auditKey, this.headsFile ? { file: join(dirname(this.headsFile), 'audit-mac.json'), publicKey: this.publicKey } : undefined);
    } catch (e) {
      // The record of when MACs began was altered or removed: a failed verification, said as such.
      this.last = { at: this.clock().toISOString(), ok: false, events: 0, heads: heads.length, problem: (e as Error).message, ms: Math.round(performance.now() - started) };
      return this.last;
    }
    const r = await this.db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
      // Up to the chain's end as recorded now: events committed since are not linked yet.
      const live = await new AuditLog(tx).liveEnd();
      const count = Number(live?.count ?? 0);
      return verifyAuditLog(take(auditRows(tx.query.bind(tx)), count), heads, this.publicKey, undefined, live ? { count, hash: live.hash } : undefined, integrity, corrections);
    });
    this.last = {
      at: this.clock().toISOString(), ok: r.ok, events: r.events, heads: heads.length,
      problem: r.ok ? null : describeProblem(r.problem!), ms: Math.round(performance.now() - started),
    };
    return this.last;
  }
}

async function* take<T>(rows: AsyncIterable<T>, n: number): AsyncGenerator<T> {
  if (n <= 0) return;
  let i = 0;
  for await (const r of rows) {
    yield r;
    if (++i >= n) return;
  }
}
