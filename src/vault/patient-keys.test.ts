import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FilePatientKeyStore } from './patient-keys.js';

/**
 * Several instances on one keys folder (issue 13): a key written by one is read by the other
 * without a restart (regression: VAULT_KEY_DESTROYED until restart), a destruction by one keeps
 * the other's new keys, and a destroyed key stops being served by the other within a second.
 */
const dir = mkdtempSync(join(tmpdir(), 'medvault-pkeys-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const key = () => ({ version: 1, wrapped: randomBytes(60) });

describe('the patient key files shared by two instances', () => {
  it('see each other\'s keys and destructions, and never lose each other\'s lines', async () => {
    const practice = randomUUID();
    const a = new FilePatientKeyStore(dir);
    const b = new FilePatientKeyStore(dir);
    const [p0, p1, p2] = [randomUUID(), randomUUID(), randomUUID()];
    await a.putMany(practice, [{ patientId: p0, key: key() }]);
    // B has read the file before A's next write.
    expect(await b.get(practice, p0)).not.toBeNull();
    await a.putMany(practice, [{ patientId: p1, key: key() }]);
    expect(await b.get(practice, p1)).not.toBeNull();
    // B appends; A destroys another key: the rewrite keeps B's line.
    await b.putMany(practice, [{ patientId: p2, key: key() }]);
    expect(await a.destroy(practice, p1)).toBe(true);
    const file = readFileSync(join(dir, `${practice}.keys`), 'utf8');
    expect(file).toContain(p2);
    expect(file).toContain(p0);
    expect(file).not.toContain(p1);
    expect(await a.get(practice, p2)).not.toBeNull();
    // B stops serving the destroyed key within a second.
    await new Promise((r) => setTimeout(r, 1100));
    expect(await b.get(practice, p1)).toBeNull();
    expect(await b.get(practice, p2)).not.toBeNull();
  });
});
