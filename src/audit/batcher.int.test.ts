import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../test/helpers/backends.js';
import type { AuditEventInput, Database, Driver } from '../store/index.js';
import { AuditBatcher } from './batcher.js';

const event = (id: string = randomUUID()): AuditEventInput => ({
  id, at: new Date(), practiceId: null, userId: null, role: 'security-officer', sessionId: null, sourceIp: null,
  action: 'login', resourceType: null, resourceId: null, patientId: null, segment: 'auth', labels: [], purpose: 'security', outcome: 'success', reason: 'test',
});

describe.each(BACKENDS)('the audit group commit on $name', (backend) => {
  let db: Database;
  let driver: Driver;
  let cleanup: () => Promise<void>;
  let transactions = 0;
  beforeAll(async () => {
    const o = await backend.open();
    ({ db, driver, cleanup } = o);
    const inner = db.transaction.bind(db);
    db.transaction = ((scope, fn) => {
      transactions++;
      return inner(scope, fn);
    }) as Database['transaction'];
  });
  afterAll(async () => cleanup?.());

  const stored = async (ids: string[]) =>
    Number((await driver.transaction((s) => s.query<{ n: number }>('SELECT count(*)::int AS n FROM audit.events WHERE id = ANY($1::uuid[])', [ids]))).rows[0]!.n);

  it('commits the events of concurrent requests together, and answers each only once its events are stored', async () => {
    const batcher = new AuditBatcher(db);
    const events = Array.from({ length: 40 }, () => [event(), event()]);
    transactions = 0;
    const seen: number[] = [];
    await Promise.all(events.map(async (e, i) => {
      await batcher.append(e);
      // Resolved means committed: the request's own rows are there.
      seen[i] = await stored(e.map((x) => x.id));
    }));
    expect(seen.every((n) => n === 2)).toBe(true);
    // The first request is committed alone; all that arrived meanwhile share the next commit(s).
    expect(transactions).toBeLessThanOrEqual(3);
    expect(await stored(events.flat().map((x) => x.id))).toBe(80);
  });

  it('fails only the request whose event cannot be stored, and stores the others', async () => {
    const batcher = new AuditBatcher(db);
    const good = Array.from({ length: 9 }, () => [event()]);
    const bad = [event('not-a-uuid')];
    const all = [good[0]!, bad, ...good.slice(1)];
    const results = await Promise.allSettled(all.map((e) => batcher.append(e)));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', ...good.slice(1).map(() => 'fulfilled')]);
    expect(await stored(good.flat().map((x) => x.id))).toBe(9);
  });
});
