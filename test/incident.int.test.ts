import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpMailer } from '../src/incident/index.js';
import { bearer, login, startTestApp, userOf, type TestApp } from './helpers/app.js';

/**
 * Incident response end to end: a doctor works honestly in one session while a thief replays the
 * doctor's credentials in another; the security officer scopes the account over the window and
 * must find exactly what the thief was served (the test's ground truth, from the responses),
 * with the doctor's care accesses reported apart.
 */
import { BACKENDS } from './helpers/backends.js';
import { writeClinical } from './helpers/clinical.js';

describe.each(BACKENDS)('incident response over HTTP ($name)', (backend) => {
  let t: TestApp;
  let smtp: SMTPServer;
  const mails: { to: string[]; body: string }[] = [];
  let smtpPort = 0;

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
      onData(stream, session, callback) {
        let body = '';
        stream.on('data', (c: Buffer) => (body += c.toString('utf8')));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), body });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    smtpPort = (smtp.server.address() as { port: number }).port;
    t = await startTestApp({ patients: 120, thresholds: {}, backend, mailer: new SmtpMailer(`smtp://127.0.0.1:${smtpPort}?ignoreTLS=true`, 'medvault <noreply@medvault.test>') });
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  const get = (token: string, url: string, ip = '10.0.0.1') => t.app.inject({ method: 'GET', url, headers: bearer(token), remoteAddress: ip });

  async function careAndStrangers(practiceId: string, doctorId: string): Promise<{ care: string[]; strangers: string[] }> {
    const now = t.now().toISOString();
    const care = (await t.store.driver.transaction((s) =>
      s.query<{ id: string }>(
        `SELECT DISTINCT patient_id AS id FROM admin.care_relationships WHERE practice_id = $1 AND practitioner_id = $2 AND starts_at <= $3 AND (ends_at IS NULL OR ends_at >= $3)
           AND patient_id NOT IN (SELECT patient_id FROM audit.honeytokens) ORDER BY 1 LIMIT 4`,
        [practiceId, doctorId, now],
      ),
    )).rows.map((r) => r.id);
    const strangers = (await t.store.driver.transaction((s) =>
      s.query<{ id: string }>(
        `SELECT p.id FROM admin.patients p WHERE p.practice_id = $1
            AND NOT EXISTS (SELECT 1 FROM admin.care_relationships c WHERE c.patient_id = p.id AND c.practitioner_id = $2)
            AND NOT EXISTS (SELECT 1 FROM admin.appointments a WHERE a.patient_id = p.id AND a.practitioner_id = $2)
            AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id)
          ORDER BY EXISTS (SELECT 1 FROM admin.appointments a WHERE a.patient_id = p.id) DESC, p.id LIMIT 4`,
        [practiceId, doctorId],
      ),
    )).rows.map((r) => r.id);
    return { care, strangers };
  }

  interface Scope {
    id: string;
    patients: string[];
    notes: string[];
    categories: Record<string, number>;
    care: { accesses: number; patients: string[] };
    disclosures: { patientId: string; categories: string[]; notes: string[] }[];
    art34: { required: boolean; reason: string };
    documents: Record<string, string>;
    byPractice: { practiceId: string; name: string | null; patients: number }[];
  }

  describe('incident response', () => {
    const groundTruth = new Set<string>();
    const thiefCare = new Set<string>();
    const honestCare = new Set<string>();
    const honestNotes = new Set<string>();
    let scope: Scope;
    let officerToken = '';
    let from = '';
    let doctor: ReturnType<typeof userOf>;

    it('scopes an abused account exactly: recall and precision 100 %, care accesses reported apart', async () => {
      doctor = userOf(t.seeded, 'practitioner', 1);
      from = new Date(t.now().getTime() - 1000).toISOString();
      const { care, strangers } = await careAndStrangers(doctor.practiceId!, doctor.fhirId!);
      expect(care.length).toBeGreaterThanOrEqual(2);
      expect(strangers.length).toBe(4);

      // The doctor's honest day: charts and notes of their own patients.
      const honest = await login(t, doctor, '10.0.0.1');
      for (const id of care) {
        expect((await get(honest.access_token, `/fhir/Patient/${id}`)).statusCode).toBe(200);
        honestCare.add(id);
        const notes = await get(honest.access_token, `/fhir/DocumentReference?patient=${id}`);
        expect(notes.statusCode).toBe(200);
        for (const e of notes.json().entry ?? []) honestNotes.add(e.resource.id);
      }

      // The thief, with the same credentials, from elsewhere: reads strangers one by one, their
      // appointments, then lists the directory until detection stops it.
      const thief = await login(t, doctor, '203.0.113.9');
      const served = async (url: string) => {
        const r = await get(thief.access_token, url, '203.0.113.9');
        if (r.statusCode !== 200) return false;
        const b = r.json();
        if (b.resourceType === 'Patient') groundTruth.add(b.id);
        if (b.resourceType === 'Bundle') {
          for (const e of b.entry ?? []) {
            if (e.resource.resourceType === 'Patient') groundTruth.add(e.resource.id);
            if (e.resource.resourceType === 'Appointment') groundTruth.add(String(e.resource.participant.find((p: { actor: { reference: string } }) => p.actor.reference.startsWith('Patient/')).actor.reference).slice(8));
          }
        }
        return true;
      };
      for (const id of strangers.slice(0, 3)) expect(await served(`/fhir/Patient/${id}`)).toBe(true);
      // Ids of the other practice answer 404 and disclose nothing (the id-enumeration shape).
      const elsewhere = (await t.store.driver.transaction((s) =>
        s.query<{ id: string }>('SELECT id FROM admin.patients WHERE practice_id <> $1 LIMIT 2', [doctor.practiceId]),
      )).rows.map((r) => r.id);
      for (const id of elsewhere) expect((await get(thief.access_token, `/fhir/Patient/${id}`, '203.0.113.9')).statusCode).toBe(404);
      // A specific search (a name of 3+ letters): the identities it finds are disclosed too.
      const family = (await get(thief.access_token, `/fhir/Patient/${strangers[1]}`, '203.0.113.9')).json().name[0].family as string;
      expect(await served(`/fhir/Patient?family=${encodeURIComponent(family.slice(0, 4))}&_count=5`)).toBe(true);
      // The thief also opens one of the doctor's own patients: a care relationship explains it, so
      // an account-wide scope reports it with the doctor's care; a scope of the thief's session that
      // counts care (the session is known to be the thief's) includes it.
      const own = await get(thief.access_token, `/fhir/Patient/${care[0]}`, '203.0.113.9');
      expect(own.statusCode).toBe(200);
      thiefCare.add(care[0]!);
      // An appointment search names patients by reference only; a stranger's (none here) would count as appointments disclosed.
      expect(await served(`/fhir/Appointment?patient=${strangers[3]}`)).toBe(true);
      // A stranger's notes are refused (no care relationship): refused attempts disclose nothing.
      expect((await get(thief.access_token, `/fhir/DocumentReference?patient=${strangers[0]}`, '203.0.113.9')).statusCode).toBe(403);
      let pages = 0;
      let url: string | null = '/fhir/Patient?_count=20';
      while (pages < 20 && url) {
        const r = await get(thief.access_token, url, '203.0.113.9');
        if (r.statusCode !== 200) break;
        pages++;
        const b = r.json() as { entry?: { resource: { id: string; resourceType: string } }[]; link: { relation: string; url: string }[] };
        // A page the ledger cut ends with an OperationOutcome entry (search mode "outcome"): not a patient.
        for (const e of b.entry ?? []) if (e.resource.resourceType === 'Patient') groundTruth.add(e.resource.id);
        const next = b.link.find((l) => l.relation === 'next');
        url = next ? new URL(next.url).pathname + new URL(next.url).search : null;
      }
      expect(pages).toBeGreaterThanOrEqual(1);
      expect(pages).toBeLessThan(20); // contained
      await t.services.detection.settle();
      t.advance(1000);

      const officer = await login(t, userOf(t.seeded, 'security-officer'), '10.0.0.50');
      officerToken = officer.access_token;
      const to = new Date(t.now().getTime() + 1000).toISOString();
      const r = await t.app.inject({ method: 'POST', url: '/security/incidents', headers: bearer(officerToken), payload: { accounts: [doctor.username], from, to } });
      expect(r.statusCode).toBe(201);
      scope = r.json();
      const found = new Set(scope.patients);
      const missed = [...groundTruth].filter((p) => !found.has(p));
      const extra = [...found].filter((p) => !groundTruth.has(p));
      expect(missed).toEqual([]); // recall 100 %
      expect(extra).toEqual([]); // precision 100 %
      // The doctor's own care accesses are reported apart, and their notes are not disclosed.
      for (const id of honestCare) if (!groundTruth.has(id)) expect(scope.care.patients).toContain(id);
      expect(scope.care.accesses).toBeGreaterThanOrEqual(honestCare.size);
      expect(scope.notes.filter((n) => honestNotes.has(n))).toEqual([]);
      // Categories: the strangers read in full (identity, contacts, NIR: what a Patient resource holds).
      const byId = new Map(scope.disclosures.map((d) => [d.patientId, d]));
      expect(byId.get(strangers[0]!)?.categories).toEqual(['identity', 'contacts', 'nir']);
      expect(scope.categories.identity).toBe(scope.patients.filter((p) => byId.get(p)!.categories.includes('identity')).length);
      expect(scope.art34.required).toBe(true);
      expect(scope.byPractice).toEqual([expect.objectContaining({ practiceId: doctor.practiceId, name: t.seeded.practices.find((p) => p.id === doctor.practiceId)!.name, patients: groundTruth.size })]);

      // The same incident named by the thief's source address, or by its session: those are the
      // attacker's, so everything they were served counts, care or not — exactly their responses
      // (regression: by default the doctor's own patient the thief opened was listed under care,
      // and went unnotified).
      const everythingServed = new Set([...groundTruth, ...thiefCare]);
      const byAddress = await t.app.inject({ method: 'POST', url: '/security/incidents', headers: bearer(officerToken), payload: { addresses: ['203.0.113.9'], from, to } });
      expect(byAddress.statusCode).toBe(201);
      expect([...byAddress.json().patients].sort()).toEqual([...everythingServed].sort());
      const sid = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).sid as string;
      const counted = (await t.app.inject({ method: 'POST', url: '/security/incidents', headers: bearer(officerToken), payload: { sessions: [sid(thief.access_token)], from, to } })).json();
      expect([...counted.patients].sort()).toEqual([...everythingServed].sort());
      expect(counted.disclosures.find((d: { patientId: string }) => d.patientId === care[0])).toMatchObject({ underCare: true });
      // The account and the thief's address together: the address's accesses count care and all,
      // the account's other accesses (the doctor's honest session) keep care apart.
      const both = (await t.app.inject({ method: 'POST', url: '/security/incidents', headers: bearer(officerToken), payload: { accounts: [doctor.username], addresses: ['203.0.113.9'], from, to } })).json();
      expect([...both.patients].sort()).toEqual([...everythingServed].sort());
      expect(both.notes.filter((n: string) => honestNotes.has(n))).toEqual([]);
      // Asked to list care apart, the session scope finds what no care relationship explains.
      const bySession = await t.app.inject({ method: 'POST', url: '/security/incidents', headers: bearer(officerToken), payload: { sessions: [sid(thief.access_token)], from, to, countCare: false } });
      expect([...bySession.json().patients].sort()).toEqual([...groundTruth].sort());
      // (Unless a listing page the thief was served also named it: a listing is in record order.)
      expect(bySession.json().care.patients).toEqual(expect.arrayContaining([...thiefCare].filter((id) => !groundTruth.has(id))));
      // The doctor's honest session, care listed apart, discloses nothing (all care).
      const honestOnly = (await t.app.inject({ method: 'POST', url: '/security/incidents', headers: bearer(officerToken), payload: { sessions: [sid(honest.access_token)], from, to, countCare: false } })).json();
      expect(honestOnly.patients).toEqual([]);
      expect(honestOnly.care.patients.length).toBe(honestCare.size);
    });

    it('draws up the Art. 33 notification in JSON and as a PDF that renders and holds the required items', async () => {
      const j = await t.app.inject({ method: 'GET', url: `${scope.documents.art33}`, headers: bearer(officerToken) });
      expect(j.statusCode).toBe(200);
      const a33 = j.json();
      expect(a33).toMatchObject({ document: 'gdpr-art33-notification', lang: 'fr', dpo: { email: 'dpo@medvault.test' }, persons: { approximateNumber: scope.patients.length } });
      expect(a33.likelyConsequences.length).toBeGreaterThan(0);
      expect(a33.measuresTaken.length).toBeGreaterThan(0);
      const pdf = await t.app.inject({ method: 'GET', url: `${scope.documents.art33}?format=pdf`, headers: bearer(officerToken) });
      expect(pdf.statusCode).toBe(200);
      expect(pdf.headers['content-type']).toBe('application/pdf');
      const { pages, text } = renderPdf(pdf.rawPayload);
      expect(pages).toBeGreaterThanOrEqual(1);
      for (const needed of ['article 33', 'Nature de la violation', `${scope.patients.length} patients`, 'Conséquences probables', 'Mesures prises', 'dpo@medvault.test', 'article 34']) {
        expect(text.replace(/\s+/g, ' ')).toContain(needed);
      }
      const en = await t.app.inject({ method: 'GET', url: `${scope.documents.art33}?format=pdf&lang=en`, headers: bearer(officerToken) });
      expect(renderPdf(en.rawPayload).text).toContain('Likely consequences');
    });

    it('refuses documents naming patients until a second security officer approves them (never the one who scoped)', async () => {
      for (const url of [`${scope.documents.art34}?format=json`, `${scope.documents.art34}?format=csv`, scope.documents.art34!, scope.documents.practitioners!]) {
        expect((await t.app.inject({ method: 'GET', url, headers: bearer(officerToken) })).statusCode, url).toBe(422);
      }
      expect((await t.app.inject({ method: 'POST', url: `/security/incidents/${scope.id}/notify-patients`, headers: bearer(officerToken), payload: {} })).statusCode).toBe(422);
      expect((await t.app.inject({ method: 'POST', url: `/security/incidents/${scope.id}/approve-notices`, headers: bearer(officerToken) })).statusCode).toBe(422);
      const officers = t.seeded.users.filter((u) => u.role === 'security-officer');
      expect(officers.length).toBeGreaterThanOrEqual(2);
      const second = await login(t, officers[1]!, '10.0.0.51');
      const ok = await t.app.inject({ method: 'POST', url: `/security/incidents/${scope.id}/approve-notices`, headers: bearer(second.access_token) });
      expect(ok.statusCode).toBe(201);
      expect(ok.json().event).toBe('notices-approved');
    });

    it('writes each patient their own notice: PDF letters, a mail-merge list, and e-mails through SMTP', async () => {
      const j = await t.app.inject({ method: 'GET', url: `${scope.documents.art34}?format=json`, headers: bearer(officerToken) });
      expect(j.statusCode).toBe(200);
      const notices = j.json().notices as { patientId: string; text: string }[];
      expect(notices.map((n) => n.patientId).sort()).toEqual([...scope.patients].sort());
      const names = new Map<string, string>();
      for (const n of notices) names.set(n.patientId, n.text.split('\n')[0]!);
      for (const n of notices) {
        for (const [other, name] of names) if (other !== n.patientId && name !== names.get(n.patientId)) expect(n.text).not.toContain(name);
      }
      const pdf = await t.app.inject({ method: 'GET', url: scope.documents.art34!, headers: bearer(officerToken) });
      expect(pdf.statusCode).toBe(200);
      const { pages, text } = renderPdf(pdf.rawPayload);
      expect(pages).toBeGreaterThanOrEqual(notices.length);
      expect(text).toContain('article 34');
      expect(text).toContain('dpo@medvault.test');
      const csv = await t.app.inject({ method: 'GET', url: `${scope.documents.art34}?format=csv`, headers: bearer(officerToken) });
      expect(csv.statusCode).toBe(200);
      expect(csv.body.trim().split('\n')).toHaveLength(notices.length + 1);
      // No sensitivity label is printed on a letter or in the list (it travels by post).
      expect(csv.body).not.toMatch(/\b(HIV|VIH|PSY)\b/);
      // Watermarked: every row names the export, which the audit event ties to the officer and the patients.
      const mark = /export ([0-9a-f]{8}) · security-officer/.exec(csv.body);
      expect(mark).not.toBeNull();
      const exported = await t.store.driver.transaction((q) => q.query<{ detail: { export: string; patients: string[] } }>("SELECT detail FROM audit.events WHERE action = 'incident.document' AND detail->>'export' = $1", [mark![1]]));
      expect(exported.rows[0]!.detail.patients.sort()).toEqual([...scope.patients].sort());

      const sent = await t.app.inject({ method: 'POST', url: `/security/incidents/${scope.id}/notify-patients`, headers: bearer(officerToken), payload: {} });
      expect(sent.statusCode).toBe(200);
      const result = sent.json();
      expect(result.emailed + result.withoutEmail).toBe(notices.length);
      expect(result.failed).toBe(0);
      expect(mails.length).toBe(result.emailed);
      for (const m of mails) {
        const own = [...names.values()].filter((name) => decodeMail(m.body).includes(name));
        expect(own).toHaveLength(1); // its own patient, and no other
      }
      // Once only, unless asked again.
      const twice = await t.app.inject({ method: 'POST', url: `/security/incidents/${scope.id}/notify-patients`, headers: bearer(officerToken), payload: {} });
      expect(twice.statusCode).toBe(422);
      expect(mails.length).toBe(result.emailed);
    });

    it('notifies practitioners, and exports an incident record without personal data', async () => {
      const p = await t.app.inject({ method: 'GET', url: scope.documents.practitioners!, headers: bearer(officerToken) });
      expect(p.statusCode).toBe(200);
      expect(renderPdf(p.rawPayload).text).toContain('patients');
      const rec = await t.app.inject({ method: 'GET', url: scope.documents.record!, headers: bearer(officerToken) });
      expect(rec.statusCode).toBe(200);
      const body = rec.body;
      expect(rec.json()).toMatchObject({ schema: 'medvault-incident-record/1', personsAffected: scope.patients.length, pii: true, sector: 'healthcare/primary-care' });
      for (const id of [...scope.patients, doctor.username, doctor.fhirId!, doctor.practiceId!]) expect(body).not.toContain(id);
    });

    it('contains the accounts (lock, sessions, credentials), keeps the timeline, and lists the register', async () => {
      const c = await t.app.inject({ method: 'POST', url: `/security/incidents/${scope.id}/actions`, headers: bearer(officerToken), payload: { actions: ['lock', 'revoke-sessions', 'reset-credentials'] } });
      expect(c.statusCode).toBe(200);
      const back = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: doctor.username, password: doctor.password } });
      expect(back.statusCode).toBe(401); // the old password no longer works
      const n = await t.app.inject({ method: 'POST', url: `/security/incidents/${scope.id}/timeline`, headers: bearer(officerToken), payload: { event: 'cnil-notified', note: 'télédéclaration faite' } });
      expect(n.statusCode).toBe(201);
      const i = (await t.app.inject({ method: 'GET', url: `/security/incidents/${scope.id}`, headers: bearer(officerToken) })).json();
      expect(i.timeline.map((x: { event: string }) => x.event)).toEqual(expect.arrayContaining(['detected', 'scoped', 'patients-notified', 'contained', 'cnil-notified']));
      const list = (await t.app.inject({ method: 'GET', url: '/security/incidents', headers: bearer(officerToken) })).json();
      expect(list.incidents.find((x: { id: string }) => x.id === scope.id)).toMatchObject({ patients: scope.patients.length });
      expect(list.incidents.length).toBeGreaterThanOrEqual(4);
      const actions = (await t.store.driver.transaction((s) =>
        s.query<{ action: string }>("SELECT action FROM audit.events WHERE resource_id = $1 AND action LIKE 'account.%' ORDER BY seq", [doctor.fhirId]),
      )).rows.map((r) => r.action);
      expect(actions).toEqual(expect.arrayContaining(['account.lock', 'account.revoke-sessions', 'account.reset-credentials']));
    });

    it('says whether Art. 34 applies to a database copy: ciphertext only, or identities in clear', async () => {
      const post = (payload: object) => t.app.inject({ method: 'POST', url: '/security/incidents', headers: bearer(officerToken), payload });
      const notes = await post({ kind: 'database-copy', tables: ['clinical.notes'] });
      expect(notes.statusCode).toBe(201);
      expect(notes.json().art34.required).toBe(false);
      expect(notes.json().art34.reason).toContain('34(3)(a)');
      expect(notes.json().patients).toEqual([]);
      // Identities are sealed too — a copy of every table is unintelligible, and the
      // assessment says exactly what stays in clear.
      const all = (await post({ kind: 'database-copy', tables: ['admin.patients', 'admin.appointments', 'clinical.notes'] })).json();
      expect(all.art34.required).toBe(false);
      expect(all.art34.reason).toContain('34(3)(a)');
      expect(all.art34.reason).toMatch(/admin\.patients : identifiants techniques.*admin\.appointments : heures.*clinical\.notes : dates, auteurs et statut des notes/);
      expect(all.categories).toEqual({ identity: 0, contacts: 0, nir: 0, appointments: 0, notes: 0 });
      expect(all.patients).toEqual([]);
      // A row an older medvault wrote and `medvault keys seal` has not reached is clear: counted.
      const victim = (await t.store.driver.transaction((s) => s.query<{ id: string; identity_sealed: Buffer }>('SELECT id, identity_sealed FROM admin.patients WHERE practice_id = $1 LIMIT 1', [doctor.practiceId]))).rows[0]!;
      await t.store.driver.transaction((s) => s.query("UPDATE admin.patients SET identity_sealed = NULL, birth_family_name = 'Ancien', given_names = '{Clair}', sex = 'female', birth_date = '1950-05-05' WHERE id = $1", [victim.id]));
      try {
        const withIds = (await post({ kind: 'database-copy', tables: ['admin.patients', 'clinical.notes'] })).json();
        expect(withIds.art34.required).toBe(true);
        expect(withIds.categories.identity).toBe(1);
        expect(withIds.categories.notes).toBe(0); // the note text stayed sealed
        expect(withIds.categories.nir).toBe(0);
      } finally {
        await t.store.driver.transaction((s) => s.query('UPDATE admin.patients SET identity_sealed = $2, birth_family_name = NULL, given_names = NULL, sex = NULL, birth_date = NULL WHERE id = $1', [victim.id, victim.identity_sealed]));
      }
      // A portal account an older medvault gave the patient's name: the accounts table names that patient.
      const portal = (await t.store.driver.transaction((s) => s.query<{ id: string }>("SELECT id FROM admin.users WHERE role = 'patient' LIMIT 1"))).rows[0];
      expect(portal).toBeDefined();
      expect((await post({ kind: 'database-copy', tables: ['admin.users'] })).json().art34.required).toBe(false);
      await t.store.driver.transaction((s) => s.query("UPDATE admin.users SET family_name = 'Ancien', given_name = 'Clair' WHERE id = $1", [portal!.id]));
      try {
        const users = (await post({ kind: 'database-copy', tables: ['admin.users'] })).json();
        expect(users.art34.required).toBe(true);
        expect(users.categories.identity).toBe(1);
      } finally {
        await t.store.driver.transaction((s) => s.query("UPDATE admin.users SET family_name = '', given_name = '' WHERE id = $1", [portal!.id]));
      }
      // Break-the-glass reasons are free text a doctor typed: the assessment asks a person to read them.
      const before = (await t.store.driver.transaction((s) => s.query<{ n: number }>('SELECT count(*)::int AS n FROM admin.break_glass'))).rows[0]!.n;
      const shreds = (await t.store.driver.transaction((s) => s.query<{ n: number }>("SELECT count(*)::int AS n FROM audit.events WHERE action = 'patient.shred' AND coalesce(reason, '') <> ''"))).rows[0]!.n;
      const grant = (await t.store.driver.transaction((s) => s.query<{ id: string }>(
        `INSERT INTO admin.break_glass (id, practice_id, user_id, patient_id, session_id, reason, granted_at, expires_at)
         VALUES (gen_random_uuid(), $1, $2, $3, gen_random_uuid(), 'urgence : patient inconscient aux urgences', now(), now() + interval '1 hour') RETURNING id`,
        [doctor.practiceId, doctor.fhirId, victim.id]))).rows[0]!.id;
      try {
        const audit = (await post({ kind: 'database-copy', tables: ['admin.patients', 'audit.events'] })).json();
        expect(audit.art34.required).toBe(false);
        expect(audit.art34.reason).toContain('audit.events : journal d’accès');
        expect(audit.art34.reason).toContain(`À vérifier : ${before + 1 + shreds} motifs saisis librement`);
        // The audit log's rows are counted (a copy of it alone is a copy of every event).
        const events = (await t.store.driver.transaction((s) => s.query<{ n: number }>('SELECT count(*)::int AS n FROM audit.events WHERE practice_id IS NOT NULL'))).rows[0]!.n;
        const auditOnly = (await post({ kind: 'database-copy', tables: ['audit.events'] })).json();
        expect(auditOnly.tables[0].rows).toBeGreaterThanOrEqual(events);
        expect(events).toBeGreaterThan(0);
        expect(auditOnly.art34.required).toBe(false);
        // With the keys, the copied audit log alone still names no one: nothing in it was sealed.
        expect((await post({ kind: 'database-copy', tables: ['audit.events'], keysCompromised: true })).json().art34.required).toBe(false);
        const withKeys = (await post({ kind: 'database-copy', tables: ['admin.patients', 'admin.break_glass'], keysCompromised: true })).json();
        expect(withKeys.art34.required).toBe(true);
        expect(withKeys.art34.reason).toContain('À vérifier');
        expect((await post({ kind: 'database-copy', tables: ['admin.patients'] })).json().art34.reason).not.toContain('À vérifier');
      } finally {
        await t.store.driver.transaction((s) => s.query('DELETE FROM admin.break_glass WHERE id = $1', [grant]));
      }
      const keys = (await post({ kind: 'database-copy', tables: ['clinical.notes'], keysCompromised: true })).json();
      expect(keys.art34.required).toBe(true);
      expect(keys.categories.notes).toBeGreaterThan(0);
      // The clinical resources' table: its rows counted, ciphertext without the keys, categories with them.
      const patient = (await t.store.driver.transaction((s) => s.query<{ id: string }>('SELECT id FROM admin.patients WHERE practice_id = $1 AND shredded_at IS NULL LIMIT 1', [doctor.practiceId]))).rows[0]!;
      await writeClinical(t.services.db, t.services.vault, doctor.practiceId!, [
        { type: 'Condition', practiceId: doctor.practiceId!, patientId: patient.id, authorId: doctor.fhirId!, at: new Date() },
      ]);
      const resources = (await post({ kind: 'database-copy', tables: ['clinical.resources'] })).json();
      expect(resources.art34.required).toBe(false);
      expect(resources.art34.reason).toContain('clinical.resources : type de chaque ressource clinique');
      const byTable = resources.tables.find((x: { table: string }) => x.table === 'clinical.resources');
      expect(byTable.rows).toBeGreaterThan(0);
      expect(byTable.sealed).toEqual(expect.arrayContaining(['problems', 'treatments', 'results']));
      expect(resources.categories.problems ?? 0).toBe(0);
      const withKeys = (await post({ kind: 'database-copy', tables: ['clinical.resources'], keysCompromised: true })).json();
      expect(withKeys.art34.required).toBe(true);
      expect(withKeys.categories.problems).toBeGreaterThan(0);
    });

    it('answers bad requests with OperationOutcomes and refuses other roles', async () => {
      const post = (payload: unknown, token = officerToken) => t.app.inject({ method: 'POST', url: '/security/incidents', headers: bearer(token), payload: payload as object });
      const cases: [unknown, number][] = [
        [{ accounts: [doctor.username] }, 400],
        [{ accounts: [doctor.username], from: 'yesterday', to: new Date().toISOString() }, 400],
        [{ accounts: [doctor.username], from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 400],
        [{ accounts: ['nobody-at-all'], from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }, 422],
        [{ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }, 400],
        [{ kind: 'database-copy', tables: ['keys.patient_keys'] }, 400],
        [{ accounts: [doctor.username], from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', practice: 'x' }, 400],
      ];
      for (const [payload, status] of cases) {
        const r = await post(payload);
        expect(r.statusCode, JSON.stringify(payload)).toBe(status);
        expect(r.json().resourceType).toBe('OperationOutcome');
      }
      const assistant = await login(t, userOf(t.seeded, 'assistant', 0), '10.0.0.60');
      expect((await post({ accounts: [doctor.username], from, to: new Date().toISOString() }, assistant.access_token)).statusCode).toBe(403);
      expect((await t.app.inject({ method: 'GET', url: `/security/incidents/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`, headers: bearer(officerToken) })).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'GET', url: `/security/incidents/${scope.id}/documents/art99`, headers: bearer(officerToken) })).statusCode).toBe(400);
    });
  });

  /** pdftoppm turns the PDF into PNG pages; pdftotext gives its text (poppler-utils, installed by .ci/run). */
  function renderPdf(pdf: Buffer): { pages: number; text: string } {
    const dir = mkdtempSync(join(tmpdir(), 'medvault-pdf-'));
    try {
      writeFileSync(join(dir, 'doc.pdf'), pdf);
      execFileSync('pdftoppm', ['-png', '-r', '50', join(dir, 'doc.pdf'), join(dir, 'page')]);
      const pages = readdirSync(dir).filter((f) => f.endsWith('.png')).length;
      const text = execFileSync('pdftotext', ['-layout', join(dir, 'doc.pdf'), '-'], { encoding: 'utf8' });
      return { pages, text };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /** The body of a plain-text e-mail as nodemailer encodes it (quoted-printable, soft line breaks). */
  function decodeMail(raw: string): string {
    const body = raw.split(/\r?\n\r?\n/).slice(1).join('\n\n');
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
});
