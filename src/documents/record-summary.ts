import PDFDocument from 'pdfkit';
import { longDate, parisDay, parseDay, shortDate } from './french.js';
import { blockHeight, CONTENT_WIDTH, drawBlock, footers, GREY, PAGE, rule, type Doc, type Run } from './page.js';

/**
 * The patient's summary of her own record, printed from her portal (GDPR art. 15: a copy of the
 * data, in a clear form; CSP L1111-19: who accessed it): her identity, her appointments, the
 * documents her practitioners shared with her, and every access by a professional, with the
 * reason stated for an emergency access. In French, A4. What each section holds is decided by the
 * records (the patient's own reads, audited); this module only lays it out.
 */
export interface RecordSummaryInput {
  readonly practice: { readonly name: string; readonly city: string | null };
  readonly patient: {
    readonly name: string; readonly birthDate: string; readonly nir: string | null; readonly address: string | null;
  };
  readonly generatedAt: Date;
  readonly appointments: readonly { readonly start: Date; readonly with: string; readonly kind: string;
    readonly status: string; readonly upcoming: boolean }[];
  readonly documents: readonly { readonly date: Date; readonly title: string; readonly kind: string;
    readonly author: string }[];
  readonly accesses: readonly { readonly at: Date; readonly who: string; readonly role: string;
    readonly what: string; readonly why: string }[];
}

const TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' });

/** "12/03/2026 à 09:30", in Paris time. */
export function frenchDateTime(at: Date): string {
  return `${shortDate(parisDay(at))} à ${TIME.format(at)}`;
}

const heading = (text: string): Run => ({ text, font: 'Helvetica-Bold', size: 13, after: 6 });
const line = (text: string, bold = false): Run =>
  ({ text, font: bold ? 'Helvetica-Bold' : 'Helvetica', size: 10, after: bold ? 1 : 5 });
const muted = (text: string): Run => ({ text, font: 'Helvetica-Oblique', size: 9.5, color: GREY, after: 6 });

/** Draws blocks one after another, opening a new page when the next would cross the bottom margin. */
class Flow {
  y: number = PAGE.top;
  constructor(private readonly doc: Doc) {}

  block(runs: readonly Run[], keepWithNext = 0): void {
    const h = blockHeight(this.doc, runs, CONTENT_WIDTH);
    if (this.y + h + keepWithNext > PAGE.bottom) {
      this.doc.addPage();
      this.y = PAGE.top;
    }
    this.y = drawBlock(this.doc, runs, PAGE.left, this.y, CONTENT_WIDTH);
  }

  section(title: string, items: readonly Run[][], empty: string): void {
    this.y += 10;
    this.block([heading(title)], 30);
    if (items.length === 0) this.block([muted(empty)]);
    for (const runs of items) this.block(runs);
  }
}

function draw(doc: Doc, s: RecordSummaryInput): void {
  doc.addPage();
  const f = new Flow(doc);
  f.block([
    { text: s.practice.name, font: 'Helvetica-Bold', size: 11, align: 'right', after: 2 },
    ...(s.practice.city ? [{ text: s.practice.city, font: 'Helvetica', size: 9.5, color: GREY, align: 'right' } as Run]
      : []),
  ]);
  f.y += 6;
  f.block([
    { text: 'Relevé de mon dossier médical', font: 'Helvetica-Bold', size: 18, after: 4 },
    muted(`Établi le ${longDate(parisDay(s.generatedAt))}, à ma demande, depuis mon espace patient.`),
  ]);
  rule(doc, f.y);
  f.y += 10;
  const born = parseDay(s.patient.birthDate);
  f.block([
    heading('Mon identité'),
    line(`Nom : ${s.patient.name}`),
    line(`Né(e) le : ${born ? longDate(born) : s.patient.birthDate}`),
    line(`NIR : ${s.patient.nir ?? 'non renseigné'}`),
    line(`Adresse : ${s.patient.address ?? 'non renseignée'}`),
  ]);
  const appointment = (a: RecordSummaryInput['appointments'][number]): Run[] => [
    line(`${frenchDateTime(a.start)} — ${a.with}`, true),
    line(`${a.kind} · ${a.status}${a.upcoming ? ' · à venir' : ''}`),
  ];
  f.section('Mes rendez-vous', s.appointments.map(appointment), 'Aucun rendez-vous.');
  const document = (d: RecordSummaryInput['documents'][number]): Run[] => [
    line(d.title, true),
    line(`${d.kind} · ${shortDate(parisDay(d.date))} · ${d.author}`),
  ];
  f.section(
    'Documents partagés par mes médecins', s.documents.map(document),
    'Aucun document partagé pour le moment.',
  );
  const access = (a: RecordSummaryInput['accesses'][number]): Run[] => [
    line(`${frenchDateTime(a.at)} — ${a.who} (${a.role})`, true),
    line(`${a.what} · motif : ${a.why}`),
  ];
  f.section('Qui a consulté mon dossier', s.accesses.map(access), 'Aucun accès enregistré.');
  f.y += 8;
  f.block([muted(
    'Chaque accès à votre dossier est enregistré dans un journal infalsifiable. Pour obtenir une copie '
    + 'de l’ensemble de votre dossier, un document non partagé ou la rectification d’une information, '
    + 'adressez-vous à votre cabinet (RGPD art. 15 et 16, CSP art. L1111-7).',
  )]);
  footers(doc, `relevé du ${shortDate(parisDay(s.generatedAt))}`);
}

/** The summary as an A4 PDF (uncompressed, dated by its input: the same input gives the same bytes). */
export function recordSummaryPdf(s: RecordSummaryInput): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4', margin: PAGE.left, autoFirstPage: false, bufferPages: true, compress: false, pdfVersion: '1.7',
    lang: 'fr-FR',
    info: { Title: 'Relevé de mon dossier', Creator: 'medvault', Producer: 'medvault', CreationDate: s.generatedAt },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  try {
    draw(doc, s);
  } catch (e) {
    doc.end();
    return Promise.reject(e);
  }
  doc.end();
  return done;
}
