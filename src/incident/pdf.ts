import PDFDocument from 'pdfkit';

/** A page of a document: a heading, paragraphs, and optional bulleted lists between them. */
export interface PdfPage {
  readonly heading: string;
  readonly subheading?: string;
  readonly blocks: readonly (string | { readonly list: readonly string[] } | { readonly table: readonly (readonly [string, string])[] })[];
  readonly footer?: string;
}

/**
 * Renders pages to a PDF (A4, the standard Helvetica fonts, which cover French). Nothing is
 * loaded from outside the process: no fonts, no images.
 */
export function renderPdf(title: string, pages: readonly PdfPage[], lang: 'fr' | 'en'): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: 56, info: { Title: title, Author: 'medvault', Creator: 'medvault' }, lang: lang === 'fr' ? 'fr-FR' : 'en-GB', autoFirstPage: false, pdfVersion: '1.7' });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  for (const page of pages) {
    doc.addPage();
    doc.font('Helvetica-Bold').fontSize(15).fillColor('#1a1a1a').text(page.heading);
    if (page.subheading) doc.moveDown(0.3).font('Helvetica').fontSize(10).fillColor('#444444').text(page.subheading);
    doc.moveDown(0.8).fillColor('#1a1a1a');
    for (const b of page.blocks) {
      if (typeof b === 'string') {
        doc.font('Helvetica').fontSize(11).text(b, { align: 'left', lineGap: 2 });
      } else if ('list' in b) {
        doc.font('Helvetica').fontSize(11).list([...b.list], { bulletRadius: 2, textIndent: 12, lineGap: 2 });
      } else {
        for (const [k, v] of b.table) {
          doc.font('Helvetica-Bold').fontSize(10).text(lang === 'fr' ? `${k} : ` : `${k}: `, { continued: true }).font('Helvetica').text(v);
        }
      }
      doc.moveDown(0.6);
    }
    if (page.footer) doc.moveDown(1).font('Helvetica-Oblique').fontSize(9).fillColor('#444444').text(page.footer).fillColor('#1a1a1a');
  }
  doc.end();
  return done;
}
