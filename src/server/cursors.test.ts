import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemoryEphemeralStore } from '../access/index.js';
import { CursorStore, cursorKey, type Cursor } from './cursors.js';

const USER = '4daf197a-3085-4e76-9a8f-c739bcf36655';
const key = () => cursorKey(generateKeyPairSync('ed25519').privateKey);

function setup(k = key()) {
  let now = Date.parse('2026-12-07T10:00:00Z');
  const store = new MemoryEphemeralStore(() => now);
  const cursors = new CursorStore(store, k, () => new Date(now));
  return { cursors, store, advance: (ms: number) => (now += ms), k };
}

const search: Cursor = {
  userId: USER, kind: 'Patient', params: { family: 'Zyxwvut', email: 'secret.person@example.org' }, offset: 20, count: 10,
};

describe('page cursors', () => {
  it('carries a short search sealed in its link: nothing stored, nothing in clear, opened as it was made', async () => {
    const { cursors, store } = setup();
    const link = await cursors.put(search);
    expect(link).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(link).not.toContain('Zyxwvut');
    expect(Buffer.from(link, 'base64url').toString('latin1')).not.toContain('Zyxwvut');
    expect(Buffer.from(link, 'base64url').toString('latin1')).not.toContain('secret.person');
    expect(await store.get('anything')).toBeNull();
    expect(await cursors.get(link, USER, 'Patient')).toEqual(search);
    // Two links of the same search differ (a fresh IV each).
    expect(await cursors.put(search)).not.toBe(link);
  });

  it("refuses another user's link, another type's, a changed character, another installation's and an expired one", async () => {
    const { cursors, advance, k } = setup();
    const link = await cursors.put(search);
    expect(await cursors.get(link, '00000000-0000-4000-8000-000000000000', 'Patient')).toBeNull();
    expect(await cursors.get(link, USER, 'Observation')).toBeNull();
    const at = Math.floor(link.length / 2);
    expect(await cursors.get(`${link.slice(0, at)}${link[at] === 'A' ? 'B' : 'A'}${link.slice(at + 1)}`, USER, 'Patient')).toBeNull();
    expect(await cursors.get(link.slice(0, -4), USER, 'Patient')).toBeNull();
    expect(await setup().cursors.get(link, USER, 'Patient')).toBeNull();
    // The same key (another instance of the installation) opens it.
    expect(await setup(k).cursors.get(link, USER, 'Patient')).toEqual(search);
    advance(10 * 60_000 - 1);
    expect(await cursors.get(link, USER, 'Patient')).toEqual(search);
    advance(1);
    expect(await cursors.get(link, USER, 'Patient')).toBeNull();
    expect(await cursors.get('not a cursor', USER, 'Patient')).toBeNull();
  });

  it('opens a link in its one canonical spelling: a last character changed in its unused bits is refused', async () => {
    const { cursors } = setup();
    const link = await cursors.put(search);
    // 412 bytes spell 550 characters; the last carries 2 bits of them and 4 unused ones.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(link.at(-1)!);
    const twin = alphabet[last ^ 1]!; // same 2 data bits, another unused bit
    expect(Buffer.from(`${link.slice(0, -1)}${twin}`, 'base64url').equals(Buffer.from(link, 'base64url'))).toBe(true);
    expect(await cursors.get(`${link.slice(0, -1)}${twin}`, USER, 'Patient')).toBeNull();
    expect(await cursors.get(link, USER, 'Patient')).toEqual(search);
  });

  it('keeps a search too long for a link in the store, sealed under a key only the link carries', async () => {
    const { cursors, store, advance } = setup();
    const long: Cursor = { ...search, params: { family: `Zyxwvut${'q'.repeat(900)}` } };
    const link = await cursors.put(long);
    expect(link).toMatch(/^[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{43}$/);
    expect(await cursors.get(link, USER, 'Patient')).toEqual(long);
    expect(await cursors.get(link, USER, 'Condition')).toBeNull();
    const [id] = link.split('.');
    expect(await cursors.get(`${id}.${'A'.repeat(43)}`, USER, 'Patient')).toBeNull();
    // What the store holds names neither the criteria nor the link's key.
    const held = [...(store as unknown as { entries: Map<string, { value: string }> }).entries];
    expect(held).toHaveLength(1);
    const [name, { value }] = held[0]!;
    expect(name).not.toContain(id);
    expect(Buffer.from(value, 'base64').toString('latin1')).not.toContain('Zyxwvut');
    advance(10 * 60_000);
    expect(await cursors.get(link, USER, 'Patient')).toBeNull();
  });
});
