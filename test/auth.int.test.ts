import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AuthRepository } from '../src/store/auth.js';
import { bearer, login, METRICS_TOKEN, startTestApp, totp, userOf, type TestApp } from './helpers/app.js';
import { BACKENDS } from './helpers/backends.js';

describe.each(BACKENDS)('authentication over HTTP ($name)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ backend });
  });
  afterAll(async () => t?.close());

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}, ip = '127.0.0.9') =>
    t.app.inject({ method: 'POST', url, payload: payload as object, headers, remoteAddress: ip });

  async function countRows(table: string): Promise<number> {
    const r = await t.store.driver.transaction((sql) => sql.query<{ n: number }>(`SELECT count(*)::int n FROM ${table}`));
    return r.rows[0]!.n;
  }

  describe('login', () => {
    it('asks a practitioner for a second factor, then issues short-lived tokens bound to a session', async () => {
      const doc = userOf(t.seeded, 'practitioner');
      const r = await post('/auth/login', { username: doc.username, password: doc.password });
      expect(r.statusCode).toBe(200);
      const { mfa_required, mfa_token } = r.json();
      expect(mfa_required).toBe(true);
      expect(r.json().access_token).toBeUndefined();
      const wrong = await post('/auth/mfa', { mfa_token, code: '000000' });
      expect(wrong.statusCode).toBe(401);
      t.advance(31_000);
      const m = await post('/auth/mfa', { mfa_token, code: await totp(doc.totpSecret!, t.now()) });
      expect(m.statusCode).toBe(200);
      const tokens = m.json();
      expect(tokens).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
      expect(tokens.expires_in).toBeLessThanOrEqual(900);
      const me = await t.app.inject({ method: 'GET', url: '/me', headers: bearer(tokens.access_token) });
      expect(me.json()).toMatchObject({ role: 'practitioner', amr: ['pwd', 'otp', 'mfa'], acr: 'aal2' });
      // The same TOTP code cannot be used twice (replay): refused with its own answer, not as a wrong code.
      const again = await post('/auth/login', { username: doc.username, password: doc.password });
      const replay = await post('/auth/mfa', { mfa_token: again.json().mfa_token, code: await totp(doc.totpSecret!, t.now()) });
      expect(replay.statusCode).toBe(400);
      expect(replay.json().issue[0].diagnostics).toBe('code déjà utilisé — attendez le suivant');
    });

    it('logs an assistant in with a password alone and refuses an expired token', async () => {
      const tokens = await login(t, userOf(t.seeded, 'assistant'));
      expect((await t.app.inject({ method: 'GET', url: '/me', headers: bearer(tokens.access_token) })).statusCode).toBe(200);
      t.advance(901_000);
      const late = await t.app.inject({ method: 'GET', url: '/me', headers: bearer(tokens.access_token) });
      expect(late.statusCode).toBe(401);
      expect(late.headers['www-authenticate']).toMatch(/invalid_token/);
    });

    it('answers a wrong password and an unknown user with the same status and body', async () => {
      const doc = userOf(t.seeded, 'practitioner', 1);
      const a = await post('/auth/login', { username: doc.username, password: 'wrong-password' }, {}, '10.1.0.1');
      const b = await post('/auth/login', { username: 'nobody.here', password: 'wrong-password' }, {}, '10.1.0.2');
      expect(a.statusCode).toBe(401);
      expect(b.statusCode).toBe(401);
      expect(a.body).toBe(b.body);
      expect(a.json()).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'login' }] });
    });

    it('takes the same time for an unknown user and a wrong password (medians within 10 % over 200 attempts each)', async () => {
      const lenient = await startTestApp({ throttle: { freeAccountFailures: 10_000, freeAddressFailures: 10_000 }, patients: 5 });
      try {
        const known = lenient.seeded.users.filter((u) => u.role !== 'security-officer').map((u) => u.username);
        const timings = { unknown: [] as number[], wrong: [] as number[] };
        const attempt = async (kind: 'unknown' | 'wrong', i: number) => {
          const username = kind === 'wrong' ? known[i % known.length]! : `absent.user${i}`;
          const t0 = performance.now();
          const r = await lenient.app.inject({ method: 'POST', url: '/auth/login', payload: { username, password: `nope-${i}` }, remoteAddress: '10.2.0.1' });
          timings[kind].push(performance.now() - t0);
          expect(r.statusCode).toBe(401);
        };
        for (let i = 0; i < 10; i++) await attempt('wrong', i); // warm-up, not counted
        timings.wrong.length = 0;
        for (let i = 0; i < 200; i++) {
          await attempt(i % 2 === 0 ? 'unknown' : 'wrong', i);
          await attempt(i % 2 === 0 ? 'wrong' : 'unknown', i);
        }
        // Medians: a garbage-collection pause or a busy neighbour on a shared machine moves a mean, not the typical attempt.
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
        const [u, w] = [median(timings.unknown), median(timings.wrong)];
        expect(Math.abs(u - w) / Math.max(u, w), `unknown ${u.toFixed(2)} ms, wrong ${w.toFixed(2)} ms`).toBeLessThan(0.1);
      } finally {
        await lenient.close();
      }
    });

    it('throttles failures per account and per address, with Retry-After, without telling accounts apart', async () => {
      const doc = userOf(t.seeded, 'assistant', 1);
      const statuses: number[] = [];
      for (let i = 0; i < 7; i++) statuses.push((await post('/auth/login', { username: doc.username, password: `bad-${i}` }, {}, `10.3.0.${i}`)).statusCode);
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      const limited = await post('/auth/login', { username: doc.username, password: doc.password }, {}, '10.3.1.1');
      expect(limited.statusCode).toBe(429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
      // An unknown account is throttled the same way (no enumeration through the limiter).
      for (let i = 0; i < 6; i++) await post('/auth/login', { username: 'ghost.account', password: `bad-${i}` }, {}, `10.4.0.${i}`);
      expect((await post('/auth/login', { username: 'ghost.account', password: 'x' }, {}, '10.4.1.1')).statusCode).toBe(429);
      // One address failing against many accounts is slowed down too.
      for (let i = 0; i < 31; i++) await post('/auth/login', { username: `sprayed${i}`, password: 'Spring2026!' }, {}, '10.5.5.5');
      expect((await post('/auth/login', { username: 'sprayed99', password: 'Spring2026!' }, {}, '10.5.5.5')).statusCode).toBe(429);
      // After the wait, the real password works again.
      t.advance(16 * 60_000);
      expect((await post('/auth/login', { username: doc.username, password: doc.password }, {}, '10.3.1.1')).statusCode).toBe(200);
    });
  });

  describe('sessions', () => {
    it('refuses a revoked session on the very next request', async () => {
      const tokens = await login(t, userOf(t.seeded, 'practitioner'));
      const me = () => t.app.inject({ method: 'GET', url: '/me', headers: bearer(tokens.access_token) });
      expect((await me()).statusCode).toBe(200);
      expect((await post('/auth/logout', {}, bearer(tokens.access_token))).statusCode).toBe(204);
      const after = await me();
      expect(after.statusCode).toBe(401);
      expect(after.json().issue[0].diagnostics).toMatch(/session a pris fin/);
      expect((await post('/auth/refresh', { refresh_token: tokens.refresh_token })).statusCode).toBe(401);
    });

    it('rotates refresh tokens and revokes the session when an old one is replayed', async () => {
      const first = await login(t, userOf(t.seeded, 'practitioner', 1));
      const r1 = await post('/auth/refresh', { refresh_token: first.refresh_token });
      expect(r1.statusCode).toBe(200);
      const second = r1.json();
      expect(second.refresh_token).not.toBe(first.refresh_token);
      const reuse = await post('/auth/refresh', { refresh_token: first.refresh_token });
      expect(reuse.statusCode).toBe(401);
      // The thief's replay ended the session for the legitimate holder too.
      expect((await post('/auth/refresh', { refresh_token: second.refresh_token })).statusCode).toBe(401);
      expect((await t.app.inject({ method: 'GET', url: '/me', headers: bearer(second.access_token) })).statusCode).toBe(401);
      const audit = await t.store.driver.transaction((sql) => sql.query("SELECT 1 FROM audit.events WHERE action = 'token.refresh' AND outcome = 'denied'"));
      expect(audit.rowCount).toBeGreaterThan(0);
    });

    describe('the session check', () => {
      afterEach(() => vi.restoreAllMocks());
      const me = (token: string) => t.app.inject({ method: 'GET', url: '/me', headers: bearer(token) });

      it('reads the sessions that come back together in one statement (regression: one transaction each, a stampede after every pause)', async () => {
        const users = t.seeded.users.filter((u) => u.role === 'practitioner').slice(0, 3);
        expect(users).toHaveLength(3);
        const tokens = [];
        for (const u of [...users, ...users]) tokens.push((await login(t, u)).access_token);
        t.advance(6_000); // every cached state is older than the 5 s it is trusted for
        const reads = vi.spyOn(AuthRepository.prototype, 'sessionStates');
        const answers = await Promise.all(tokens.map((a) => me(a)));
        expect(answers.map((r) => r.statusCode)).toEqual(tokens.map(() => 200));
        // Each session read once, and sessions that came in the same turn read together.
        expect(reads.mock.calls.flatMap((c) => c[0].map((p) => p.sid)).sort()).toEqual(tokens.map((a) => JSON.parse(Buffer.from(a.split('.')[1]!, 'base64url').toString()).sid).sort());
        expect(reads.mock.calls.length).toBeLessThan(tokens.length);
        expect(Math.max(...reads.mock.calls.map((c) => c[0].length))).toBeGreaterThan(1);
        // Within the 5 s, no read at all.
        const before = reads.mock.calls.length;
        await Promise.all(tokens.map((a) => me(a)));
        expect(reads.mock.calls.length).toBe(before);
      });

      it('honours a revocation made elsewhere within 5 s: re-read ahead of expiry, never served from memory after it', async () => {
        const tokens = await login(t, t.seeded.users.filter((u) => u.role === 'practitioner')[1]!);
        const sid = tokens.refresh_token.split('.')[0]!;
        expect((await me(tokens.access_token)).statusCode).toBe(200);
        // Another instance ends the session: this one does not hear of it.
        await t.store.driver.transaction((sql) => sql.query("UPDATE admin.sessions SET revoked_at = now(), revoked_reason = 'elsewhere' WHERE id = $1", [sid]));
        t.advance(1_000);
        expect((await me(tokens.access_token)).statusCode).toBe(200); // trusted from memory, as documented
        t.advance(2_500);
        // 3.5 s old: served, and re-read in the background.
        const reads = vi.spyOn(AuthRepository.prototype, 'sessionStates');
        expect((await me(tokens.access_token)).statusCode).toBe(200);
        await vi.waitFor(() => expect(reads).toHaveBeenCalledTimes(1));
        await new Promise((r) => setTimeout(r, 50));
        expect((await me(tokens.access_token)).statusCode).toBe(401);
      });

      it('does not cache what it read over a forget that came while the statement ran', async () => {
        const tokens = await login(t, t.seeded.users.filter((x) => x.role === 'practitioner')[2]!);
        t.advance(6_000);
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const original = AuthRepository.prototype.sessionStates;
        const reads = vi.spyOn(AuthRepository.prototype, 'sessionStates').mockImplementation(async function (this: AuthRepository, pairs) {
          await gate;
          return original.call(this, pairs);
        });
        const first = me(tokens.access_token);
        await vi.waitFor(() => expect(reads).toHaveBeenCalledTimes(1));
        // The statement has started; now this instance is told that sessions changed (an account
        // locked here or elsewhere, a practice requiring DPoP): what the statement read is stale.
        t.services.auth.forgetSessions();
        release();
        expect((await first).statusCode).toBe(200);
        // So it was not kept: the next request reads the session again.
        expect((await me(tokens.access_token)).statusCode).toBe(200);
        expect(reads).toHaveBeenCalledTimes(2);
      });
    });

    it('refuses a forged refresh token without ending the session it names (regression: forged <session id>.<random> ended it)', async () => {
      const victim = await login(t, userOf(t.seeded, 'practitioner', 1));
      const sessionId = victim.refresh_token.split('.')[0]!;
      const forged = await post('/auth/refresh', { refresh_token: `${sessionId}.${Buffer.alloc(32, 7).toString('base64url')}` });
      expect(forged.statusCode).toBe(401);
      // The victim's session goes on: the real refresh token still works, and so does the access token.
      expect((await t.app.inject({ method: 'GET', url: '/me', headers: bearer(victim.access_token) })).statusCode).toBe(200);
      expect((await post('/auth/refresh', { refresh_token: victim.refresh_token })).statusCode).toBe(200);
    });

    it('refuses a refresh token whose session id is not a UUID with 401, not 500 (regression: 36 dashes or hex digits reached the database)', async () => {
      for (const sid of ['-'.repeat(36), '0'.repeat(36), `${'0'.repeat(8)}-${'0'.repeat(4)}-${'0'.repeat(4)}-${'0'.repeat(4)}-${'0'.repeat(11)}-`]) {
        const r = await post('/auth/refresh', { refresh_token: `${sid}.x` });
        expect(r.statusCode, sid).toBe(401);
      }
    });
  });

  describe('step-up and break-the-glass', () => {
    it('answers the RFC 9470 challenge, then grants break-the-glass after a fresh second factor', async () => {
      const doc = userOf(t.seeded, 'practitioner');
      const tokens = await login(t, doc);
      const patients = await t.store.driver.transaction((sql) => sql.query<{ id: string }>('SELECT id FROM admin.patients WHERE practice_id = $1 LIMIT 1', [doc.practiceId]));
      const patientId = patients.rows[0]!.id;
      t.advance(301_000); // the login's second factor is now older than five minutes
      const ask = () => post('/access/break-glass', { patientId, reason: 'Patient inconscient aux urgences, pas de médecin traitant joignable' }, bearer(current));
      let current = tokens.access_token;
      const challenged = await ask();
      expect(challenged.statusCode).toBe(401);
      expect(challenged.headers['www-authenticate']).toBe('Bearer error="insufficient_user_authentication", error_description="A fresh second factor is required", max_age=300');
      t.advance(31_000);
      const up = await post('/auth/step-up', { code: await totp(doc.totpSecret!, t.now()) }, bearer(current));
      expect(up.statusCode).toBe(200);
      current = up.json().access_token;
      const granted = await ask();
      expect(granted.statusCode).toBe(201);
      // The security officer sees it for review, with its reason.
      const officer = await login(t, userOf(t.seeded, 'security-officer'));
      const review = await t.app.inject({ method: 'GET', url: '/security/break-glass', headers: bearer(officer.access_token) });
      expect(review.json().grants.map((g: { id: string }) => g.id)).toContain(granted.json().id);
      // An assistant cannot break the glass, nor read the review list.
      const assistant = await login(t, userOf(t.seeded, 'assistant'));
      expect((await post('/access/break-glass', { patientId, reason: 'curiosité, juste pour voir' }, bearer(assistant.access_token))).statusCode).toBe(403);
      expect((await t.app.inject({ method: 'GET', url: '/security/break-glass', headers: bearer(assistant.access_token) })).statusCode).toBe(403);
    });
  });

  describe('account management', () => {
    it('lets a practice admin create, disable and reset accounts of their practice only, through enrolment links, audited', async () => {
      const admin = await login(t, userOf(t.seeded, 'practice-admin'));
      const h = bearer(admin.access_token);
      const created = await post('/admin/accounts', { username: 'dr.nouvelle', role: 'practitioner', familyName: 'Nouvelle', givenName: 'Inès', rpps: '10000000017' }, h);
      expect(created.statusCode).toBe(201);
      const e = created.json();
      // The admin gets a one-time link, never a password, a TOTP secret or recovery codes.
      expect(Object.keys(e).sort()).toEqual(['approvalRequired', 'enrolmentUrl', 'expiresAt', 'id', 'username']);
      expect(e.enrolmentUrl).toMatch(/^http:\/\/127\.0\.0\.1:8080\/#\/enrol\/[A-Za-z0-9_-]{43}$/);
      const token = String(e.enrolmentUrl).split('/').pop()!;
      // The user redeems it: a TOTP secret for their app, then a password of their own and a first code.
      const start = await post('/auth/enrol', { token });
      expect(start.statusCode).toBe(200);
      const secret = start.json().totpSecret as string;
      expect(start.json().otpauthUri).toContain('otpauth://totp/');
      expect((await post('/auth/enrol/complete', { token, password: 'short', code: '000000' })).statusCode).toBe(400);
      t.advance(31_000);
      const done = await post('/auth/enrol/complete', { token, password: 'une phrase de passe à moi', code: await totp(secret, t.now()) });
      expect(done.statusCode).toBe(200);
      expect(done.json().recoveryCodes).toHaveLength(10);
      expect(done.json().status).toBe('pending');
      expect((await post('/auth/enrol', { token })).statusCode).toBe(400); // spent
      // Not usable until a second person approves: the creator may not.
      const me = { ...userOf(t.seeded, 'practitioner'), username: 'dr.nouvelle', password: 'une phrase de passe à moi', totpSecret: secret };
      expect((await post('/auth/login', { username: me.username, password: me.password })).statusCode).toBe(403);
      expect((await post(`/admin/accounts/${e.id}/approve`, {}, h)).statusCode).toBe(403);
      const officer = await login(t, userOf(t.seeded, 'security-officer'));
      const approved = await post(`/security/accounts/${e.id}/approve`, {}, bearer(officer.access_token));
      expect(approved.statusCode).toBe(200);
      expect(approved.json().status).toBe('active');
      const session = await login(t, me);

      // A reset ends the sessions and hands a new link, not the new secret.
      const reset = await post(`/admin/accounts/${e.id}/reset-mfa`, {}, h);
      expect(reset.statusCode).toBe(200);
      expect(Object.keys(reset.json()).sort()).toEqual(['enrolmentUrl', 'expiresAt']);
      expect((await t.app.inject({ method: 'GET', url: '/me', headers: bearer(session.access_token) })).statusCode).toBe(401);
      expect((await post('/auth/login', { username: me.username, password: me.password })).statusCode).toBe(403);

      expect((await post(`/admin/accounts/${e.id}/disable`, {}, h)).statusCode).toBe(204);
      expect((await post('/auth/login', { username: me.username, password: me.password })).statusCode).toBe(403);

      // Another practice's account is out of reach, and so is the API for other roles.
      const other = userOf(t.seeded, 'assistant', 1);
      const otherId = (await t.store.driver.transaction((sql) => sql.query<{ id: string }>('SELECT id FROM admin.users WHERE username = $1', [other.username]))).rows[0]!.id;
      expect((await post(`/admin/accounts/${otherId}/disable`, {}, h)).statusCode).toBe(403);
      const doc = await login(t, userOf(t.seeded, 'practitioner'));
      expect((await t.app.inject({ method: 'GET', url: '/admin/accounts', headers: bearer(doc.access_token) })).statusCode).toBe(403);
      const actions = await t.store.driver.transaction((sql) => sql.query<{ action: string }>("SELECT action FROM audit.events WHERE action LIKE 'account.%' ORDER BY seq"));
      expect(actions.rows.map((r) => r.action)).toEqual(['account.create', 'account.enrol', 'account.approve', 'account.reset-mfa', 'account.disable']);
      // Every creation, approval and reset raised an alert for the security officer.
      await t.services.detection.settle();
      const alerts = (await t.app.inject({ method: 'GET', url: '/security/alerts', headers: bearer(officer.access_token) })).json().alerts as { userId: string; reasons: string[] }[];
      const mine = alerts.filter((a) => a.userId === e.id).flatMap((a) => a.reasons).join(' | ');
      expect(mine).toMatch(/new account was created/);
      expect(mine).toMatch(/approved/);
      expect(mine).toMatch(/second factor was reset/);
    });
  });

  describe('bad input', () => {
    it('answers malformed, oversized, mistyped, unknown or missing input with a 4xx OperationOutcome and changes nothing', async () => {
      const before = { sessions: await countRows('admin.sessions'), users: await countRows('admin.users') };
      const doc = userOf(t.seeded, 'practitioner', 1);
      const cases = [
        t.app.inject({ method: 'POST', url: '/auth/login', payload: '{"username": "a", ', headers: { 'content-type': 'application/json' } }),
        t.app.inject({ method: 'POST', url: '/auth/login', payload: JSON.stringify({ username: 'x', password: 'y'.repeat(2 * 1024 * 1024) }), headers: { 'content-type': 'application/json' } }),
        post('/auth/login', { username: 42, password: [] }),
        post('/auth/login', { username: doc.username, password: doc.password, role: 'security-officer' }),
        post('/auth/login', { username: doc.username }),
        t.app.inject({ method: 'POST', url: '/auth/login', payload: 'username=a&password=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        t.app.inject({ method: 'POST', url: '/auth/login' }),
        post('/auth/mfa', { mfa_token: 'not-a-token', code: '123456' }),
        post('/auth/refresh', { refresh_token: 'garbage' }),
        t.app.inject({ method: 'GET', url: '/me' }),
        t.app.inject({ method: 'GET', url: '/me', headers: { authorization: 'Bearer not.a.jwt' } }),
        t.app.inject({ method: 'GET', url: '/me', headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
        post('/admin/accounts/not-a-uuid/disable', {}),
        t.app.inject({ method: 'GET', url: '/no/such/route' }),
      ];
      for (const r of await Promise.all(cases)) {
        expect(r.statusCode, r.body).toBeGreaterThanOrEqual(400);
        expect(r.statusCode, r.body).toBeLessThan(500);
        expect(r.json().resourceType).toBe('OperationOutcome');
      }
      expect({ sessions: await countRows('admin.sessions'), users: await countRows('admin.users') }).toEqual(before);
    });
  });

  describe('the HTTP edge', () => {
    it('builds links from the configured public address, never from the Host header (regression: Host was copied into links)', async () => {
      const doc = await login(t, userOf(t.seeded, 'practitioner'));
      const r = await t.app.inject({ method: 'GET', url: '/fhir/Appointment?_count=1', headers: { ...bearer(doc.access_token), host: 'evil.example' } });
      expect(r.statusCode).toBe(200);
      const links = (r.json().link as { url: string }[]).map((l) => l.url);
      expect(links.length).toBeGreaterThan(0);
      for (const l of links) expect(l.startsWith(`${t.services.publicUrl}/fhir/`)).toBe(true);
      expect(JSON.stringify(r.json())).not.toContain('evil.example');
    });

    it('believes X-Forwarded-For only from a configured proxy (regression: the proxy could not be configured)', async () => {
      // An account no earlier test has failed against: failures from addresses an account never
      // logged in from add up over 24 hours, whatever logins came in between.
      const u = userOf(t.seeded, 'practice-admin', 1);
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) {
        const r = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: u.username, password: 'wrong password' }, headers: { 'x-forwarded-for': `198.51.100.${i}` }, remoteAddress: '10.7.7.7' });
        statuses.push(r.statusCode);
      }
      // The account's failures count whatever the claimed address; the sixth is throttled.
      expect(statuses.slice(0, 5).every((x) => x === 401)).toBe(true);
      expect(statuses.slice(5).every((x) => x === 429)).toBe(true);
      const ips = await t.store.driver.transaction((q) => q.query<{ source_ip: string }>("SELECT DISTINCT source_ip FROM audit.events WHERE action = 'login' AND source_ip LIKE '198.51.100.%'"));
      expect(ips.rowCount).toBe(0);
      // Behind a configured proxy (MEDVAULT_TRUST_PROXY), the client's address is the one it forwards.
      const { buildServer } = await import('../src/server/index.js');
      const proxied = buildServer({ state: { services: t.services }, version: 'test', logLevel: 'silent', trustProxy: '10.7.7.8' });
      await proxied.ready();
      try {
        await proxied.inject({ method: 'POST', url: '/auth/login', payload: { username: 'nobody-here', password: 'x' }, headers: { 'x-forwarded-for': '203.0.113.77' }, remoteAddress: '10.7.7.8' });
        await proxied.inject({ method: 'POST', url: '/auth/login', payload: { username: 'nobody-here', password: 'x' }, headers: { 'x-forwarded-for': '203.0.113.78' }, remoteAddress: '10.7.7.9' });
        const seen = await t.store.driver.transaction((q) => q.query<{ source_ip: string }>("SELECT source_ip FROM audit.events WHERE action = 'login' AND source_ip IN ('203.0.113.77', '203.0.113.78', '10.7.7.9')"));
        expect(seen.rows.map((r) => r.source_ip).sort()).toEqual(['10.7.7.9', '203.0.113.77']);
      } finally {
        await proxied.close();
      }
    });

    it('answers NUL characters, huge versions, dates past 9998 and deep nesting with 400, not 500 (regression)', async () => {
      const doc = await login(t, userOf(t.seeded, 'practitioner'));
      const h = { ...bearer(doc.access_token), 'content-type': 'application/json' };
      const patientId = (await t.store.driver.transaction((q) => q.query<{ id: string }>('SELECT id FROM admin.patients LIMIT 1'))).rows[0]!.id;
      // 5,000 levels of extension (built as text: JSON.stringify itself would overflow).
      const deep = `${'{"url":"x","extension":['.repeat(5000)}{"url":"x","valueString":"y"}${']}'.repeat(5000)}`;
      const cases = [
        t.app.inject({ method: 'POST', url: '/auth/login', payload: JSON.stringify({ username: 'abc\u0000', password: 'x' }), headers: { 'content-type': 'application/json' } }),
        t.app.inject({ method: 'GET', url: '/fhir/Patient?family=abc%00', headers: bearer(doc.access_token) }),
        t.app.inject({ method: 'POST', url: '/fhir/Patient/_search', payload: JSON.stringify({ family: 'ab\u0000c' }), headers: h }),
        t.app.inject({ method: 'POST', url: '/fhir/Patient/_search', payload: 'family=ab%00c', headers: { ...bearer(doc.access_token), 'content-type': 'application/x-www-form-urlencoded' } }),
        t.app.inject({ method: 'POST', url: '/access/break-glass', payload: JSON.stringify({ patientId, reason: 'urgence vitale \u0000 au cabinet' }), headers: h }),
        t.app.inject({ method: 'POST', url: '/fhir/Patient', payload: JSON.stringify({ resourceType: 'Patient', gender: 'unknown', birthDate: '1980-01-01', name: [{ family: 'X\u0000', given: ['Y'] }] }), headers: h }),
        t.app.inject({ method: 'PUT', url: `/fhir/Patient/${patientId}`, payload: JSON.stringify({ resourceType: 'Patient', id: patientId, gender: 'unknown', birthDate: '1980-01-01', name: [{ family: 'X', given: ['Y'] }] }), headers: { ...h, 'if-match': 'W/"2147483648"' } }),
        t.app.inject({ method: 'GET', url: '/fhir/Appointment?date=gt9999-12-31', headers: bearer(doc.access_token) }),
        t.app.inject({ method: 'GET', url: '/fhir/Appointment?date=le9999-12-31', headers: bearer(doc.access_token) }),
        t.app.inject({ method: 'POST', url: '/fhir/Patient', payload: `{"resourceType":"Patient","gender":"unknown","birthDate":"1980-01-01","extension":[${deep}]}`, headers: h }),
      ];
      for (const [i, r] of (await Promise.all(cases)).entries()) {
        expect(r.statusCode, `${i} ${r.body.slice(0, 200)}`).toBe(400);
        expect(r.json().resourceType).toBe('OperationOutcome');
      }
    });

    it('answers a malformed POST _search body with 400, not 500 (regression)', async () => {
      const doc = await login(t, userOf(t.seeded, 'practitioner'));
      for (const payload of ['[1,2]', '"family"', '{"family": 5}', '{"family": ["a", "b"]}', '{"family": {"x": 1}}']) {
        const r = await t.app.inject({ method: 'POST', url: '/fhir/Patient/_search', payload, headers: { ...bearer(doc.access_token), 'content-type': 'application/json' } });
        expect(r.statusCode, payload).toBe(400);
        expect(r.json().resourceType).toBe('OperationOutcome');
      }
    });

    it('sends security headers, request ids, and metrics labelled by route, not by value', async () => {
      const doctorToken = (await login(t, userOf(t.seeded, 'practitioner'))).access_token;
      const r = await t.app.inject({ method: 'GET', url: '/healthz' });
      expect(r.headers['content-security-policy']).toMatch(/default-src 'self'/);
      expect(r.headers['strict-transport-security']).toMatch(/max-age=31536000/);
      expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(r.headers['cache-control']).toBe('no-store');
      // A refusal carries them too (they were set after authentication, so a 401 had none).
      const refused = await t.app.inject({ method: 'GET', url: '/fhir/Patient', headers: bearer('not-a-token') });
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['content-security-policy']).toMatch(/frame-ancestors 'none'/);
      expect(refused.headers['referrer-policy']).toBe('no-referrer');
      // /metrics needs its own credential (regression: it answered anyone).
      expect((await t.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer('not-the-credential') })).statusCode).toBe(401);
      expect((await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(doctorToken) })).statusCode).toBe(401);
      const m = await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(METRICS_TOKEN) });
      expect(m.statusCode).toBe(200);
      expect(m.body).toMatch(/medvault_http_requests_total\{method="POST",route="\/auth\/login",status="401"\}/);
      expect(m.body).toMatch(/route="\/admin\/accounts\/:id\/disable"/);
      expect(m.body).not.toMatch(/not-a-uuid/);
    });

    it('keeps patient data out of every log line', async () => {
      const patients = await t.store.driver.transaction((sql) => sql.query<{ id: string; practice_id: string }>('SELECT id, practice_id FROM admin.patients'));
      const names: string[] = [];
      const nirs: string[] = [];
      for (const row of patients.rows) {
        const p = await t.store.db.transaction({ role: 'admin', practiceId: row.practice_id }, async (tx) => {
          const { AdminRepository } = await import('../src/store/index.js');
          return new AdminRepository(tx, t.services.vault.admin(row.practice_id)).patient(row.id);
        });
        names.push(p!.birthFamilyName, ...(p!.usedFamilyName ? [p!.usedFamilyName] : []));
        if (p!.nir) nirs.push(p!.nir);
      }
      // Requests that carry patient data where careless code would log it: query strings, bodies, usernames.
      for (const [i, name] of names.slice(0, 20).entries()) {
        await t.app.inject({ method: 'GET', url: `/fhir/Patient?family=${encodeURIComponent(name)}&identifier=${nirs[i] ?? ''}` });
        await post('/auth/login', { username: name.toLowerCase().replace(/[^a-z]/g, '') || 'x', password: nirs[i] ?? 'x' }, {}, `10.9.0.${i}`);
        await t.app.inject({ method: 'POST', url: '/auth/login', payload: `{"username": "${name}", "nir": "${nirs[i]}"`, headers: { 'content-type': 'application/json' } });
      }
      const logs = t.logs();
      expect(logs.length).toBeGreaterThan(10_000);
      const distinct = [...new Set(names)].filter((n) => n.length >= 4);
      for (const n of distinct) expect(logs.includes(n), `name in logs: ${n}`).toBe(false);
      for (const nir of nirs) expect(logs.includes(nir), 'a NIR in the logs').toBe(false);
    });
  });
});
