import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, startTestApp, totp, userOf, type TestApp } from './helpers/app.js';
import type { DemoUser } from '../src/sim/seed.js';

/**
 * The practice admin's account screens, from the side of a thief holding one admin's password and
 * second factor (or a doctor's): he cannot approve an account he invited, nor a client of his own
 * account, nor approve a client alone; a reset he makes leaves the account waiting for a second
 * person; a disabled account stays disabled; a refused client's sessions end at once.
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ patients: 10 });
});
afterAll(async () => t?.close());

type Reply = { status: number; body: Record<string, unknown> | null };
const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

async function call(
  method: 'GET' | 'POST', url: string, token: string | null, payload?: object, ua = UA,
): Promise<Reply> {
  const r = await t.app.inject({
    method, url, ...(payload ? { payload } : {}), headers: { ...(token ? bearer(token) : {}), 'user-agent': ua },
    remoteAddress: '10.1.0.1',
  });
  return { status: r.statusCode, body: r.body === '' ? null : (r.json() as Record<string, unknown>) };
}

async function signIn(u: Pick<DemoUser, 'username' | 'password' | 'totpSecret'>, ua = UA): Promise<string> {
  t.advance(31_000);
  const l = await call('POST', '/auth/login', null, { username: u.username, password: u.password }, ua);
  if (l.status !== 200) throw new Error(`login ${l.status} ${JSON.stringify(l.body)}`);
  if (!l.body!.mfa_required) return l.body!.access_token as string;
  const code = await totp(u.totpSecret!, t.now());
  const m = await call('POST', '/auth/mfa', null, { mfa_token: l.body!.mfa_token, code }, ua);
  if (m.status !== 200) throw new Error(`mfa ${m.status}`);
  return m.body!.access_token as string;
}

/** Redeems an enrolment link as its user: a password and a first code; returns the TOTP secret. */
async function enrol(url: string, password: string): Promise<{ secret: string; status: string }> {
  const token = url.split('/').pop()!;
  const start = await call('POST', '/auth/enrol', null, { token });
  expect(start.status).toBe(200);
  const secret = start.body!.totpSecret as string;
  t.advance(31_000);
  const done = await call('POST', '/auth/enrol/complete', null, { token, password, code: await totp(secret, t.now()) });
  expect(done.status).toBe(200);
  return { secret, status: done.body!.status as string };
}

const officer = () => signIn(userOf(t.seeded, 'security-officer'));
type Row = Record<string, unknown>;
/** An account's clients as a practice admin lists them. */
const clientsOf = async (id: string, token: string) =>
  (await call('GET', `/admin/accounts/${id}/clients`, token)).body!.clients as Row[];
/** An admin's call on an account's client: approve or refuse; its status. */
const onClient = async (token: string, id: string, what: 'approve' | 'refuse', client: unknown, ua = UA) =>
  (await call('POST', `/admin/accounts/${id}/clients/${what}`, token, { client }, ua)).status;
let admin: string;
let admin2: string;
let adminId: string;

describe('the practice admin against a thief', () => {
  it('cannot approve an account he invited himself, even another admin; a second person can', async () => {
    admin = await signIn(userOf(t.seeded, 'practice-admin'));
    adminId = (await call('GET', '/me', admin)).body!.userId as string;
    const bis = { username: 'admin.bis', role: 'practice-admin', familyName: 'Bis', givenName: 'Alex' };
    const made = await call('POST', '/admin/accounts', admin, bis);
    expect(made.status).toBe(201);
    const { secret } = await enrol(made.body!.enrolmentUrl as string, 'une phrase de passe bis');
    const listed = ((await call('GET', '/admin/accounts', admin)).body!.accounts as Record<string, unknown>[])
      .find((a) => a.id === made.body!.id)!;
    expect(listed).toMatchObject({ status: 'pending', enrolled: true, approved: false, mayApprove: false });
    expect((await call('POST', `/admin/accounts/${made.body!.id}/approve`, admin)).status).toBe(403);
    const second = await call('POST', `/security/accounts/${made.body!.id}/approve`, await officer());
    expect(second.status).toBe(200);
    admin2 = await signIn({ username: 'admin.bis', password: 'une phrase de passe bis', totpSecret: secret });
  });

  it('approves a client only with a second admin, never one of his own account; a doctor may not ask', async () => {
    const doc = userOf(t.seeded, 'practitioner');
    const docToken = await signIn(doc);
    const homeUa = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15';
    await signIn(doc, homeUa);
    const docId = (await call('GET', '/me', docToken)).body!.userId as string;
    const waiting = (await clientsOf(docId, admin)).find((c) => c.state === 'waiting')!;
    expect(waiting.label).toBe(homeUa);
    const ask = () => call('POST', `/admin/accounts/${docId}/clients/approve`, admin, { client: waiting.client });
    expect((await ask()).status).toBe(202);
    expect((await ask()).status).toBe(202); // asking twice is still one person
    const mid = (await call('GET', '/admin/clients', admin)).body!.clients as Record<string, unknown>[];
    expect(mid.find((c) => c.client === waiting.client))
      .toMatchObject({ state: 'waiting', asked: true, askedByMe: true });
    // The doctor cannot use the admin routes, not even for his own client.
    expect(await onClient(docToken, docId, 'approve', waiting.client)).toBe(403);
    expect((await call('GET', '/admin/clients', docToken)).status).toBe(403);
    const confirm = await call('POST', `/admin/accounts/${docId}/clients/approve`, admin2, { client: waiting.client });
    expect(confirm.status).toBe(204);
    const after = await clientsOf(docId, admin);
    expect(after.find((c) => c.client === waiting.client)).toMatchObject({ state: 'approved', approvedVia: 'admin' });

    // His own account's new client: refused, whoever asks first.
    const laptop = await signIn(userOf(t.seeded, 'practice-admin'), 'thief-laptop/1.0');
    const mine = (await clientsOf(adminId, admin2)).find((c) => c.label === 'thief-laptop/1.0')!;
    expect(await onClient(laptop, adminId, 'approve', mine.client, 'thief-laptop/1.0')).toBe(403);
    expect(await onClient(admin2, adminId, 'approve', mine.client)).toBe(202);
    expect(await onClient(admin, adminId, 'approve', mine.client)).toBe(403);
  });

  it('refusing a client ends its sessions at once; another practice\'s clients are out of reach', async () => {
    const doc = userOf(t.seeded, 'practitioner');
    const phone = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0.0.0 Mobile Safari/537.36';
    const s = await signIn(doc, phone);
    expect((await call('GET', '/me', s, undefined, phone)).status).toBe(200);
    const docId = (await call('GET', '/me', s, undefined, phone)).body!.userId as string;
    const c = (await clientsOf(docId, admin)).find((x) => x.label === phone)!;
    const other = await signIn(userOf(t.seeded, 'practice-admin', 1));
    expect(await onClient(other, docId, 'refuse', c.client)).toBe(404);
    expect((await call('GET', `/admin/accounts/${docId}/clients`, other)).body!.clients).toEqual([]);
    expect(await onClient(admin, docId, 'refuse', c.client)).toBe(204);
    expect((await call('GET', '/me', s, undefined, phone)).status).toBe(401);
    // …and it opens none again: the password and the code are right, the device is refused.
    await expect(signIn(doc, phone)).rejects.toThrow(/^mfa 403/);
    expect((await signIn(doc, 'another-browser/1.0')).length).toBeGreaterThan(20);
    const listed = await clientsOf(docId, admin);
    expect(listed.find((x) => x.client === c.client)).toMatchObject({ state: 'refused' });
    // A refused client is not approved by a second admin afterwards.
    expect(await onClient(admin2, docId, 'approve', c.client)).toBe(404);
  });

  it('a reset by one admin leaves the account waiting for a second person, not for him', async () => {
    const made = await call('POST', '/admin/accounts', admin, {
      username: 'dr.remplacant', role: 'practitioner', familyName: 'Remplaçant', givenName: 'Noé', rpps: '10000000025',
    });
    const id = made.body!.id as string;
    const first = await enrol(made.body!.enrolmentUrl as string, 'phrase de passe du remplaçant');
    expect(first.status).toBe('pending');
    expect((await call('POST', `/admin/accounts/${id}/approve`, admin2)).status).toBe(200);
    const password = 'phrase de passe du remplaçant';
    const session = await signIn({ username: 'dr.remplacant', password, totpSecret: first.secret });
    // The thief (admin2) resets, redeems the link himself, and cannot approve it.
    const reset = await call('POST', `/admin/accounts/${id}/reset-mfa`, admin2);
    expect(reset.status).toBe(200);
    expect((await call('GET', '/me', session)).status).toBe(401);
    const taken = await enrol(reset.body!.enrolmentUrl as string, 'phrase choisie par le voleur');
    expect(taken.status).toBe('pending');
    const listed = ((await call('GET', '/admin/accounts', admin2)).body!.accounts as Record<string, unknown>[])
      .find((a) => a.id === id)!;
    expect(listed).toMatchObject({ status: 'pending', mayApprove: false });
    expect((await call('POST', `/admin/accounts/${id}/approve`, admin2)).status).toBe(403);
    const thief = { username: 'dr.remplacant', password: 'phrase choisie par le voleur', totpSecret: taken.secret };
    await expect(signIn(thief)).rejects.toThrow(/login 403/);
    // Nor may the admin who created the account: a security officer is the second person here.
    const mine = ((await call('GET', '/admin/accounts', admin)).body!.accounts as Record<string, unknown>[])
      .find((a) => a.id === id)!;
    expect(mine).toMatchObject({ mayApprove: false });
    expect((await call('POST', `/admin/accounts/${id}/approve`, admin)).status).toBe(403);
    expect((await call('POST', `/security/accounts/${id}/approve`, await officer())).status).toBe(200);
  });

  it('a disabled account stays disabled: no reset, link or approval brings it back', async () => {
    const made = await call('POST', '/admin/accounts', admin, {
      username: 'desk.depart', role: 'assistant', familyName: 'Départ', givenName: 'Lou',
    });
    const id = made.body!.id as string;
    const { secret } = await enrol(made.body!.enrolmentUrl as string, 'phrase de passe du départ');
    expect((await call('POST', `/admin/accounts/${id}/approve`, admin2)).status).toBe(200);
    const s = await signIn({ username: 'desk.depart', password: 'phrase de passe du départ', totpSecret: secret });
    expect((await call('POST', `/admin/accounts/${id}/disable`, admin)).status).toBe(204);
    const ended = await call('GET', '/me', s);
    expect(ended.status).toBe(403);
    expect(JSON.stringify(ended.body)).toMatch(/account_disabled/);
    const reset = await call('POST', `/admin/accounts/${id}/reset-mfa`, admin);
    expect(reset.status).toBe(200);
    const token = String(reset.body!.enrolmentUrl).split('/').pop()!;
    expect((await call('POST', '/auth/enrol', null, { token })).status).toBe(400);
    expect((await call('POST', `/admin/accounts/${id}/approve`, admin2)).status).toBe(403);
    expect((await call('POST', `/security/accounts/${id}/approve`, await officer())).status).toBe(403);
    const listed = ((await call('GET', '/admin/accounts', admin)).body!.accounts as Record<string, unknown>[])
      .find((a) => a.id === id)!;
    expect(listed.status).toBe('disabled');
    // An admin does not disable himself, and errors are OperationOutcomes.
    const self = await call('POST', `/admin/accounts/${adminId}/disable`, admin);
    expect(self.status).toBe(403);
    expect(self.body!.resourceType).toBe('OperationOutcome');
  });
});
