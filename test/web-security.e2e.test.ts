import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessible, CHROMIUM, demoAccounts, demoLogin, frenchOnly, login, pageApi, person, removeProfiles, shot,
  type DemoAccount, type J, type Person,
} from './helpers/browser.js';
import { startCli, type Running } from './helpers/cli.js';
import { runs } from './helpers/needs.js';

/**
 * The security officer's console in a real browser against a real `medvault demo` process: an
 * attack shows as an alert; an officer locks an account and asks to unlock it, each behind a
 * confirmation that Escape or Cancel abandons; she scopes and contains the incident; she cannot
 * approve her own request — the console says why — and a second officer approves in the console.
 * Each screen has its own address (back and reload keep it), is shot at 1280 and 375 pixels wide,
 * and passes axe-core.
 */
const browser = runs('the security console in the browser', {
  files: [{ path: CHROMIUM, install: 'apt-get install chromium' }],
});

const tmp = mkdtempSync(join(tmpdir(), 'medvault-security-'));
let server: Running;
let users: DemoAccount[];

beforeAll(async () => {
  if (!browser) return;
  server = await startCli([
    'demo', '--data', join(tmp, 'data'), '--practices', '2', '--patients-per-practice', '40', '--history-days', '3',
    '--port', '0',
  ]);
  users = demoAccounts(join(tmp, 'data'));
}, 180_000);

afterAll(async () => {
  await server?.stop();
  removeProfiles();
  rmSync(tmp, { recursive: true, force: true });
});

/** Signs in through the API (password, then a TOTP code) and returns the access token. */
const apiLogin = (u: DemoAccount): Promise<string> => demoLogin(server.baseUrl, u);

/** The screen at 1280 and at 375 pixels wide, each checked by axe-core and shot (`security-<name>`). */
async function screens(page: Page, name: string): Promise<void> {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: width === 1280 ? 900 : 800 });
    // Drawn afresh at that width, as a phone would open it (a chart takes its width when drawn).
    await page.reload();
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(500);
    // Nothing wider than the window: the elements that stick out, named by tag and class.
    const wide = await page.evaluate(`[...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .filter((e) => !e.closest('.scroll, .sr-only'))
      .slice(0, 5).map((e) => e.tagName.toLowerCase() + '.' + [...e.classList].join('.'))`) as string[];
    expect(wide, `${name} at ${width} px`).toEqual([]);
    expect(await page.evaluate('document.documentElement.scrollWidth'), `${name} at ${width} px`)
      .toBeLessThanOrEqual(width);
    await accessible(page);
    await frenchOnly(page);
    await shot(page, width === 1280 ? `security-${name}` : `security-${name}-375`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.reload();
  await page.waitForLoadState('networkidle');
}

const dialog = (page: Page) => page.getByRole('dialog');
const hash = (page: Page) => new URL(page.url()).hash;

/**
 * The year of the chart's first time, as uPlot's legend writes it when the pointer is over the
 * plot (the axis itself is drawn on a canvas).
 */
async function chartYears(chart: Locator): Promise<number[]> {
  const over = chart.locator('.u-over');
  const box = (await over.boundingBox())!;
  const years: number[] = [];
  for (const x of [0.02, 0.5, 0.98]) {
    await over.hover({ position: { x: box.width * x, y: box.height / 2 } });
    const legend = (await chart.locator('.u-legend .u-series').first().locator('.u-value').textContent()) ?? '';
    const year = /(\d{4})/.exec(legend)?.[1];
    expect(year, `legend "${legend}"`).toBeDefined();
    years.push(Number(year));
  }
  return years;
}

describe.runIf(browser)("the security officer's console", () => {
  const officers = () => users.filter((u) => u.role === 'security-officer');
  const practitioners = () => users.filter((u) => u.role === 'practitioner');
  const thief = () => practitioners()[0]!;
  const doctor = () => practitioners().find((u) => u.practiceId !== thief().practiceId) ?? practitioners()[1]!;
  let a: Person;
  let incidentId = '';

  it('shows an attack as an alert, with only the steps its account allows', async () => {
    expect(officers().length).toBeGreaterThanOrEqual(2);
    a = await person();
    await login(a.page, server.baseUrl, officers()[0]!);
    await a.page.getByRole('heading', { name: /Alertes/ }).waitFor();
    // The attack: a doctor's stolen credentials, paging the directory.
    const token = await apiLogin(thief());
    let url: string | null = '/fhir/Patient?_count=20';
    for (let i = 0; i < 20 && url; i++) {
      const r = await fetch(`${server.baseUrl}${url}`, { headers: { authorization: `Bearer ${token}` } });
      if (r.status !== 200) break;
      const b: J = await r.json();
      const next = (b.link as { relation: string; url: string }[]).find((l) => l.relation === 'next');
      url = next ? new URL(next.url).pathname + new URL(next.url).search : '/fhir/Patient?_count=20';
    }
    const alert = a.page.getByTestId('alerts').locator('li.alert', { hasText: thief().username }).first();
    await alert.waitFor({ timeout: 15_000 });
    // The buttons follow the account's standing as the server states it.
    const listed = (await pageApi(a.page, 'GET', '/security/alerts')).body.alerts as J[];
    const standing = listed.find((x) => x.username === thief().username).account;
    await a.page.waitForTimeout(2500); // the next poll has the same standing
    expect(await alert.getByRole('button', { name: 'Verrouiller', exact: true }).count())
      .toBe(standing.status === 'locked' ? 0 : 1);
    expect(await alert.getByRole('button', { name: 'Déverrouiller', exact: true }).count())
      .toBe(standing.contained ? 1 : 0);
    expect(hash(a.page)).toMatch(/^#?\/?$|^#\/security$/);
    await screens(a.page, 'alerts');
  }, 180_000);

  it('locks and asks to unlock an account only after a confirmation; Escape and Cancel do nothing', async () => {
    const { page } = a;
    const id = doctor().fhirId!;
    const risk = async () => (await pageApi(page, 'GET', `/security/accounts/${id}/risk`)).body;
    await page.goto(`${server.baseUrl}/#/security/accounts/${id}`);
    const status = page.getByTestId('account-status');
    await expect(status.textContent()).resolves.toBe('actif');
    const lock = page.getByRole('button', { name: 'Verrouiller', exact: true });
    const unlock = page.getByRole('button', { name: 'Déverrouiller', exact: true });
    expect(await unlock.count()).toBe(0);

    await lock.click();
    await expect(dialog(page).textContent()).resolves.toMatch(
      new RegExp(`${doctor().username}.*sessions ouvertes prennent fin.*journal d’audit`),
    );
    await shot(page, 'security-confirm-lock');
    await page.keyboard.press('Escape');
    await dialog(page).waitFor({ state: 'detached' });
    await lock.click();
    await dialog(page).getByRole('button', { name: 'Annuler' }).click();
    await dialog(page).waitFor({ state: 'detached' });
    expect((await risk()).status).toBe('active');

    await lock.click();
    await dialog(page).getByRole('button', { name: 'Verrouiller le compte' }).click();
    await page.getByText('Compte verrouillé').waitFor();
    await status.filter({ hasText: /^verrouillé$/ }).waitFor();
    expect(await lock.count()).toBe(0);
    expect((await risk()).status).toBe('locked');

    // Four eyes: this officer's unlock is a request; the account stays locked.
    await unlock.click();
    await expect(dialog(page).textContent()).resolves.toMatch(/reste verrouillé.*second responsable/);
    await dialog(page).getByRole('button', { name: 'Demander le déverrouillage' }).click();
    await page.getByTestId('unlock-waiting').waitFor();
    expect(await unlock.count()).toBe(0);
    expect((await risk()).status).toBe('locked');
    expect((await risk()).unlockRequestedBy.length).toBe(1);
  }, 120_000);

  it("draws the account's activity on this year's axis", async () => {
    const { page } = a;
    await page.goto(`${server.baseUrl}/#/security/accounts/${thief().fhirId}`);
    const chart = page.locator('figure.chart').first();
    await chart.locator('.u-over').waitFor();
    const year = new Date().getFullYear();
    for (const y of await chartYears(chart)) expect(y).toBe(year);
    await screens(page, 'account');
  }, 60_000);

  it('scopes an incident up to now, contains it after a confirmation; its officer may not approve it', async () => {
    const { page } = a;
    const nav = page.getByRole('navigation', { name: 'Console de sécurité' });
    await nav.getByRole('link', { name: 'Incidents' }).click();
    await page.getByRole('heading', { name: 'Registre des violations' }).waitFor();
    expect(hash(page)).toBe('#/security/incidents');
    await page.getByRole('link', { name: 'Nouvel incident' }).click();
    // The window ends now, not in the future.
    const to = Date.parse(await page.getByLabel('Au', { exact: true }).inputValue());
    expect(to).toBeLessThanOrEqual(Date.now());
    expect(Date.now() - to).toBeLessThan(3 * 60_000);
    await screens(page, 'incident-new');
    await page.getByLabel(/Comptes/).fill(thief().username);
    // The thief's own patients count too: he read them with stolen credentials.
    await page.getByLabel(/Compter aussi les accès/).check();
    await page.getByRole('button', { name: 'Établir le périmètre' }).click();
    await page.getByTestId('incident').waitFor();
    incidentId = /#\/security\/incidents\/([0-9a-f-]{36})$/.exec(page.url())?.[1] ?? '';
    expect(incidentId).not.toBe('');
    expect(Number(await page.getByTestId('scope-patients').textContent())).toBeGreaterThan(0);
    expect(await page.getByTestId('download-art34').count()).toBe(0);

    // Back returns to the form, forward to the incident; a reload keeps the screen.
    await page.goBack();
    await page.getByRole('button', { name: 'Établir le périmètre' }).waitFor();
    await page.goForward();
    await page.getByTestId('incident').waitFor();
    await page.reload();
    await page.getByRole('heading', { name: `Incident ${incidentId.slice(0, 8)}` }).waitFor();

    const timeline = async () => ((await pageApi(page, 'GET', `/security/incidents/${incidentId}`)).body
      .timeline as J[]).map((t) => t.event);
    const contain = page.getByRole('button', { name: /^Contenir :/ });
    await contain.click();
    await expect(dialog(page).textContent()).resolves.toMatch(
      new RegExp(`${thief().username}.*verrouillé.*sessions ouvertes sont révoquées.*réinitialisés`),
    );
    await dialog(page).getByRole('button', { name: 'Annuler' }).click();
    await dialog(page).waitFor({ state: 'detached' });
    expect(await timeline()).not.toContain('contained');
    await contain.click();
    await dialog(page).waitFor();
    await page.keyboard.press('Escape');
    await dialog(page).waitFor({ state: 'detached' });
    expect(await timeline()).not.toContain('contained');
    await contain.click();
    await shot(page, 'security-confirm-contain');
    await dialog(page).getByRole('button', { name: 'Contenir', exact: true }).click();
    await page.getByTestId('contained').waitFor();
    expect(await timeline()).toContain('contained');
    expect(await contain.count()).toBe(0);

    // The officer who scoped it asks to approve its notices: the server refuses, and the console says why.
    await page.getByRole('button', { name: 'Approuver les notifications' }).click();
    await dialog(page).getByRole('button', { name: 'Approuver', exact: true }).click();
    await dialog(page).getByRole('alert').waitFor();
    await expect(dialog(page).getByRole('alert').textContent()).resolves
      .toMatch(/^Un second responsable sécurité doit approuver : vous avez établi le périmètre de cet incident/);
    await shot(page, 'security-own-approval-refused');
    await page.keyboard.press('Escape');
    expect(await timeline()).not.toContain('notices-approved');
    await screens(page, 'incident-scope');
  }, 120_000);

  it('lists what waits for a second officer; the officer who asked is told she cannot approve it', async () => {
    const { page } = a;
    await page.getByRole('link', { name: 'Approbations' }).click();
    const notice = page.getByTestId(`notice-${incidentId}`);
    await expect(notice.textContent()).resolves
      .toMatch(new RegExp(`Incident ${incidentId.slice(0, 8)}.*établi par vous`));
    const request = page.getByTestId('approve-unlocks').locator('li', { hasText: doctor().username });
    await expect(request.textContent()).resolves.toContain('demandé par vous');
    await request.getByRole('button', { name: 'Confirmer le déverrouillage' }).click();
    await dialog(page).getByRole('button', { name: 'Confirmer le déverrouillage' }).click();
    await request.getByText(/Vous avez déjà demandé ce déverrouillage : un second responsable sécurité, autre que vous/)
      .waitFor();
    expect((await pageApi(page, 'GET', `/security/accounts/${doctor().fhirId}/risk`)).body.status).toBe('locked');
    expect(page.url()).toMatch(/#\/security\/approvals$/);
    await page.reload();
    await page.getByTestId(`notice-${incidentId}`).waitFor();
    await screens(page, 'approvals');
  }, 60_000);

  it('lets a second officer approve the notices and the unlock in the console', async () => {
    const b = await person();
    await login(b.page, server.baseUrl, officers()[1]!);
    await b.page.getByRole('link', { name: 'Approbations' }).click();
    const notice = b.page.getByTestId(`notice-${incidentId}`);
    await notice.getByRole('button', { name: 'Approuver les notifications' }).click();
    await expect(dialog(b.page).textContent()).resolves.toMatch(/patients exposés.*tracé/);
    await dialog(b.page).getByRole('button', { name: 'Approuver', exact: true }).click();
    await notice.waitFor({ state: 'detached' });
    const request = b.page.getByTestId('approve-unlocks').locator('li', { hasText: doctor().username });
    await request.getByRole('button', { name: 'Confirmer le déverrouillage' }).click();
    await dialog(b.page).getByRole('button', { name: 'Confirmer le déverrouillage' }).click();
    await request.waitFor({ state: 'detached' });
    expect((await pageApi(b.page, 'GET', `/security/accounts/${doctor().fhirId}/risk`)).body.status).toBe('active');
    expect(b.errors).toEqual([]);
    await b.context.close();

    // The first officer's incident now offers the letters.
    await a.page.goto(`${server.baseUrl}/#/security/incidents/${incidentId}`);
    await a.page.reload();
    await a.page.getByTestId('download-art34').waitFor();
  }, 120_000);

  it('gives the overview and the access log their own screens, with this year on the charts', async () => {
    const { page } = a;
    await page.getByRole('link', { name: 'Vue d’ensemble' }).click();
    const chart = page.getByTestId('overview').locator('figure.chart').first();
    await chart.locator('.u-over').waitFor();
    const year = new Date().getFullYear();
    for (const y of await chartYears(chart)) expect(y).toBe(year);
    await page.reload();
    await page.getByTestId('overview').locator('.u-over').first().waitFor();
    await screens(page, 'overview');
    await page.getByRole('link', { name: 'Journal d’accès' }).click();
    await page.getByRole('button', { name: 'Vérifier maintenant' }).click();
    await page.getByTestId('audit-verify').filter({ hasText: /intègre|✗/ }).waitFor();
    await page.goBack();
    await page.getByTestId('overview').waitFor();
    await page.goForward();
    await page.getByTestId('audit-verify').waitFor();
    await screens(page, 'audit');
    await page.getByRole('link', { name: 'Incidents' }).click();
    await page.getByTestId('register').waitFor();
    await screens(page, 'register');
    // The one failed request the page met: the refused approval of her own incident's notices.
    expect(a.errors.filter((e) => !e.includes('status of 422'))).toEqual([]);
    expect(a.errors.filter((e) => e.includes('status of 422')).length).toBe(1);
    await a.context.close();
  }, 120_000);
});
