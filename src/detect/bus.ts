import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AccessEvent } from './features.js';

/**
 * How API instances share what they see: every instance publishes the access events it
 * committed, and feeds every other instance's into its own detector, so that spreading an attack
 * over two instances behind a load balancer does not halve what each sees.
 */
export interface EventBus {
  publish(events: readonly AccessEvent[]): void;
  subscribe(handler: (events: AccessEvent[]) => void): Promise<void>;
  close(): Promise<void>;
}

/** One instance: nothing to share. */
export class LocalEventBus implements EventBus {
  publish(): void {}
  async subscribe(): Promise<void> {}
  async close(): Promise<void> {}
}

interface Wire {
  readonly from: string;
  readonly events: (Omit<AccessEvent, 'at'> & { at: number })[];
}

/** Redis pub/sub (MEDVAULT_REDIS_URL). Identifiers only travel: no patient data. */
export class RedisEventBus implements EventBus {
  private readonly id = randomUUID();
  private readonly pub: Redis;
  private readonly sub: Redis;

  constructor(
    url: string,
    private readonly channel = 'medvault:access-events',
  ) {
    this.pub = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
    this.sub = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
    this.pub.on('error', () => undefined);
    this.sub.on('error', () => undefined);
  }

  /**
   * Events published in one turn of the event loop go out as one message (after the turn): under
   * load, one Redis write carries the events of every request that finished together, not one
   * write each (the bench/read with Redis).
   */
  private pending: Wire['events'] = [];

  publish(events: readonly AccessEvent[]): void {
    if (events.length === 0) return;
    if (this.pending.length === 0) setImmediate(() => void this.flush());
    for (const e of events) this.pending.push({ ...e, at: e.at.getTime() });
  }

  private flush(): Promise<unknown> {
    if (this.pending.length === 0) return Promise.resolve();
    const wire: Wire = { from: this.id, events: this.pending };
    this.pending = [];
    return this.pub.publish(this.channel, JSON.stringify(wire)).catch(() => undefined);
  }

  async subscribe(handler: (events: AccessEvent[]) => void): Promise<void> {
    this.sub.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const wire = JSON.parse(message) as Wire;
      if (wire.from === this.id) return;
      handler(wire.events.map((e) => ({ ...e, at: new Date(e.at) })));
    });
    await this.sub.subscribe(this.channel);
  }

  async close(): Promise<void> {
    await this.flush();
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
