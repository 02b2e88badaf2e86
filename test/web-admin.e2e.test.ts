import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runs } from './helpers/needs.js';
import { totp } from './helpers/app.js';
import {
  accessible, CHROMIUM, frenchOnly, login, pageApi, person, removeProfiles, shot, type DemoAccount, type J, type Person,
} from './helpers/browser.js';
import { inviteColleague } from './helpers/agenda.js';
import { startCli, type Running } from './helpers/cli.js';

/**
 * The practice administrator's screens in a real browser against a real `medvault demo`: the admin
 * invites a second admin and a locum; the locum enrols from the link in a browser of her own (the QR
 * code is the otpauth URI of the secret shown beside it), a second admin approves her (the one who
 * invited her cannot), she signs in and finds her browser by a readable name, as the admin does. A
 * device waiting for approval takes two admins; a reset leaves the account for a second person; a
 * disabled account's session ends. Each screen keeps its URL through back and reload, and is
 * screenshotted at 1280 and 375 px.
 */
const browser = runs('the admin screens in the browser', {
  files: [{ path: CHROMIUM, install: 'apt-get install chromium' }],
});

/** The enrolment page's QR options (web/src/enrol.tsx QR_OPTIONS). */
const QR_OPTIONS = { type: 'svg', errorCorrectionLevel: 'M', margin: 2, width: 220 } as const;
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';

const tmp = mkdtempSync(join(tmpdir(), 'medvault-admin-'));
let server: Running;
let users: DemoAccount[];
const people: Person[] = [];

beforeAll(async () => {
  if (!browser) return;
  server = await startCli([
    'demo', '--data', join(tmp, 'data'), '--practices', '2', '--patients-per-practice', '20', '--history-days', '3',
    '--port', '0',
  ]);
  const credentials = readFileSync(join(tmp, 'data', 'demo-credentials.json'), 'utf8');
  users = (JSON.parse(credentials) as { users: DemoAccount[] }).users;
}, 180_000);

afterAll(async () => {
  for (const p of people) await p.context.close();
  await server?.stop();
  removeProfiles();
  rmSync(tmp, { recursive: true, force: true });
});

async function someone(): Promise<Person> {
  const p = await person();
  people.push(p);
  return p;
}

/** A TOTP code is good once: waits for the next 30-second step. */
const nextStep = () => new Promise((r) => setTimeout(r, 30_500 - (Date.now() % 30_000)));

async function call(
  path: string, method = 'GET', body?: object, token?: string, ua?: string,
): Promise<{ status: number; body: J }> {
  const r = await fetch(`${server.baseUrl}${path}`, {
    method, body: body ? JSON.stringify(body) : undefined,
    headers: {
      ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(ua ? { 'user-agent': ua } : {}),
    },
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

async function apiSignIn(u: Pick<DemoAccount, 'username' | 'password' | 'totpSecret'>, ua?: string): Promise<string> {
  const l = await call('/auth/login', 'POST', { username: u.username, password: u.password }, undefined, ua);
  if (!l.body.mfa_required) return l.body.access_token as string;
  const code = await totp(u.totpSecret!);
  const m = await call('/auth/mfa', 'POST', { mfa_token: l.body.mfa_token, code }, undefined, ua);
  expect(m.status).toBe(200);
  return m.body.access_token as string;
}

/** Invites a colleague through the invite screen; returns the enrolment link the dialog shows. */
async function invite(page: Page, kind: string, given: string, family: string): Promise<string> {
  await page.getByRole('link', { name: 'Inviter un collègue' }).click();
  return inviteColleague(page, kind, given, family);
}

/** Both widths of a screen, checked by axe at each. */
async function screens(page: Page, name: string): Promise<void> {
  await accessible(page);
  await frenchOnly(page);
  await shot(page, `admin-${name}`);
  await page.setViewportSize({ width: 375, height: 800 });
  await accessible(page);
  await frenchOnly(page);
  await shot(page, `admin-${name}-375`);
  expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe.runIf(browser)('the practice administrator\'s screens', () => {
  const admin1 = () => users.find((u) => u.role === 'practice-admin')!;
  const locum = { username: 'dr.n.remplacante', password: 'la phrase de passe de Noémie', totpSecret: '' };
  const admin2 = { username: 'c.second', password: 'la phrase du second admin', totpSecret: '' };

  it('invites, enrols with the QR code, approves with a second admin, names devices, resets and disables', async () => {
    const a = await someone();
    await login(a.page, server.baseUrl, admin1());
    await a.page.getByRole('heading', { name: 'Comptes à approuver' }).waitFor();
    expect(a.page.url()).toMatch(/#\/admin\/accounts$/);

    // A second admin, invited here, enrolled and approved by the security officer.
    const link2 = await invite(a.page, 'Administrateur du cabinet', 'Claire', 'Second');
    await a.page.keyboard.press('Escape');
    await a.page.getByRole('heading', { name: 'Comptes à approuver' }).waitFor();
    const t2 = link2.split('/').pop()!;
    admin2.totpSecret = (await call('/auth/enrol', 'POST', { token: t2 })).body.totpSecret;
    const code2 = await totp(admin2.totpSecret);
    const done2 = await call('/auth/enrol/complete', 'POST', { token: t2, password: admin2.password, code: code2 });
    expect(done2.body.status).toBe('pending');
    const officer = await apiSignIn(users.find((u) => u.role === 'security-officer')!);

    await a.page.reload();
    const waiting = a.page.getByTestId('accounts-waiting');
    await waiting.getByText('une autre personne doit approuver').first().waitFor();
    const listed = (await pageApi(a.page, 'GET', '/admin/accounts')).body.accounts as J[];
    const a2 = listed.find((x) => x.username === admin2.username);
    expect((await call(`/security/accounts/${a2.id}/approve`, 'POST', {}, officer)).status).toBe(200);

    // The locum: invited from the form (its screen at both widths).
    await a.page.getByRole('link', { name: 'Inviter un collègue' }).click();
    await a.page.getByLabel('Prénom').fill('Noémie');
    await screens(a.page, 'invite');
    await a.page.getByRole('link', { name: 'Comptes', exact: true }).click();
    const link = await invite(a.page, 'Médecin remplaçant', 'Noémie', 'Remplaçante');
    await a.page.getByRole('button', { name: 'Fermer' }).click();

    // She opens it in a browser of her own: the QR code is the otpauth URI of the key beside it.
    const l = await someone();
    await l.page.goto(link);
    await l.page.getByRole('button', { name: 'Commencer' }).click();
    const qr = l.page.getByTestId('totp-qr');
    await qr.waitFor();
    locum.totpSecret = (await l.page.getByTestId('totp-secret').textContent())!.trim();
    expect(locum.totpSecret).toMatch(/^[A-Z2-7]{16,}$/);
    const uri = `otpauth://totp/${encodeURIComponent(`medvault:${locum.username}`)}?secret=${locum.totpSecret}`
      + '&issuer=medvault&algorithm=SHA1&digits=6&period=30';
    const src = (await qr.getAttribute('src'))!;
    const svg = decodeURIComponent(src.replace(/^data:image\/svg\+xml;charset=utf-8,/, ''));
    expect(svg).toBe(await QRCode.toString(uri, QR_OPTIONS));
    // The image decodes (the page's Content-Security-Policy allows the data: URL).
    const shown = '(() => { const i = document.querySelector("[data-testid=totp-qr]"); return i.complete && ' +
      'i.naturalWidth > 0; })()';
    expect(await l.page.evaluate(shown)).toBe(true);
    await screens(l.page, 'enrol');
    await l.page.getByLabel(/Nouveau mot de passe/).fill(locum.password);
    await l.page.getByLabel('Le même, une seconde fois').fill(locum.password);
    await l.page.getByLabel('Code affiché par l’application').fill(await totp(locum.totpSecret));
    await l.page.getByRole('button', { name: 'Terminer' }).click();
    await l.page.getByText(/Un second responsable doit encore approuver/).waitFor();

    // The admin who invited her cannot approve her; the second admin can.
    await a.page.reload();
    const row = a.page.getByTestId('accounts-waiting').locator('li', { hasText: 'Noémie REMPLAÇANTE' });
    await row.getByText('une autre personne doit approuver').first().waitFor();
    await screens(a.page, 'accounts');
    await nextStep();
    const b = await someone();
    await login(b.page, server.baseUrl, { ...admin2, role: 'practice-admin', practiceId: null, fhirId: null });
    await b.page.getByTestId('accounts-waiting').locator('li', { hasText: 'Noémie REMPLAÇANTE' })
      .getByRole('button', { name: 'Approuver' }).click();
    await b.page.getByText(`Compte ${locum.username} approuvé.`).waitFor();

    // She signs in; her devices dialog names her browser; Escape closes it and focus returns.
    await login(l.page, server.baseUrl, { ...locum, role: 'practitioner', practiceId: null, fhirId: null });
    await l.page.getByRole('button', { name: 'Appareils' }).click();
    const dialog = l.page.getByRole('dialog', { name: 'Appareils de votre compte' });
    await dialog.getByText(/^Chrome Headless \d+ sur Linux$/).waitFor();
    await l.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    expect(await l.page.evaluate('document.activeElement?.textContent')).toBe('Appareils');

    // Her account page at the admin's: the same readable name and its last use; back and reload keep it.
    await a.page.getByTestId('accounts').getByRole('link', { name: 'Noémie REMPLAÇANTE' }).click();
    await a.page.getByTestId('devices').getByText(/^Chrome Headless \d+ sur Linux$/).waitFor();
    await a.page.getByTestId('devices').getByText(/Dernière utilisation/).first().waitFor();
    const accountUrl = a.page.url();
    expect(accountUrl).toMatch(/#\/admin\/accounts\/[0-9a-f-]{36}$/);
    await screens(a.page, 'account');
    await a.page.goBack();
    await a.page.getByRole('heading', { name: 'Comptes à approuver' }).waitFor();
    await a.page.goForward();
    await a.page.reload();
    await a.page.getByTestId('devices').waitFor();
    expect(a.page.url()).toBe(accountUrl);

    // A doctor's new program waits: one admin asks, the second confirms.
    const doctor = users.find((u) => u.role === 'practitioner' && u.practiceId === admin1().practiceId)!;
    await apiSignIn(doctor);
    await nextStep();
    await apiSignIn(doctor, FIREFOX);
    await a.page.getByRole('link', { name: 'Appareils en attente' }).click();
    const item = a.page.getByTestId('devices-waiting').locator('li', { hasText: 'Firefox 128 sur Windows' });
    await item.getByRole('button', { name: 'Approuver' }).click();
    await a.page.getByText(/un second administrateur du cabinet doit confirmer/).waitFor();
    await screens(a.page, 'clients');
    await b.page.getByRole('link', { name: 'Appareils en attente' }).click();
    await b.page.getByTestId('devices-waiting').locator('li', { hasText: 'Firefox 128 sur Windows' })
      .getByRole('button', { name: 'Confirmer l’approbation' }).click();
    await b.page.getByText('Firefox 128 sur Windows est approuvé.').waitFor();

    // A reset: Escape first (nothing happens), then for real; her session ends; not his to approve.
    await a.page.goto(accountUrl);
    const reset = a.page.getByRole('button', { name: 'Réinitialiser le second facteur' });
    await reset.click();
    await a.page.getByRole('dialog', { name: 'Réinitialiser le second facteur' }).waitFor();
    await a.page.keyboard.press('Escape');
    expect(await a.page.evaluate('document.activeElement?.textContent')).toBe('Réinitialiser le second facteur');
    await reset.click();
    await a.page.getByRole('button', { name: 'Réinitialiser', exact: true }).click();
    await a.page.getByTestId('enrolment-url').waitFor();
    await a.page.getByRole('button', { name: 'Fermer' }).click();
    expect((await pageApi(l.page, 'GET', '/me')).status).toBe(401);
    await expect(a.page.getByRole('button', { name: 'Approuver le compte' }).count()).resolves.toBe(0);
    const locumId = accountUrl.split('/').pop()!;
    expect((await pageApi(a.page, 'POST', `/admin/accounts/${locumId}/approve`, {})).status).toBe(403);

    // A departed assistant: disabled, her open session ends (she is told why).
    const assistant = users.find((u) => u.role === 'assistant' && u.practiceId === admin1().practiceId)!;
    const d = await someone();
    await login(d.page, server.baseUrl, assistant);
    await a.page.getByRole('link', { name: 'Comptes', exact: true }).click();
    await a.page.getByTestId('accounts').locator('li', { hasText: assistant.username }).getByRole('link').click();
    await a.page.getByRole('button', { name: 'Désactiver le compte' }).click();
    await a.page.getByRole('button', { name: 'Désactiver', exact: true }).click();
    await a.page.getByText('Compte désactivé : ses sessions ont pris fin.').waitFor();
    await d.page.getByRole('button', { name: 'Appareils' }).click();
    await d.page.getByTestId('ended-why').waitFor();
    expect(await d.page.getByTestId('ended-why').textContent()).toMatch(/désactivé/);
    for (const p of [a, b]) expect(p.errors.filter((e) => !/status of 40[13]/.test(e))).toEqual([]);
  }, 300_000);
});
