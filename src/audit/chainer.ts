import type { Database } from '../store/index.js';
import { AuditLog } from '../store/audit-log.js';
import { chainHash } from './chain.js';
import { toAuditRow } from './rows.js';

/**
 * Links committed audit events into the hash chain, in sequence order. Requests do not wait for
 * it: they commit their events (in the transaction of their access) and the chainer follows,
 * a few hundred milliseconds behind. One chainer at a time per database (advisory lock).
 *
 * Sequence numbers can have holes: a transaction that took one may still be running, or may
 * have rolled back. The chainer stops at a hole, and steps over it once it has stayed open
 * longer than `gapGraceMs` (no medvault transaction lasts that long). An event that turns up
 * in a hole after that is left out of the chain, and `audit verify` reports it.
 */
const CHAINER_LOCK = 0x6d76_6368; // "mvch"

export class AuditChainer {
  private gapSeenAt = new Map<number, number>();

  constructor(
    private readonly db: Database,
    private readonly gapGraceMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Chains what can be chained now; returns how many events it linked. */
  async run(batch = 5000): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
        const log = new AuditLog(tx);
        if (!(await log.tryLock(CHAINER_LOCK))) return 0;
        const head = await log.head();
        const events = await log.eventsAfter(head.seq, batch);
        let expected = Number(head.seq) + 1;
        let prev = head.hash;
        const rows: { seq: number; prev: Buffer; hash: Buffer }[] = [];
        for (const raw of events) {
          const e = toAuditRow(raw);
          if (e.seq !== expected) {
            const since = this.gapSeenAt.get(expected) ?? this.now();
            this.gapSeenAt.set(expected, since);
            if (this.now() - since < this.gapGraceMs) break; // maybe still in flight
          }
          const hash = chainHash(prev, e);
          rows.push({ seq: e.seq, prev, hash });
          prev = hash;
          expected = e.seq + 1;
        }
        if (rows.length === 0) return 0;
        await tx.enter({ role: 'auditWriter', practiceId: null, platform: true });
        await log.link(rows);
        const last = rows[rows.length - 1]!;
        await log.advanceHead(last.seq, rows.length, last.hash);
        for (const k of this.gapSeenAt.keys()) if (k <= last.seq) this.gapSeenAt.delete(k);
        return rows.length;
      });
      total += n;
      if (n < batch) return total;
    }
  }
}
