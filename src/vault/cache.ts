/** A small LRU bounded by count and age, for unwrapped keys. Values are wiped on eviction. */
export class KeyCache {
  private readonly map = new Map<string, { key: Buffer; at: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly maxAgeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(id: string): Buffer | undefined {
    const e = this.map.get(id);
    if (!e) return undefined;
    if (this.now() - e.at > this.maxAgeMs) {
      this.delete(id);
      return undefined;
    }
    this.map.delete(id);
    this.map.set(id, e);
    return Buffer.from(e.key); // a copy: an eviction during the caller's await must not wipe it
  }

  set(id: string, key: Buffer): void {
    if (this.maxEntries <= 0) return;
    this.map.delete(id);
    this.map.set(id, { key: Buffer.from(key), at: this.now() });
    while (this.map.size > this.maxEntries) {
      const oldest = this.map.keys().next().value as string;
      this.delete(oldest);
    }
  }

  delete(id: string): void {
    const e = this.map.get(id);
    if (e) e.key.fill(0);
    this.map.delete(id);
  }

  get size(): number {
    return this.map.size;
  }
}
