import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openStore } from '../src/store/index.js';
import { bearer, login, startTestApp, userOf } from './helpers/app.js';
import { createPostgresDatabase, type Backend } from './helpers/backends.js';
import { documentFor, pdfWith, pngWith } from './helpers/documents.js';
import { runs } from './helpers/needs.js';

const pgDump = runs('a pg_dump of the documents', { postgres: true, programs: ['pg_dump'] });

/**
 * A copy of the database holds no document: a phrase written in a PDF's bytes, another in a PNG's,
 * a third in a document's title are uploaded and read back through the API, then every file of
 * the PGlite data folder (WAL included) and a pg_dump of the PostgreSQL database are searched for
 * them in every form a database could hold them in (raw bytes, UTF-16, base64 at each alignment,
 * hex): 0 hits. A staff username, stored in clear, is found the same way: the search sees the data.
 */

const phrase = (what: string) => `${what}-${randomBytes(9).toString('hex')}-secret`;

/** The byte forms a phrase could take in the database's files or in a dump. */
function forms(p: string): Buffer[] {
  const bytes = Buffer.from(p, 'utf8');
  // base64: the phrase starts at some offset in the encoded value; from its first byte on a
  // 3-byte boundary its encoding appears verbatim, whatever came before.
  const base64 = [0, 1, 2].map((s) => bytes.subarray(s, s + 3 * Math.floor((bytes.length - s) / 3)).toString('base64'));
  return [bytes, Buffer.from(p, 'utf16le'), Buffer.from(p.toUpperCase(), 'utf8'), ...base64.map((b) => Buffer.from(b)), Buffer.from(bytes.toString('hex'))];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** Uploads the documents as the treating doctor and reads each back whole; returns the phrases and a clear control value. */
async function upload(backend: Backend): Promise<{ secrets: string[]; control: string }> {
  const secrets = [phrase('pdf'), phrase('png'), phrase('title')];
  const t = await startTestApp({ backend, patients: 10 });
  try {
    const doc = userOf(t.seeded, 'practitioner');
    const { access_token } = await login(t, doc);
    const mine = await t.store.driver.transaction((sql) => sql.query<{ patient_id: string }>(
      "SELECT patient_id FROM admin.care_relationships WHERE practitioner_id = $1 AND kind = 'treating' LIMIT 1", [doc.fhirId],
    ));
    const patient = mine.rows[0]!.patient_id;
    const bodies = [
      documentFor(patient, 'application/pdf', pdfWith(`Conclusion : ${secrets[0]}`), { title: `Courrier ${secrets[2]}`, type: '34133-9' }),
      documentFor(patient, 'image/png', pngWith(secrets[1]!), { title: 'Radiographie', type: '18748-4' }),
    ];
    for (const body of bodies) {
      const r = await t.app.inject({
        method: 'POST', url: '/fhir/DocumentReference', headers: { ...bearer(access_token), 'content-type': 'application/fhir+json' }, payload: JSON.stringify(body),
      });
      expect(r.statusCode).toBe(201);
      const read = await t.app.inject({ method: 'GET', url: `/fhir/DocumentReference/${r.json().id}`, headers: bearer(access_token) });
      expect(read.json().content[0].attachment.data).toBe(body.content[0]!.attachment.data);
    }
    expect(t.logs()).not.toContain(secrets[0]);
    return { secrets, control: doc.username };
  } finally {
    await t.close();
  }
}

function hits(haystack: Buffer, values: string[]): string[] {
  return values.filter((v) => forms(v).some((f) => haystack.includes(f)));
}

describe('a copy of the database holds no document, no title', () => {
  it('PGlite: no phrase of a document or its title in any file of the data folder, WAL included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'medvault-documents-at-rest-'));
    try {
      const backend: Backend = {
        name: 'pglite',
        async open() {
          const store = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
          return { ...store, cleanup: () => store.db.close() };
        },
      };
      const { secrets, control } = await upload(backend);
      const files = filesUnder(join(dir, 'pgdata'));
      expect(files.some((f) => f.includes('pg_wal'))).toBe(true);
      const found: string[] = [];
      let seen = false;
      for (const f of files) {
        const b = readFileSync(f);
        seen ||= hits(b, [control]).length > 0;
        for (const h of hits(b, secrets)) found.push(`${h.split('-')[0]} in ${f.slice(dir.length)}`);
      }
      expect(seen, 'the clear control value is found in the files').toBe(true);
      expect(found).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(pgDump)('PostgreSQL: no phrase of a document or its title in a pg_dump of the database', async () => {
    const database = await createPostgresDatabase();
    try {
      const backend: Backend = {
        name: 'postgres',
        async open() {
          const store = await openStore({ kind: 'postgres', url: database.url });
          return { ...store, cleanup: () => store.db.close() };
        },
      };
      const { secrets, control } = await upload(backend);
      const dump = execFileSync('pg_dump', ['--no-owner', database.url], { maxBuffer: 1 << 30 });
      expect(hits(dump, [control])).toEqual([control]);
      expect(hits(dump, secrets)).toEqual([]);
    } finally {
      await database.drop();
    }
  });
});
