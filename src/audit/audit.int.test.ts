import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../test/helpers/backends.js';
import { openWithVault, seedTwoPractices } from '../../test/helpers/fixtures.js';
import { appendAuditEvents, type AuditEventInput, type Database, type Driver } from '../store/index.js';
import { chainHash } from './chain.js';
import { AuditChainer } from './chainer.js';
import { AuditCheckpointer, readDatabaseHeads, readHeadsFile } from './checkpoint.js';
import { auditRows, type AuditRow } from './rows.js';
import { newAuditSigner, type AuditSigner } from './signing.js';
import { verifyAuditLog, type TreeHead } from './verify.js';

const tmp = mkdtempSync(join(tmpdir(), 'medvault-audit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.each(BACKENDS)('the audit log on $name', (backend) => {
  let db: Database;
  let driver: Driver;
  let cleanup: () => Promise<void>;
  let signer: AuditSigner;
  let rows: AuditRow[];
  let heads: TreeHead[];
  let live: { count: number; hash: Buffer };
  const headsFile = join(tmp, `${backend.name}-heads.jsonl`);

  const readAll = async () => {
    const out: AuditRow[] = [];
    await driver.transaction(async (sql) => {
      for await (const r of auditRows(sql.query.bind(sql), 50)) out.push(r);
    });
    return out;
  };

  beforeAll(async () => {
    const opened = await openWithVault(backend);
    const keys = opened.keys;
    ({ db, driver, cleanup } = opened);
    const seeded = await seedTwoPractices(db, keys.vault, 20);
    signer = newAuditSigner();
    const cp = new AuditCheckpointer(db, signer, headsFile);
    // Events in several transactions and practices, with checkpoints between them.
    for (let round = 0; round < 6; round++) {
      for (const p of seeded.practices) {
        await db.transaction({ role: 'admin', practiceId: p.id }, (tx) =>
          appendAuditEvents(
            tx,
            Array.from({ length: 7 }, (_, i) => ({
              id: randomUUID(), at: new Date(Date.UTC(2026, 2, 10, 9, round, i)), practiceId: p.id, userId: randomUUID(), role: 'practitioner',
              sessionId: 's', sourceIp: '10.0.0.1', action: i % 2 ? 'read' : 'search', resourceType: 'Patient', resourceId: randomUUID(),
              patientId: randomUUID(), segment: 'admin' as const, labels: i === 3 ? ['HIV' as const] : [], purpose: 'care' as const,
              outcome: 'success' as const, reason: 'care relationship',
              // Any JSON a stored row may hold (the chain hashes it as stored): past the kinds' types.
              detail: { results: [randomUUID(), randomUUID()], page: round, z: { b: 1, a: 2 } },
            }) as unknown as AuditEventInput),
          ),
        );
      }
      if (round % 2 === 1) await cp.checkpoint();
    }
    await new AuditChainer(db).run();
    rows = await readAll();
    heads = [...(await readDatabaseHeads(db)), ...readHeadsFile(headsFile)];
    const h = await driver.transaction((sql) => sql.query<{ count: number; hash: Buffer }>('SELECT count, hash FROM meta.audit_head'));
    live = { count: Number(h.rows[0]!.count), hash: h.rows[0]!.hash };
  });
  afterAll(async () => cleanup?.());

  it('verifies when nothing was touched, with heads in the database and in the file', async () => {
    expect(rows.length).toBeGreaterThan(80);
    expect(heads.filter((h) => h.source === 'database')).toHaveLength(3);
    expect(heads.filter((h) => h.source === 'file')).toHaveLength(3);
    const r = await verifyAuditLog(rows, heads, signer.publicKey, undefined, live);
    expect(r).toMatchObject({ ok: true, events: rows.length, problem: null });
  });

  it('fails on 1,000 random single mutations and names the place', async () => {
    const fields = ['action', 'reason', 'patientId', 'userId', 'outcome', 'at', 'labels', 'detail', 'practiceId'] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ kind: fc.constant('edit' as const), i: fc.nat(), field: fc.constantFrom(...fields) }),
          fc.record({ kind: fc.constant('delete' as const), i: fc.nat() }),
          fc.record({ kind: fc.constant('insert' as const), i: fc.nat(), forge: fc.boolean() }),
          fc.record({ kind: fc.constant('swap' as const), i: fc.nat(), j: fc.nat() }),
        ),
        async (m) => {
          const list = rows.map((r) => ({ ...r }));
          const i = m.i % list.length;
          let expectSeq: number[];
          if (m.kind === 'edit') {
            const r = list[i]!;
            const changed: Record<string, unknown> = {
              action: r.action + 'x', reason: 'tampered', patientId: randomUUID(), userId: randomUUID(), outcome: r.outcome === 'success' ? 'denied' : 'success',
              at: new Date(r.at.getTime() + 1000), labels: [...r.labels, 'PSY'], detail: { results: [] }, practiceId: randomUUID(),
            };
            list[i] = { ...r, [m.field]: changed[m.field] } as AuditRow;
            expectSeq = [r.seq];
          } else if (m.kind === 'delete') {
            list.splice(i, 1);
            expectSeq = i < list.length ? [list[i]!.seq] : [];
          } else if (m.kind === 'insert') {
            const prev = i === 0 ? Buffer.alloc(32) : list[i - 1]!.hash!;
            const seq = i === 0 ? list[0]!.seq - 0.5 : (list[i - 1]!.seq + list[i]!.seq) / 2;
            const fake = { ...list[i]!, id: randomUUID(), seq, action: 'read', reason: 'forged' };
            // A careful forger chains the row correctly; the row after it then breaks.
            const forged: AuditRow = m.forge ? { ...fake, prevHash: prev, hash: chainHash(prev, fake) } : { ...fake, prevHash: prev, hash: Buffer.alloc(32, 7) };
            list.splice(i, 0, forged);
            expectSeq = m.forge ? [list[i + 1]!.seq] : [seq];
          } else {
            const j = m.j % list.length;
            if (i === j) return;
            const [a, b] = [Math.min(i, j), Math.max(i, j)];
            // Swap the rows' contents, keeping the sequence numbers in place.
            const ra = list[a]!;
            const rb = list[b]!;
            list[a] = { ...rb, seq: ra.seq };
            list[b] = { ...ra, seq: rb.seq };
            expectSeq = [ra.seq];
          }
          const r = await verifyAuditLog(list, heads, signer.publicKey, undefined, live);
          expect(r.ok).toBe(false);
          if (expectSeq.length > 0 && r.problem!.kind === 'chain') expect(expectSeq).toContain(r.problem!.seq);
          if (expectSeq.length === 0) expect(r.problem!.kind).toBe('head');
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('catches an edit whose author re-chained every event after it (the signed heads hold)', async () => {
    const list = rows.map((r) => ({ ...r }));
    list[5] = { ...list[5]!, outcome: list[5]!.outcome === 'success' ? 'denied' : 'success' };
    let prev = list[4]!.hash!;
    for (let i = 5; i < list.length; i++) {
      const hash = chainHash(prev, list[i]!);
      list[i] = { ...list[i]!, prevHash: prev, hash };
      prev = hash;
    }
    const r = await verifyAuditLog(list, heads, signer.publicKey, undefined, { count: live.count, hash: prev });
    expect(r).toMatchObject({ ok: false, problem: { kind: 'head', detail: 'the events no longer hash to the signed root' } });
  });

  it('catches tampering done in the database itself, with the append-only triggers disabled', async () => {
    const mutations = [
      "UPDATE audit.events SET reason = 'nothing to see' WHERE seq = (SELECT min(seq) + 10 FROM audit.events)",
      'DELETE FROM audit.events WHERE seq = (SELECT min(seq) + 20 FROM audit.events)',
      'DELETE FROM audit.events WHERE seq = (SELECT max(seq) FROM audit.events)',
      `UPDATE audit.tree_heads SET root_hash = '\\x00' WHERE tree_size = (SELECT min(tree_size) FROM audit.tree_heads)`,
      'DELETE FROM audit.tree_heads WHERE tree_size = (SELECT max(tree_size) FROM audit.tree_heads)',
      'DELETE FROM audit.chain WHERE seq = (SELECT min(seq) + 7 FROM audit.chain)',
    ];
    for (const sql of mutations) {
      const result = await driver
        .transaction(async (s) => {
          await s.query('ALTER TABLE audit.events DISABLE TRIGGER USER');
          await s.query('ALTER TABLE audit.tree_heads DISABLE TRIGGER USER');
          await s.query('ALTER TABLE audit.chain DISABLE TRIGGER USER');
          await s.exec(sql);
          const tampered: AuditRow[] = [];
          for await (const r of auditRows(s.query.bind(s), 50)) tampered.push(r);
          const dbHeads = (await s.query<{ tree_size: number; root_hash: Buffer; signed_at: Date; key_id: string; signature: Buffer }>('SELECT * FROM audit.tree_heads')).rows.map((h) => ({
            treeSize: Number(h.tree_size), rootHash: h.root_hash, signedAt: new Date(h.signed_at), keyId: h.key_id, signature: h.signature, source: 'database' as const,
          }));
          const r = await verifyAuditLog(tampered, [...dbHeads, ...readHeadsFile(headsFile)], signer.publicKey, undefined, live);
          throw Object.assign(new Error('rollback'), { result: r });
        })
        .catch((e: { result?: unknown }) => e.result);
      expect(result, sql).toMatchObject({ ok: false });
    }
    // Rolled back: the untouched log still verifies.
    expect((await verifyAuditLog(await readAll(), heads, signer.publicKey, undefined, live)).ok).toBe(true);
  });
});
