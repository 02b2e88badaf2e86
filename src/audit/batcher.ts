import { appendAuditEvents, type AuditEventInput, type Database } from '../store/index.js';

interface Waiting {
  readonly events: readonly AuditEventInput[];
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Group commit for the audit events of reads. A read's data transaction commits without writing
 * anything; its response then waits here until its audit events are committed. While one batch
 * is being committed, the events of every request that arrives queue up and go in the next
 * batch: one transaction, one WAL flush for all of them. Under load a batch holds the events of
 * the requests that ran concurrently; alone, a request waits for no one.
 *
 * Fail closed: a request is answered only after its events committed. If a batch fails, each of
 * its requests' events is retried alone, so that one bad event fails only its own request.
 * Writes do not come here: their audit rows commit in their own transaction, with the data.
 */
export class AuditBatcher {
  private queue: Waiting[] = [];
  private flushing = false;
  private readonly maxBatch: number;

  constructor(
    private readonly db: Database,
    opts: { maxBatch?: number } = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 256;
  }

  /** Resolves once the events are committed; rejects if they could not be. */
  append(events: readonly AuditEventInput[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ events, resolve, reject });
      if (!this.flushing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        await this.commit(batch);
      }
    } finally {
      this.flushing = false;
    }
  }

  private async commit(batch: Waiting[]): Promise<void> {
    try {
      await this.write(batch.flatMap((w) => w.events));
      for (const w of batch) w.resolve();
    } catch (e) {
      if (batch.length === 1) {
        batch[0]!.reject(e);
        return;
      }
      // Find who failed: each request's events alone.
      for (const w of batch) {
        try {
          await this.write(w.events);
          w.resolve();
        } catch (err) {
          w.reject(err);
        }
      }
    }
  }

  private write(events: readonly AuditEventInput[]): Promise<void> {
    return this.db.transaction({ role: 'auditWriter', practiceId: null }, (tx) => appendAuditEvents(tx, events));
  }
}
