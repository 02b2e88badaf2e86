import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { runs } from './helpers/needs.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessible, CHROMIUM, login, pageApi, person, removeProfiles, shot, type DemoAccount, type J,
} from './helpers/browser.js';
import { startCli, type Running } from './helpers/cli.js';
import { labResult, pressure, weight } from './helpers/observations.js';
import { openPatient, type Seen } from './helpers/patient-page.js';

/**
 * The practitioner's chart in a real browser against a real `medvault demo` process: a consultation
 * from its reason to its ordonnance (the server's PDF, read back with pdftotext), an allergy and a
 * problem, the summary, the curves and the laboratory results; then an assistant opens the same
 * patient and receives none of it — not in the page, not in any response, not even a request.
 */
const browser = runs('the chart in the browser', { files: [{ path: CHROMIUM, install: 'apt-get install chromium' }] });

const CLINICAL_TYPES = [
  'Condition', 'AllergyIntolerance', 'MedicationRequest', 'Observation', 'Immunization', 'Encounter',
  'DocumentReference',
];

/** What the doctor records, distinctive enough that finding it elsewhere means it leaked. */
const RECORDED = {
  reason: 'Asthénie et contrôle tensionnel',
  note: 'Fatigue depuis trois semaines, pas de perte de poids rapportée.',
  weight: { typed: '83,7', fr: '83,7 kg', json: '83.7' },
  height: '176',
  bp: { systolic: '146', diastolic: '93', fr: '146/93 mmHg' },
  levothyroxine: 'Lévothyroxine sodique 75 µg, comprimé',
  amlodipine: 'Amlodipine 5 mg, comprimé',
  allergy: 'Ibuprofène',
  allergyReaction: 'Œdème de Quincke',
  problem: 'E03.9 — Hypothyroïdie, sans précision',
  problemName: 'Hypothyroïdie, sans précision',
  vaccine: 'Grippe saisonnière, vaccin inactivé',
  lot: 'GR2611',
};

const tmp = mkdtempSync(join(tmpdir(), 'medvault-chart-'));
let server: Running;
let users: DemoAccount[];
/** The patient the doctor saw, for the assistant to open. */
let seen: Seen | null = null;

beforeAll(async () => {
  if (!browser) return;
  server = await startCli([
    'demo', '--data', join(tmp, 'data'), '--practices', '2', '--patients-per-practice', '40', '--history-days', '10',
    '--port', '0',
  ]);
  const credentials = readFileSync(join(tmp, 'data', 'demo-credentials.json'), 'utf8');
  users = (JSON.parse(credentials) as { users: DemoAccount[] }).users;
}, 180_000);

afterAll(async () => {
  await server?.stop();
  removeProfiles();
  rmSync(tmp, { recursive: true, force: true });
});

const today = () => new Date().toISOString().slice(0, 10);

/** A patient of the doctor's (an appointment someone else booked): her chart opens without the glass. */
async function patientInCare(page: Page, doctor: DemoAccount): Promise<Seen> {
  const mine = `/fhir/Appointment?practitioner=${doctor.fhirId}&date=le${today()}&_count=50`;
  const appts = await pageApi(page, 'GET', mine);
  expect(appts.status).toBe(200);
  for (const e of appts.body.entry ?? []) {
    const actor = e.resource.participant.find((x: J) => x.actor.reference.startsWith('Patient/')).actor;
    const id = (actor.reference as string).slice('Patient/'.length);
    if ((await pageApi(page, 'GET', `/fhir/Condition?patient=${id}&_count=1`)).status !== 200) continue;
    const p = (await pageApi(page, 'GET', `/fhir/Patient/${id}`)).body;
    const usual = p.name.find((n: { use: string }) => n.use === 'usual') ?? p.name[0];
    return { id, family: p.name[0].family, display: `${usual.given.join(' ')} ${String(usual.family).toUpperCase()}` };
  }
  throw new Error('the demo gave the doctor no patient in care');
}

describe.runIf(browser)("the practitioner's chart", () => {
  const doctor = () => users.find((u) => u.role === 'practitioner')!;

  it('records a consultation, prints its ordonnance, and shows the summary, the curves and the results', async () => {
    const { page, context, errors } = await person();
    await login(page, server.baseUrl, doctor());
    seen = await patientInCare(page, doctor());
    errors.length = 0;
    await openPatient(page, seen);
    await page.getByRole('tab', { name: 'Synthèse' }).waitFor();
    await page.getByTestId('sum-problems').waitFor();

    // The consultation: its reason, a note, the vital signs (the BMI computed as they are typed).
    await page.getByRole('tab', { name: 'Consultation' }).click();
    await page.getByLabel('Motif de consultation').fill(RECORDED.reason);
    await page.getByRole('button', { name: 'Commencer la consultation' }).click();
    await page.getByText('Consultation en cours depuis').waitFor();
    await page.getByLabel('Texte de la note de consultation', { exact: true }).fill(RECORDED.note);
    await page.getByRole('button', { name: 'Enregistrer la note de consultation', exact: true }).click();
    await page.getByText('Note enregistrée.').waitFor();
    await page.getByLabel('Poids (kg)').fill(RECORDED.weight.typed);
    await page.getByLabel('Taille (cm)').fill(RECORDED.height);
    await expect(page.locator('#vs-bmi').textContent()).resolves.toBe('27');
    await page.getByLabel('PA systolique (mmHg)').fill(RECORDED.bp.systolic);
    await page.getByLabel('PA diastolique (mmHg)').fill(RECORDED.bp.diastolic);
    await page.getByRole('button', { name: 'Enregistrer les constantes' }).click();
    await page.getByTestId('enc-vitals').getByText(RECORDED.bp.fr).waitFor();
    await page.getByTestId('enc-vitals').getByText(RECORDED.weight.fr).waitFor();

    // A prescription of two lines, the first not substitutable (MTE: a narrow therapeutic margin).
    const line1 = page.getByRole('group', { name: 'Ligne 1' });
    await line1.getByLabel('Médicament').fill(RECORDED.levothyroxine);
    await line1.getByLabel('Posologie').fill('1 comprimé le matin à jeun');
    await line1.getByLabel('Prises').fill('1');
    await line1.getByLabel('Durée', { exact: true }).fill('3');
    await line1.getByLabel('Unité de durée').selectOption('mo');
    await line1.getByLabel('Quantité à délivrer').fill('3');
    await line1.getByLabel('Unité', { exact: true }).fill('boîtes de 30');
    await line1.getByLabel('Non substituable').check();
    await line1.getByLabel('Motif de non-substitution').selectOption('MTE');
    await page.getByRole('button', { name: 'Ajouter une ligne' }).click();
    const line2 = page.getByRole('group', { name: 'Ligne 2' });
    await line2.getByLabel('Médicament').fill(RECORDED.amlodipine);
    await line2.getByLabel('Prises').fill('1');
    await line2.getByLabel('Durée', { exact: true }).fill('3');
    await line2.getByLabel('Unité de durée').selectOption('mo');
    await page.getByRole('button', { name: 'Enregistrer la prescription' }).click();
    await expect.poll(() => page.getByTestId('enc-lines').locator('li').count()).toBe(2);

    // The ordonnance: the server's PDF, which the page opens, and offers as a download (its bytes
    // as the page holds them: read back with pdftotext). Both drugs are printed, the first with
    // its refused substitution and its reason.
    const [pdf] = await Promise.all([
      page.waitForResponse((r) => r.url().includes('/$ordonnance?')),
      page.getByRole('button', { name: 'Imprimer l’ordonnance' }).click(),
    ]);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toContain('application/pdf');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'Télécharger l’ordonnance (PDF)' }).click(),
    ]);
    const file = join(tmp, 'ordonnance.pdf');
    await download.saveAs(file);
    expect(readFileSync(file).subarray(0, 5).toString()).toBe('%PDF-');
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    expect(text).toContain(RECORDED.levothyroxine);
    expect(text).toContain(RECORDED.amlodipine);
    expect(text).toMatch(/Non substituable/);
    expect(text).toMatch(/Motif : MTE/);
    await shot(page, 'consultation');
    await accessible(page);

    // An allergy and a problem, from the summary, while the consultation is open.
    await page.getByRole('tab', { name: 'Synthèse' }).click();
    const allergies = page.getByTestId('sum-allergies');
    await allergies.getByText('Ajouter une allergie').click();
    await allergies.getByLabel('Substance').fill(RECORDED.allergy);
    await allergies.getByLabel('Criticité').selectOption('high');
    await allergies.getByLabel('Réaction (facultatif)').fill(RECORDED.allergyReaction);
    await allergies.getByRole('button', { name: 'Ajouter l’allergie' }).click();
    await allergies.locator('li', { hasText: RECORDED.allergy }).first().waitFor();
    const problems = page.getByTestId('sum-problems');
    await problems.getByText('Ajouter un problème').click();
    await problems.getByLabel('Problème (CIM-10)').fill(RECORDED.problem);
    await problems.getByRole('button', { name: 'Ajouter le problème' }).click();
    await problems.locator('li', { hasText: RECORDED.problemName }).first().waitFor();

    const vaccinations = page.getByTestId('sum-vaccinations');
    await vaccinations.getByText('Ajouter une vaccination').click();
    await vaccinations.getByLabel('Vaccin', { exact: true }).selectOption({ label: RECORDED.vaccine });
    await vaccinations.getByLabel('N° de lot').fill(RECORDED.lot);
    await vaccinations.getByRole('button', { name: 'Enregistrer la vaccination' }).click();
    await vaccinations.locator('li', { hasText: RECORDED.lot }).first().waitFor();

    // Finished: the summary holds all of it.
    await page.getByRole('button', { name: 'Reprendre' }).click();
    await page.getByRole('button', { name: 'Terminer la consultation' }).click();
    await page.getByRole('tab', { name: 'Synthèse', selected: true }).waitFor();
    await page.getByTestId('sum-encounters').getByText(RECORDED.reason).first().waitFor();
    expect(await page.getByText('Consultation en cours depuis').count()).toBe(0);
    await expect(page.getByTestId('sum-problems').textContent()).resolves.toContain(RECORDED.problemName);
    await expect(page.getByTestId('sum-allergies').textContent()).resolves.toContain(RECORDED.allergy);
    const treatments = (await page.getByTestId('sum-treatments').textContent())!;
    expect(treatments).toContain(RECORDED.levothyroxine);
    expect(treatments).toContain(RECORDED.amlodipine);
    expect(treatments).toMatch(/non substituable \(MTE\)/);
    const vitals = page.getByTestId('sum-vitals');
    await expect(vitals.getByRole('row', { name: /Poids/ }).textContent()).resolves.toContain(RECORDED.weight.fr);
    const bp = vitals.getByRole('row', { name: /Pression artérielle/ });
    await expect(bp.textContent()).resolves.toContain(RECORDED.bp.fr);
    await expect(vitals.getByRole('row', { name: /IMC/ }).textContent()).resolves.toContain('27 kg/m²');
    await shot(page, 'chart-summary');
    await accessible(page);

    // The curves: the year's measurements (earlier ones as a device or a colleague recorded them),
    // each chart with its numbers, newest first.
    // Two decimals: a scale's precision, which no weight of the demo's charts has.
    const earlier = [
      [330, 86.25, 152, 95], [240, 85.45, 149, 94], [150, 84.95, 150, 92], [60, 84.15, 147, 90],
    ] as const;
    for (const [days, kg, sys, dia] of earlier) {
      const at = new Date(Date.now() - days * 86_400_000).toISOString();
      for (const body of [weight(seen.id, at, kg), pressure(seen.id, at, sys, dia)]) {
        expect((await pageApi(page, 'POST', '/fhir/Observation', body)).status).toBe(201);
      }
    }
    await page.getByRole('tab', { name: 'Courbes' }).click();
    const curves = page.getByTestId('curves');
    await curves.locator('canvas').first().waitFor();
    const weights = curves.getByRole('table', { name: 'Poids (kg)' });
    // Newest first: today's weight, then the earlier ones (among whatever the demo's chart holds).
    const kilos = await weights.locator('tbody td').allTextContents();
    const ours = [RECORDED.weight.typed, '84,15', '84,95', '85,45', '86,25'];
    expect(kilos[0]).toBe(RECORDED.weight.typed);
    expect(kilos.filter((k) => ours.includes(k))).toEqual(ours);
    const pressures = curves.getByRole('table', { name: 'Pression artérielle (mmHg)' });
    await expect(pressures.locator('tbody tr').first().textContent()).resolves.toMatch(/146\s*93/);
    await shot(page, 'chart-curves');
    await accessible(page);

    // Laboratory results: a high value the laboratory flagged, one the page flags from the
    // reference range, and one within it.
    for (const r of [
      labResult(seen.id, '1988-5', 18, 'mg/L', [null, 5], 'H'),
      labResult(seen.id, '14682-9', 131, 'umol/L', [45, 104]),
      labResult(seen.id, '718-7', 14.2, 'g/dL', [12, 17]),
    ]) {
      const created = await pageApi(page, 'POST', '/fhir/Observation', r);
      expect(created.status, JSON.stringify(created.body)).toBe(201);
    }
    await page.getByRole('tab', { name: 'Résultats' }).click();
    const table = page.getByTestId('results-table');
    await table.waitFor();
    // Newest first: today's results come before any older one of the same test.
    const row = (name: RegExp) => table.getByRole('row', { name }).first();
    await expect(row(/CRP/).getAttribute('data-flag')).resolves.toBe('H');
    await expect(row(/CRP/).textContent()).resolves.toMatch(/↑ Élevé$/);
    await expect(row(/Créatininémie/).getAttribute('data-flag')).resolves.toBe('H');
    await expect(row(/Créatininémie/).textContent()).resolves.toContain('↑ Élevé *');
    await expect(row(/Hémoglobine/).getAttribute('data-flag')).resolves.toBe('N');
    await shot(page, 'chart-results');
    await accessible(page);

    expect(errors).toEqual([]);
    await context.close();
  }, 180_000);

  it('keeps the chart from an assistant who opens the patient: not shown, not sent, not asked for', async () => {
    expect(seen).not.toBeNull();
    const assistant = users.find((u) => u.role === 'assistant' && u.practiceId === doctor().practiceId)!;
    const { page, context, responses, requests, errors } = await person();
    await login(page, server.baseUrl, assistant);
    await openPatient(page, seen!);
    await page.getByRole('heading', { name: 'Rendez-vous', exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    await shot(page, 'chart-assistant');
    for (const words of ['Dossier médical', 'Synthèse', 'Notes cliniques', 'Consultation', 'Courbes', 'Résultats']) {
      expect(await page.getByText(words, { exact: true }).count()).toBe(0);
    }
    expect(await page.getByRole('tab').count()).toBe(0);
    // Not asked for: no clinical type, no ordonnance, not even the chart's code (its own chunk).
    const clinical = new RegExp(`/fhir/(${CLINICAL_TYPES.join('|')})\\b|\\$ordonnance|/assets/clinical-`);
    expect(requests.filter((r) => clinical.test(r))).toEqual([]);
    expect(responses.length).toBeGreaterThan(3);
    const leaked = [
      RECORDED.reason, RECORDED.note, RECORDED.levothyroxine, RECORDED.amlodipine, 'Lévothyroxine', 'Amlodipine',
      RECORDED.allergy, RECORDED.allergyReaction, RECORDED.problemName, RECORDED.weight.fr,
      `"value":${RECORDED.weight.json}`, RECORDED.bp.fr, `"value":${RECORDED.bp.systolic}`, '29463-7', '85354-9',
      RECORDED.lot, RECORDED.vaccine,
    ];
    for (const r of responses) {
      for (const value of leaked) expect(r).not.toContain(value);
      for (const type of CLINICAL_TYPES) expect(r).not.toContain(`"resourceType":"${type}"`);
    }
    await accessible(page);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
