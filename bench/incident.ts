/**
 * bench/incident: scoping 10 accounts over 90 days in an audit log of 10 million events on
 * PostgreSQL (the incident issue's target: under 5 s), with the query plan.
 *
 *   npm run bench:incident [-- --events 10000000 --keep]
 *
 * The log is generated inside PostgreSQL (INSERT … SELECT generate_series): 2,000 practitioner
 * accounts over 180 days; the 10 suspects make 150 accesses a working day each (≈ 135,000 events
 * in the window), the others the rest. Accesses mix identity reads (60 %), patient searches
 * returning 5 identities (20 %), note reads (15 %, some labelled) and appointment searches.
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { scopeAccounts } from '../src/incident/scope.js';
import { openStore } from '../src/store/index.js';

const { values } = parseArgs({ options: { events: { type: 'string' }, keep: { type: 'boolean' } } });
const TOTAL = Number(values.events ?? 10_000_000);
const PG_URL = process.env.MEDVAULT_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SUSPECTS = 10;
const SUSPECT_EVENTS = SUSPECTS * 90 * 150;

const say = (s: string) => process.stdout.write(`${s}\n`);
say(`bench/incident: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${TOTAL.toLocaleString('en')} events`);

const name = `medvault_bench_incident_${randomBytes(4).toString('hex')}`;
const admin = new pg.Client({ connectionString: PG_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(PG_URL);
url.pathname = `/${name}`;
const { db, driver } = await openStore({ kind: 'postgres', url: url.toString() });
const raw = new pg.Client({ connectionString: url.toString() });
await raw.connect();

/** n events of users [u0, u0 + users) over the last `days` days. */
function generate(n: number, u0: number, users: number, days: number): string {
  return `
  INSERT INTO audit.events (id, at, practice_id, user_id, role, session_id, source_ip, action, resource_type, resource_id, patient_id, segment, labels, purpose, outcome, reason, detail)
  SELECT gen_random_uuid(), now() - random() * interval '${days} days', md5('practice' || (u % 500))::uuid, md5('user' || u)::uuid, 'practitioner',
         'session-' || u || '-' || (g % 7), '10.' || (u % 250) || '.0.1',
         CASE WHEN k < 60 OR (k >= 80 AND k < 95) THEN 'read' ELSE 'search' END,
         CASE WHEN k < 80 THEN 'Patient' WHEN k < 95 THEN 'DocumentReference' ELSE 'Appointment' END,
         CASE WHEN k >= 80 AND k < 95 THEN gen_random_uuid()::text END,
         CASE WHEN k < 60 OR (k >= 80 AND k < 95) THEN p END,
         CASE WHEN k >= 80 AND k < 95 THEN 'clinical' ELSE 'admin' END,
         CASE WHEN k >= 80 AND k < 95 AND g % 50 = 0 THEN ARRAY['PSY'] ELSE '{}' END,
         'care', 'success', 'care relationship',
         CASE WHEN k < 60 THEN jsonb_build_object('unexplained', CASE WHEN g % 40 = 0 THEN jsonb_build_array(p) ELSE '[]'::jsonb END)
              WHEN k < 80 THEN jsonb_build_object('returned', jsonb_build_array(p, md5('patient' || (g % 200000))::uuid, md5('patient' || (g % 190000))::uuid, md5('patient' || (g % 180000))::uuid, md5('patient' || (g % 170000))::uuid),
                                                  'broad', g % 3 = 0, 'unexplained', '[]'::jsonb)
              WHEN k >= 95 THEN jsonb_build_object('returned', jsonb_build_array(p), 'unexplained', '[]'::jsonb) END
    FROM (SELECT g, ${u0} + (g % ${users}) AS u, (g * 7919) % 100 AS k, md5('patient' || ((g * 104729) % 200000))::uuid AS p FROM generate_series(1::bigint, ${n}::bigint) g) x`;
}

let t = Date.now();
await raw.query(generate(SUSPECT_EVENTS, 0, SUSPECTS, 90));
const chunk = 1_000_000;
for (let done = SUSPECT_EVENTS; done < TOTAL; done += chunk) {
  await raw.query(generate(Math.min(chunk, TOTAL - done), SUSPECTS, 1990, 180));
  process.stdout.write(`\r  generated ${Math.min(TOTAL, done + chunk).toLocaleString('en')} events`);
}
await raw.query('VACUUM ANALYZE audit.events');
say(`\n  generated and analysed in ${((Date.now() - t) / 1000).toFixed(1)} s`);
const count = Number((await raw.query('SELECT count(*)::bigint AS n FROM audit.events')).rows[0].n);
const size = (await raw.query("SELECT pg_size_pretty(pg_total_relation_size('audit.events')) AS s")).rows[0].s as string;
say(`  audit.events: ${count.toLocaleString('en')} rows, ${size} with indexes`);

const userIds = Array.from({ length: SUSPECTS }, (_, i) => i);
const ids = (await raw.query<{ id: string }>(`SELECT md5('user' || u)::uuid AS id FROM unnest($1::int[]) u`, [userIds])).rows.map((r) => r.id);
const to = new Date();
const from = new Date(to.getTime() - 90 * 86_400_000);
const times: number[] = [];
let last: Awaited<ReturnType<typeof scopeAccounts>> | null = null;
for (let run = 0; run < 3; run++) {
  t = performance.now();
  last = await db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) =>
    scopeAccounts(tx, { kind: 'account-abuse', userIds: ids, sessions: [], addresses: [], from, to }),
  );
  times.push(performance.now() - t);
}
say(`scope of ${SUSPECTS} accounts × 90 days: ${last!.events.toLocaleString('en')} events read, ${last!.patients.length.toLocaleString('en')} patients disclosed, ${last!.care.accesses.toLocaleString('en')} care accesses`);
say(`  runs: ${times.map((x) => `${(x / 1000).toFixed(2)} s`).join(', ')} (first run cold, as the operator's first query would be)`);

const plan = await db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) =>
  tx.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
     SELECT at, user_id, practice_id, role, action, outcome, resource_type, resource_id, patient_id, labels, purpose, detail
       FROM audit.events WHERE at >= $1 AND at < $2 AND (user_id = ANY($3::uuid[])) ORDER BY at, seq`,
    [from.toISOString(), to.toISOString(), ids],
  ),
);
say('query plan (as the security reader, row-level security on):');
for (const r of plan.rows) say(`  ${r['QUERY PLAN']}`);

await raw.end();
await db.close();
void driver;
if (!values.keep) await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
else say(`kept database ${name}`);
await admin.end();
