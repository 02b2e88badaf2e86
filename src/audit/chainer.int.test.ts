import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../test/helpers/backends.js';
import { appendAuditEvents, type AuditEventInput, type Database, type Driver } from '../store/index.js';
import { AuditChainer } from './chainer.js';
import { auditRows, type AuditRow } from './rows.js';
import { newAuditSigner } from './signing.js';
import { verifyAuditLog } from './verify.js';

const event = (): AuditEventInput => ({
  id: randomUUID(), at: new Date(), practiceId: null, userId: null, role: 'security-officer', sessionId: null, sourceIp: null,
  action: 'login', resourceType: null, resourceId: null, patientId: null, segment: 'auth', labels: [], purpose: 'security', outcome: 'success', reason: 'test',
});

describe.each(BACKENDS)('the chainer on $name', (backend) => {
  let db: Database;
  let driver: Driver;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    const o = await backend.open();
    ({ db, driver, cleanup } = o);
  });
  afterAll(async () => cleanup?.());

  const append = (n: number) => db.transaction({ role: 'auditWriter', practiceId: null }, (tx) => appendAuditEvents(tx, Array.from({ length: n }, event)));
  const rows = async () => {
    const out: AuditRow[] = [];
    await driver.transaction(async (s) => {
      for await (const r of auditRows(s.query.bind(s))) out.push(r);
    });
    return out;
  };

  it('waits at a hole in the sequence, steps over it after the grace, and exposes an event slipped into it later', async () => {
    let now = 1_000_000;
    const chainer = new AuditChainer(db, 10_000, () => now);
    await append(3);
    expect(await chainer.run()).toBe(3);
    // A transaction that took a sequence number and rolled back (or is still running) leaves a hole.
    await driver.transaction((s) => s.query("SELECT nextval(pg_get_serial_sequence('audit.events', 'seq'))"));
    await append(2);
    expect(await chainer.run()).toBe(0); // maybe still in flight: wait
    now += 11_000;
    expect(await chainer.run()).toBe(2);
    const signer = newAuditSigner();
    const head = (await driver.transaction((s) => s.query<{ count: number; hash: Buffer }>('SELECT count, hash FROM meta.audit_head'))).rows[0]!;
    const live = { count: Number(head.count), hash: head.hash };
    expect(await verifyAuditLog(await rows(), [], signer.publicKey, undefined, live)).toMatchObject({ ok: true, events: 5 });
    // Someone slips an event into the hole afterwards.
    const hole = (await rows())[2]!.seq + 1;
    await driver.transaction((s) =>
      s.query(
        `INSERT INTO audit.events (seq, id, at, action, outcome, labels) OVERRIDING SYSTEM VALUE VALUES ($1, $2, now(), 'read', 'success', '{}')`,
        [hole, randomUUID()],
      ),
    );
    const r = await verifyAuditLog(await rows(), [], signer.publicKey, undefined, live);
    expect(r).toMatchObject({ ok: false, problem: { kind: 'chain', seq: hole } });
  });
});
