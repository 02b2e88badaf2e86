import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { pageApi, type DemoAccount, type J } from './browser.js';

/** A patient as the practice app's search shows them: found by family name, opened by display name. */
export interface Seen {
  readonly id: string;
  readonly family: string;
  readonly display: string;
}

/**
 * A patient of the doctor's — an appointment with her today, so a care relationship: her record
 * opens without the glass (the notes answer 200, not 403). Asked from the doctor's own page.
 */
export async function patientInCare(page: Page, doctor: DemoAccount): Promise<Seen> {
  const today = new Date().toISOString().slice(0, 10);
  const appts = await pageApi(page, 'GET', `/fhir/Appointment?practitioner=${doctor.fhirId}&date=le${today}&_count=50`);
  expect(appts.status).toBe(200);
  for (const e of appts.body.entry ?? []) {
    const actor = e.resource.participant.find((x: J) => x.actor.reference.startsWith('Patient/')).actor;
    const id = (actor.reference as string).slice('Patient/'.length);
    if ((await pageApi(page, 'GET', `/fhir/DocumentReference?patient=${id}&_count=1`)).status !== 200) continue;
    const p = (await pageApi(page, 'GET', `/fhir/Patient/${id}`)).body;
    const usual = p.name.find((n: { use: string }) => n.use === 'usual') ?? p.name[0];
    return { id, family: p.name[0].family, display: `${usual.given.join(' ')} ${String(usual.family).toUpperCase()}` };
  }
  throw new Error('the demo gave the doctor no patient in care');
}

/** Goes to the practice's home page through its navigation's « Accueil » link (`#/`). */
export async function goHome(page: Page): Promise<void> {
  const nav = page.getByRole('navigation', { name: 'Navigation', exact: true });
  await nav.getByRole('link', { name: 'Accueil', exact: true }).click();
  await page.getByRole('search').waitFor();
}

/** Opens the patient's page from the home page's search, as a person would. */
export async function openPatient(page: Page, p: Seen): Promise<void> {
  await goHome(page);
  await page.getByLabel('Nom', { exact: true }).fill(p.family);
  await page.getByRole('button', { name: 'Rechercher' }).click();
  await page.getByTestId('results').getByRole('button', { name: p.display, exact: true }).first().click();
}
