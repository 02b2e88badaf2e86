import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { runs } from './helpers/needs.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login as apiSignIn, NO_DETECTION, patientsOf, startTestApp, totp, type TestApp } from './helpers/app.js';
import { buildServer } from '../src/server/index.js';
import type { DemoUser } from '../src/sim/seed.js';
import { startCli, type Running } from './helpers/cli.js';
import { goHome } from './helpers/patient-page.js';
import { frenchOnly } from './helpers/browser.js';

/**
 * The web application in a real browser (Debian's chromium through playwright-core) against a
 * real `medvault demo` process, as `npm start` runs it. Screenshots go to test-results/screens
 * (CI artefacts); MEDVAULT_UPDATE_SCREENS=1 also copies them to docs/screens.
 */
const CHROMIUM = process.env.MEDVAULT_CHROMIUM ?? '/usr/bin/chromium';
const available = runs('the web application in the browser', {
  files: [{ path: CHROMIUM, install: 'apt-get install chromium' }],
});

// FHIR and API answers are untyped JSON here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;

interface User { username: string; password: string; totpSecret: string | null; role: string; practiceId: string | null; fhirId: string | null }

const SCREENS = join(process.cwd(), 'test-results', 'screens');
const tmp = mkdtempSync(join(tmpdir(), 'medvault-web-'));
let server: Running;
let users: User[];
const profiles: string[] = [];

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENS, { recursive: true });
  const file = join(SCREENS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.MEDVAULT_UPDATE_SCREENS === '1') {
    mkdirSync(join(process.cwd(), 'docs', 'screens'), { recursive: true });
    copyFileSync(file, join(process.cwd(), 'docs', 'screens', `${name}.png`));
  }
}

/** A browser per person, each with a fresh profile (user data dir), as the environment asks. */
async function person(): Promise<{ context: BrowserContext; page: Page; responses: string[] }> {
  const profile = mkdtempSync(join(tmpdir(), 'medvault-chromium-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 900 }, acceptDownloads: true, locale: 'fr-FR',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const responses: string[] = [];
  page.on('response', async (r) => {
    try {
      responses.push(`${r.url()}\n${await r.text()}`);
    } catch {
      // redirects and aborted requests have no body
    }
  });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  (page as unknown as { errors: string[] }).errors = errors;
  return { context, page, responses };
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core's WCAG 2.1 A/AA rules on the page as it stands (run through the DevTools protocol, so
 * the page's CSP need not allow it): no serious or critical violation.
 */
async function accessible(page: Page): Promise<void> {
  const found = (await page.evaluate(`${AXE}; axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    .then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`)) as string[];
  expect(found).toEqual([]);
  await frenchOnly(page);
}

/** The same screen at a phone's width: nothing wider than the window, shot as `<name>-375`. */
async function narrow(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 375, height: 800 });
  await page.waitForTimeout(300);
  expect(await page.evaluate('document.documentElement.scrollWidth'), name).toBeLessThanOrEqual(375);
  await accessible(page);
  await shot(page, `${name}-375`);
  await page.setViewportSize({ width: 1280, height: 900 });
}

async function login(page: Page, u: User): Promise<void> {
  await page.goto(server.baseUrl);
  await page.getByLabel('Identifiant').fill(u.username);
  await page.getByLabel('Mot de passe').fill(u.password);
  await page.getByRole('button', { name: 'Continuer' }).click();
  if (u.totpSecret) {
    await page.getByLabel('Code de vérification').fill(await totp(u.totpSecret));
    await page.getByRole('button', { name: 'Valider' }).click();
  }
  await page.getByRole('button', { name: 'Se déconnecter' }).waitFor();
}

async function apiLogin(u: User, nextStep = false): Promise<string> {
  // A TOTP step is good once: after a login in the browser, wait for the next one.
  if (nextStep) await new Promise((r) => setTimeout(r, 31_000 - (Date.now() % 30_000)));
  const post = (path: string, body: object) => fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const l: J = await (await post('/auth/login', { username: u.username, password: u.password })).json();
  if (!l.mfa_required) return l.access_token;
  const m: J = await (await post('/auth/mfa', { mfa_token: l.mfa_token, code: await totp(u.totpSecret!) })).json();
  return m.access_token;
}

/**
 * Calls the API from inside a page, as the web app does: its token and a DPoP proof signed with
 * the page's non-extractable key (read from the app's IndexedDB store; usable, never exportable).
 */
async function pageApi(page: Page, path: string): Promise<{ status: number; body: J }> {
  return page.evaluate(`(${PAGE_FETCH})(${JSON.stringify(path)})`) as Promise<{ status: number; body: J }>;
}

/** The in-page half of pageApi (plain JavaScript: it runs in the browser, not here). */
const PAGE_FETCH = `async (p) => {
  const db = await new Promise((res, rej) => { const o = indexedDB.open('medvault', 1); o.onsuccess = () => res(o.result); o.onerror = () => rej(o.error); });
  const k = await new Promise((res, rej) => { const r = db.transaction('keys').objectStore('keys').get(sessionStorage.getItem('medvault.dpop-slot') ?? 'dpop'); r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });
  const token = sessionStorage.getItem('medvault.token');
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/[+]/g, '-').replace(/[/]/g, '_').replace(/=+$/, '');
  const enc = (o) => b64(new TextEncoder().encode(JSON.stringify(o)));
  const ath = b64(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token)));
  const input = enc({ typ: 'dpop+jwt', alg: 'ES256', jwk: k.jwk }) + '.' + enc({ htm: 'GET', htu: location.origin + p.split('?')[0], jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000), ath });
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, k.privateKey, new TextEncoder().encode(input));
  const r = await fetch(p, { headers: { authorization: 'DPoP ' + token, dpop: input + '.' + b64(sig) } });
  return { status: r.status, body: r.status < 300 ? await r.json() : null };
}`;

/** Calls the API with a page's token, as that browser (same user agent: another client would be a copied session). */
const api = async (token: string, path: string, userAgent?: string) => {
  const r = await fetch(`${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}`, ...(userAgent ? { 'user-agent': userAgent } : {}) } });
  return { status: r.status, body: (r.status < 300 ? await r.json() : null) as J };
};

beforeAll(async () => {
  if (!available) return;
  server = await startCli(['demo', '--data', join(tmp, 'data'), '--practices', '2', '--patients-per-practice', '80', '--history-days', '20', '--port', '0']);
  users = (JSON.parse(readFileSync(join(tmp, 'data', 'demo-credentials.json'), 'utf8')) as { users: User[] }).users;
}, 180_000);

afterAll(async () => {
  await server?.stop();
  for (const p of profiles) rmSync(p, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

describe.runIf(available)('the web application', () => {
  const practitioners = () => users.filter((u) => u.role === 'practitioner');
  let openedByDoctor: { doctor: User; token: string; userAgent: string; apiToken: string } | null = null;

  it('serves the app with a strict Content-Security-Policy and no third-party resource', async () => {
    const r = await fetch(server.baseUrl, { headers: { accept: 'text/html' } });
    expect(r.status).toBe(200);
    const csp = r.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await r.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)|style=|https?:\/\//);
  });

  it('lets a practitioner log in with TOTP, find a patient, read a note and write one', async () => {
    const doctor = practitioners()[0]!;
    const { page, context, responses } = await person();
    await login(page, doctor);
    await expect(page.getByRole('heading', { name: 'Rendez-vous du jour' }).isVisible()).resolves.toBe(true);
    await shot(page, 'practice-home');
    await accessible(page);
    await narrow(page, 'practice-home');
    // The page's token is bound to the browser's non-extractable DPoP key: outside the page, even
    // with the browser's user agent, it is refused; inside the page (which holds the key) it works.
    const token = (await page.evaluate('sessionStorage.getItem("medvault.token")')) as string | null;
    const ua = (await page.evaluate('navigator.userAgent')) as string;
    expect(await page.evaluate('sessionStorage.getItem("medvault.token-type")')).toBe('DPoP');
    expect((await api(token!, `/fhir/Practitioner/${doctor.fhirId}`, ua)).status).toBe(401);
    expect((await pageApi(page, `/fhir/Practitioner/${doctor.fhirId}`)).status).toBe(200);
    // A patient of theirs with notes, found through the API by the test (a session of its own).
    const apiToken = await apiLogin(doctor, true);
    openedByDoctor = { doctor, token: token!, userAgent: ua, apiToken };
    const appts = await api(apiToken, `/fhir/Appointment?practitioner=${doctor.fhirId}&date=le${new Date().toISOString().slice(0, 10)}&_count=50`);
    let target: { id: string; family: string; display: string } | null = null;
    for (const e of appts.body.entry ?? []) {
      const pid = e.resource.participant[0].actor.reference.slice(8);
      const notes = await api(apiToken, `/fhir/DocumentReference?patient=${pid}`);
      if (notes.status === 200 && (notes.body.entry ?? []).length > 0) {
        const p = await api(apiToken, `/fhir/Patient/${pid}`);
        const usual = p.body.name.find((n: { use: string }) => n.use === 'usual') ?? p.body.name[0];
        target = { id: pid, family: p.body.name[0].family, display: `${usual.given.join(' ')} ${String(usual.family).toUpperCase()}` };
        break;
      }
    }
    expect(target).not.toBeNull();
    await page.getByLabel('Nom', { exact: true }).fill(target!.family);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByTestId('results').waitFor();
    await page.getByTestId('results').getByRole('button', { name: target!.display, exact: true }).first().click();
    await page.getByTestId('notes').waitFor();
    const firstNote = await page.locator('.note-text').first().textContent();
    expect(firstNote!.length).toBeGreaterThan(5);
    const text = `Consultation de contrôle e2e ${Date.now()} : tension 12/8, poursuite du traitement.`;
    await page.getByLabel('Texte de la note').fill(text);
    await page.getByLabel('Psychiatrie').check();
    await page.getByRole('button', { name: 'Enregistrer la note' }).click();
    await page.getByText(text).waitFor();
    await shot(page, 'practice-patient');
    await accessible(page);
    await narrow(page, 'practice-patient');
    expect(responses.some((r) => r.includes('DocumentReference'))).toBe(true);

    // A patient of a colleague: the notes are refused, and the break-the-glass dialog (with its
    // reason) opens them — an emergency access the security officer and the patient will see.
    const colleague = practitioners().find((u) => u.practiceId === doctor.practiceId && u.username !== doctor.username);
    expect(colleague).toBeDefined(); // the demo seed gives this practice several doctors
    if (colleague) {
      const theirs = await api(apiToken, `/fhir/Appointment?practitioner=${colleague.fhirId}&_count=50`);
      let stranger: { display: string; family: string } | null = null;
      for (const e of theirs.body.entry ?? []) {
        const pid = e.resource.participant[0].actor.reference.slice(8);
        if ((await api(apiToken, `/fhir/DocumentReference?patient=${pid}`)).status !== 403) continue;
        const p = (await api(apiToken, `/fhir/Patient/${pid}`)).body;
        const usual = p.name.find((n: { use: string }) => n.use === 'usual') ?? p.name[0];
        stranger = { family: p.name[0].family, display: `${usual.given.join(' ')} ${String(usual.family).toUpperCase()}` };
        break;
      }
      expect(stranger).not.toBeNull();
      await goHome(page);
      await page.getByLabel('Nom', { exact: true }).fill(stranger!.family);
      await page.getByRole('button', { name: 'Rechercher' }).click();
      await page.getByTestId('results').getByRole('button', { name: stranger!.display, exact: true }).first().click();
      await page.getByRole('button', { name: /bris de glace/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Accès d’urgence' });
      await dialog.getByLabel(/Motif/).fill('Patient vu en urgence au cabinet, médecin traitant absent.');
      await dialog.getByRole('button', { name: 'Ouvrir le dossier' }).click();
      await page.getByTestId('notes').waitFor();
      expect(await page.getByRole('dialog').count()).toBe(0);
    }
    // The one refusal the page met on purpose (the colleague's notes, before the glass) is the only error.
    const errors = (page as unknown as { errors: string[] }).errors;
    expect(errors.filter((e) => !/status of 403/.test(e))).toEqual([]);
    expect(errors.length).toBeLessThanOrEqual(1);
    await context.close();
  }, 120_000);

  it('the browser stays the same client from one login to the next, and shows its devices (regression: a new DPoP key at each login made it a new, unapproved client)', async () => {
    const assistant = users.filter((u) => u.role === 'assistant').at(-1)!;
    const { page, context } = await person();
    await login(page, assistant);
    const current = async () => ((await pageApi(page, '/me/clients')).body.clients as { client: string; current: boolean; approved: boolean }[]).find((c) => c.current)!;
    const first = await current();
    expect(first.client).toMatch(/^dpop:/);
    await page.getByRole('button', { name: 'Se déconnecter' }).click();
    await page.getByLabel('Identifiant').waitFor();
    await login(page, assistant);
    const again = await current();
    expect(again.client).toBe(first.client);
    expect(again.approved).toBe(first.approved);
    // The Devices menu lists this browser.
    await page.getByRole('button', { name: 'Appareils' }).click();
    await page.getByRole('dialog', { name: 'Appareils de votre compte' }).waitFor();
    await page.getByText('celui-ci').first().waitFor();
    await shot(page, 'devices');
    await accessible(page);
    await context.close();
  }, 120_000);

  it('never shows an assistant a clinical note: not in the page, not in any response', async () => {
    const assistant = users.find((u) => u.role === 'assistant')!;
    const { page, context, responses } = await person();
    await login(page, assistant);
    await page.getByRole('heading', { name: 'Rendez-vous du jour' }).waitFor();
    const first = page.getByTestId('today').getByRole('button').first();
    if (await first.count()) await first.click();
    else {
      await page.getByLabel('Nom', { exact: true }).fill('a');
      await page.getByRole('button', { name: 'Rechercher' }).click();
      await page.getByTestId('results').getByRole('button').first().click();
    }
    await page.getByRole('heading', { name: 'Rendez-vous', exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    await shot(page, 'practice-assistant');
    expect(await page.getByTestId('notes').count()).toBe(0);
    expect(await page.getByText('Notes cliniques').count()).toBe(0);
    expect(responses.length).toBeGreaterThan(3);
    for (const r of responses) {
      expect(r).not.toContain('"resourceType":"DocumentReference"');
      expect(r).not.toContain('text/plain; charset=utf-8');
    }
    await context.close();
  }, 120_000);

  it('shows a security officer the alert within seconds of an attack, then locks, scopes and downloads the notice', async () => {
    const officer = users.find((u) => u.role === 'security-officer')!;
    const { page, context } = await person();
    await login(page, officer);
    await page.getByRole('heading', { name: /Alertes/ }).waitFor();
    // The attack: another doctor's stolen credentials, paging the directory.
    const thief = practitioners().find((u) => u.username !== openedByDoctor?.doctor.username)!;
    const token = await apiLogin(thief);
    const seen = new Set<string>();
    let url: string | null = '/fhir/Patient?_count=20';
    for (let i = 0; i < 20 && url; i++) {
      const r = await fetch(`${server.baseUrl}${url}`, { headers: { authorization: `Bearer ${token}` } });
      if (r.status !== 200) break;
      const b: J = await r.json();
      // A page the disclosure ledger cut ends with an OperationOutcome entry: not a patient.
      for (const e of b.entry ?? []) if (e.resource.resourceType === 'Patient') seen.add(e.resource.id);
      const next = (b.link as { relation: string; url: string }[]).find((l) => l.relation === 'next');
      // A cut page has no next link: the script asks again (a person told to wait would not).
      url = next ? new URL(next.url).pathname + new URL(next.url).search : '/fhir/Patient?_count=20';
    }
    const started = Date.now();
    const alert = page.getByTestId('alerts').locator('li.alert', { hasText: thief.username }).first();
    await alert.waitFor({ timeout: 10_000 });
    const seconds = (Date.now() - started) / 1000;
    expect(seconds).toBeLessThan(10);
    await expect(alert.textContent()).resolves.toMatch(/identit|patients/);
    await shot(page, 'security-console');
    await alert.getByRole('button', { name: 'Verrouiller', exact: true }).click();
    // The lock waits for its confirmation.
    await page.getByRole('dialog', { name: `Verrouiller le compte ${thief.username} ?` })
      .getByRole('button', { name: 'Verrouiller le compte' }).click();
    await alert.getByText('Compte verrouillé').waitFor();
    expect((await fetch(`${server.baseUrl}/fhir/Patient?_count=1`, { headers: { authorization: `Bearer ${token}` } })).status).toBeGreaterThanOrEqual(401);

    // A new incident is scoped from its own screen (#/security/incidents/new), reached from the register.
    const consoleNav = page.getByRole('navigation', { name: 'Console de sécurité' });
    await consoleNav.getByRole('link', { name: 'Incidents' }).click();
    await page.getByRole('link', { name: 'Nouvel incident' }).click();
    await page.getByLabel(/Comptes/).fill(thief.username);
    await page.getByRole('button', { name: 'Établir le périmètre' }).click();
    await page.getByTestId('incident').waitFor();
    const incidentId = /#\/security\/incidents\/([0-9a-f-]{36})$/.exec(page.url())?.[1] ?? '';
    expect(incidentId).not.toBe('');
    const exposed = Number(await page.getByTestId('scope-patients').textContent());
    expect(exposed).toBe(seen.size);
    // Letters naming patients need a second officer's approval (never the one who scoped).
    const second = users.filter((u) => u.role === 'security-officer').find((u) => u.username !== officer.username)!;
    const secondToken = await apiLogin(second);
    const incidents = (await api(secondToken, '/security/incidents')).body.incidents as { id: string; createdAt: string }[];
    const newest = [...incidents].sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0]!;
    expect(newest.id).toBe(incidentId);
    expect((await fetch(`${server.baseUrl}/security/incidents/${newest.id}/approve-notices`, { method: 'POST', headers: { authorization: `Bearer ${secondToken}` } })).status).toBe(201);
    // The incident's screen reads the approval when it loads.
    await page.reload();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-art34').click()]);
    const saved = join(tmp, 'art34.pdf');
    await download.saveAs(saved);
    expect(readFileSync(saved).subarray(0, 5).toString()).toBe('%PDF-');
    // The officer records the CNIL notification on the incident's screen; the breach register shows it.
    await page.getByRole('button', { name: 'CNIL notifiée' }).click();
    await page.getByTestId('timeline').getByText('CNIL notifiée').waitFor();
    await shot(page, 'security-incident');
    await accessible(page);
    await consoleNav.getByRole('link', { name: 'Incidents' }).click();
    const row = page.getByTestId('register').locator('tbody tr', { hasText: incidentId.slice(0, 8) });
    await row.getByText(/CNIL notifiée \(/).waitFor();
    await accessible(page);
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('lets a new practitioner set up their own account from the enrolment link the admin handed over', async () => {
    const admin = users.find((u) => u.role === 'practice-admin')!;
    const adminToken = await apiLogin(admin);
    const created = await fetch(`${server.baseUrl}/admin/accounts`, {
      method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'dr.e2e.nouvelle', role: 'practitioner', familyName: 'Nouvelle', givenName: 'Inès' }),
    });
    expect(created.status).toBe(201);
    const e: J = await created.json();
    expect(JSON.stringify(e)).not.toMatch(/password|totpSecret/);
    const { page, context } = await person();
    await page.goto(e.enrolmentUrl);
    await page.getByRole('heading', { name: 'Configurer votre compte' }).waitFor();
    await page.getByRole('button', { name: 'Commencer' }).click();
    const secret = (await page.getByTestId('totp-secret').textContent())!.trim();
    await page.getByLabel(/Nouveau mot de passe/).fill('un mot de passe bien à moi');
    await page.getByLabel('Le même, une seconde fois').fill('un mot de passe bien à moi');
    await page.getByLabel('Code affiché par l’application').fill(await totp(secret));
    await page.getByRole('button', { name: 'Terminer' }).click();
    await page.getByTestId('recovery-codes').waitFor();
    expect(await page.getByTestId('recovery-codes').locator('li').count()).toBe(10);
    await expect(page.getByText(/Un second responsable doit encore approuver/).isVisible()).resolves.toBe(true);
    await shot(page, 'enrolment');
    await accessible(page);
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await context.close();
  }, 120_000);

  it('shows a patient the access that was just made to their record', async () => {
    const patient = users.find((u) => u.role === 'patient' && u.practiceId === openedByDoctor?.doctor.practiceId) ?? users.find((u) => u.role === 'patient')!;
    const doctor = openedByDoctor!;
    // The doctor opens this patient's record now (an identity read: allowed within the practice, audited).
    expect((await api(doctor.apiToken, `/fhir/Patient/${patient.fhirId}`)).status).toBe(200);
    const { page, context } = await person();
    // The patient signs in with the keyboard alone: type, Tab, type, Enter.
    await page.goto(server.baseUrl);
    await page.getByLabel('Identifiant').focus();
    await page.keyboard.type(patient.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(patient.password);
    await page.keyboard.press('Enter');
    if (patient.totpSecret) {
      await page.getByLabel('Code de vérification').waitFor();
      await page.keyboard.type(await totp(patient.totpSecret));
      await page.keyboard.press('Enter');
    }
    await page.getByTestId('accesses').waitFor();
    const rows = page.getByTestId('accesses').locator('tbody tr');
    await expect(rows.count()).resolves.toBeGreaterThan(0);
    const text = await page.getByTestId('accesses').textContent();
    const who = (await api(doctor.apiToken, `/fhir/Practitioner/${doctor.doctor.fhirId}`)).body.name[0].family as string;
    // The newest access first: the doctor who just opened the record, as a practitioner.
    const newest = await rows.first().textContent();
    expect(newest).toContain(who);
    expect(newest).toMatch(/médecin/);
    expect(text).toMatch(/a ouvert votre dossier/);
    await shot(page, 'patient-portal');
    await accessible(page);
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await context.close();
  }, 120_000);
});

/**
 * Refusals in the browser, each with its reason in French: a server in this process over the test
 * app's services, with detection thresholds low enough to meet each refusal in a few clicks, and
 * X-Forwarded-For believed from this machine (a browser "moves" to a new network address by
 * changing that header). The detector's budgets are per account: each case uses its own accounts.
 */
describe.runIf(available)('refusals say why, in French', () => {
  let t: TestApp;
  let web: ReturnType<typeof buildServer>;
  let base: string;
  const roles = (role: string, practice: number) => t.seeded.users.filter((u) => u.role === role && u.practiceId === t.seeded.practices[practice]!.id);

  beforeAll(async () => {
    t = await startTestApp({
      clock: () => new Date(),
      // Two full identities a day per account (a suspension at the third), and four patients listed
      // by broad searches per practice in ten minutes (the practice's shared budget).
      thresholds: { ...NO_DETECTION, identitiesPerDay: 2, practiceListedPer10Min: 4 },
    });
    web = buildServer({ state: { services: t.services }, version: 'test', logLevel: 'warn', clock: () => new Date(), trustProxy: '127.0.0.1' });
    await web.listen({ host: '127.0.0.1', port: 0 });
    const a = web.server.address() as { port: number };
    base = `http://127.0.0.1:${a.port}`;
  }, 180_000);

  afterAll(async () => {
    await web?.close();
    await t?.close();
  });

  /** Signs in through the login page (password, then the TOTP code of now when the account has one). */
  async function signIn(page: Page, u: DemoUser, code?: string): Promise<void> {
    await page.goto(base);
    await page.getByLabel('Identifiant').fill(u.username);
    await page.getByLabel('Mot de passe').fill(u.password);
    await page.getByRole('button', { name: 'Continuer' }).click();
    if (u.totpSecret) {
      await page.getByLabel('Code de vérification').fill(code ?? (await totp(u.totpSecret)));
      await page.getByRole('button', { name: 'Valider' }).click();
    }
  }

  /** Opens a patient from the practice app's name search. */
  async function openPatient(page: Page, family: string): Promise<void> {
    await goHome(page);
    await page.getByLabel('Nom', { exact: true }).fill(family);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByTestId('results').getByRole('button').first().click();
  }

  /** Reads a patient's identity through the API as this account (one more full identity for its budget). */
  // From the address the helper signed in from (a bearer token is bound to its session's network).
  const FROM = '127.0.0.1';
  const read = async (token: string, id: string) =>
    (await t.app.inject({ method: 'GET', url: `/fhir/Patient/${id}`, headers: bearer(token), remoteAddress: FROM })).statusCode;

  let held: { page: Page; context: BrowserContext; userId: string } | null = null;

  it('tells a user who types a code already used to wait for the next one', async () => {
    const doctor = roles('practitioner', 0)[0]!;
    // The same 30-second step for both uses of the code.
    if (Date.now() % 30_000 > 20_000) await new Promise((r) => setTimeout(r, 30_500 - (Date.now() % 30_000)));
    const code = await totp(doctor.totpSecret!);
    const l = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: doctor.username, password: doctor.password } });
    const m = await t.app.inject({ method: 'POST', url: '/auth/mfa', payload: { mfa_token: l.json().mfa_token, code } });
    expect(m.statusCode).toBe(200);
    const { page, context } = await person();
    await signIn(page, doctor, code);
    await page.getByRole('alert').getByText('code déjà utilisé — attendez le suivant').waitFor();
    await shot(page, 'refusal-totp-replayed');
    await context.close();
  }, 120_000);

  it('shows a suspended doctor why, in French, before the login page', async () => {
    const [doctor, stepping] = [roles('practitioner', 1)[0]!, roles('practitioner', 1)[2]!];
    // A colleague signed in before the wave below (from an address of hers): the wave will ask her
    // for a second factor when she appears from a new one.
    const s = await person();
    await s.context.setExtraHTTPHeaders({ 'x-forwarded-for': '10.20.0.5' });
    await signIn(s.page, stepping);
    await s.page.getByRole('button', { name: 'Se déconnecter' }).waitFor();
    held = { ...s, userId: ((await pageApi(s.page, '/me')).body as { userId: string }).userId };

    const { page, context } = await person();
    await signIn(page, doctor);
    await page.getByRole('button', { name: 'Se déconnecter' }).waitFor();
    // Three patients whose family names nobody else in the practice bears (the first result is theirs).
    const all = await patientsOf(t, doctor.practiceId!);
    const family = (p: (typeof all)[number]) => p.usedFamilyName ?? p.birthFamilyName;
    const unique = all.filter((p) => all.filter((q) => family(q) === family(p) || q.birthFamilyName === family(p)).length === 1);
    for (const p of unique.slice(0, 2)) {
      await openPatient(page, family(p));
      await page.getByRole('heading', { level: 1, name: new RegExp(family(p), 'i') }).waitFor();
    }
    await openPatient(page, family(unique[2]!));
    const dialog = page.getByRole('dialog', { name: 'Compte suspendu' });
    await dialog.waitFor();
    const why = await dialog.getByTestId('ended-why').textContent();
    expect(why).toMatch(/^Compte suspendu : ce compte a atteint son plafond de 2 identités complètes lues en une journée/);
    expect(why).toContain('Appelez le responsable sécurité de la plateforme pour le rétablir.');
    expect(why).not.toMatch(/reached|budget of/);
    await shot(page, 'refusal-suspended');
    await dialog.getByRole('button', { name: 'Retour à la connexion' }).click();
    await page.getByLabel('Identifiant').waitFor();
    await expect(page.getByRole('alert').first().textContent()).resolves.toContain('plafond de 2 identités complètes');
    // Signed in again, the account is still suspended, and the login page says why.
    await signIn(page, doctor, await totp(doctor.totpSecret!, new Date(Date.now() + 30_000)));
    await page.locator('p.error[role="alert"]').getByText(/^Compte suspendu : ce compte a atteint son plafond/).waitFor();
    expect((page as unknown as { errors: string[] }).errors.filter((e) => !/status of 40[13]/.test(e))).toEqual([]);
    await context.close();
  }, 120_000);

  it('opens the step-up dialog with its reason when a wave holds an account that appears from a new address', async () => {
    // Two more accounts of the practice contained within minutes: a wave (with the doctor above).
    const patients = await patientsOf(t, t.seeded.practices[1]!.id);
    for (const a of roles('assistant', 1)) {
      const token = (await apiSignIn(t, a)).access_token;
      const served = [];
      for (const p of patients.slice(10, 13)) served.push(await read(token, p.id));
      expect(served).toEqual([200, 200, 401]);
    }
    await t.services.detection.settle();
    expect(t.services.detection.officer.waves().map((w) => w.practiceId)).toEqual([t.seeded.practices[1]!.id]);
    const { page, context } = held!;
    await context.setExtraHTTPHeaders({ 'x-forwarded-for': '10.30.0.7' });
    await page.getByLabel('Nom', { exact: true }).fill('Martin');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    const dialog = page.getByRole('dialog', { name: 'Confirmez votre identité' });
    await dialog.waitFor();
    const why = await dialog.getByTestId('dialog-why').textContent();
    expect(why).toMatch(/^Confirmez votre second facteur : plusieurs comptes \(3\) viennent d'être suspendus ou verrouillés en quelques minutes/);
    expect(why).toContain('adresse réseau qu\'il n\'avait pas utilisée cette semaine');
    await shot(page, 'refusal-step-up-wave');
    await dialog.getByRole('button', { name: 'Annuler' }).click();
    await context.close();
  }, 120_000);

  it('says which practice budget cut a listing, then how many minutes to wait', async () => {
    const assistant = roles('assistant', 0)[0]!;
    const { page, context } = await person();
    await signIn(page, assistant);
    await page.getByRole('button', { name: 'Se déconnecter' }).waitFor();
    // A search without criteria lists the practice: four patients, then the practice's budget.
    await page.getByRole('button', { name: 'Rechercher' }).click();
    const cut = page.getByTestId('cut');
    await cut.waitFor();
    expect(await cut.textContent()).toMatch(/^Liste coupée : les comptes du cabinet, ensemble, ont atteint leur plafond de 4 identités affichées par des recherches larges en dix minutes\./);
    const listed = await page.getByTestId('results').getByRole('button').allTextContents();
    expect(listed).toHaveLength(4);
    await shot(page, 'refusal-listing-cut');
    // A short name (a broad search) whose patients the four above are not: none fits any more.
    const words = listed.join(' ').toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').split(/[\s-]+/);
    const other = (await patientsOf(t, assistant.practiceId!)).map((p) => (p.usedFamilyName ?? p.birthFamilyName).toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, ''))
      .map((f) => f.slice(0, 2)).find((pre) => /^[a-z]{2}$/.test(pre) && !words.some((w) => w.startsWith(pre)));
    expect(other).toBeDefined();
    await page.getByLabel('Nom', { exact: true }).fill(other!);
    await page.getByRole('button', { name: 'Rechercher' }).click();
    const refusal = page.locator('p.error[role="alert"]');
    await refusal.waitFor();
    const text = await refusal.textContent();
    expect(text).toMatch(/^Plafond partagé du cabinet atteint : les comptes du cabinet, ensemble, ont atteint leur plafond de 4 identités/);
    expect(text).toMatch(/Votre compte n'est pas en cause : réessayez dans (\d+) minutes?\./);
    await shot(page, 'refusal-practice-budget');
    await context.close();
  }, 120_000);

  it('shows the officer the wave, ends it, and unlocks with two officers', async () => {
    const [officer, second] = t.seeded.users.filter((u) => u.role === 'security-officer');
    const doctor = roles('practitioner', 1)[0]!;
    const { page, context } = await person();
    await signIn(page, officer!);
    const waves = page.getByTestId('waves');
    await waves.waitFor();
    await expect(waves.getByTestId('wave-contained').textContent()).resolves.toContain(doctor.username);
    await expect(waves.getByTestId('wave-held').textContent()).resolves.toContain(held!.userId.slice(0, 8));
    await expect(waves.textContent()).resolves.toMatch(/3 comptes de ce cabinet suspendus ou verrouillés en quelques minutes/);
    // The alert says the doctor's reason in French, as she was told it.
    const alert = page.getByTestId('alerts').locator('li.alert', { hasText: doctor.username }).first();
    await expect(alert.textContent()).resolves.toContain('Ce compte a atteint son plafond de 2 identités complètes lues en une journée');
    await shot(page, 'security-wave');
    await waves.getByRole('button', { name: 'Mettre fin à la vague' }).click();
    await page.getByRole('dialog', { name: 'Mettre fin à la vague ?' })
      .getByRole('button', { name: 'Mettre fin à la vague' }).click();
    await waves.waitFor({ state: 'detached' });
    expect(t.services.detection.officer.waves()).toEqual([]);
    // Four eyes: the first officer's unlock is a request; a second officer's lifts the account.
    await alert.getByRole('button', { name: 'Déverrouiller' }).click();
    await page.getByRole('dialog', { name: `Demander le déverrouillage de ${doctor.username} ?` })
      .getByRole('button', { name: 'Demander le déverrouillage' }).click();
    await alert.getByText('Demande de déverrouillage enregistrée : un second responsable sécurité doit la confirmer.').waitFor();
    await shot(page, 'security-unlock-pending');
    const token = (await apiSignIn(t, second!)).access_token;
    const users = await t.app.inject({ method: 'GET', url: '/security/alerts', headers: bearer(token), remoteAddress: FROM });
    const doctorId = (users.json().alerts as { userId: string; username: string }[]).find((a) => a.username === doctor.username)!.userId;
    const unlock = await t.app.inject({ method: 'POST', url: `/security/accounts/${doctorId}/unlock`, headers: bearer(token), remoteAddress: FROM });
    expect(unlock.statusCode).toBe(204);
    expect((page as unknown as { errors: string[] }).errors).toEqual([]);
    await context.close();
  }, 120_000);
});
