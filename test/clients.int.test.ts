import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, secondOfficer, startTestApp, totp, userOf, type TestApp } from './helpers/app.js';
import type { DemoUser } from '../src/sim/seed.js';

/**
 * Known clients: an account's first client is approved; any other is not until the
 * user approves it from an approved client with a fresh second factor, or a security officer does.
 * From a client not approved the calendar explains nothing (test/adversary: ≤ 25 charts). A
 * practice may require DPoP, except for the bearer clients its accounts approved.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ patients: 30 });
});
afterAll(async () => t?.close());

const UA_DESK = 'Mozilla/5.0 (Windows NT 10.0) desk';
const UA_HOME = 'Mozilla/5.0 (Macintosh) home';

async function loginAs(u: DemoUser, ua: string, o: { ip?: string; dpop?: (m: string, p: string) => Promise<string> } = {}) {
  t.advance(31_000);
  const headers = async (path: string) => ({ 'user-agent': ua, ...(o.dpop ? { dpop: await o.dpop('POST', path) } : {}) });
  const remoteAddress = o.ip ?? '10.0.0.1';
  const l = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: u.username, password: u.password }, headers: await headers('/auth/login'), remoteAddress });
  if (l.statusCode !== 200) return { status: l.statusCode, body: l.json() as Record<string, unknown> };
  const m = await t.app.inject({ method: 'POST', url: '/auth/mfa', payload: { mfa_token: l.json().mfa_token, code: await totp(u.totpSecret!, t.now()) }, headers: await headers('/auth/mfa'), remoteAddress });
  return { status: m.statusCode, body: m.json() as Record<string, unknown> };
}

const get = (token: string, ua: string, url: string, ip = '10.0.0.1') => t.app.inject({ method: 'GET', url, headers: { ...bearer(token), 'user-agent': ua }, remoteAddress: ip });
const post = (token: string, ua: string, url: string, payload: unknown) => t.app.inject({ method: 'POST', url, payload: payload as Record<string, unknown>, headers: { ...bearer(token), 'user-agent': ua }, remoteAddress: '10.0.0.1' });

async function alertsOf(userId: string): Promise<string[]> {
  await t.services.detection.settle();
  const r = await t.store.driver.transaction((q) => q.query<{ findings: { rule: string }[] }>('SELECT findings FROM audit.alerts WHERE user_id = $1', [userId]));
  return r.rows.flatMap((x) => x.findings.map((f) => f.rule));
}

async function idOf(u: DemoUser): Promise<string> {
  const r = await t.store.driver.transaction((q) => q.query<{ id: string }>('SELECT id FROM admin.users WHERE username = $1', [u.username]));
  return r.rows[0]!.id;
}

describe('known clients', () => {
  it('the first client is approved; another is not, alerts, and cannot approve itself', async () => {
    const u = userOf(t.seeded, 'practitioner');
    const desk = (await loginAs(u, UA_DESK)).body.access_token as string;
    expect((await get(desk, UA_DESK, '/me')).json().clientApproved).toBe(true);
    const home = await loginAs(u, UA_HOME, { ip: '192.0.2.7' });
    expect(home.status).toBe(200);
    const homeToken = home.body.access_token as string;
    expect((await get(homeToken, UA_HOME, '/me', '192.0.2.7')).json().clientApproved).toBe(false);
    expect(await alertsOf(await idOf(u))).toContain('account-client-new');

    // From the unapproved client, only itself: not the approved clients' user agents and networks,
    // which a thief would copy (regression, found by an outside attack).
    const list = (await get(homeToken, UA_HOME, '/me/clients', '192.0.2.7')).json().clients as { client: string; approved: boolean; current: boolean; label: string; network: string }[];
    expect(list).toHaveLength(1);
    const mine = list.find((c) => c.current)!;
    expect(mine).toMatchObject({ approved: false, label: UA_HOME, network: '192.0.2.0/24', kind: 'program' });
    expect((await get(desk, UA_DESK, '/me/clients')).json().clients).toHaveLength(2);
    expect(mine.client).toBe(`agent:${createHash('sha256').update(UA_HOME).digest('hex').slice(0, 12)}@192.0.2.0/24`);
    // From itself, even with a fresh second factor: refused.
    const self = await t.app.inject({ method: 'POST', url: '/me/clients/approve', payload: { client: mine.client }, headers: { ...bearer(homeToken), 'user-agent': UA_HOME }, remoteAddress: '192.0.2.7' });
    expect(self.statusCode).toBe(403);
    expect(self.json().resourceType).toBe('OperationOutcome');

    // From the desk: a fresh second factor first, then it holds; the home session sees it.
    t.advance(6 * 60_000);
    expect((await post(desk, UA_DESK, '/me/clients/approve', { client: mine.client })).statusCode).toBe(401);
    t.advance(31_000);
    const up = await post(desk, UA_DESK, '/auth/step-up', { code: await totp(u.totpSecret!, t.now()) });
    expect(up.statusCode).toBe(200);
    const fresh = up.json().access_token as string;
    expect((await post(fresh, UA_DESK, '/me/clients/approve', { client: 'agent:000000000000@198.51.100.0/24' })).statusCode).toBe(404);
    expect((await post(fresh, UA_DESK, '/me/clients/approve', { client: mine.client })).statusCode).toBe(204);
    expect((await get(homeToken, UA_HOME, '/me', '192.0.2.7')).json().clientApproved).toBe(true);
    const uid = await idOf(u);
    const audit = await t.store.driver.transaction((q) => q.query<{ n: number }>("SELECT count(*)::int AS n FROM audit.events WHERE action = 'client.approve' AND resource_id::text = $1", [uid]));
    expect(audit.rows[0]!.n).toBe(1);
  });

  it('a security officer lists and approves an account\'s client; a second-factor reset starts the clients over', async () => {
    const u = userOf(t.seeded, 'practitioner', 1);
    await loginAs(u, UA_DESK);
    await loginAs(u, UA_HOME, { ip: '198.51.100.9' });
    const officer = userOf(t.seeded, 'security-officer');
    const o = (await loginAs(officer, UA_DESK)).body.access_token as string;
    const uid = await idOf(u);
    const listed = (await get(o, UA_DESK, `/security/accounts/${uid}/clients`)).json().clients as { client: string; approved: boolean }[];
    const waiting = listed.find((c) => !c.approved)!;
    expect(listed.filter((c) => c.approved)).toHaveLength(1);
    // Four eyes: the first officer asks (twice changes nothing), a second one approves.
    const ask = await post(o, UA_DESK, `/security/accounts/${uid}/clients/approve`, { client: waiting.client });
    expect(ask.statusCode).toBe(202);
    expect(ask.json()).toMatchObject({ status: 'pending' });
    expect((await post(o, UA_DESK, `/security/accounts/${uid}/clients/approve`, { client: waiting.client })).statusCode).toBe(202);
    expect((await get(o, UA_DESK, `/security/accounts/${uid}/clients`)).json().clients.filter((c: { approved: boolean }) => c.approved)).toHaveLength(1);
    const second = (await loginAs(secondOfficer(t.seeded), UA_DESK)).body.access_token as string;
    expect((await post(second, UA_DESK, `/security/accounts/${uid}/clients/approve`, { client: waiting.client })).statusCode).toBe(204);
    expect((await post(o, UA_DESK, `/security/accounts/${uid}/clients/approve`, { client: waiting.client })).statusCode).toBe(404);
    // Not their own new client: another officer approves it (found by an outside attack).
    const o2 = (await loginAs(officer, UA_HOME, { ip: '198.51.100.20' })).body.access_token as string;
    const self = ((await t.app.inject({ method: 'GET', url: '/me/clients', headers: { ...bearer(o2), 'user-agent': UA_HOME }, remoteAddress: '198.51.100.20' })).json().clients as { client: string }[])[0]!;
    const selfApprove = await t.app.inject({ method: 'POST', url: `/security/accounts/${await idOf(officer)}/clients/approve`, payload: { client: self.client }, headers: { ...bearer(o2), 'user-agent': UA_HOME }, remoteAddress: '198.51.100.20' });
    expect(selfApprove.statusCode).toBe(403);
    // A practitioner may not use the officer's route, nor read another account's clients.
    const doctor = (await loginAs(u, UA_DESK)).body.access_token as string;
    expect((await get(doctor, UA_DESK, `/security/accounts/${await idOf(officer)}/clients`)).statusCode).toBe(403);

    const admin = userOf(t.seeded, 'practice-admin', 1);
    const a = (await loginAs(admin, UA_DESK)).body.access_token as string;
    expect((await post(a, UA_DESK, `/admin/accounts/${uid}/reset-mfa`, {})).statusCode).toBe(200);
    const after = (await get(o, UA_DESK, `/security/accounts/${uid}/clients`)).json().clients as { approved: boolean }[];
    expect(after.length).toBe(2);
    expect(after.every((c) => !c.approved)).toBe(true);
  });

  it('a practice that requires DPoP refuses a bearer client it never approved, takes approved ones and DPoP keys, and relaxing it alerts', async () => {
    const u = userOf(t.seeded, 'practitioner', 0);
    // The desk client of the first test is approved.
    const admin = userOf(t.seeded, 'practice-admin', 0);
    const a = (await loginAs(admin, UA_DESK)).body.access_token as string;
    // A bearer session of a client never approved, opened before the practice requires DPoP.
    const early = await loginAs(u, 'curl/8.0', { ip: '203.0.113.5' });
    expect(early.status).toBe(200);
    const on = await t.app.inject({ method: 'PUT', url: '/admin/practice/dpop', payload: { required: true }, headers: { ...bearer(a), 'user-agent': UA_DESK } });
    expect(on.statusCode).toBe(200);
    expect(on.json()).toEqual({ dpopRequired: true });
    // …ends at once, and cannot be refreshed (regression, found by an outside attack).
    expect((await get(early.body.access_token as string, 'curl/8.0', '/me', '203.0.113.5')).statusCode).toBe(401);
    const refreshed = await t.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refresh_token: early.body.refresh_token }, headers: { 'user-agent': 'curl/8.0' }, remoteAddress: '203.0.113.5' });
    expect(refreshed.statusCode).toBe(401);
    const stranger = await loginAs(u, 'curl/8.0', { ip: '203.0.113.5' });
    expect(stranger.status).toBe(401);
    expect(JSON.stringify(stranger.body)).toMatch(/DPoP/);
    expect((await loginAs(u, UA_DESK)).status).toBe(200);
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwk = await exportJWK(publicKey);
    const dpop = (m: string, p: string) => new SignJWT({ htm: m, htu: `http://localhost${p}`, jti: randomUUID() }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).setIssuedAt(Math.floor(t.now().getTime() / 1000)).sign(privateKey);
    const bound = await loginAs(u, 'curl/8.0', { ip: '203.0.113.5', dpop });
    expect(bound.status).toBe(200);
    expect(bound.body.token_type).toBe('DPoP');
    // A non-admin cannot change it; bad input is a 400.
    const doctor = (await loginAs(u, UA_DESK)).body.access_token as string;
    expect((await t.app.inject({ method: 'PUT', url: '/admin/practice/dpop', payload: { required: false }, headers: { ...bearer(doctor), 'user-agent': UA_DESK } })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'PUT', url: '/admin/practice/dpop', payload: { required: 'no' }, headers: { ...bearer(a), 'user-agent': UA_DESK } })).statusCode).toBe(400);
    const off = await t.app.inject({ method: 'PUT', url: '/admin/practice/dpop', payload: { required: false }, headers: { ...bearer(a), 'user-agent': UA_DESK } });
    expect(off.statusCode).toBe(200);
    expect(await alertsOf(await idOf(admin))).toContain('account-dpop-relaxed');
    expect((await loginAs(u, 'curl/8.0', { ip: '203.0.113.5' })).status).toBe(200);
  });
});
