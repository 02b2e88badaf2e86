import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { REGISTRY, type Json } from '../src/resources/index.js';
import { openStore } from '../src/store/index.js';
import { bearer, login, startTestApp, userOf } from './helpers/app.js';
import { createPostgresDatabase, type Backend } from './helpers/backends.js';
import { POSTGRES_URL, runs } from './helpers/needs.js';

/**
 * A copy of the database's files says nothing of what the clinical types hold: a unique phrase is
 * written through the API into each type's free text (a problem's note, an allergy's note and
 * reaction, a prescription's dosage, a result's note, a vaccination's note, a consultation's
 * reason) with a rare problem code, read back through the API (the product holds them), then the
 * database is checkpointed and closed, and every file of its data directory — PGlite's folder, the
 * PostgreSQL server's data directory, WAL included — is searched for them in UTF-8, Latin-1 and
 * UTF-16: 0 hits.
 */
const PG_URL = runs('the PostgreSQL data directory search', { postgres: true }) ? POSTGRES_URL : null;
const ICD10 = 'http://hl7.org/fhir/sid/icd-10';
/** A well-formed CIM-10 code no practice's list holds (plague, cellulocutaneous form). */
const RARE_CODE = 'A20.1';

/** A type's example with `phrase` in each of its free-text elements, and the rare code for a problem. */
function withPhrase(type: string, body: Json, phrase: string): Json {
  const first = <T extends Json>(list: unknown): T => ((list as T[] | undefined) ?? [{} as T])[0]!;
  switch (type) {
    case 'Condition':
      return { ...body, code: { coding: [{ system: ICD10, code: RARE_CODE }] }, note: [{ text: phrase }] };
    case 'AllergyIntolerance':
      return { ...body, note: [{ text: phrase }], reaction: [{ ...first(body.reaction), description: phrase }] };
    case 'MedicationRequest':
      return {
        ...body, dosageInstruction: [{ ...first(body.dosageInstruction), text: phrase }], note: [{ text: phrase }],
      };
    case 'Observation':
    case 'Immunization':
      return { ...body, note: [{ text: phrase }] };
    case 'Encounter':
      return { ...body, reasonCode: [{ ...first(body.reasonCode), text: phrase }] };
    default:
      throw new Error(`no free text known for ${type}: add it here`);
  }
}

/** Every byte form the value could take in a file: UTF-8, Latin-1, UTF-16 (both orders). */
function forms(v: string): Buffer[] {
  const le = Buffer.from(v, 'utf16le');
  const be = Buffer.from(le).swap16();
  return [Buffer.from(v, 'utf8'), Buffer.from(v, 'latin1'), le, be];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    try {
      return statSync(p).isDirectory() ? filesUnder(p) : [p];
    } catch (e) {
      // A running server's file removed while the walk goes (a finished temporary file, a recycled WAL segment).
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  });
}

/** Where each needle is found among the files (a file vanished while read is no copy). */
function hits(files: readonly string[], needles: readonly { label: string; bytes: Buffer }[]): string[] {
  const found: string[] = [];
  for (const f of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(f);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw e;
    }
    for (const n of needles) if (bytes.includes(n.bytes)) found.push(`${n.label} in ${f}`);
  }
  return found;
}

/**
 * Writes each type with its phrase through the API as the treating doctor, reads each back (and
 * finds the problem by its rare code), and returns the needles: each phrase, its unique marker
 * alone, the rare code as stored in a body and as a search token.
 */
async function writeThroughApi(backend: Backend): Promise<{ label: string; bytes: Buffer }[]> {
  const t = await startTestApp({ backend, patients: 20 });
  try {
    const doc = userOf(t.seeded, 'practitioner');
    const { access_token: token } = await login(t, doc);
    const patient = (await t.store.driver.transaction((q) => q.query<{ id: string }>(
      `SELECT patient_id AS id FROM admin.care_relationships
        WHERE practitioner_id = $1 AND kind = 'treating' ORDER BY 1 LIMIT 1`,
      [doc.fhirId],
    ))).rows[0]!.id;
    const at = new Date(t.now().getTime() - 3_600_000);
    const needles: { label: string; bytes: Buffer }[] = [];
    for (const m of REGISTRY.modules) {
      const marker = `MVSECRET${randomBytes(8).toString('hex').toUpperCase()}`;
      const phrase = `Phrase secrète ${m.type} ${marker} : ne doit jamais être écrite en clair`;
      const body = withPhrase(m.type, m.example(patient, doc.fhirId!, at), phrase);
      const r = await t.app.inject({
        method: 'POST', url: `/fhir/${m.type}`, payload: JSON.stringify(body),
        headers: { ...bearer(token), 'content-type': 'application/fhir+json' },
      });
      expect(r.statusCode, r.body.slice(0, 400)).toBe(201);
      const back = await t.app.inject({ method: 'GET', url: `/fhir/${m.type}/${r.json().id}`, headers: bearer(token) });
      expect(back.statusCode).toBe(200);
      // The product holds the phrase (once per free-text element it was written in).
      expect(back.body.split(marker).length - 1).toBe(JSON.stringify(body).split(marker).length - 1);
      for (const [label, v] of [[`${m.type} phrase`, phrase], [`${m.type} marker`, marker]] as const) {
        for (const bytes of forms(v)) needles.push({ label, bytes });
      }
    }
    const found = await t.app.inject({
      method: 'GET', url: `/fhir/Condition?patient=${patient}&code=${ICD10}|${RARE_CODE}`, headers: bearer(token),
    });
    expect(found.json().entry).toHaveLength(1);
    for (const v of [`"${RARE_CODE}"`, `${ICD10}|${RARE_CODE}`, `code=${RARE_CODE}`]) {
      for (const bytes of forms(v)) needles.push({ label: `rare code ${v}`, bytes });
    }
    return needles;
  } finally {
    await t.close();
  }
}

describe('a copy of the database files holds no clinical free text nor code', () => {
  it('PGlite: no phrase, marker or rare code in any file of the data folder, WAL included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medvault-clinical-at-rest-'));
    try {
      const data = join(dir, 'pgdata');
      const backend: Backend = {
        name: 'pglite',
        async open() {
          const store = await openStore({ kind: 'pglite', dir: data });
          // Closing PGlite checkpoints and writes every page back to its folder.
          return { ...store, cleanup: () => store.db.close() };
        },
      };
      const needles = await writeThroughApi(backend);
      const files = filesUnder(data);
      expect(files.some((f) => f.includes('pg_wal'))).toBe(true);
      expect(hits(files, needles)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(PG_URL !== null)('PostgreSQL: no phrase, marker or rare code in the server\'s data directory (WAL too)', async () => {
    const database = await createPostgresDatabase();
    try {
      const backend: Backend = {
        name: 'postgres',
        async open() {
          const store = await openStore({ kind: 'postgres', url: database.url });
          return { ...store, cleanup: () => store.db.close() };
        },
      };
      const needles = await writeThroughApi(backend);
      // Every dirty page of the server written to its files; the WAL is written at each commit.
      const admin = new pg.Client({ connectionString: database.url });
      await admin.connect();
      let directory: string;
      try {
        await admin.query('CHECKPOINT');
        directory = (await admin.query<{ data_directory: string }>('SHOW data_directory')).rows[0]!.data_directory;
      } finally {
        await admin.end();
      }
      // The server runs on this machine (127.0.0.1): its data directory is here, readable.
      const files = filesUnder(directory);
      expect(files.some((f) => f.includes('pg_wal'))).toBe(true);
      expect(files.some((f) => f.includes(`${join(directory, 'base')}/`))).toBe(true);
      expect(hits(files, needles)).toEqual([]);
    } finally {
      await database.drop();
    }
  });
});
