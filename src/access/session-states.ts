/**
 * What the token check knows of sessions: each session's state (live, revoked, its account locked
 * or disabled, its client and whether the account approved it), from memory while it is younger
 * than SESSION_CACHE_MS, re-read ahead of that in the background, and otherwise read now. Reads of
 * the sessions that need one in the same turn of the event loop go to the database as one
 * statement, and a session has at most one read in flight: when hundreds of sessions come back
 * together (the morning, the end of a pause) they cost one query, not hundreds of transactions.
 * A revocation made here forgets at once, and a read in flight then fills nothing.
 */

/** How long a verified session state is trusted in memory; revocations here clear it at once. */
const SESSION_CACHE_MS = 5_000;
/** From this age on, a request served from the cache also re-reads the session in the background. */
const SESSION_REFRESH_AHEAD_MS = 3_000;
/** Sessions remembered at most (oldest forgotten first). */
const MAX_ENTRIES = 50_000;

/** A session's state as the database gives it. */
export interface SessionState {
  readonly ok: 'ok' | 'revoked' | 'locked' | 'disabled';
  readonly client?: string;
  readonly approved?: boolean;
  /** For a bearer session (not DPoP-bound): the network it is bound to (access/clients.ts). */
  readonly network?: string;
}

export interface SessionCacheEntry extends SessionState {
  /** When it was read (ms). */
  readonly at: number;
  /** The account the session belongs to, as the token that asked named it. */
  readonly sub: string;
}

interface QueuedRead {
  readonly sub: string;
  readonly promise: Promise<SessionCacheEntry>;
  readonly resolve: (e: SessionCacheEntry) => void;
  readonly reject: (e: unknown) => void;
}

/** Reads the states of these sessions, as of `at`, in one statement (absent: revoked). */
export type SessionStateReader = (asked: readonly { sid: string; sub: string }[], at: Date) => Promise<Map<string, SessionState>>;

export class SessionStates {
  private readonly entries = new Map<string, SessionCacheEntry>();
  /** Reads in flight (one per session), those waiting for the next statement, and a counter of forgets. */
  private readonly reading = new Map<string, Promise<SessionCacheEntry>>();
  private readonly queue = new Map<string, QueuedRead>();
  private generation = 0;

  constructor(
    private readonly read: SessionStateReader,
    private readonly clock: () => Date,
  ) {}

  get(sid: string, sub: string, now: number): Promise<SessionCacheEntry> {
    const cached = this.entries.get(sid);
    const age = cached ? now - cached.at : Infinity;
    if (cached && age <= SESSION_CACHE_MS) {
      if (age > SESSION_REFRESH_AHEAD_MS) this.refresh(sid, sub).catch(() => undefined);
      return Promise.resolve(cached);
    }
    return this.refresh(sid, sub);
  }

  private refresh(sid: string, sub: string): Promise<SessionCacheEntry> {
    const inFlight = this.reading.get(sid) ?? this.queue.get(sid)?.promise;
    if (inFlight) return inFlight;
    let waiter!: Omit<QueuedRead, 'promise'>;
    const p = new Promise<SessionCacheEntry>((resolve, reject) => (waiter = { sub, resolve, reject }));
    this.queue.set(sid, { ...waiter, promise: p });
    if (this.queue.size === 1) setImmediate(() => void this.flush());
    this.reading.set(sid, p);
    const clear = () => {
      if (this.reading.get(sid) === p) this.reading.delete(sid);
    };
    p.then(clear, clear);
    return p;
  }

  /** Reads the queued sessions in one statement and remembers what it finds (unless forgotten meanwhile). */
  private async flush(): Promise<void> {
    const batch = [...this.queue];
    this.queue.clear();
    const generation = this.generation;
    const at = this.clock();
    try {
      const found = await this.read(batch.map(([sid, q]) => ({ sid, sub: q.sub })), at);
      for (const [sid, q] of batch) {
        const entry: SessionCacheEntry = { ...(found.get(sid) ?? { ok: 'revoked' }), at: at.getTime(), sub: q.sub };
        // A revocation here while the statement ran wins: its state is not cached over it.
        if (generation === this.generation) this.entries.set(sid, entry);
        q.resolve(entry);
      }
      while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
    } catch (e) {
      for (const [, q] of batch) q.reject(e);
    }
  }

  /** Forgets one session's state, or all; reads in flight no longer fill the cache. */
  forget(sid?: string): void {
    this.generation++;
    if (sid === undefined) {
      this.entries.clear();
      this.reading.clear();
    } else {
      this.entries.delete(sid);
      this.reading.delete(sid);
    }
  }
}
