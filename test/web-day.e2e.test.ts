import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import QRCode from 'qrcode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { totp } from './helpers/app.js';
import {
  accessible, CHROMIUM, demoAccounts, demoLogin, frenchOnly, login, pageApi, person, removeProfiles, shot,
  type DemoAccount, type J,
} from './helpers/browser.js';
import { freeSlot, inviteColleague, local } from './helpers/agenda.js';
import { startCli, type Running } from './helpers/cli.js';
import { pdfWith } from './helpers/documents.js';
import { runs } from './helpers/needs.js';
import type { Seen } from './helpers/patient-page.js';

/**
 * A practice's day against a `medvault demo`, each person in a browser of their own: the admin sets a visit type
 * and invites a locum, who enrols with the QR code's secret and signs in once a second admin approved her; the
 * desk books the week, is refused a double booking, moves a visit and cancels another; the doctor receives a
 * patient, records the consultation, marks her seen and shares a document; an officer contains a stolen account,
 * a second approves the notices; the patient finds her appointment, the document and who opened her record.
 * Every screen keeps its address (reload, back), passes axe-core, reads in French only, fits 1280 and 375 px.
 */
const browser = runs('a practice day', { files: [{ path: CHROMIUM, install: 'apt-get install chromium' }] });

/** The enrolment page's QR options (web/src/enrol.tsx QR_OPTIONS). */
const QR_OPTIONS = { type: 'svg', errorCorrectionLevel: 'M', margin: 2, width: 220 } as const;
const VISIT_TYPE = 'Consultation longue';
const REASON = 'Contrôle tensionnel et renouvellement';
const NOTE = 'Tension bien contrôlée sous traitement, pas de plainte fonctionnelle.';
const SHARED = 'Bilan sanguin de contrôle';

const tmp = mkdtempSync(join(tmpdir(), 'medvault-day-'));
const data = join(tmp, 'data');
let server: Running;
let users: DemoAccount[];

beforeAll(async () => {
  if (!browser) return;
  server = await startCli(['demo', '--data', data, '--practices', '2', '--patients-per-practice', '40',
    '--history-days', '3', '--port', '0']);
  users = demoAccounts(data);
}, 180_000);

afterAll(async () => {
  await server?.stop();
  removeProfiles();
  rmSync(tmp, { recursive: true, force: true });
});

// A TOTP step is good once per account: each use of a code waits for a step the account has not used yet.
const usedStep = new Map<string, number>();
async function once<T>(secret: string | null, act: () => Promise<T>): Promise<T> {
  const last = secret === null ? undefined : usedStep.get(secret);
  if (last !== undefined) await new Promise((r) => setTimeout(r, (last + 1) * 30_000 - Date.now() + 500));
  const out = await act();
  if (secret !== null) usedStep.set(secret, Math.floor(Date.now() / 30_000));
  return out;
}
const signIn = (page: Page, u: DemoAccount) => once(u.totpSecret, () => login(page, server.baseUrl, u));
const apiSignIn = (u: DemoAccount) => once(u.totpSecret, () => demoLogin(server.baseUrl, u));

async function call(path: string, token = '', body?: object): Promise<{ status: number; body: J }> {
  const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(server.baseUrl + path, { method: body ? 'POST' : 'GET', body: JSON.stringify(body), headers });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

const dayOf = (d: Date) => local(d).slice(0, 10);
const timeOf = (d: Date) => local(d).slice(11);

/** The screens a person went through, in order: the back button returns to the one before. */
type Trail = { url: string; mark: Locator }[];

/** A reload shows the same screen at the same URL; back shows the screen before it, forward this one again. */
async function keeps(page: Page, trail: Trail, mark?: Locator): Promise<void> {
  // What says the screen is shown: `mark`, or its main heading as it reads now.
  const h1 = page.locator('main h1');
  await (mark ?? h1.first()).waitFor();
  const text = mark ? '' : (await h1.first().textContent())!.replace(/\s+/g, ' ').trim()
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const here = { url: page.url(), mark: mark ?? h1.filter({ hasText: new RegExp(`^${text}$`) }) };
  const shows = async (s: Trail[number]) => {
    await s.mark.waitFor();
    expect(page.url()).toBe(s.url);
  };
  await page.reload();
  await shows(here);
  const before = trail.at(-1);
  if (before) {
    expect(before.url).not.toBe(here.url);
    await page.goBack();
    await shows(before);
    await page.goForward();
    await shows(here);
  }
  trail.push(here);
}

/** At 1280 and 375 px: nothing sticks out (tag.class) but in scrolling grids and tables; axe-core; French only. */
async function screens(page: Page, name: string): Promise<void> {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 1280 ? 900 : 800 });
    await page.waitForTimeout(300);
    const wide = await page.evaluate(`[...[...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .filter((e) => !e.closest('.agenda-grid, .table-wrap, .scroll, table, .sr-only'))
      .slice(0, 5).map((e) => e.tagName.toLowerCase() + '.' + [...e.classList].join('.')),
      ...(document.documentElement.scrollWidth > ${width} ? ['page ' + document.documentElement.scrollWidth] : [])]`);
    expect(wide, `${name} at ${width} px`).toEqual([]);
    await accessible(page);
    await frenchOnly(page);
    await shot(page, width === 1280 ? `day-${name}` : `day-${name}-375`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/** A screen, once its work is done: checked at both widths as it stands, then its address. */
async function visit(page: Page, trail: Trail, name: string, mark?: Locator): Promise<void> {
  await screens(page, name);
  await keeps(page, trail, mark);
}

/** Who works today: the portal patient's practice, her doctor and two other patients of hers; a thief elsewhere. */
type Cast = Awaited<ReturnType<typeof cast>>;

async function seenAs(token: string, id: string): Promise<Seen> {
  const p = (await call(`/fhir/Patient/${id}`, token)).body;
  const usual = p.name.find((n: J) => n.use === 'usual') ?? p.name[0];
  return { id, family: p.name[0].family, display: `${usual.given.join(' ')} ${String(usual.family).toUpperCase()}` };
}

async function cast() {
  const patient = users.find((u) => u.role === 'patient')!;
  const of = (role: string) => users.find((u) => u.role === role && u.practiceId === patient.practiceId)!;
  const deskToken = await apiSignIn(of('assistant'));
  // Her doctor: the one the practice books her with (her treating doctor).
  const hers = (await call(`/fhir/Appointment?patient=${patient.fhirId}&_count=50`, deskToken)).body;
  const doctor = users.find((u) => (hers.entry[0].resource.participant as J[])
    .some((x) => x.actor.reference === `Practitioner/${u.fhirId}`))!;
  const appts = (await call(`/fhir/Appointment?practitioner=${doctor.fhirId}&_count=50`, deskToken)).body;
  const ids = [...new Set(((appts.entry ?? []) as J[]).flatMap((e) => (e.resource.participant as J[])
    .map((x) => x.actor.reference as string).filter((r) => r.startsWith('Patient/')).map((r) => r.slice(8))))]
    .filter((id) => id !== patient.fhirId).slice(0, 2);
  expect(ids.length).toBe(2);
  const practitioner = (await call(`/fhir/Practitioner/${doctor.fhirId}`, deskToken)).body;
  return {
    admin: of('practice-admin'), desk: of('assistant'), doctor, doctorFamily: practitioner.name[0].family, patient,
    seen: await seenAs(deskToken, patient.fhirId!), others: await Promise.all(ids.map((id) => seenAs(deskToken, id))),
    officers: users.filter((u) => u.role === 'security-officer'), deskToken,
    thief: users.find((u) => u.role === 'practitioner' && u.practiceId !== patient.practiceId)!,
  };
}

// --- 1. The practice admin, a second admin and the locum.
/** Invites a colleague from the invite screen; returns the enrolment link the dialog shows, and closes it. */
async function invite(page: Page, kind: string, given: string, family: string): Promise<string> {
  const url = await inviteColleague(page, kind, given, family);
  await page.getByRole('button', { name: 'Fermer' }).click();
  return url;
}

const account = (username: string, password: string, role: string): DemoAccount =>
  ({ username, password, role, totpSecret: null, practiceId: null, fhirId: null });

async function adminAndLocum(c: Cast): Promise<void> {
  const a = await person();
  const trail: Trail = [];
  await signIn(a.page, c.admin);
  // The admin's home is the accounts screen (a redirect, which the back button skips).
  await expect.poll(() => a.page.url()).toMatch(/#\/admin\/accounts$/);
  await visit(a.page, trail, 'admin-accounts');
  const nav = a.page.getByRole('navigation', { name: 'Administration du cabinet' });
  // A visit type of 30 minutes, which the desk books below.
  await nav.getByRole('link', { name: 'Agenda' }).click();
  await expect.poll(() => a.page.url()).toMatch(/#\/admin\/agenda$/);
  await a.page.getByRole('button', { name: 'Ajouter un type' }).click();
  const row = a.page.getByTestId('visit-types').locator('tbody tr').last();
  await row.getByLabel('Nom').fill(VISIT_TYPE);
  await row.getByLabel('Durée (min)').fill('30');
  await a.page.getByRole('button', { name: 'Enregistrer les types' }).click();
  await a.page.getByText('Types de consultation enregistrés.').waitFor();
  await visit(a.page, trail, 'admin-agenda');
  // The practice has one admin, and a new account needs a second person's approval: a second admin,
  // whom the security officer approves in the console.
  await nav.getByRole('link', { name: 'Inviter un collègue' }).click();
  await visit(a.page, trail, 'admin-invite');
  const t2 = (await invite(a.page, 'Administrateur du cabinet', 'Claire', 'Roussel')).split('/').pop()!;
  const secret2 = (await call('/auth/enrol', '', { token: t2 })).body.totpSecret as string;
  const admin2 = { ...account('c.roussel', 'la phrase de Claire Roussel', 'practice-admin'), totpSecret: secret2 };
  const done2 = await once(secret2, async () =>
    call('/auth/enrol/complete', '', { token: t2, password: admin2.password, code: await totp(secret2) }));
  expect(done2.body.status).toBe('pending');
  // The security officer approves her in the console, behind a confirmation.
  const o = await person();
  await signIn(o.page, c.officers[1]!);
  await o.page.getByRole('link', { name: 'Approbations' }).click();
  const waiting = o.page.getByTestId(`pending-${admin2.username}`);
  await waiting.getByRole('button', { name: 'Approuver le compte' }).click();
  await o.page.getByRole('dialog').getByRole('button', { name: 'Approuver', exact: true }).click();
  await waiting.waitFor({ state: 'detached' });
  const officerTrail: Trail = [];
  await visit(o.page, officerTrail, 'officer-approvals');
  expect(o.errors).toEqual([]);
  await o.context.close();
  const a2 = ((await pageApi(a.page, 'GET', '/admin/accounts')).body.accounts as J[])
    .find((x) => x.username === admin2.username);
  expect(a2.status).toBe('active');
  // The locum opens her link in her own browser; the QR code is the otpauth URI of the key beside it.
  await nav.getByRole('link', { name: 'Inviter un collègue' }).click();
  const link = await invite(a.page, 'Médecin remplaçant', 'Inès', 'Martel');
  const locum = account('dr.i.martel', 'la phrase de passe d’Inès', 'practitioner');
  const l = await person();
  await l.page.goto(link);
  await keeps(l.page, []);
  await l.page.getByRole('button', { name: 'Commencer' }).click();
  await l.page.getByText(`Identifiant : ${locum.username}.`).waitFor();
  const secret = (await l.page.getByTestId('totp-secret').textContent())!.trim();
  expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
  locum.totpSecret = secret;
  const uri = `otpauth://totp/${encodeURIComponent(`medvault:${locum.username}`)}?secret=${secret}`
    + '&issuer=medvault&algorithm=SHA1&digits=6&period=30';
  const src = (await l.page.getByTestId('totp-qr').getAttribute('src'))!;
  expect(decodeURIComponent(src.replace(/^data:image\/svg\+xml;charset=utf-8,/, '')))
    .toBe(await QRCode.toString(uri, QR_OPTIONS));
  await screens(l.page, 'locum-enrol');
  await l.page.getByLabel(/Nouveau mot de passe/).fill(locum.password);
  await l.page.getByLabel('Le même, une seconde fois').fill(locum.password);
  await once(secret, async () => {
    await l.page.getByLabel('Code affiché par l’application').fill(await totp(secret));
    await l.page.getByRole('button', { name: 'Terminer' }).click();
    await l.page.getByText(/Un second responsable doit encore approuver/).waitFor();
  });
  // The admin who invited her may not approve her; the second admin does, in her own browser.
  await a.page.reload();
  await a.page.getByTestId('accounts-waiting').locator('li', { hasText: 'Inès MARTEL' })
    .getByText('une autre personne doit approuver').waitFor();
  expect(a.errors).toEqual([]);
  await a.context.close();
  const b = await person();
  await signIn(b.page, admin2);
  await expect.poll(() => b.page.url()).toMatch(/#\/admin\/accounts$/);
  const approve = b.page.getByTestId('accounts-waiting').locator('li', { hasText: 'Inès MARTEL' })
    .getByRole('button', { name: 'Approuver' });
  await approve.waitFor();
  await visit(b.page, [], 'second-admin-accounts');
  await approve.click();
  await b.page.getByText(`Compte ${locum.username} approuvé.`).waitFor();
  expect(b.errors).toEqual([]);
  await b.context.close();
  // She signs in: the practice's home, her own.
  await signIn(l.page, locum);
  await visit(l.page, [], 'locum-home', l.page.getByRole('heading', { name: 'Rendez-vous du jour' }));
  expect(l.errors).toEqual([]);
  await l.context.close();
}

// --- 2. The desk books the week.
async function deskBooks(c: Cast): Promise<{ soon: Date; followUp: Date }> {
  const { seen, others, doctor, deskToken } = c;
  const slot = (from: Date) => freeSlot(server.baseUrl, deskToken, doctor.fhirId!, from, 30);
  const { page, context, errors } = await person();
  const trail: Trail = [];
  await signIn(page, c.desk);
  await visit(page, trail, 'desk-home', page.getByRole('heading', { name: 'Rendez-vous du jour' }));
  await page.getByRole('navigation', { name: 'Navigation', exact: true }).getByRole('link', { name: 'Agenda' }).click();
  const dialog = page.getByRole('dialog');
  const book = async (p: Seen, at: Date, refused = false) => {
    await page.getByRole('button', { name: 'Nouveau rendez-vous' }).click();
    await page.getByLabel('Patient (nom prénom)').fill(p.family);
    await page.getByRole('button', { name: 'Chercher' }).click();
    await page.getByTestId('nv-found').getByRole('button', { name: p.display, exact: true }).first().click();
    await page.getByLabel('Médecin').last().selectOption(doctor.fhirId!);
    await page.getByLabel('Type de consultation').selectOption({ label: `${VISIT_TYPE} (30 min)` });
    await page.getByLabel('Date et heure').fill(local(at));
    await page.getByRole('button', { name: 'Réserver' }).click();
    if (!refused) await dialog.waitFor({ state: 'detached' });
  };
  // Her visit in a few minutes, and her follow-up at the end of the week.
  const soon = await slot(new Date(Date.now() + 10 * 60_000));
  await book(seen, soon);
  const followUp = await slot(new Date(Date.now() + 4 * 86_400_000));
  await book(seen, followUp);
  // Tomorrow: one patient; the second at the same time is refused, in French, the dialog kept open.
  // From 09:00 UTC tomorrow: the visits below (an hour, three hours later) stay on that day whatever
  // the hour the test runs at (from now + 24 h, an evening run moved them past midnight).
  const morning = new Date(Date.now() + 86_400_000);
  morning.setUTCHours(9, 0, 0, 0);
  const first = await slot(morning);
  await book(others[0]!, first);
  await book(others[1]!, new Date(first.getTime() + 10 * 60_000), true);
  await expect.poll(() => dialog.getByRole('alert').textContent()).toContain('chevauche un autre rendez-vous');
  const second = await slot(new Date(first.getTime() + 60 * 60_000));
  await page.getByLabel('Date et heure').fill(local(second));
  await page.getByRole('button', { name: 'Réserver' }).click();
  await dialog.waitFor({ state: 'detached' });
  const at = (p: Seen, d: Date) => page.getByTestId('visit').filter({ hasText: p.display })
    .filter({ hasText: timeOf(d) });
  if (dayOf(soon) === dayOf(new Date())) await at(seen, soon).waitFor();
  await visit(page, trail, 'desk-agenda');
  // Tomorrow's day of the doctor: the first visit moved three hours later, the second cancelled with a reason.
  await page.goto(`${server.baseUrl}/#/agenda/day/${dayOf(first)}/${doctor.fhirId}`);
  const moved = await slot(new Date(first.getTime() + 3 * 3_600_000));
  await at(others[0]!, first).click();
  await page.getByRole('button', { name: 'Déplacer' }).click();
  await page.getByLabel('Nouvelle date et heure').fill(local(moved));
  await page.getByRole('button', { name: 'Déplacer' }).click();
  await dialog.waitFor({ state: 'detached' });
  await at(others[0]!, moved).waitFor();
  await at(others[1]!, second).click();
  await page.getByRole('button', { name: 'Annuler le rendez-vous' }).click();
  await page.getByLabel('Motif d’annulation').selectOption({ label: 'À la demande du patient' });
  await page.getByRole('button', { name: 'Confirmer l’annulation' }).click();
  await dialog.waitFor({ state: 'detached' });
  await expect.poll(() => at(others[1]!, second).textContent()).toContain('annulé');
  await visit(page, trail, 'desk-day');
  // The doctor's week: its own screen, the moved visit in it.
  await page.getByRole('button', { name: 'Semaine', exact: true }).click();
  await expect.poll(() => page.url()).toContain('#/agenda/week/');
  await at(others[0]!, moved).waitFor();
  await visit(page, trail, 'desk-week');
  // The double booking is the browser's one complaint.
  expect(errors.filter((e) => !e.includes('409 (Conflict)'))).toEqual([]);
  expect(errors.length).toBe(1);
  await context.close();
  return { soon, followUp };
}

// --- 3. The doctor receives her patient.
async function doctorSees(c: Cast, soon: Date): Promise<void> {
  const { page, context, errors } = await person();
  const trail: Trail = [];
  await signIn(page, c.doctor);
  if (dayOf(soon) === dayOf(new Date())) await page.getByTestId('today').getByText(c.seen.display).first().waitFor();
  await visit(page, trail, 'doctor-home', page.getByRole('heading', { name: 'Rendez-vous du jour' }));
  const agenda = `${server.baseUrl}/#/agenda/day/${dayOf(soon)}`;
  const hers = page.getByTestId('visit').filter({ hasText: c.seen.display }).filter({ hasText: timeOf(soon) });
  const mark = async (button: string, status: string) => {
    await hers.click();
    await page.getByRole('button', { name: button, exact: true }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await expect.poll(() => hers.textContent()).toContain(status);
  };
  const openChart = async () => {
    await hers.click();
    await page.getByRole('button', { name: 'Ouvrir le dossier' }).click();
    await page.getByRole('tab', { name: 'Synthèse' }).waitFor();
    expect(page.url()).toMatch(new RegExp(`#/patient/${c.seen.id}$`));
  };
  await page.goto(agenda);
  await mark('Arrivé', 'arrivé');
  await keeps(page, trail);
  // Her chart, from the visit: the consultation, its note and vital signs.
  await openChart();
  await page.getByRole('tab', { name: 'Consultation' }).click();
  await page.getByLabel('Motif de consultation').fill(REASON);
  await page.getByRole('button', { name: 'Commencer la consultation' }).click();
  await page.getByLabel('Texte de la note de consultation', { exact: true }).fill(NOTE);
  await page.getByRole('button', { name: 'Enregistrer la note de consultation', exact: true }).click();
  await page.getByText('Note enregistrée.').waitFor();
  for (const [label, value] of [['Poids (kg)', '64,2'], ['Taille (cm)', '168'], ['PA systolique (mmHg)', '128'],
    ['PA diastolique (mmHg)', '82']] as const) await page.getByLabel(label).fill(value);
  await page.getByRole('button', { name: 'Enregistrer les constantes' }).click();
  await page.getByTestId('enc-vitals').getByText('128/82 mmHg').waitFor();
  await page.getByRole('button', { name: 'Terminer la consultation' }).click();
  await page.getByRole('tab', { name: 'Synthèse', selected: true }).waitFor();
  await page.getByTestId('sum-encounters').getByText(REASON).first().waitFor();
  await visit(page, trail, 'doctor-chart');
  // Back in her day: the visit is seen.
  await page.goto(agenda);
  await mark('Vu', 'honoré');
  await visit(page, trail, 'doctor-agenda');
  // The blood test's report, added to her chart and shared with her (« Partager avec le patient »).
  await openChart();
  await page.getByRole('tab', { name: 'Documents' }).click();
  const form = page.getByRole('form', { name: 'Ajouter un document' });
  const file = { name: 'bilan-sanguin.pdf', mimeType: 'application/pdf', buffer: pdfWith('Bilan sanguin') };
  await form.getByLabel(/^Fichier/).setInputFiles(file);
  await form.getByTestId('doc-chosen').waitFor();
  await form.getByLabel('Titre', { exact: true }).fill(SHARED);
  await form.getByLabel('Nature').selectOption({ label: 'Compte rendu de biologie' });
  await form.getByRole('button', { name: 'Ajouter le document' }).click();
  const row = page.getByTestId('documents-table').getByRole('row', { name: new RegExp(SHARED) });
  const toggle = row.getByRole('checkbox', { name: /Partager avec le patient/ });
  await expect.poll(() => toggle.isChecked()).toBe(false);
  await toggle.check();
  await expect.poll(() => toggle.isChecked()).toBe(true);
  await visit(page, trail, 'doctor-documents');
  expect(errors).toEqual([]);
  await context.close();
}

// --- 4. Two security officers.
/** A doctor's stolen credentials paging the directory, until twenty pages or a refusal. */
async function attack(thief: DemoAccount): Promise<void> {
  const token = await apiSignIn(thief);
  let url = '/fhir/Patient?_count=20';
  for (let i = 0, r = await call(url, token); i < 20 && r.status === 200; i++, r = await call(url, token)) {
    const next = (r.body.link as J[]).find((l) => l.relation === 'next');
    url = next ? new URL(next.url).pathname + new URL(next.url).search : '/fhir/Patient?_count=20';
  }
}

async function officersContain(c: Cast): Promise<void> {
  await attack(c.thief);
  const a = await person();
  const { page } = a;
  const trail: Trail = [];
  await signIn(page, c.officers[0]!);
  const alert = page.getByTestId('alerts').locator('li.alert', { hasText: c.thief.username }).first();
  await alert.waitFor({ timeout: 15_000 });
  await visit(page, trail, 'officer-alerts');
  // An incident scoped on the account, then contained after a confirmation.
  await page.getByRole('navigation', { name: 'Console de sécurité' }).getByRole('link', { name: 'Incidents' }).click();
  await page.getByRole('heading', { name: 'Registre des violations' }).waitFor();
  await visit(page, trail, 'officer-register');
  await page.getByRole('link', { name: 'Nouvel incident' }).click();
  await visit(page, trail, 'officer-incident-new');
  await page.getByLabel(/Comptes/).fill(c.thief.username);
  await page.getByLabel(/Compter aussi les accès/).check();
  await page.getByRole('button', { name: 'Établir le périmètre' }).click();
  await page.getByTestId('incident').waitFor();
  const incidentId = /#\/security\/incidents\/([0-9a-f-]{36})$/.exec(page.url())![1]!;
  expect(Number(await page.getByTestId('scope-patients').textContent())).toBeGreaterThan(0);
  await page.getByRole('button', { name: /^Contenir :/ }).click();
  const dialog = page.getByRole('dialog');
  await expect(dialog.textContent()).resolves.toMatch(new RegExp(`${c.thief.username}.*verrouillé`));
  await dialog.getByRole('button', { name: 'Contenir', exact: true }).click();
  await page.getByTestId('contained').waitFor();
  await visit(page, trail, 'officer-incident');
  // A second officer approves the letters to the patients exposed; the incident then offers them.
  const b = await person();
  const bTrail: Trail = [];
  await signIn(b.page, c.officers[1]!);
  await visit(b.page, bTrail, 'second-officer-alerts');
  await b.page.getByRole('link', { name: 'Approbations' }).click();
  const notice = b.page.getByTestId(`notice-${incidentId}`);
  await notice.waitFor();
  await visit(b.page, bTrail, 'second-officer-approvals');
  await notice.getByRole('button', { name: 'Approuver les notifications' }).click();
  await b.page.getByRole('dialog').getByRole('button', { name: 'Approuver', exact: true }).click();
  await notice.waitFor({ state: 'detached' });
  expect(b.errors).toEqual([]);
  await b.context.close();
  await page.reload();
  await page.getByTestId('download-art34').waitFor();
  expect(a.errors).toEqual([]);
  await a.context.close();
}

// --- 5. The patient, at home.
async function patientReads(c: Cast, followUp: Date): Promise<void> {
  const { page, context, errors } = await person();
  const trail: Trail = [];
  await signIn(page, c.patient);
  await page.getByRole('heading', { level: 1, name: c.seen.display }).waitFor();
  await visit(page, trail, 'patient-home');
  const open = async (link: string, heading: RegExp) => {
    await page.getByRole('navigation', { name: 'Mon espace patient' }).getByRole('link', { name: link }).click();
    await page.getByRole('heading', { level: 1, name: heading }).waitFor();
  };
  const doctor = new RegExp(c.doctorFamily, 'i');
  // The follow-up the desk booked, with her doctor.
  await open('Mes rendez-vous', /Mes prochains rendez-vous/);
  await page.getByTestId('upcoming').getByTestId('appointment').filter({ hasText: timeOf(followUp) })
    .filter({ hasText: doctor }).first().waitFor();
  await visit(page, trail, 'patient-appointments');
  // The report her doctor shared.
  await open('Mes documents', /Documents partagés/);
  await page.getByTestId('shared-documents').getByText(SHARED).waitFor();
  await visit(page, trail, 'patient-documents');
  // Who opened her record: her doctor, among others.
  await open('Qui a consulté mon dossier', /Qui a consulté mon dossier/);
  await page.getByTestId('accesses').locator('tbody tr').filter({ hasText: doctor }).first().waitFor();
  await visit(page, trail, 'patient-accesses');
  expect(errors).toEqual([]);
  await context.close();
}

describe.skipIf(!browser)('a practice day', () => {
  it('admin, locum, desk, doctor, security officers and patient, each in a browser of their own', async () => {
    const c = await cast();
    await adminAndLocum(c);
    const { soon, followUp } = await deskBooks(c);
    await doctorSees(c, soon);
    await officersContain(c);
    await patientReads(c, followUp);
  }, 600_000);
});
