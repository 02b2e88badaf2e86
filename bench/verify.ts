/**
 * bench/verify — `audit verify` end to end on PostgreSQL: the chainer links N generated events,
 * then the verification reads them back (keyset batches, the next one fetched while the current
 * one is hashed) and recomputes the chain and the Merkle tree, as `medvault audit verify` does.
 *
 *   npm run bench:verify [-- --events 300000]
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { AuditChainer, auditRows, newAuditSigner, verifyAuditLog } from '../src/audit/index.js';
import { openStore } from '../src/store/index.js';

const { values } = parseArgs({ options: { events: { type: 'string' } } });
const N = Number(values.events ?? 300_000);
const PG_URL = process.env.MEDVAULT_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
console.log(`bench/verify: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${N.toLocaleString('en')} events`);

const name = `medvault_bench_verify_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
try {
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  const { db, driver } = await openStore({ kind: 'postgres', url: url.toString() });
  await driver.transaction((sql) => sql.query(`
    INSERT INTO audit.events (id, at, practice_id, user_id, role, session_id, source_ip, action, resource_type, resource_id, patient_id, segment, labels, purpose, outcome, reason, detail)
    SELECT gen_random_uuid(), now() - (g || ' seconds')::interval, md5('p' || (g % 50))::uuid, md5('u' || (g % 500))::uuid, 'practitioner', 's' || (g % 900), '10.0.0.1',
           'read', 'Patient', gen_random_uuid()::text, gen_random_uuid(), 'admin', '{}', 'care', 'success', 'care relationship',
           jsonb_build_object('unexplained', '[]'::jsonb, 'device', left(md5(g::text), 12))
      FROM generate_series(1, ${N}) g`));
  let t = performance.now();
  const linked = await new AuditChainer(db, 0).run(20_000);
  console.log(`chainer: ${linked.toLocaleString('en')} events linked at ${Math.round(linked / ((performance.now() - t) / 1000)).toLocaleString('en')} events/s`);
  for (let run = 0; run < 3; run++) {
    t = performance.now();
    const r = await db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) => verifyAuditLog(auditRows(tx.query.bind(tx)), [], newAuditSigner().publicKey));
    const ms = performance.now() - t;
    console.log(`verify (read + chain + tree), run ${run + 1}: ${r.events.toLocaleString('en')} events, ok=${r.ok}, ${Math.round(r.events / (ms / 1000)).toLocaleString('en')} events/s`);
  }
  // The same verification over rows already in memory: the hashing alone.
  const rows = await db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
    const out = [];
    for await (const r of auditRows(tx.query.bind(tx))) out.push(r);
    return out;
  });
  t = performance.now();
  const mem = await verifyAuditLog(rows, [], newAuditSigner().publicKey);
  console.log(`verify in memory (chain + tree only): ${Math.round(mem.events / ((performance.now() - t) / 1000)).toLocaleString('en')} events/s, ok=${mem.ok}`);
  await db.close();
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
