import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { disclosed } from '../src/audit/disclosure.js';
import { MAX_DOCUMENT_BYTES } from '../src/domain/index.js';
import { envelopeKekVersion, rotateKeys, shredPatient } from '../src/vault/index.js';
import { bearer, login, type TestApp, startTestApp } from './helpers/app.js';
import { fhir as fhirRequest } from './helpers/fhir.js';
import { validationErrors } from './helpers/validators.js';
import { BACKENDS } from './helpers/backends.js';
import { documentFor, jpegStart, pdfWith, pngWith, sha1, textNoteFor } from './helpers/documents.js';

/**
 * Clinical documents (PDF, images) and the life of a note (amendment, withdrawal) over HTTP, on
 * every backend: sealed like a note's text, read back byte for byte, refused when they are not what
 * they say or too large (nothing written), amended and withdrawn by their author only, never given
 * to an assistant, unreadable once the patient is shredded, rewrapped by key rotation.
 */
describe.each(BACKENDS)('clinical documents over HTTP ($name)', (backend) => {
  let t: TestApp;
  let doc: string;
  let colleague: string;
  let assistant: string;
  let docId: string;
  let colleagueId: string;
  let patient: string;
  let A: string;

  /** Every DocumentReference the server returns, alone or in a bundle, passes both independent validators. */
  const fhir: typeof fhirRequest = async (...args) => {
    const r = await fhirRequest(...args);
    const body = r.body as Record<string, unknown> | null;
    const resources = body?.resourceType === 'Bundle'
      ? ((body.entry ?? []) as { resource: Record<string, unknown> }[]).map((e) => e.resource)
      : body ? [body] : [];
    for (const x of resources.filter((y) => y.resourceType === 'DocumentReference')) {
      expect(validationErrors(x), JSON.stringify(x).slice(0, 300)).toEqual([]);
    }
    return r;
  };
  const q = <R>(sql: string, params: unknown[] = []) => t.store.driver.transaction((s) => s.query<R>(sql, params)).then((r) => r.rows);
  const noteCount = async () => (await q<{ n: number }>('SELECT count(*)::int n FROM clinical.notes'))[0]!.n;
  const lastEvents = (n: number) => q<Record<string, unknown>>(`SELECT * FROM audit.events ORDER BY seq DESC LIMIT ${n}`);
  const raw = (token: string, url: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers: { ...bearer(token), ...headers } });

  beforeAll(async () => {
    t = await startTestApp({ patients: 40, backend });
    // A practice with two practitioners (practices have one to six): the author and a colleague.
    const pracs = (id: string) => t.seeded.users.filter((u) => u.role === 'practitioner' && u.practiceId === id);
    A = t.seeded.practices.map((p) => p.id).find((id) => pracs(id).length >= 2)!;
    expect(A, 'a seeded practice with two practitioners').toBeDefined();
    const [first, second] = pracs(A);
    docId = first!.fhirId!;
    colleagueId = second!.fhirId!;
    doc = (await login(t, first!)).access_token;
    colleague = (await login(t, second!)).access_token;
    assistant = (await login(t, t.seeded.users.find((u) => u.role === 'assistant' && u.practiceId === A)!)).access_token;
    patient = (await q<{ id: string }>(
      `SELECT patient_id id FROM admin.care_relationships WHERE practice_id = $1 AND practitioner_id = $2 AND kind = 'treating' LIMIT 1`, [A, docId],
    ))[0]!.id;
    // The colleague treats the patient too: what stops her amending is authorship, not care.
    await q(
      `INSERT INTO admin.care_relationships (id, practice_id, patient_id, practitioner_id, kind, starts_at) VALUES ($1, $2, $3, $4, 'treating', now() - interval '1 day')`,
      [randomUUID(), A, patient, colleagueId],
    );
  });
  afterAll(async () => t?.close());

  it('uploads a PDF and a PNG, reads them back byte for byte (read, $content, Binary), each download audited and counted as a read of the note', async () => {
    const pdf = pdfWith('Courrier du Dr Martin : bilan cardiologique.');
    const png = pngWith('radiographie thoracique');
    const letter = await fhir(t, doc, 'POST', '/fhir/DocumentReference', documentFor(patient, 'application/pdf', pdf, { title: 'Courrier de cardiologie', type: '34133-9' }));
    expect(letter.status, JSON.stringify(letter.body)).toBe(201);
    // The answer describes the document; its bytes are at its URL.
    expect(letter.body.content[0].attachment).toEqual({
      contentType: 'application/pdf', url: `Binary/${letter.body.id}`, size: pdf.length, hash: sha1(pdf), title: 'Courrier de cardiologie',
    });
    const image = await fhir(t, doc, 'POST', '/fhir/DocumentReference', documentFor(patient, 'image/png', png, { title: 'Radio thorax', type: '18748-4' }));
    expect(image.status).toBe(201);

    for (const [id, bytes, type, code] of [[letter.body.id, pdf, 'application/pdf', '34133-9'], [image.body.id, png, 'image/png', '18748-4']] as const) {
      const read = await fhir(t, doc, 'GET', `/fhir/DocumentReference/${id}`);
      expect(read.status).toBe(200);
      const att = read.body.content[0].attachment;
      expect(Buffer.from(att.data, 'base64').equals(bytes)).toBe(true);
      expect(att).toMatchObject({ contentType: type, size: bytes.length, hash: sha1(bytes) });
      expect(read.body.type.coding[0]).toMatchObject({ system: 'http://loinc.org', code });
      expect(read.body.status).toBe('current');
      const readEvent = (await lastEvents(1))[0]!;

      for (const url of [`/fhir/DocumentReference/${id}/$content`, `/fhir/Binary/${id}`]) {
        const r = await raw(doc, url);
        expect(r.statusCode).toBe(200);
        expect(r.headers['content-type']).toBe(type);
        expect(r.headers['x-content-type-options']).toBe('nosniff');
        expect(r.headers['cache-control']).toBe('no-store');
        expect(r.rawPayload.equals(bytes)).toBe(true);
        // Audited as the JSON read is, and what the ledger and incident scoping read of it: this note.
        const e = (await lastEvents(1))[0]!;
        const shape = (x: Record<string, unknown>) => ({ ...x, id: null, seq: null, at: null, hash: null, prev_hash: null, mac: null });
        expect(shape(e)).toEqual(shape(readEvent));
        expect(disclosed({
          action: e.action as string, outcome: e.outcome as string, resourceType: e.resource_type as string, resourceId: e.resource_id as string,
          patientId: e.patient_id as string, purpose: e.purpose as string, labels: e.labels as string[], detail: e.detail as Record<string, unknown>,
        })[0]?.notes).toEqual([id]);
      }
      const binary = await fhir(t, doc, 'GET', `/fhir/Binary/${id}`, undefined, { accept: 'application/fhir+json' });
      expect(binary.body).toMatchObject({ resourceType: 'Binary', id, contentType: type, securityContext: { reference: `DocumentReference/${id}` } });
      expect(Buffer.from(binary.body.data, 'base64').equals(bytes)).toBe(true);
    }
    // A search describes them (no bytes), each with its URL.
    const found = await fhir(t, doc, 'GET', `/fhir/DocumentReference?patient=${patient}`);
    const listed = found.body.entry.map((e: { resource: { id: string; content: { attachment: Record<string, unknown> }[] } }) => e.resource);
    const mine = listed.find((x: { id: string }) => x.id === letter.body.id);
    expect(mine.content[0].attachment).toEqual(letter.body.content[0].attachment);
  });

  it('refuses a document that is not what it says (a PDF labelled image/png…) and writes nothing', async () => {
    const before = await noteCount();
    const pdf = pdfWith('Compte rendu');
    const cases: [string, Buffer, Record<string, unknown>?][] = [
      ['image/png', pdf], ['application/pdf', pngWith('x')], ['application/pdf', jpegStart()], ['image/jpeg', pdf],
      ['application/pdf', Buffer.from('%PDX-1.4 not a pdf')], ['application/zip', Buffer.from('PK\u0003\u0004')],
      ['application/pdf', pdf, { hash: sha1(Buffer.from('other')) }], ['application/pdf', pdf, { size: pdf.length + 1 }],
      ['application/pdf', pdf, { url: 'https://example.org/x.pdf' }],
    ];
    for (const [type, bytes, extra] of cases) {
      const body = documentFor(patient, type, bytes);
      Object.assign(body.content[0]!.attachment, extra ?? {});
      const r = await fhir(t, doc, 'POST', '/fhir/DocumentReference', body);
      expect(r.status, `${type} ${JSON.stringify(extra ?? {})}`).toBe(400);
    }
    const wrong = await fhir(t, doc, 'POST', '/fhir/DocumentReference', documentFor(patient, 'image/png', pdf));
    expect(wrong.body.issue[0].diagnostics).toMatch(/not image\/png: its bytes are application\/pdf/);
    const badType = documentFor(patient, 'application/pdf', pdf, { type: '99999-9' });
    expect((await fhir(t, doc, 'POST', '/fhir/DocumentReference', badType)).status).toBe(400);
    expect(await noteCount()).toBe(before);
  });

  it(`refuses a document over ${MAX_DOCUMENT_BYTES} bytes (400) and a body over the route's limit (413), writing nothing; accepts exactly the limit`, async () => {
    const before = await noteCount();
    const seq = (await q<{ s: number }>('SELECT coalesce(max(seq), 0)::int s FROM audit.events'))[0]!.s;
    const over = await fhir(t, doc, 'POST', '/fhir/DocumentReference', documentFor(patient, 'application/pdf', pdfWith('x', MAX_DOCUMENT_BYTES + 1)));
    expect(over.status).toBe(400);
    expect(over.body.issue[0].diagnostics).toMatch(/at most 5 MiB \(5242880 bytes\)/);
    const huge = await fhir(t, doc, 'POST', '/fhir/DocumentReference', documentFor(patient, 'application/pdf', pdfWith('x', 7 * 1024 * 1024)));
    expect(huge.status).toBe(413);
    expect(huge.body.resourceType).toBe('OperationOutcome');
    expect(await noteCount()).toBe(before);
    expect(await q("SELECT seq FROM audit.events WHERE seq > $1 AND action = 'create' AND outcome = 'success'", [seq])).toEqual([]);
    // Other routes keep the 1 MiB limit of FHIR JSON.
    const patientBody = { resourceType: 'Patient', name: [{ family: 'x'.repeat(2 * 1024 * 1024) }] };
    expect((await fhir(t, doc, 'POST', '/fhir/Patient', patientBody)).status).toBe(413);

    const exact = pdfWith('x', MAX_DOCUMENT_BYTES);
    expect(exact.length).toBe(MAX_DOCUMENT_BYTES);
    const ok = await fhir(t, doc, 'POST', '/fhir/DocumentReference', documentFor(patient, 'application/pdf', exact));
    expect(ok.status).toBe(201);
    expect((await raw(doc, `/fhir/DocumentReference/${ok.body.id}/$content`)).rawPayload.equals(exact)).toBe(true);
  });

  it('amends a note: the earlier one superseded, its text kept; the new one replaces it; only the author amends, once', async () => {
    const first = await fhir(t, doc, 'POST', '/fhir/DocumentReference', textNoteFor(patient, 'Motif : toux. Examen : RAS.'));
    expect(first.status).toBe(201);
    const earlier = first.body.id as string;
    const text = first.body.content[0].attachment.data;

    // A colleague who treats the patient may write for her, not amend what another wrote.
    const byColleague = await fhir(t, colleague, 'POST', '/fhir/DocumentReference', textNoteFor(patient, 'Correction', { replaces: earlier }));
    expect(byColleague.status).toBe(403);
    expect((await lastEvents(1))[0]).toMatchObject({ action: 'create', outcome: 'denied', user_id: colleagueId, reason: 'only its author amends or withdraws a note' });
    expect((await fhir(t, doc, 'GET', `/fhir/DocumentReference/${earlier}`)).body.status).toBe('current');

    const amended = await fhir(t, doc, 'POST', '/fhir/DocumentReference', textNoteFor(patient, 'Motif : toux. Examen : sibilants.', { replaces: earlier }));
    expect(amended.status).toBe(201);
    expect(amended.body.relatesTo).toEqual([{ code: 'replaces', target: { reference: `DocumentReference/${earlier}` } }]);
    const [retired, created] = await lastEvents(2);
    expect(created).toMatchObject({ action: 'create', resource_id: amended.body.id, outcome: 'success', detail: expect.objectContaining({ replaces: earlier }) });
    expect(retired).toMatchObject({
      action: 'update', resource_id: earlier, outcome: 'success', detail: expect.objectContaining({ status: 'superseded', replacedBy: amended.body.id }),
    });

    const old = await fhir(t, doc, 'GET', `/fhir/DocumentReference/${earlier}`);
    expect(old.body.status).toBe('superseded');
    expect(old.body.content[0].attachment.data).toBe(text);
    const fresh = await fhir(t, doc, 'GET', `/fhir/DocumentReference/${amended.body.id}`);
    expect(fresh.body).toMatchObject({ status: 'current', relatesTo: amended.body.relatesTo });

    // Once: a superseded note is not amended again, and a note of another patient is not amended at all.
    expect((await fhir(t, doc, 'POST', '/fhir/DocumentReference', textNoteFor(patient, 'Encore', { replaces: earlier }))).status).toBe(422);
    const other = (await q<{ id: string }>(
      `SELECT patient_id id FROM admin.care_relationships WHERE practice_id = $1 AND practitioner_id = $2 AND kind = 'treating' AND patient_id <> $3 LIMIT 1`,
      [A, docId, patient],
    ))[0]!.id;
    expect((await fhir(t, doc, 'POST', '/fhir/DocumentReference', textNoteFor(other, 'Ailleurs', { replaces: amended.body.id }))).status).toBe(422);

    // Searches: every status by default, each shown; `status` narrows.
    const ids = async (query: string) => ((await fhir(t, doc, 'GET', `/fhir/DocumentReference?patient=${patient}&_count=50${query}`)).body.entry ?? [])
      .map((e: { resource: { id: string; status: string } }) => `${e.resource.id}:${e.resource.status}`);
    expect(await ids('')).toEqual(expect.arrayContaining([`${earlier}:superseded`, `${amended.body.id}:current`]));
    expect(await ids('&status=current')).not.toContain(`${earlier}:superseded`);
    expect(await ids('&status=current')).toContain(`${amended.body.id}:current`);
    expect(await ids('&status=superseded')).toEqual([`${earlier}:superseded`]);
    expect((await fhir(t, doc, 'GET', `/fhir/DocumentReference?patient=${patient}&status=draft`)).status).toBe(400);
  });

  it('lets only its author withdraw a note (entered-in-error), once, and never rewrites one in the database', async () => {
    const n = (await fhir(t, doc, 'POST', '/fhir/DocumentReference', textNoteFor(patient, 'Note écrite au mauvais dossier.'))).body.id as string;
    const patch = (token: string, body: unknown) => t.app.inject({
      method: 'PATCH', url: `/fhir/DocumentReference/${n}`, headers: { ...bearer(token), 'content-type': 'application/json-patch+json' }, payload: JSON.stringify(body),
    });
    const withdraw = [{ op: 'test', path: '/status', value: 'current' }, { op: 'replace', path: '/status', value: 'entered-in-error' }];
    expect((await patch(colleague, withdraw)).statusCode).toBe(403);
    expect((await patch(doc, [{ op: 'replace', path: '/status', value: 'superseded' }])).statusCode).toBe(400);
    expect((await patch(doc, [{ op: 'replace', path: '/content/0/attachment/data', value: 'eA==' }])).statusCode).toBe(400);
    expect((await patch(doc, withdraw)).statusCode).toBe(200);
    expect((await lastEvents(1))[0]).toMatchObject({ action: 'update', resource_id: n, outcome: 'success', detail: expect.objectContaining({ status: 'entered-in-error' }) });
    expect((await fhir(t, doc, 'GET', `/fhir/DocumentReference/${n}`)).body.status).toBe('entered-in-error');
    expect((await patch(doc, withdraw)).statusCode).toBe(422);

    // The database itself: the clinical role moves a status out of current and nothing else; the
    // owner cannot rewrite a note either (migration 018's trigger).
    const asClinical = (sql: string) => t.store.db.transaction({ role: 'clinical', practiceId: A }, (tx) => tx.query(sql, [n]))
      .then(() => 'ok', (e: { code?: string }) => e.code);
    expect(await asClinical("UPDATE clinical.notes SET status = 'current' WHERE id = $1")).toBe('42501');
    expect(await asClinical("UPDATE clinical.notes SET status = 'superseded' WHERE id = $1")).toBe('42501');
    expect(await asClinical('UPDATE clinical.notes SET written_at = now() WHERE id = $1')).toBe('42501');
    const asOwner = (sql: string) => t.store.driver.transaction((s) => s.query(sql, [n])).then(() => 'ok', (e: { code?: string }) => e.code);
    expect(await asOwner('UPDATE clinical.notes SET author_id = author_id, written_at = written_at - interval \'1 day\' WHERE id = $1')).toBe('42501');
    expect(await asOwner("UPDATE clinical.notes SET status = 'current' WHERE id = $1")).toBe('42501');
    expect(await asOwner('UPDATE clinical.notes SET attachment_sealed = body_sealed WHERE id = $1')).toBe('42501');
  });

  it('never gives a note or a document to an assistant, nor lets her write one', async () => {
    const pdf = pdfWith('Résultats : HbA1c 7,2 %');
    const id = (await fhir(t, doc, 'POST', '/fhir/DocumentReference', documentFor(patient, 'application/pdf', pdf, { type: '11502-2' }))).body.id as string;
    for (const url of [`/fhir/DocumentReference/${id}`, `/fhir/DocumentReference/${id}/$content`, `/fhir/Binary/${id}`, `/fhir/DocumentReference?patient=${patient}`]) {
      const r = await raw(assistant, url);
      expect(r.statusCode, url).toBe(403);
      expect(r.body).not.toContain('HbA1c');
    }
    expect((await fhir(t, assistant, 'POST', '/fhir/DocumentReference', documentFor(patient, 'application/pdf', pdf))).status).toBe(403);
  });

  it('rewraps a document and its description at key rotation, its bytes untouched', async () => {
    const pdf = pdfWith('Compte rendu opératoire', 200_000);
    const id = (await fhir(t, doc, 'POST', '/fhir/DocumentReference', documentFor(patient, 'application/pdf', pdf, { title: 'CRO' }))).body.id as string;
    const sealed = async () => (await q<{ meta: Buffer; att: Buffer }>('SELECT meta_sealed meta, attachment_sealed att FROM clinical.notes WHERE id = $1', [id]))[0]!;
    const before = await sealed();
    await rotateKeys(t.services.db, t.services.vault, { practiceIds: [A], purposes: ['clinical'], settleMs: 10, batchSize: 7 });
    const after = await sealed();
    const active = await t.services.vault.provider.activeVersion(A, 'clinical');
    expect(envelopeKekVersion(before.att)).not.toBe(active);
    expect([envelopeKekVersion(after.meta), envelopeKekVersion(after.att)]).toEqual([active, active]);
    // Only the envelope's head changed: the body (IV, tag, ciphertext) is the same.
    expect(after.att.length).toBe(before.att.length);
    expect(after.att.subarray(-pdf.length).equals(before.att.subarray(-pdf.length))).toBe(true);
    expect((await raw(doc, `/fhir/DocumentReference/${id}/$content`)).rawPayload.equals(pdf)).toBe(true);
    expect((await fhir(t, doc, 'GET', `/fhir/DocumentReference/${id}`)).body.content[0].attachment.title).toBe('CRO');
  });

  it('makes a shredded patient\'s documents unreadable (410)', async () => {
    const victim = (await q<{ id: string }>(
      `SELECT patient_id id FROM admin.care_relationships WHERE practice_id = $1 AND practitioner_id = $2 AND kind = 'treating' AND patient_id <> $3
        ORDER BY patient_id DESC LIMIT 1`, [A, docId, patient],
    ))[0]!.id;
    const png = pngWith('échographie');
    const id = (await fhir(t, doc, 'POST', '/fhir/DocumentReference', documentFor(victim, 'image/png', png, { title: 'Échographie' }))).body.id as string;
    expect((await raw(doc, `/fhir/Binary/${id}`)).rawPayload.equals(png)).toBe(true);
    await shredPatient(t.services.db, t.services.vault, { practiceId: A, patientId: victim, reason: 'demande du patient, art. 17', force: true, actor: 'test', now: t.now() }, { settleMs: 10 });
    for (const url of [`/fhir/DocumentReference/${id}`, `/fhir/DocumentReference/${id}/$content`, `/fhir/Binary/${id}`]) {
      const r = await raw(doc, url);
      expect(r.statusCode, url).toBe(410);
      expect(r.rawPayload.includes(png.subarray(0, 16))).toBe(false);
    }
    // The document itself, not only the rest of the note: its bytes and description were sealed under the key that is gone.
    const opened = await t.services.db.transaction({ role: 'clinical', practiceId: A }, async (tx) => {
      const row = (await tx.query<{ meta: Buffer; att: Buffer }>('SELECT meta_sealed meta, attachment_sealed att FROM clinical.notes WHERE id = $1', [id])).rows[0]!;
      const vault = t.services.vault.clinical(A).inTransaction(tx);
      const attempt = (field: 'note.meta' | 'note.attachment', b: Buffer) => vault.openNotePart(victim, id, field, b).then(() => 'opened', (e: { code?: string }) => e.code);
      return [await attempt('note.meta', row.meta), await attempt('note.attachment', row.att)];
    });
    expect(opened).toEqual(['VAULT_KEY_DESTROYED', 'VAULT_KEY_DESTROYED']);
  });
});
