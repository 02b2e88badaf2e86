import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../test/helpers/backends.js';
import { appendAuditEvents, type AuditEventInput, type OpenedStore } from '../store/index.js';
import { AuditChainer } from './chainer.js';
import { AuditCheckpointer, readDatabaseHeads, readHeadsFile } from './checkpoint.js';
import { enableAuditMacs, eventIntegrity, readCorrections } from './integrity.js';
import { MerkleFrontier } from './merkle.js';
import { auditRows, type AuditRow } from './rows.js';
import { newAuditSigner, treeHeadMessage } from './signing.js';
import { verifyAuditLog } from './verify.js';

/**
 * An audit log that never lies: checkpoints single-flight and idempotent across
 * processes, heads signed over exactly their events, verification read-only, and every event
 * authenticated by a MAC from the moment it is written.
 */
// Any JSON a stored row may hold in its detail (the chain hashes it as stored): past the kinds' types.
const event = (i = 0): AuditEventInput => ({
  id: randomUUID(), at: new Date(), practiceId: null, userId: null, role: 'security-officer', sessionId: null, sourceIp: null,
  action: 'login', resourceType: null, resourceId: null, patientId: null, segment: 'auth', labels: [], purpose: 'security', outcome: 'success', reason: 'test',
  detail: { n: i, nested: { b: 1, a: [1, 'x'] } },
}) as unknown as AuditEventInput;

describe.each(BACKENDS)('the audit log on $name', (backend) => {
  let store: OpenedStore & { cleanup(): Promise<void> };
  const key = randomBytes(32);
  const signer = newAuditSigner();
  const dir = mkdtempSync(join(tmpdir(), 'medvault-audit-integrity-'));
  const headsFile = join(dir, 'audit', 'tree-heads.jsonl');
  beforeAll(async () => {
    store = await backend.open();
    await enableAuditMacs(store, key, new Date());
  });
  afterAll(async () => {
    await store?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const append = (n: number) => store.db.transaction({ role: 'auditWriter', practiceId: null }, (tx) => appendAuditEvents(tx, Array.from({ length: n }, (_, i) => event(i))));
  const rows = async () => {
    const out: AuditRow[] = [];
    await store.driver.transaction(async (s) => {
      for await (const r of auditRows(s.query.bind(s))) out.push(r);
    });
    return out;
  };
  const verify = async () => {
    const head = (await store.driver.transaction((s) => s.query<{ count: number; hash: Buffer }>('SELECT count, hash FROM meta.audit_head'))).rows[0]!;
    const heads = [...(await readDatabaseHeads(store.db)), ...readHeadsFile(headsFile)];
    return verifyAuditLog(await rows(), heads, signer.publicKey, undefined, { count: Number(head.count), hash: head.hash }, await eventIntegrity(store.db, key), await readCorrections(store.db));
  };

  it('overlapping checkpoints — in one process and from two — sign only roots the events give (regression: a stall signed wrong roots for good)', async () => {
    const a = new AuditCheckpointer(store.db, signer, headsFile);
    const b = new AuditCheckpointer(store.db, signer, headsFile);
    for (let round = 0; round < 4; round++) {
      await append(7);
      // The interval timer firing while a run is still going, and a second instance at once.
      await Promise.all([a.checkpoint(), a.checkpoint(), b.checkpoint(), a.checkpoint(), b.checkpoint()]);
    }
    const r = await verify();
    expect(r).toMatchObject({ ok: true, events: 28, pending: 0 });
    const heads = await readDatabaseHeads(store.db);
    expect(heads.at(-1)!.treeSize).toBe(28);
    // Sizes strictly grow: no head signed twice for one size.
    expect(new Set(heads.map((h) => h.treeSize)).size).toBe(heads.length);
  });

  it('a restarted checkpointer signs nothing when nothing was added (regression: a line per start and stop)', async () => {
    const before = readFileSync(headsFile, 'utf8').split('\n').length;
    expect(await new AuditCheckpointer(store.db, signer, headsFile).checkpoint()).toBeNull();
    expect(readFileSync(headsFile, 'utf8').split('\n').length).toBe(before);
  });

  it('verification is read-only: pending events are reported as such, a forged appended row is named (regression: verify chained it first)', async () => {
    await append(3);
    const pending = await verify();
    expect(pending).toMatchObject({ ok: true, events: 28, pending: 3 });
    // Nothing was chained by verifying.
    const head = (await store.driver.transaction((s) => s.query<{ count: number }>('SELECT count FROM meta.audit_head'))).rows[0]!;
    expect(Number(head.count)).toBe(28);

    // A row written behind the server's back, after the last one.
    const forged = randomUUID();
    await store.driver.transaction((s) =>
      s.query(`INSERT INTO audit.events (id, at, action, outcome, labels, reason) VALUES ($1, now(), 'read', 'success', '{}', 'forged')`, [forged]),
    );
    const before = await verify();
    expect(before.ok).toBe(false);
    expect(before.problem).toMatchObject({ kind: 'chain', id: forged });
    expect((before.problem as { detail: string }).detail).toMatch(/MAC/);
    // Once the chainer has linked it, it is still named.
    await new AuditChainer(store.db).run();
    const after = await verify();
    expect(after.problem).toMatchObject({ kind: 'chain', id: forged });
  });

  it('an edited event fails its MAC as well as its hash; repair corrects wrong roots by signed history, never by rewriting', async () => {
    const fresh = await backend.open();
    try {
      const k = randomBytes(32);
      await enableAuditMacs(fresh, k, new Date());
      const file = join(dir, 'fresh-heads.jsonl');
      await fresh.db.transaction({ role: 'auditWriter', practiceId: null }, (tx) => appendAuditEvents(tx, Array.from({ length: 10 }, (_, i) => event(i))));
      await new AuditChainer(fresh.db).run();
      // A head signed over a wrong root, as the old overlapping checkpoints did.
      const wrong = new MerkleFrontier();
      for (let i = 0; i < 10; i++) wrong.push(randomBytes(32));
      const at = new Date();
      await fresh.db.transaction({ role: 'auditWriter', practiceId: null, platform: true }, (tx) =>
        tx.query('INSERT INTO audit.tree_heads (tree_size, root_hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5)', [10, wrong.root(), at.toISOString(), signer.keyId, signer.sign(treeHeadMessage(10, wrong.root(), at))]),
      );
      const rowsOf = async () => {
        const out: AuditRow[] = [];
        await fresh.driver.transaction(async (s) => {
          for await (const r of auditRows(s.query.bind(s))) out.push(r);
        });
        return out;
      };
      const check = async () => verifyAuditLog(await rowsOf(), await readDatabaseHeads(fresh.db), signer.publicKey, undefined, undefined, await eventIntegrity(fresh.db, k), await readCorrections(fresh.db));
      expect((await check()).problem).toMatchObject({ kind: 'head', treeSize: 10 });
      // The checkpointer refuses to sign on top of a head the events do not give.
      await fresh.db.transaction({ role: 'auditWriter', practiceId: null }, (tx) => appendAuditEvents(tx, [event()]));
      await expect(new AuditCheckpointer(fresh.db, signer, file).checkpoint()).rejects.toThrow(/does not match the chain/);
      // The correction, as `medvault audit repair` records it: the right root, signed.
      const right = new MerkleFrontier();
      for (const r of (await rowsOf()).slice(0, 10)) right.push(r.hash!);
      await fresh.db.transaction({ role: 'auditWriter', practiceId: null, platform: true }, (tx) =>
        tx.query('INSERT INTO audit.head_corrections (tree_size, wrong_root, root_hash, signed_at, key_id, signature, reason) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
          10, wrong.root(), right.root(), at.toISOString(), signer.keyId, signer.sign(treeHeadMessage(10, right.root(), at)), 'test',
        ]),
      );
      // (The refused checkpoint still chained the new event: chaining is not signing.)
      expect(await check()).toMatchObject({ ok: true, events: 11, corrected: 1, pending: 0 });
      // A correction that does not give the events' root is refused.
      const corrections = (await readCorrections(fresh.db)).map((c) => ({ ...c, rootHash: randomBytes(32) }));
      const forgedCorrection = await verifyAuditLog(await rowsOf(), await readDatabaseHeads(fresh.db), signer.publicKey, undefined, undefined, await eventIntegrity(fresh.db, k), corrections);
      expect(forgedCorrection.ok).toBe(false);

      // An event edited behind the server's back (its hash recomputed too): its MAC gives it away.
      const target = (await rowsOf())[4]!;
      await fresh.driver.transaction(async (s) => {
        await s.query('ALTER TABLE audit.events DISABLE TRIGGER USER');
        await s.query("UPDATE audit.events SET reason = 'edited' WHERE seq = $1", [target.seq]);
        await s.query('ALTER TABLE audit.events ENABLE TRIGGER USER');
      });
      const edited = await check();
      expect(edited.problem).toMatchObject({ kind: 'chain', seq: target.seq });
      expect((edited.problem as { detail: string }).detail).toMatch(/MAC/);
    } finally {
      await fresh.cleanup();
    }
  });
});
