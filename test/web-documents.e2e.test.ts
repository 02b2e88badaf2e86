import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runs } from './helpers/needs.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accessible, CHROMIUM, login, pageApi, person, removeProfiles, shot, type DemoAccount, type Person,
} from './helpers/browser.js';
import { blobAt, revoked, viewportShot, WATCH_BLOBS } from './helpers/blobs.js';
import { startCli, type Running } from './helpers/cli.js';
import { pdfWith, pngWith } from './helpers/documents.js';
import { openPatient, patientInCare, type Seen } from './helpers/patient-page.js';

/**
 * Documents and the life of a note in a real browser against a real `medvault demo` process: a
 * doctor adds a PDF (chosen) and a PNG (dropped), finds them listed with their kind, date, author
 * and size, opens each in the viewer (the bytes fetched with the session's token, shown from a blob
 * of the right type, size and hash, revoked when the viewer closes) and downloads one; files the
 * server would refuse are refused before anything is sent. She amends a note (the earlier version
 * kept, marked) and withdraws another (hidden, then struck through on request); a colleague is not
 * offered either. An assistant opening the same patient receives none of it and asks for none of it.
 */
const browser = runs('documents in the browser', { files: [{ path: CHROMIUM, install: 'apt-get install chromium' }] });

/** What the doctor adds, distinctive enough that finding it elsewhere means it leaked. */
const PDF = { title: 'Courrier du Dr Vasseur, cardiologue', phrase: 'Echographie cardiaque du 12 mars sans anomalie' };
const PNG = { title: 'Radiographie thoracique de face', comment: 'Opacite basale droite a recontroler' };
const pdf = pdfWith(PDF.phrase);
const png = pngWith(PNG.comment);
const NOTE = {
  first: 'Douleur thoracique atypique depuis deux jours, examen normal.',
  amended: 'Douleur thoracique atypique depuis deux jours, examen normal, ECG sans anomalie.',
  wrong: 'Note saisie dans le mauvais dossier, à retirer.',
};

const tmp = mkdtempSync(join(tmpdir(), 'medvault-documents-'));
let server: Running;
let users: DemoAccount[];
let seen: Seen | null = null;
/** The doctor's browser, signed in once: a second sign-in within the TOTP step would reuse its code. */
let doctorAt: Person | null = null;

beforeAll(async () => {
  if (!browser) return;
  server = await startCli([
    'demo', '--data', join(tmp, 'data'), '--practices', '2', '--patients-per-practice', '30', '--history-days', '5',
    '--port', '0',
  ]);
  const credentials = readFileSync(join(tmp, 'data', 'demo-credentials.json'), 'utf8');
  users = (JSON.parse(credentials) as { users: DemoAccount[] }).users;
}, 180_000);

afterAll(async () => {
  await doctorAt?.context.close();
  await server?.stop();
  removeProfiles();
  rmSync(tmp, { recursive: true, force: true });
});

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe.runIf(browser)('documents and amended notes in the browser', () => {
  const doctor = () => users.find((u) => u.role === 'practitioner')!;
  /** The doctor at her browser (blobs watched), on the patient's page; what it met so far forgotten. */
  const doctorOnPatient = async (): Promise<Person> => {
    if (!doctorAt) {
      doctorAt = await person();
      await doctorAt.context.addInitScript(WATCH_BLOBS);
      await login(doctorAt.page, server.baseUrl, doctor());
      seen = await patientInCare(doctorAt.page, doctor());
    }
    for (const kept of [doctorAt.errors, doctorAt.requests, doctorAt.responses]) kept.length = 0;
    await openPatient(doctorAt.page, seen!);
    return doctorAt;
  };

  it('adds, lists and shows a PDF and a PNG (a blob of their bytes), refusing what the server would', async () => {
    const { page, requests, responses, errors } = await doctorOnPatient();
    const headers: Record<string, string>[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/$content')) headers.push(r.headers());
    });
    await page.getByRole('tab', { name: 'Documents' }).click();
    const docs = page.getByTestId('documents');
    const file = docs.getByLabel(/^Fichier/);

    // Refused here, as the server would refuse them, and nothing sent: over 5 MiB, and not a PDF,
    // a JPEG or a PNG whatever its name says.
    const posts = () => requests.filter((r) => r.startsWith('POST ') && r.includes('/fhir/DocumentReference')).length;
    const tooBig = pdfWith('x', 5 * 1024 * 1024 + 1);
    await file.setInputFiles({ name: 'scanner.pdf', mimeType: 'application/pdf', buffer: tooBig });
    await docs.getByText('un document fait au plus 5 Mo').waitFor();
    await file.setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: Buffer.from('GIF89a not a png') });
    await docs.getByText('ni un PDF, ni une image JPEG ou PNG').waitFor();
    expect(posts()).toBe(0);

    // A PDF chosen, a letter.
    await file.setInputFiles({ name: 'courrier-cardio.pdf', mimeType: 'application/pdf', buffer: pdf });
    // The file's name for a title to start with, once the page has read the file's first bytes.
    await expect.poll(() => docs.getByLabel('Titre').inputValue()).toBe('courrier-cardio');
    await docs.getByLabel('Titre').fill(PDF.title);
    await docs.getByLabel('Nature').selectOption({ label: 'Courrier' });
    await docs.getByRole('button', { name: 'Ajouter le document' }).click();
    const table = docs.getByTestId('documents-table');
    await table.getByRole('row', { name: new RegExp(PDF.title) }).waitFor();

    // A PNG dropped on the zone, an imaging report.
    const dropped = await page.evaluateHandle(`(() => {
      const dt = new DataTransfer();
      const bytes = Uint8Array.from(atob('${png.toString('base64')}'), (c) => c.charCodeAt(0));
      dt.items.add(new File([bytes], 'radio.png', { type: 'image/png' }));
      return dt;
    })()`);
    await docs.getByTestId('doc-drop').dispatchEvent('drop', { dataTransfer: dropped });
    await docs.getByTestId('doc-chosen').getByText('radio.png').waitFor();
    await docs.getByLabel('Titre').fill(PNG.title);
    await docs.getByLabel('Nature').selectOption({ label: 'Compte rendu d’imagerie' });
    await docs.getByRole('button', { name: 'Ajouter le document' }).click();
    await table.getByRole('row', { name: new RegExp(PNG.title) }).waitFor();
    expect(posts()).toBe(2);

    // Listed with their kind in French, date, author and size, from a search that describes them
    // and never carries their bytes.
    const me = (await pageApi(page, 'GET', `/fhir/Practitioner/${doctor().fhirId}`)).body;
    const doctorName = `Dr ${me.name[0].given.join(' ')} ${me.name[0].family}`;
    const pdfRow = table.getByRole('row', { name: new RegExp(PDF.title) });
    const pngRow = table.getByRole('row', { name: new RegExp(PNG.title) });
    const day = new Date().toLocaleDateString('fr-FR', { dateStyle: 'medium' });
    const expected = [[pdfRow, 'Courrier', pdf.length], [pngRow, 'Compte rendu d’imagerie', png.length]] as const;
    for (const [row, kind, size] of expected) {
      const cells = await row.locator('td').allTextContents();
      expect(cells.slice(0, 4)).toEqual([kind, day, doctorName, `${size} octets`]);
    }
    const searches = responses.filter((r) => /\/fhir\/DocumentReference\?/.test(r.split('\n')[0]!));
    expect(searches.length).toBeGreaterThan(0);
    for (const r of searches) {
      expect(r).not.toContain(pdf.toString('base64'));
      expect(r).not.toContain(png.toString('base64'));
    }
    await shot(page, 'documents');
    await accessible(page);

    // The viewer shows a blob of the bytes, which the page's policy must let an <iframe> and an
    // <img> load (CSP3: 'self' does not match a blob: URL).
    const app = await fetch(server.baseUrl, { headers: { accept: 'text/html' } });
    const csp = app.headers.get('content-security-policy');
    expect(csp, 'the server\'s Content-Security-Policy (src/server/app.ts) must allow blob: in img-src')
      .toMatch(/img-src [^;]*blob:/);
    expect(csp, 'the server\'s Content-Security-Policy (src/server/app.ts) must allow blob: in frame-src')
      .toMatch(/frame-src [^;]*blob:/);

    // The PDF in the viewer: an <iframe> of a blob holding its bytes, fetched with the token in
    // headers only; the blob's URL revoked when the viewer closes.
    await pdfRow.getByRole('button', { name: /^Voir/ }).click();
    const viewer = page.getByRole('dialog', { name: PDF.title });
    const frame = viewer.getByTestId('viewer-pdf');
    await frame.waitFor();
    const pdfUrl = (await frame.getAttribute('src'))!;
    expect(pdfUrl).toMatch(new RegExp(`^blob:${server.baseUrl.replace(/\/$/, '')}/`));
    await expect(blobAt(page, pdfUrl)).resolves
      .toEqual({ type: 'application/pdf', size: pdf.length, sha256: sha256(pdf), revoked: false });
    await expect.poll(() => page.frames().some((f) => f.url() === pdfUrl)).toBe(true);
    await viewer.getByText(`PDF, ${pdf.length} octets`).waitFor();
    await page.evaluate('window.scrollTo(0, 0)');
    await viewportShot(page, 'document-viewer');
    await accessible(page);
    await viewer.getByRole('button', { name: 'Fermer' }).click();
    await expect(revoked(page, pdfUrl)).resolves.toBe(true);

    // The PNG in the viewer: an <img> of a blob of its bytes, decoded by the browser.
    await pngRow.getByRole('button', { name: /^Voir/ }).click();
    const image = page.getByRole('dialog', { name: PNG.title }).getByTestId('viewer-image');
    await image.waitFor();
    const pngUrl = (await image.getAttribute('src'))!;
    await expect(blobAt(page, pngUrl)).resolves
      .toEqual({ type: 'image/png', size: png.length, sha256: sha256(png), revoked: false });
    const decoded = `(() => {
      const img = document.querySelector('[data-testid=viewer-image]');
      return img.complete && img.naturalWidth;
    })()`;
    await expect.poll(() => page.evaluate(decoded)).toBe(1);
    await page.keyboard.press('Escape');
    await expect(revoked(page, pngUrl)).resolves.toBe(true);
    expect(await page.getByRole('dialog').count()).toBe(0);

    // Downloaded: the same bytes, under its title.
    const [download] = await Promise.all([
      page.waitForEvent('download'), pdfRow.getByRole('button', { name: /^Télécharger/ }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${PDF.title}.pdf`);
    const saved = join(tmp, 'saved.pdf');
    await download.saveAs(saved);
    expect(readFileSync(saved).equals(pdf)).toBe(true);

    // Withdrawn by its author (added to the wrong record): gone from the list, struck through on request.
    await pngRow.getByRole('button', { name: /^Retirer/ }).click();
    const confirmDoc = page.getByRole('dialog', { name: 'Retirer ce document ?' });
    await confirmDoc.getByRole('button', { name: 'Retirer', exact: true }).click();
    await expect.poll(() => pngRow.count()).toBe(0);
    await docs.getByLabel('Afficher les documents retirés').check();
    await pngRow.getByText('retiré (erreur)').waitFor();
    await expect(pngRow.locator('th s').textContent()).resolves.toBe(PNG.title);
    expect(await pngRow.getByRole('button', { name: /^Retirer/ }).count()).toBe(0);

    // The token never in a URL: the bytes were asked for with it in the Authorization header.
    expect(headers.length).toBeGreaterThanOrEqual(3);
    for (const h of headers) expect(h.authorization).toMatch(/^(DPoP|Bearer) /);
    const token = (await page.evaluate('sessionStorage.getItem("medvault.token")')) as string;
    expect(requests.filter((r) => r.includes(token) || /token=/.test(r))).toEqual([]);
    expect(errors).toEqual([]);
  }, 180_000);

  it('amends a note (the earlier version kept, marked) and withdraws one; a colleague is offered neither', async () => {
    const { page, errors } = await doctorOnPatient();
    const notes = page.getByRole('region', { name: 'Notes cliniques' });
    const write = async (text: string) => {
      await notes.getByLabel('Texte de la note', { exact: true }).fill(text);
      await notes.getByRole('button', { name: 'Enregistrer la note', exact: true }).click();
      await notes.getByTestId('notes').getByText(text, { exact: true }).waitFor();
    };
    await write(NOTE.first);
    await write(NOTE.wrong);

    // Amended: the form starts from the note's text; the list then shows the new text, « modifiée ».
    const first = notes.locator('li.note', { hasText: NOTE.first });
    await first.getByRole('button', { name: 'Modifier' }).click();
    const amend = first.getByRole('form', { name: 'Modifier la note' });
    await expect(amend.getByLabel('Nouveau texte').inputValue()).resolves.toBe(NOTE.first);
    await amend.getByLabel('Nouveau texte').fill(NOTE.amended);
    await amend.getByRole('button', { name: 'Enregistrer la modification' }).click();
    const amended = notes.getByTestId('notes').locator(':scope > li', { hasText: NOTE.amended });
    await amended.getByText('modifiée', { exact: true }).waitFor();
    expect(await notes.getByTestId('notes').locator(':scope > li', { hasText: NOTE.first }).count()).toBe(0);

    // Its earlier version on request: greyed, « version remplacée ».
    await amended.getByRole('button', { name: 'Voir les versions précédentes' }).click();
    const earlier = amended.getByRole('list', { name: 'Versions précédentes' }).locator('li');
    await earlier.first().waitFor();
    await expect(earlier.count()).resolves.toBe(1);
    await expect(earlier.first().getAttribute('data-status')).resolves.toBe('superseded');
    await expect(earlier.first().locator('.note-text').textContent()).resolves.toBe(NOTE.first);
    await earlier.first().getByText('version remplacée').waitFor();

    // Withdrawn after a confirmation: gone from the list, then shown struck through on request.
    const wrong = notes.getByTestId('notes').locator(':scope > li', { hasText: NOTE.wrong });
    await wrong.getByRole('button', { name: 'Retirer' }).click();
    const confirm = page.getByRole('dialog', { name: 'Retirer cette note ?' });
    await accessible(page);
    await confirm.getByRole('button', { name: 'Retirer', exact: true }).click();
    await expect.poll(() => wrong.count()).toBe(0);
    await notes.getByLabel('Afficher les notes retirées').check();
    await wrong.getByText('retirée (erreur)').waitFor();
    await expect(wrong.locator('.note-text s').textContent()).resolves.toBe(NOTE.wrong);
    expect(await wrong.getByRole('button').count()).toBe(0);
    await shot(page, 'note-amended');
    await accessible(page);
    expect(errors).toEqual([]);

    // A colleague of the same practice (after an emergency access when she has no care
    // relationship) reads the same notes and is offered neither change.
    const colleague = users.find((u) => u.role === 'practitioner' && u.practiceId === doctor().practiceId
      && u.username !== doctor().username)!;
    const other = await person();
    await login(other.page, server.baseUrl, colleague);
    await openPatient(other.page, seen!);
    const glass = other.page.getByRole('button', { name: /bris de glace/ });
    const list = other.page.getByTestId('notes');
    await Promise.race([glass.waitFor(), list.waitFor()]);
    if (await glass.isVisible()) {
      await glass.click();
      const dialog = other.page.getByRole('dialog', { name: 'Accès d’urgence' });
      await dialog.getByLabel(/Motif/).fill('Remplacement de la consœur absente ce jour.');
      await dialog.getByRole('button', { name: 'Ouvrir le dossier' }).click();
    }
    const theirs = list.locator(':scope > li', { hasText: NOTE.amended });
    await theirs.getByText('modifiée', { exact: true }).waitFor();
    await expect(theirs.getByRole('button', { name: 'Voir les versions précédentes' }).count()).resolves.toBe(1);
    expect(await theirs.getByRole('button', { name: 'Modifier' }).count()).toBe(0);
    expect(await theirs.getByRole('button', { name: 'Retirer' }).count()).toBe(0);
    await other.context.close();
  }, 180_000);

  it('gives an assistant who opens the patient none of the documents: not asked for, not received', async () => {
    expect(seen).not.toBeNull();
    const assistant = users.find((u) => u.role === 'assistant' && u.practiceId === doctor().practiceId)!;
    const { page, context, responses, requests, errors } = await person();
    await login(page, server.baseUrl, assistant);
    await openPatient(page, seen!);
    await page.getByRole('heading', { name: 'Rendez-vous', exact: true }).waitFor();
    await page.waitForLoadState('networkidle');
    expect(await page.getByText('Documents', { exact: true }).count()).toBe(0);
    expect(requests.filter((r) => /\/fhir\/(DocumentReference|Binary)\b|\$content/.test(r))).toEqual([]);
    expect(responses.length).toBeGreaterThan(3);
    const leaked = [
      PDF.title, PDF.phrase, PNG.title, PNG.comment, pdf.toString('base64'), png.toString('base64'),
      NOTE.first, NOTE.amended, NOTE.wrong, '"resourceType":"DocumentReference"', '"resourceType":"Binary"',
    ];
    for (const r of responses) for (const value of leaked) expect(r).not.toContain(value);
    await accessible(page);
    expect(errors).toEqual([]);
    await context.close();
  }, 120_000);
});
