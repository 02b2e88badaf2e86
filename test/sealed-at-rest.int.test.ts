import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/store/index.js';
import { bearer, login, startTestApp, userOf } from './helpers/app.js';
import { createPostgresDatabase, type Backend } from './helpers/backends.js';
import { runs } from './helpers/needs.js';

const pgDump = runs('a pg_dump of the sealed identities', { postgres: true, programs: ['pg_dump'] });

/**
 * A copy of the database names no one. A demo is seeded, names, birth dates and notes
 * are read through the API (so that they are the values the product shows), then every file of
 * the PGlite data folder (WAL included) and a pg_dump of the PostgreSQL database are searched for
 * them in every form the database could hold them in: 0 hits.
 */

const fold = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '');

/** Every byte form a value could take in the database's files or a dump. */
function forms(kind: 'name' | 'date' | 'text', v: string): Buffer[] {
  const strings = kind === 'date'
    ? [v, `${v.slice(8, 10)}/${v.slice(5, 7)}/${v.slice(0, 4)}`, v.replaceAll('-', '')]
    : [v, v.toUpperCase(), v.toLowerCase(), fold(v), fold(v).toUpperCase(), fold(v).toLowerCase()];
  const out = [...new Set(strings)].flatMap((s) => [Buffer.from(s, 'utf8'), Buffer.from(s, 'latin1')]);
  if (kind === 'date' && v < '2000-01-01') {
    // PostgreSQL's date on disk: int32 days since 2000-01-01, little-endian (x86). Only dates
    // before 2000 are looked for this way: their negative values do not occur by chance in the
    // small integers (versions, beacons, counters) every table holds.
    const days = Math.round((Date.parse(`${v}T00:00:00Z`) - Date.parse('2000-01-01T00:00:00Z')) / 86_400_000);
    const b = Buffer.alloc(4);
    b.writeInt32LE(days);
    out.push(b);
  }
  return out;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

interface Shown { names: string[]; dates: string[]; texts: string[] }

/** Reads, through the API as the treating doctor, patients' identities and their notes. */
async function readThroughApi(backend: Backend): Promise<{ shown: Shown; staff: string }> {
  const t = await startTestApp({ backend, patients: 30 });
  try {
    const doc = userOf(t.seeded, 'practitioner');
    const { access_token } = await login(t, doc);
    const mine = await t.store.driver.transaction((sql) => sql.query<{ patient_id: string }>(
      "SELECT patient_id FROM admin.care_relationships WHERE practitioner_id = $1 AND kind = 'treating' ORDER BY patient_id LIMIT 8", [doc.fhirId],
    ));
    const shown: Shown = { names: [], dates: [], texts: [] };
    let labelled = 0;
    // A labelled note written through the API, among the ones the seed wrote.
    const written = await t.app.inject({
      method: 'POST', url: '/fhir/DocumentReference', headers: { ...bearer(access_token), 'content-type': 'application/fhir+json' },
      payload: JSON.stringify({
        resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${mine.rows[0]!.patient_id}` },
        securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'HIV' }] }],
        content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('Sérologie VIH positive, charge virale indétectable sous traitement.').toString('base64') } }],
      }),
    });
    expect(written.statusCode).toBe(201);
    for (const { patient_id } of mine.rows) {
      const r = await t.app.inject({ method: 'GET', url: `/fhir/Patient/${patient_id}/$everything`, headers: bearer(access_token) });
      expect(r.statusCode).toBe(200);
      for (const { resource } of r.json().entry as { resource: Record<string, unknown> }[]) {
        if (resource.resourceType === 'Patient') {
          for (const n of resource.name as { family: string; given: string[] }[]) shown.names.push(n.family, ...n.given);
          shown.dates.push(resource.birthDate as string);
        }
        if (resource.resourceType === 'DocumentReference') {
          const text = Buffer.from((resource.content as { attachment: { data: string } }[])[0]!.attachment.data, 'base64').toString('utf8');
          shown.texts.push(text.slice(0, 24));
          if (resource.securityLabel) labelled++;
        }
      }
    }
    expect(shown.dates.length).toBe(8);
    expect(labelled).toBeGreaterThan(0);
    // Staff and practices are stored in clear (they are not patients): a patient value that is
    // also a staff member's or a practice's name is not looked for.
    const staff = await t.store.driver.transaction(async (sql) => {
      const u = await sql.query<{ s: string }>("SELECT string_agg(family_name || ' ' || given_name || ' ' || username, ' ') AS s FROM admin.users");
      const p = await sql.query<{ s: string }>("SELECT string_agg(name || ' ' || city, ' ') AS s FROM admin.practices");
      return `${u.rows[0]!.s} ${p.rows[0]!.s}`;
    });
    return { shown, staff: fold(staff).toLowerCase() };
  } finally {
    await t.close();
  }
}

function needles(shown: Shown, staff: string, baseline: Buffer | null): { label: string; bytes: Buffer }[] {
  const names = [...new Set(shown.names)].filter((n) => [...n].length >= 4 && !staff.includes(fold(n).toLowerCase()));
  const all = [
    ...names.flatMap((n) => forms('name', n).map((bytes) => ({ label: `name ${n}`, bytes }))),
    ...[...new Set(shown.dates)].flatMap((d) => forms('date', d).map((bytes) => ({ label: `birth date ${d}`, bytes }))),
    ...shown.texts.flatMap((x) => forms('text', x).map((bytes) => ({ label: 'note text', bytes }))),
  ];
  // A value an empty medvault already holds (a word of the catalog) says nothing about patients.
  return baseline ? all.filter((n) => !baseline.includes(n.bytes)) : all;
}

function hits(haystack: Buffer, list: { label: string; bytes: Buffer }[]): string[] {
  return [...new Set(list.filter((n) => haystack.includes(n.bytes)).map((n) => n.label))];
}

describe('a copy of the database names no one', () => {
  it('PGlite: no name, birth date or note text in any file of the data folder, WAL included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medvault-at-rest-'));
    const empty = mkdtempSync(join(tmpdir(), 'medvault-at-rest-empty-'));
    try {
      const backend: Backend = {
        name: 'pglite',
        async open() {
          const store = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
          return { ...store, cleanup: () => store.db.close() };
        },
      };
      const { shown, staff } = await readThroughApi(backend);
      const blank = await openStore({ kind: 'pglite', dir: join(empty, 'pgdata') });
      await blank.db.close();
      const baseline = Buffer.concat(filesUnder(join(empty, 'pgdata')).map((f) => readFileSync(f)));
      const list = needles(shown, staff, baseline);
      expect(list.filter((n) => n.label.startsWith('name')).length).toBeGreaterThan(20);
      const files = filesUnder(join(dir, 'pgdata'));
      expect(files.some((f) => f.includes('pg_wal'))).toBe(true);
      const found: string[] = [];
      for (const f of files) for (const h of hits(readFileSync(f), list)) found.push(`${h} in ${f.slice(dir.length)}`);
      expect(found).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it.runIf(pgDump)('PostgreSQL: no name, birth date or note text in a pg_dump of the database', async () => {
    const database = await createPostgresDatabase();
    const empty = await createPostgresDatabase();
    try {
      const backend: Backend = {
        name: 'postgres',
        async open() {
          const store = await openStore({ kind: 'postgres', url: database.url });
          return { ...store, cleanup: () => store.db.close() };
        },
      };
      const { shown, staff } = await readThroughApi(backend);
      const blank = await openStore({ kind: 'postgres', url: empty.url });
      await blank.db.close();
      const dump = (url: string) => execFileSync('pg_dump', ['--no-owner', url], { maxBuffer: 1 << 30 });
      const list = needles(shown, staff, dump(empty.url));
      expect(list.filter((n) => n.label.startsWith('name')).length).toBeGreaterThan(20);
      expect(hits(dump(database.url), list)).toEqual([]);
    } finally {
      await database.drop();
      await empty.drop();
    }
  });
});
