import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessible, CHROMIUM, frenchOnly, login, pageApi, person, removeProfiles, shot, type DemoAccount, type J, type Person,
} from './helpers/browser.js';
import { startCli, type Running } from './helpers/cli.js';
import { documentFor, pdfWith } from './helpers/documents.js';
import { runs } from './helpers/needs.js';

/**
 * The patient portal in a real browser against a real `medvault demo` process. Her doctor shares a
 * document from the chart (the « Partager avec le patient » box) and leaves another unshared, and
 * opens the record by break-the-glass with a reason. The patient then finds, each at its own URL:
 * her appointments with her doctor's name, the shared document and her doctor's letter (not the
 * unshared ones), who opened her record — the emergency access with its reason — and her summary
 * as a PDF whose text says the same. Back and reload keep the screen; every screen is shot at
 * 1280 and 375 px and passes axe-core without a serious or critical violation.
 */
const browser = runs('the patient portal in the browser', {
  files: [{ path: CHROMIUM, install: 'apt-get install chromium' }], programs: ['pdftotext'],
});

const SHARED = 'Résultats de la prise de sang du 2 décembre';
const KEPT = 'Brouillon de courrier au cardiologue';
const REASON = 'Appel du SAMU : patiente inconsciente, traitement en cours à vérifier';

const tmp = mkdtempSync(join(tmpdir(), 'medvault-portal-e2e-'));
let server: Running;
let users: DemoAccount[];
let patient: DemoAccount;
let doctor: DemoAccount;
let patientAt: Person;

beforeAll(async () => {
  if (!browser) return;
  server = await startCli([
    'demo', '--data', join(tmp, 'data'), '--practices', '2', '--patients-per-practice', '20', '--history-days', '2',
    '--port', '0',
  ]);
  const credentials = readFileSync(join(tmp, 'data', 'demo-credentials.json'), 'utf8');
  users = (JSON.parse(credentials) as { users: DemoAccount[] }).users;
  patient = users.find((u) => u.role === 'patient')!;
}, 180_000);

afterAll(async () => {
  await patientAt?.context.close();
  await server?.stop();
  removeProfiles();
  rmSync(tmp, { recursive: true, force: true });
});

/** Goes to a portal screen by its menu link, as a person would, and waits for its heading. */
async function open(page: Page, link: string, heading: RegExp): Promise<void> {
  await page.getByRole('navigation', { name: 'Mon espace patient' }).getByRole('link', { name: link }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
}

/** The screen at 1280 and at 375 px: shot, checked by axe-core, nothing wider than the phone. */
async function shots(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 1280, height: 900 });
  await shot(page, `portal-${name}`);
  await accessible(page);
  await frenchOnly(page);
  await page.setViewportSize({ width: 375, height: 812 });
  await shot(page, `portal-${name}-375`);
  await accessible(page);
  await frenchOnly(page);
  const wide = await page.evaluate('document.documentElement.scrollWidth');
  expect(wide, name).toBeLessThanOrEqual(375);
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe.runIf(browser)('the patient portal in the browser', () => {
  it('shows the doctor’s shared document, and only that, after she ticks « Partager avec le patient »', async () => {
    patientAt = await person();
    await login(patientAt.page, server.baseUrl, patient);
    // Her doctor: the author of the letter the demo shared with her (src/sim/portal.ts).
    const mine = await pageApi(patientAt.page, 'GET', `/fhir/DocumentReference?patient=${patient.fhirId}`);
    expect(mine.status).toBe(200);
    const author = (mine.body.entry[0].resource.author[0].reference as string).slice('Practitioner/'.length);
    doctor = users.find((u) => u.fhirId === author)!;
    expect(doctor.role).toBe('practitioner');

    const doc = await person();
    await login(doc.page, server.baseUrl, doctor);
    for (const title of [SHARED, KEPT]) {
      const body = documentFor(patient.fhirId!, 'application/pdf', pdfWith(title), { title, type: '11502-2' });
      expect((await pageApi(doc.page, 'POST', '/fhir/DocumentReference', body)).status).toBe(201);
    }
    // An emergency access with its reason, which the patient will read.
    const glass = await pageApi(doc.page, 'POST', '/access/break-glass', { patientId: patient.fhirId, reason: REASON });
    expect(glass.status).toBe(201);
    await doc.page.goto(`${server.baseUrl}/#/patient/${patient.fhirId}`);
    await doc.page.getByRole('tab', { name: 'Documents' }).click();
    const row = doc.page.getByTestId('documents-table').getByRole('row', { name: new RegExp(SHARED) });
    const toggle = row.getByRole('checkbox', { name: /Partager avec le patient/ });
    await expect(toggle.isChecked()).resolves.toBe(false);
    await toggle.check();
    await expect.poll(() => toggle.isChecked()).toBe(true);
    await shot(doc.page, 'portal-doctor-share');
    await accessible(doc.page);
    // What the page says after a reload is what the server keeps.
    await doc.page.reload();
    await doc.page.getByRole('tab', { name: 'Documents' }).click();
    const again = doc.page.getByTestId('documents-table').getByRole('row', { name: new RegExp(SHARED) });
    await expect.poll(() => again.getByRole('checkbox', { name: /Partager/ }).isChecked()).toBe(true);
    expect(doc.errors).toEqual([]);
    await doc.context.close();

    const { page } = patientAt;
    await page.reload();
    await open(page, 'Mes documents', /Documents partagés/);
    const list = page.getByTestId('shared-documents');
    await list.getByText(SHARED).waitFor();
    await list.getByText('Compte rendu de consultation').waitFor();
    const text = await list.textContent();
    expect(text).not.toContain(KEPT);
    expect(text).not.toMatch(/Note de travail/);
    // Neither the unshared document's title nor the working note reached her browser at all.
    expect(patientAt.responses.join('\n')).not.toContain(KEPT);
    // The shared letter, read in the page.
    await list.getByRole('button', { name: 'Lire : Compte rendu de consultation' }).click();
    await list.getByText(/Consultation de suivi/).waitFor();
    await shots(page, 'documents');
  }, 240_000);

  it('shows her appointments, upcoming and past, with her doctor’s name', async () => {
    const { page } = patientAt;
    await open(page, 'Mes rendez-vous', /Mes prochains rendez-vous/);
    const staff = await pageApi(page, 'GET', `/fhir/Practitioner/${doctor.fhirId}`);
    const family = staff.body.name[0].family as string;
    const upcoming = page.getByTestId('upcoming');
    // The demo's visit next week with her doctor (src/sim/portal.ts), by name.
    await upcoming.getByTestId('appointment').filter({ hasText: family }).first().waitFor();
    await expect(page.getByTestId('past').getByText('effectué').first().isVisible()).resolves.toBe(true);
    await shots(page, 'appointments');
  }, 120_000);

  it('shows who opened her record, the emergency access with its reason', async () => {
    const { page } = patientAt;
    await open(page, 'Qui a consulté mon dossier', /Qui a consulté mon dossier/);
    const table = page.getByTestId('accesses');
    await table.getByText(REASON, { exact: false }).waitFor();
    const glassRow = table.locator('tr.glass').filter({ hasText: REASON });
    await expect(glassRow.textContent()).resolves.toMatch(/accès d’urgence/);
    await expect(page.getByTestId('glass-count').isVisible()).resolves.toBe(true);
    await shots(page, 'accesses');
  }, 120_000);

  it('downloads her summary as a PDF that says the same, and keeps the FHIR download', async () => {
    const { page } = patientAt;
    await open(page, 'Mes données', /Mes données/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Télécharger le relevé (PDF)' }).click(),
    ]);
    const file = join(tmp, 'releve.pdf');
    await download.saveAs(file);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toMatch(/Relevé de mon dossier médical/);
    expect(text).toContain(SHARED);
    expect(text).not.toContain(KEPT);
    expect(text).toMatch(/Appel du SAMU/);
    expect(text).toMatch(/à venir/);
    const [json] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Télécharger tout mon dossier' }).click(),
    ]);
    const whole = JSON.parse(readFileSync(await json.path(), 'utf8')) as J;
    expect(whole.resourceType).toBe('Bundle');
    expect(JSON.stringify(whole)).not.toContain(KEPT);
    await shots(page, 'data');
  }, 120_000);

  it('keeps the screen on reload and goes back with the back button; the home shows the latest accesses', async () => {
    const { page, errors } = patientAt;
    await open(page, 'Mes rendez-vous', /Mes prochains rendez-vous/);
    await open(page, 'Mes documents', /Documents partagés/);
    expect(page.url()).toMatch(/#\/portal\/documents$/);
    await page.reload();
    await page.getByRole('heading', { level: 1, name: /Documents partagés/ }).waitFor();
    await page.goBack();
    await page.getByRole('heading', { level: 1, name: /Mes prochains rendez-vous/ }).waitFor();
    expect(page.url()).toMatch(/#\/portal\/appointments$/);
    await page.goForward();
    await page.getByRole('heading', { level: 1, name: /Documents partagés/ }).waitFor();
    await page.getByRole('link', { name: 'Accueil' }).click();
    await page.getByTestId('accesses').waitFor();
    await expect(page.getByTestId('accesses').locator('tbody tr').count()).resolves.toBeGreaterThan(0);
    await shots(page, 'home');
    expect(errors).toEqual([]);
  }, 120_000);
});
