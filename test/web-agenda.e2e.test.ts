import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessible, CHROMIUM, demoAccounts, demoLogin, frenchOnly, login, person, removeProfiles, shot,
  type DemoAccount, type J,
} from './helpers/browser.js';
import { freeSlot, local } from './helpers/agenda.js';
import { startCli, type Running } from './helpers/cli.js';
import { runs } from './helpers/needs.js';

/**
 * The practice's agenda in a real browser against a `medvault demo` process: the admin sets a
 * visit type; the assistant books a patient by name, is refused a double booking and a booking in
 * the past in French, moves a visit and cancels another with a reason; the doctor marks an arrival
 * and the visit seen, and reads its history. Day and week have their own addresses (back and
 * reload keep them); each screen is shot at 1280 and 375 px and passes axe-core.
 */
const browser = runs('the agenda in the browser', { files: [{ path: CHROMIUM, install: 'apt-get install chromium' }] });

const tmp = mkdtempSync(join(tmpdir(), 'medvault-agenda-'));
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
async function api(token: string, path: string): Promise<J> {
  return (await fetch(`${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } })).json();
}

async function screens(page: Page, name: string): Promise<void> {
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 900 });
    await page.waitForTimeout(300);
    // Nothing wider than the window but the agenda's own scrolling grid: what sticks out, by tag and class.
    const wide = await page.evaluate(`[...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .filter((e) => !e.closest('.agenda-grid, .table-wrap, .sr-only'))
      .slice(0, 5).map((e) => e.tagName.toLowerCase() + '.' + [...e.classList].join('.'))`) as string[];
    expect(wide, `${name} at ${width} px`).toEqual([]);
    const scroll = await page.evaluate('document.documentElement.scrollWidth');
    expect(scroll, `${name} at ${width} px`).toBeLessThanOrEqual(width);
    await accessible(page);
    await frenchOnly(page);
    await shot(page, width === 1280 ? `agenda-${name}` : `agenda-${name}-375`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

describe.skipIf(!browser)('the agenda', () => {
  it('admin sets a visit type, the desk books, moves and cancels, the doctor marks the visit', async () => {
    const admin = users.find((u) => u.role === 'practice-admin')!;
    const assistant = users.find((u) => u.role === 'assistant' && u.practiceId === admin.practiceId)!;
    const doctor = users.find((u) => u.role === 'practitioner' && u.practiceId === admin.practiceId)!;

    // The admin: a visit type of 30 minutes, in green.
    const a = await person();
    await login(a.page, server.baseUrl, admin);
    await a.page.goto(`${server.baseUrl}/#/admin/agenda`);
    await a.page.getByRole('button', { name: 'Ajouter un type' }).click();
    const row = a.page.getByTestId('visit-types').locator('tbody tr').last();
    await row.getByLabel('Nom').fill('Consultation longue');
    await row.getByLabel('Durée (min)').fill('30');
    await a.page.getByRole('button', { name: 'Enregistrer les types' }).click();
    await a.page.getByText('Types de consultation enregistrés.').waitFor();
    // The staff's names for the absences load too: the screen shows no refusal.
    await a.page.getByLabel('Médecin').locator('option').nth(1).waitFor({ state: 'attached' });
    expect(await a.page.getByRole('alert').count()).toBe(0);
    await screens(a.page, 'settings');
    await a.context.close();

    // The desk finds two patients of the doctor's and free slots for them.
    const deskToken = await apiLogin(assistant);
    const appts = await api(deskToken, `/fhir/Appointment?practitioner=${doctor.fhirId}&_count=50`);
    const pids = [...new Set(((appts.entry ?? []) as J[])
      .map((e) => e.resource.participant[0].actor.reference.slice(8) as string))].slice(0, 2);
    expect(pids.length).toBe(2);
    // Each patient's family name (what the desk types) and full name (what the app shows).
    const families: string[] = [];
    const shown: string[] = [];
    for (const id of pids) {
      const pat = await api(deskToken, `/fhir/Patient/${id}`);
      const usual = pat.name.find((n: J) => n.use === 'usual') ?? pat.name[0];
      families.push(pat.name[0].family);
      shown.push(`${usual.given.join(' ')} ${String(usual.family).toUpperCase()}`);
    }
    // From 09:00 UTC tomorrow: the visits moved and booked below (an hour, three hours later) stay on
    // that day whatever the hour the test runs at (from now + 24 h, an evening run crossed midnight).
    const tomorrow = new Date(Date.now() + 86_400_000);
    tomorrow.setUTCHours(9, 0, 0, 0);
    const slot = await freeSlot(server.baseUrl, deskToken, doctor.fhirId!, tomorrow, 30);

    const d = await person();
    await login(d.page, server.baseUrl, assistant);
    await d.page.getByRole('link', { name: 'Agenda' }).click();
    await d.page.getByTestId('agenda').waitFor();
    const book = async (i: number, at: Date) => {
      await d.page.getByRole('button', { name: 'Nouveau rendez-vous' }).click();
      await d.page.getByLabel('Patient (nom prénom)').fill(families[i]!);
      await d.page.getByRole('button', { name: 'Chercher' }).click();
      await d.page.getByTestId('nv-found').getByRole('button', { name: shown[i]!, exact: true }).first().click();
      await d.page.getByLabel('Médecin').last().selectOption(doctor.fhirId!);
      await d.page.getByLabel('Type de consultation').selectOption({ label: 'Consultation longue (30 min)' });
      await d.page.getByLabel('Date et heure').fill(local(at));
      await d.page.getByRole('button', { name: 'Réserver' }).click();
    };
    await book(0, slot);
    await d.page.getByRole('dialog').waitFor({ state: 'detached' });
    // The same slot for the second patient: refused, in French, the dialog kept open.
    await book(1, new Date(slot.getTime() + 10 * 60_000));
    await expect.poll(() => d.page.getByRole('dialog').getByRole('alert').textContent())
      .toContain('chevauche un autre rendez-vous');
    // In the past: refused too.
    await d.page.getByLabel('Date et heure').fill(local(new Date(Date.now() - 3 * 86_400_000)));
    await d.page.getByRole('button', { name: 'Réserver' }).click();
    await expect.poll(() => d.page.getByRole('dialog').getByRole('alert').textContent()).toContain('passé');
    // An hour later is free: booked.
    const later = await freeSlot(server.baseUrl, deskToken, doctor.fhirId!, new Date(slot.getTime() + 60 * 60_000), 30);
    await d.page.getByLabel('Date et heure').fill(local(later));
    await d.page.getByRole('button', { name: 'Réserver' }).click();
    await d.page.getByRole('dialog').waitFor({ state: 'detached' });

    // Tomorrow's day of the doctor: both visits, by name.
    const day = local(slot).slice(0, 10);
    await d.page.goto(`${server.baseUrl}/#/agenda/day/${day}/${doctor.fhirId}`);
    const visits = d.page.getByTestId('visit');
    await expect.poll(() => visits.allTextContents()).toEqual(expect.arrayContaining([
      expect.stringContaining(shown[0]!), expect.stringContaining(shown[1]!),
    ]));
    await screens(d.page, 'day');
    // The week: its own address; back returns to the day, reload keeps the week.
    await d.page.getByRole('button', { name: 'Semaine', exact: true }).click();
    await expect.poll(() => d.page.url()).toContain('#/agenda/week/');
    await d.page.reload();
    await d.page.getByTestId('agenda').waitFor();
    expect(d.page.url()).toContain('#/agenda/week/');
    await screens(d.page, 'week');
    await d.page.goBack();
    await expect.poll(() => d.page.url()).toContain(`#/agenda/day/${day}`);

    // Move the first visit a quarter of an hour later, when that is free; cancel the second with a reason.
    const moved = await freeSlot(server.baseUrl, deskToken, doctor.fhirId!, new Date(slot.getTime() + 3 * 3_600_000), 30);
    await visits.filter({ hasText: shown[0]! }).click();
    await d.page.getByRole('button', { name: 'Déplacer' }).click();
    await d.page.getByLabel('Nouvelle date et heure').fill(local(moved));
    await d.page.getByRole('button', { name: 'Déplacer' }).click();
    await d.page.getByRole('dialog').waitFor({ state: 'detached' });
    await visits.filter({ hasText: shown[1]! }).click();
    await d.page.getByRole('button', { name: 'Annuler le rendez-vous' }).click();
    await d.page.getByLabel('Motif d’annulation').selectOption('pat');
    await d.page.getByRole('button', { name: 'Confirmer l’annulation' }).click();
    await d.page.getByRole('dialog').waitFor({ state: 'detached' });
    await expect.poll(() => visits.filter({ hasText: shown[1]! }).textContent()).toContain('annulé');
    // Escape closes a visit's dialog and gives the focus back.
    await visits.filter({ hasText: shown[0]! }).click();
    await d.page.keyboard.press('Escape');
    await d.page.getByRole('dialog').waitFor({ state: 'detached' });

    const since = `date=ge${slot.toISOString()}`;
    const all = await api(deskToken, `/fhir/Appointment?practitioner=${doctor.fhirId}&${since}&_count=100`);
    const mine = ((all.entry ?? []) as J[]).map((e) => e.resource)
      .filter((x) => pids.includes(x.participant[0].actor.reference.slice(8)) && Date.parse(x.start) >= slot.getTime());
    const first = mine.find((x) => Date.parse(x.start) === moved.getTime());
    expect(first?.status).toBe('booked');
    expect(mine.find((x) => x.status === 'cancelled')?.cancelationReason.coding[0].code).toBe('pat');
    const history = await api(deskToken, `/fhir/Appointment/${first.id}/_history`);
    expect(history.entry.map((e: J) => e.resource.start)).toEqual([moved.toISOString(), slot.toISOString()]);
    // The two refusals above are the browser's only complaints.
    expect(d.errors.filter((e) => !e.includes('409 (Conflict)'))).toEqual([]);
    expect(d.errors.length).toBe(2);
    // The French check sees English: the same screen in English fails it.
    await d.page.evaluate("localStorage.setItem('medvault.lang', 'en')");
    await d.page.reload();
    await d.page.getByTestId('agenda').waitFor();
    await expect(frenchOnly(d.page)).rejects.toThrow();
    await d.context.close();

    // The doctor: a visit of hers starting soon, marked arrived then seen, in her day.
    const soon = await freeSlot(server.baseUrl, deskToken, doctor.fhirId!, new Date(Date.now() + 10 * 60_000), 20);
    const r = await fetch(`${server.baseUrl}/fhir/Appointment`, {
      method: 'POST', headers: { authorization: `Bearer ${deskToken}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Appointment', status: 'booked', start: soon.toISOString(),
        end: new Date(soon.getTime() + 20 * 60_000).toISOString(),
        participant: [
          { actor: { reference: `Patient/${pids[0]}` } }, { actor: { reference: `Practitioner/${doctor.fhirId}` } },
        ],
      }),
    });
    expect(r.status).toBe(201);
    const booked = (await r.json()) as J;
    const p = await person();
    await login(p.page, server.baseUrl, doctor);
    await p.page.goto(`${server.baseUrl}/#/agenda/day/${local(soon).slice(0, 10)}`);
    const hers = p.page.getByTestId('visit').filter({ hasText: shown[0]! }).filter({ hasText: local(soon).slice(11) });
    await hers.click();
    await p.page.getByRole('button', { name: 'Arrivé' }).click();
    await p.page.getByRole('dialog').waitFor({ state: 'detached' });
    await expect.poll(() => hers.textContent()).toContain('arrivé');
    await hers.click();
    await p.page.getByRole('button', { name: 'Vu', exact: true }).click();
    await p.page.getByRole('dialog').waitFor({ state: 'detached' });
    const after = await api(deskToken, `/fhir/Appointment/${booked.id}/_history`);
    expect(after.entry.map((e: J) => e.resource.status)).toEqual(['fulfilled', 'arrived', 'booked']);
    await expect.poll(() => hers.textContent()).toContain('honoré');
    await hers.click();
    await p.page.getByRole('button', { name: 'Historique' }).click();
    await expect.poll(() => p.page.getByTestId('visit-history').locator('li').count()).toBeGreaterThanOrEqual(3);
    await shot(p.page, 'agenda-visit-history');
    expect(p.errors).toEqual([]);
    await p.context.close();
  }, 300_000);
});
