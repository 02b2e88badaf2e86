import PDFDocument from 'pdfkit';
import type { OrdonnanceInput, OrdonnanceText, PrintedLine } from './ordonnance-input.js';
import { ordonnanceText } from './ordonnance-text.js';
import { blockHeight, CONTENT_WIDTH, drawBlock, footers, GREY, PAGE, rule, type Doc, type Run } from './page.js';

export type { OrdonnanceInput, OrdonnanceLine } from './ordonnance-input.js';

const COLUMN = 240;
const GUTTER = 24; // the line numbers' column
const SIGNATURE = { width: 210, height: 95 } as const;
const ALD_MENTION = 'Prescriptions relatives au traitement de l\u2019affection de longue durée';

/** The first page's head: prescriber left, practice right, then the date, the patient, the title. */
function fullHeader(doc: Doc, t: OrdonnanceText): number {
  const prescriber: Run[] = [
    { text: t.prescriber.name, font: 'Helvetica-Bold', size: 12.5, after: 3 },
    ...t.prescriber.details.map((d): Run => ({ text: d, font: 'Helvetica', size: 9.5, color: GREY, after: 1 })),
  ];
  const practice: Run[] = [
    { text: t.practice.name, font: 'Helvetica-Bold', size: 11, align: 'right', after: 3 },
    ...t.practice.details.map(
      (d): Run => ({ text: d, font: 'Helvetica', size: 9.5, color: GREY, align: 'right', after: 1 }),
    ),
  ];
  const leftEnd = drawBlock(doc, prescriber, PAGE.left, PAGE.top, COLUMN);
  const rightEnd = drawBlock(doc, practice, PAGE.right - COLUMN, PAGE.top, COLUMN);
  let y = Math.max(leftEnd, rightEnd) + 8;
  rule(doc, y);
  const date: Run = { text: `Le ${t.date}`, font: 'Helvetica', size: 11, align: 'right' };
  y = drawBlock(doc, [date], PAGE.left, y + 14, CONTENT_WIDTH);
  const patient: Run[] = [
    { text: `Patient\u00a0: ${t.patient.name}`, font: 'Helvetica-Bold', size: 11, after: 2 },
    { text: t.patient.born, font: 'Helvetica', size: 10.5, after: 2 },
    ...(t.patient.weight ? [{ text: t.patient.weight, font: 'Helvetica', size: 10.5 } as const] : []),
  ];
  y = drawBlock(doc, patient, PAGE.left, y + 8, CONTENT_WIDTH);
  const title: Run[] = [
    { text: 'ORDONNANCE', font: 'Helvetica-Bold', size: 16, align: 'center', characterSpacing: 3, after: 6 },
  ];
  if (t.ald) title.push({ text: ALD_MENTION, font: 'Helvetica-BoldOblique', size: 10, align: 'center' });
  y = drawBlock(doc, title, PAGE.left, y + 26, CONTENT_WIDTH);
  return y + 16;
}

/** The head of a following page: enough to tie the sheet to its prescriber, patient and date. */
function shortHeader(doc: Doc, t: OrdonnanceText): number {
  const left: Run[] = [
    { text: t.prescriber.name, font: 'Helvetica-Bold', size: 9.5, after: 1 },
    { text: `Ordonnance du ${t.date} (suite)`, font: 'Helvetica', size: 9.5 },
  ];
  const right: Run[] = [
    { text: `Patient\u00a0: ${t.patient.name}`, font: 'Helvetica-Bold', size: 9.5, align: 'right', after: 1 },
    { text: t.patient.born, font: 'Helvetica', size: 9.5, align: 'right' },
  ];
  const end = Math.max(
    drawBlock(doc, left, PAGE.left, PAGE.top, COLUMN),
    drawBlock(doc, right, PAGE.right - COLUMN, PAGE.top, COLUMN),
  );
  rule(doc, end + 6);
  return end + 24;
}

/** One numbered line of the prescription: the drug, its substitution mention, dosage, supply, note. */
function lineRuns(line: PrintedLine): Run[] {
  const runs: Run[] = [{ text: line.drug, font: 'Helvetica-Bold', size: 11.5, after: 2 }];
  if (!line.substitutable) runs.push({ text: 'Non substituable', font: 'Helvetica-BoldOblique', size: 10, after: 2 });
  runs.push({ text: line.dosage, font: 'Helvetica', size: 10.5, after: 2 });
  if (line.supply) runs.push({ text: line.supply, font: 'Helvetica', size: 10, color: GREY, after: 2 });
  if (line.note) runs.push({ text: line.note, font: 'Helvetica-Oblique', size: 10, color: GREY, after: 2 });
  return runs;
}

function renewalRuns(t: OrdonnanceText): Run[] {
  if (t.renewals === 0) return [];
  return [{ text: `À renouveler ${t.renewals} fois`, font: 'Helvetica-Bold', size: 11 }];
}

/** The box the prescriber signs in, on the right. */
function signatureBox(doc: Doc, y: number): void {
  const x = PAGE.right - SIGNATURE.width;
  doc.save().rect(x, y, SIGNATURE.width, SIGNATURE.height).lineWidth(0.7).strokeColor('#666666').stroke().restore();
  const label: Run = { text: 'Signature du prescripteur', font: 'Helvetica', size: 8.5, color: GREY };
  drawBlock(doc, [label], x + 6, y + 5, SIGNATURE.width - 12);
}

function draw(doc: Doc, t: OrdonnanceText): void {
  const textX = PAGE.left + GUTTER;
  const textWidth = CONTENT_WIDTH - GUTTER;
  doc.addPage();
  let y = fullHeader(doc, t);
  t.lines.forEach((line, i) => {
    const runs = lineRuns(line);
    // A line is never split across pages: each field is capped well below a page's height.
    if (y + blockHeight(doc, runs, textWidth) > PAGE.bottom) {
      doc.addPage();
      y = shortHeader(doc, t);
    }
    drawBlock(doc, [{ text: `${i + 1}.`, font: 'Helvetica-Bold', size: 11.5 }], PAGE.left, y, GUTTER - 4);
    y = drawBlock(doc, runs, textX, y, textWidth) + 12;
  });
  // The renewals and the signature stay together, right under the last line: nothing can be
  // added between what was prescribed and where it is signed.
  const renewals = renewalRuns(t);
  const tail = (renewals.length > 0 ? blockHeight(doc, renewals, textWidth) + 14 : 0) + 10 + SIGNATURE.height;
  if (y + tail > PAGE.bottom) {
    doc.addPage();
    y = shortHeader(doc, t);
  }
  if (renewals.length > 0) y = drawBlock(doc, renewals, textX, y + 2, textWidth) + 12;
  signatureBox(doc, y + 10);
  footers(doc, t.reference);
}

/**
 * A French prescription (ordonnance) as an A4 PDF. The same input gives the same bytes: the
 * creation date is the prescription's, the file identifier derives from it, and streams are not
 * compressed, so the output depends on PDFKit alone and not on the zlib build it runs with.
 * Throws a DocumentError (French, one line, no patient data) when the input is not printable.
 */
export function ordonnancePdf(input: OrdonnanceInput): Promise<Buffer> {
  let t: OrdonnanceText;
  try {
    t = ordonnanceText(input);
  } catch (e) {
    return Promise.reject(e);
  }
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.left,
    autoFirstPage: false,
    bufferPages: true,
    compress: false,
    pdfVersion: '1.7',
    lang: 'fr-FR',
    info: { Title: 'Ordonnance', Creator: 'medvault', Producer: 'medvault', CreationDate: input.date },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  try {
    draw(doc, t);
  } catch (e) {
    doc.end();
    return Promise.reject(e);
  }
  doc.end();
  return done;
}
