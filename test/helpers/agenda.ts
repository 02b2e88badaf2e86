import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import type { J } from './browser.js';

/**
 * What the browser tests of a practice's day share: free slots of a doctor's agenda (read through
 * the API as the desk's account), dates as the agenda's inputs take them, and the invite screen.
 */

/** The first free `minutes` of a doctor's agenda from `from` on (5-minute steps), read through the API. */
export async function freeSlot(baseUrl: string, token: string, doctor: string, from: Date, minutes: number): Promise<Date> {
  const day = (n: number) => new Date(from.getTime() + n * 86_400_000).toISOString();
  const q = `practitioner=${doctor}&date=ge${day(-1)}&date=lt${day(2)}&_count=100`;
  const r = await fetch(`${baseUrl}/fhir/Appointment?${q}`, { headers: { authorization: `Bearer ${token}` } });
  const b = (await r.json()) as J;
  const busy = ((b.entry ?? []) as J[]).map((e) => e.resource)
    .filter((a) => ['booked', 'arrived', 'fulfilled'].includes(a.status))
    .map((a) => [Date.parse(a.start), Date.parse(a.end)] as const);
  let t = Math.ceil(from.getTime() / 300_000) * 300_000;
  while (busy.some(([s, e]) => s < t + minutes * 60_000 && e > t)) t += 300_000;
  return new Date(t);
}

/** A date as a datetime-local input takes it, in the browser's zone (this machine's, as the test's). */
export function local(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** Fills the invite screen for a colleague and creates the link; returns the enrolment link the dialog shows. */
export async function inviteColleague(page: Page, kind: string, given: string, family: string): Promise<string> {
  await page.getByLabel('Fonction').selectOption({ label: kind });
  await page.getByLabel('Prénom').fill(given);
  await page.getByLabel('Nom', { exact: true }).fill(family);
  await page.getByRole('button', { name: 'Créer le lien d’activation' }).click();
  const url = (await page.getByTestId('enrolment-url').textContent())!;
  expect(url).toMatch(/#\/enrol\/[A-Za-z0-9_-]{43}$/);
  return url;
}
