import { describe, expect, it } from 'vitest';
import { MemoryEphemeralStore } from './ephemeral.js';

describe('the in-memory ephemeral store', () => {
  it('stays within its bound, dropping expired entries first, then the oldest live ones', async () => {
    let now = 0;
    const store = new MemoryEphemeralStore(() => now, 3);
    await store.set('short', 'a', 1_000);
    await store.set('b', 'b', 60_000);
    await store.set('c', 'c', 60_000);
    now = 2_000; // 'short' has expired
    await store.set('d', 'd', 60_000);
    expect(await store.get('b')).toBe('b');
    expect(await store.get('c')).toBe('c');
    expect(await store.get('d')).toBe('d');
    // Full of live entries: the oldest goes.
    await store.set('e', 'e', 60_000);
    expect(await store.get('b')).toBeNull();
    expect(await store.get('e')).toBe('e');
  });

  it('never serves an expired entry between scans, the bound holding meanwhile', async () => {
    let now = 0;
    const store = new MemoryEphemeralStore(() => now, 2);
    await store.set('a', 'a', 60_000);
    await store.set('b', 'b', 10);
    await store.set('c', 'c', 60_000); // full: scanned (nothing expired yet), oldest dropped
    expect(await store.get('a')).toBeNull();
    now = 500; // 'b' expired, but the next scan is not due: the oldest live entry goes instead
    await store.set('d', 'd', 60_000);
    expect(await store.get('b')).toBeNull();
    expect(await store.get('c')).toBe('c');
    expect(await store.get('d')).toBe('d');
  });
});
