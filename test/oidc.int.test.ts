import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OidcLogin } from '../src/access/index.js';
import { bearer, startTestApp, userOf, type TestApp } from './helpers/app.js';

/**
 * A real OpenID provider (oidc-provider) shaped like Pro Santé Connect: scope_all, acr eidas1,
 * SubjectNameID = "8" + RPPS. The test plays the browser: it follows redirects with cookies.
 */
let t: TestApp;
let server: Server;
let issuer: string;
let rpps: string;
const REDIRECT = 'http://127.0.0.1:8080/auth/oidc/callback';
const next = { acr: 'eidas1', subjectNameId: '' };

beforeAll(async () => {
  t = await startTestApp({ clock: () => new Date() });
  const doc = userOf(t.seeded, 'practitioner');
  const row = await t.store.driver.transaction((sql) => sql.query<{ rpps: string }>('SELECT rpps FROM admin.users WHERE username = $1', [doc.username]));
  rpps = row.rows[0]!.rpps;
  server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider = new Provider(issuer, {
    clients: [{ client_id: 'medvault', client_secret: 'a-long-enough-test-client-secret-0123456789', redirect_uris: [REDIRECT], grant_types: ['authorization_code'], response_types: ['code'] }],
    scopes: ['openid', 'scope_all'],
    claims: { openid: ['sub'], scope_all: ['SubjectNameID', 'given_name', 'family_name', 'SubjectRole'] },
    acrValues: ['eidas1', 'eidas0'],
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id, SubjectNameID: next.subjectNameId, given_name: 'Test', family_name: 'Médecin', SubjectRole: ['10'] }) }),
    pkce: { required: () => true },
  });
  const handle = provider.callback();
  server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith('/interaction/')) return handle(req, res);
    // The provider's login and consent pages, answered at once with the test's chosen acr.
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      return provider.interactionFinished(req, res, { login: { accountId: 'psc-user-1', acr: next.acr } }, { mergeWithLastSubmission: false });
    }
    const grant = new provider.Grant({ accountId: 'psc-user-1', clientId: 'medvault' });
    grant.addOIDCScope('openid scope_all');
    grant.addOIDCClaims(['SubjectNameID', 'given_name', 'family_name', 'SubjectRole']);
    return provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  });
  t.services = Object.assign(t.services, {
    oidc: await OidcLogin.discover({ issuer, clientId: 'medvault', clientSecret: 'a-long-enough-test-client-secret-0123456789', redirectUri: REDIRECT, allowInsecure: true }, t.services.auth, t.services.db),
  });
});
afterAll(async () => {
  server?.close();
  await t?.close();
});

/** Follows the provider's redirects like a browser, cookies included, until it sends us back. */
async function browse(url: string): Promise<string> {
  const cookies = new Map<string, string>();
  let current = url;
  for (let hop = 0; hop < 12; hop++) {
    if (current.startsWith(REDIRECT)) return current;
    const r = await fetch(current, { redirect: 'manual', headers: { cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') } });
    for (const c of r.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      cookies.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
    const location = r.headers.get('location');
    if (!location) throw new Error(`no redirect from ${current}: ${r.status} ${await r.text()}`);
    current = new URL(location, current).toString();
  }
  throw new Error('too many redirects');
}

async function startLogin(): Promise<string> {
  const r = await t.app.inject({ method: 'GET', url: '/auth/oidc/start' });
  expect(r.statusCode).toBe(302);
  return r.headers.location as string;
}

const callback = (url: string) => {
  const u = new URL(url);
  return t.app.inject({ method: 'GET', url: `${u.pathname}${u.search}` });
};

describe('OpenID Connect login (Pro Santé Connect shape)', () => {
  it('asks for eidas1 with PKCE, state and nonce, and maps SubjectNameID to the practitioner', async () => {
    next.acr = 'eidas1';
    next.subjectNameId = `8${rpps}`;
    const authorize = new URL(await startLogin());
    expect(authorize.origin).toBe(issuer);
    expect(authorize.searchParams.get('acr_values')).toBe('eidas1');
    expect(authorize.searchParams.get('scope')).toBe('openid scope_all');
    expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorize.searchParams.get('state')).toBeTruthy();
    expect(authorize.searchParams.get('nonce')).toBeTruthy();
    const back = await browse(authorize.toString());
    const r = await callback(back);
    expect(r.statusCode, r.body).toBe(200);
    const me = await t.app.inject({ method: 'GET', url: '/me', headers: bearer(r.json().access_token) });
    expect(me.json()).toMatchObject({ role: 'practitioner', acr: 'eidas1', amr: ['oidc', 'mfa'] });
    // The same callback again (a replayed state) is refused.
    expect((await callback(back)).statusCode).toBe(401);
  });

  it('refuses an ID token with a weaker acr', async () => {
    next.acr = 'eidas0';
    next.subjectNameId = `8${rpps}`;
    const r = await callback(await browse(await startLogin()));
    expect(r.statusCode).toBe(401);
    expect(r.json().issue[0].diagnostics).toMatch(/fournisseur d'identité n'a pas abouti/);
  });

  it('refuses an ID token whose nonce is not the one medvault sent', async () => {
    next.acr = 'eidas1';
    const authorize = new URL(await startLogin());
    authorize.searchParams.set('nonce', 'a-nonce-medvault-never-issued');
    const r = await callback(await browse(authorize.toString()));
    expect(r.statusCode).toBe(401);
  });

  it('refuses a professional with no medvault account', async () => {
    next.acr = 'eidas1';
    next.subjectNameId = '800000000000';
    const r = await callback(await browse(await startLogin()));
    expect(r.statusCode).toBe(403);
  });
});
