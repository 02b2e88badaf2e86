import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditChainer } from '../src/audit/index.js';
import { bearer, login, secondOfficer, startTestApp, userOf, type TestApp } from './helpers/app.js';
import { BACKENDS } from './helpers/backends.js';

describe.each(BACKENDS)('the security console ($name)', (backend) => {
  /** The security console's API: overview, an account's risk, lock, the audit log's status. */
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ patients: 60, backend });
  }, 60_000);
  afterAll(async () => t?.close());

  const get = (token: string, url: string) => t.app.inject({ method: 'GET', url, headers: bearer(token) });
  const post = (token: string, url: string) => t.app.inject({ method: 'POST', url, headers: bearer(token), payload: {} });

  describe('the security console API', () => {
    it('gives officers counts of accesses and alerts, and an account’s hourly activity — and nobody else', async () => {
      const doc = userOf(t.seeded, 'practitioner');
      const d = await login(t, doc);
      for (let i = 0; i < 3; i++) expect((await get(d.access_token, '/fhir/Patient?_count=2')).statusCode).toBe(200);
      const officer = await login(t, userOf(t.seeded, 'security-officer'));
      const o = await get(officer.access_token, '/security/overview');
      expect(o.statusCode).toBe(200);
      const total = (o.json().hours as { accesses: number }[]).reduce((n, h) => n + h.accesses, 0);
      expect(total).toBeGreaterThanOrEqual(3);
      const r = await get(officer.access_token, `/security/accounts/${doc.fhirId}/risk`);
      expect(r.statusCode).toBe(200);
      expect(r.json()).toMatchObject({ username: doc.username, role: 'practitioner', status: 'active', state: 'allow' });
      expect((r.json().hours as { accesses: number }[]).reduce((n, h) => n + h.accesses, 0)).toBeGreaterThanOrEqual(3);
      // Counts only: the one identifier in either answer is the account's own.
      const ids = (JSON.stringify(o.json()) + JSON.stringify(r.json())).match(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g) ?? [];
      expect(new Set(ids)).toEqual(new Set([doc.fhirId]));
      for (const url of ['/security/overview', `/security/accounts/${doc.fhirId}/risk`, '/security/audit']) {
        expect((await get(d.access_token, url)).statusCode, url).toBe(403);
      }
      expect((await get(officer.access_token, `/security/accounts/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/risk`)).statusCode).toBe(404);
    });

    it('audits the officer\'s reading of the alerts, with the patient ids their evidence names (regression: no audit row)', async () => {
      const officer = await login(t, userOf(t.seeded, 'security-officer'));
      const before = await t.store.driver.transaction((q) => q.query("SELECT count(*)::int AS n FROM audit.events WHERE resource_type = 'Alert'"));
      const r = await get(officer.access_token, '/security/alerts');
      expect(r.statusCode).toBe(200);
      const after = await t.store.driver.transaction((q) => q.query<{ n: number; user_id: string; detail: { alerts: number; returned: string[] } }>(
        "SELECT (SELECT count(*)::int FROM audit.events WHERE resource_type = 'Alert') AS n, user_id, detail FROM audit.events WHERE resource_type = 'Alert' ORDER BY seq DESC LIMIT 1",
      ));
      expect(after.rows[0]!.n).toBe((before.rows[0] as { n: number }).n + 1);
      expect(after.rows[0]!.detail.alerts).toBe((r.json().alerts as unknown[]).length);
      const named = new Set((r.json().alerts as { evidence: { examples?: string[] }[] }[]).flatMap((a) => a.evidence.flatMap((e) => e.examples ?? [])));
      expect(new Set(after.rows[0]!.detail.returned)).toEqual(named);
    });

    it('lets an officer lock an account by hand (sessions end at once), audited, and unlock it', async () => {
      const doc = userOf(t.seeded, 'practitioner', 1);
      const d = await login(t, doc);
      const officer = await login(t, userOf(t.seeded, 'security-officer'));
      expect((await post(officer.access_token, `/security/accounts/${doc.fhirId}/lock`)).statusCode).toBe(204);
      expect((await get(d.access_token, '/fhir/Patient?_count=1')).statusCode).toBeGreaterThanOrEqual(401);
      const relog = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: doc.username, password: doc.password } });
      expect(relog.statusCode).toBe(403);
      const events = (await t.store.driver.transaction((s) => s.query<{ action: string }>("SELECT action FROM audit.events WHERE resource_id = $1 AND action LIKE 'account.%' ORDER BY seq", [doc.fhirId]))).rows;
      expect(events.map((e) => e.action)).toContain('account.lock');
      // Four eyes: the first officer asks, a second one lifts; nobody lifts their own.
      const ask = await post(officer.access_token, `/security/accounts/${doc.fhirId}/unlock`);
      expect(ask.statusCode).toBe(202);
      expect(ask.json()).toMatchObject({ status: 'pending', message: expect.stringMatching(/second responsable/) });
      expect((await post(officer.access_token, `/security/accounts/${doc.fhirId}/unlock`)).statusCode).toBe(202);
      expect((await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: doc.username, password: doc.password } })).statusCode).toBe(403);
      const second = await login(t, secondOfficer(t.seeded));
      expect((await post(second.access_token, `/security/accounts/${doc.fhirId}/unlock`)).statusCode).toBe(204);
      expect((await login(t, doc)).access_token).toBeTruthy();
      const trail = (await t.store.driver.transaction((s) => s.query<{ action: string }>("SELECT action FROM audit.events WHERE resource_id = $1 AND action LIKE 'account.unlock%' ORDER BY seq", [doc.fhirId]))).rows;
      expect(trail.map((e) => e.action)).toEqual(['account.unlock-request', 'account.unlock-request', 'account.unlock']);
      // An officer does not lock themselves out.
      expect((await post(officer.access_token, `/security/accounts/${userOf(t.seeded, 'security-officer').fhirId ?? 'x'}/lock`)).statusCode).toBeGreaterThanOrEqual(400);
    });

    it('lists the approvals a second officer owes; the officer who asked is refused, told why in French', async () => {
      type J = Record<string, unknown>;
      const doc = userOf(t.seeded, 'practitioner');
      const d = await login(t, doc);
      expect((await get(d.access_token, '/fhir/Patient?_count=5')).statusCode).toBe(200);
      const target = t.seeded.users.filter((u) => u.role === 'practitioner' && u.fhirId).at(-1)!;
      expect(target.username).not.toBe(doc.username);
      const officer = (await login(t, userOf(t.seeded, 'security-officer'))).access_token;
      const me = (await get(officer, '/me')).json().userId as string;
      const second = (await login(t, secondOfficer(t.seeded))).access_token;
      const waiting = async (token: string) => ((await get(token, '/security/unlock-requests')).json().requests as J[])
        .find((r) => r.userId === target.fhirId);

      // An unlock asked twice by the same officer lifts nothing, and says why; the list names who asked.
      const unlock = `/security/accounts/${target.fhirId}/unlock`;
      expect((await post(officer, `/security/accounts/${target.fhirId}/lock`)).statusCode).toBe(204);
      expect(await waiting(officer)).toBeUndefined();
      expect((await post(officer, unlock)).statusCode).toBe(202);
      const again = await post(officer, unlock);
      expect(again.statusCode).toBe(202);
      expect(again.json()).toMatchObject({ status: 'pending', again: true });
      expect(again.json().message)
        .toMatch(/^Vous avez déjà demandé ce déverrouillage : un second responsable sécurité, autre que vous/);
      expect(await waiting(officer)).toMatchObject({
        username: target.username, status: 'locked', contained: true, mine: true, unlockRequestedBy: [me],
      });
      expect(await waiting(second)).toMatchObject({ mine: false });
      expect((await get(d.access_token, '/security/unlock-requests')).statusCode).toBe(403);
      expect((await post(second, unlock)).statusCode).toBe(204);
      expect(await waiting(second)).toBeUndefined();
      expect((await get(second, `/security/accounts/${target.fhirId}/risk`)).json())
        .toMatchObject({ status: 'active', contained: false, unlockRequestedBy: [] });

      // Notices naming patients: the scoping officer's approval is refused with the reason, in French.
      const day = 86_400_000;
      const scope = await t.app.inject({
        method: 'POST', url: '/security/incidents', headers: bearer(officer),
        payload: {
          accounts: [doc.username], countCare: true,
          from: new Date(t.now().getTime() - day).toISOString(), to: t.now().toISOString(),
        },
      });
      expect(scope.statusCode).toBe(201);
      const id = scope.json().id as string;
      expect((scope.json().patients as string[]).length).toBeGreaterThan(0);
      const listed = async () => ((await get(officer, '/security/incidents')).json().incidents as J[])
        .find((i) => i.id === id);
      expect(await listed()).toMatchObject({ awaitingApproval: true, createdBy: me });
      const own = await post(officer, `/security/incidents/${id}/approve-notices`);
      expect(own.statusCode).toBe(422);
      expect(own.json().issue[0].diagnostics)
        .toMatch(/^Un second responsable sécurité doit approuver : vous avez établi le périmètre de cet incident/);
      // A refused export says what to do in the console's words, never which API to call.
      const letters = await get(officer, `/security/incidents/${id}/documents/art34?format=csv`);
      expect(letters.statusCode).toBe(422);
      expect(letters.json().issue[0].diagnostics).not.toMatch(/POST|\/security\//);
      expect((await post(second, `/security/incidents/${id}/approve-notices`)).statusCode).toBe(201);
      expect(await listed()).toMatchObject({ awaitingApproval: false, createdBy: null });
      expect((await get(officer, `/security/incidents/${id}/documents/art34?format=csv`)).statusCode).toBe(200);
    });

    it('lists the accounts waiting for a second person; an officer approves one, not one she created', async () => {
      const admin = await login(t, userOf(t.seeded, 'practice-admin'));
      const made = await t.app.inject({
        method: 'POST', url: '/admin/accounts', headers: bearer(admin.access_token),
        payload: { username: 'dr.nouvelle', role: 'practitioner', familyName: 'Nouvelle', givenName: 'Léa', rpps: '10000000033' },
      });
      expect(made.statusCode).toBe(201);
      const id = made.json().id as string;
      const officer = await login(t, userOf(t.seeded, 'security-officer'));
      const listed = await get(officer.access_token, '/security/pending-accounts');
      expect(listed.statusCode).toBe(200);
      const mine = (listed.json().accounts as { id: string; username: string; mine: boolean; enrolled: boolean }[])
        .find((a) => a.id === id);
      expect(mine).toMatchObject({ username: 'dr.nouvelle', role: 'practitioner', mine: false, enrolled: false });
      expect(typeof (mine as unknown as { practice: unknown }).practice).toBe('string');
      // Nobody else sees the list; an admin approves in her own screens.
      const doc = await login(t, userOf(t.seeded, 'practitioner'));
      expect((await get(doc.access_token, '/security/pending-accounts')).statusCode).toBe(403);
      expect((await get(admin.access_token, '/security/pending-accounts')).statusCode).toBe(403);
      expect((await post(officer.access_token, `/security/accounts/${id}/approve`)).statusCode).toBe(200);
      const after = (await get(officer.access_token, '/security/pending-accounts')).json().accounts as { id: string }[];
      expect(after.map((a) => a.id)).not.toContain(id);
    });

    it('verifies the audit log on request and names a tampered event', async () => {
      const officer = await login(t, userOf(t.seeded, 'security-officer'));
      await new AuditChainer(t.store.db, 0).run();
      const ok = await post(officer.access_token, '/security/audit/verify');
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toMatchObject({ ok: true, problem: null });
      expect(ok.json().events).toBeGreaterThan(10);
      const status = (await get(officer.access_token, '/security/audit')).json();
      expect(status.lastVerification).toMatchObject({ ok: true });
      const seq = await t.store.driver.transaction(async (s) => {
        await s.query('ALTER TABLE audit.events DISABLE TRIGGER USER');
        const r = await s.query<{ seq: number }>('SELECT seq FROM audit.events ORDER BY seq LIMIT 1 OFFSET 3');
        await s.query("UPDATE audit.events SET reason = 'rewritten' WHERE seq = $1", [r.rows[0]!.seq]);
        await s.query('ALTER TABLE audit.events ENABLE TRIGGER USER');
        return r.rows[0]!.seq;
      });
      const bad = await post(officer.access_token, '/security/audit/verify');
      expect(bad.json()).toMatchObject({ ok: false });
      expect(bad.json().problem).toContain(`event #${seq}`);
    });
  });
});
