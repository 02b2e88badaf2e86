/**
 * The page of a printed document: A4 portrait, its margins, blocks of text measured before they
 * are drawn (so the caller decides page breaks, not PDFKit), and the footer of every page.
 */

export type Doc = PDFKit.PDFDocument;

type FontName = 'Helvetica' | 'Helvetica-Bold' | 'Helvetica-Oblique' | 'Helvetica-BoldOblique';

/** A4 in points, with room at the bottom for the footer. */
export const PAGE = {
  width: 595.28,
  height: 841.89,
  left: 50,
  right: 545.28,
  top: 45,
  /** Where body text must end: below it sit the footer's two lines. */
  bottom: 841.89 - 70,
  footer: 841.89 - 48,
} as const;

export const CONTENT_WIDTH = PAGE.right - PAGE.left;

export const INK = '#000000';
export const GREY = '#4d4d4d';

/** One paragraph of a block, in one font; `after` is the space below it. */
export interface Run {
  readonly text: string;
  readonly font: FontName;
  readonly size: number;
  readonly color?: string;
  readonly after?: number;
  readonly align?: 'left' | 'right' | 'center';
  readonly characterSpacing?: number;
}

const LINE_GAP = 1.5;

/** The height a block takes at this width, as `drawBlock` will draw it. */
export function blockHeight(doc: Doc, runs: readonly Run[], width: number): number {
  let h = 0;
  for (const r of runs) {
    doc.font(r.font).fontSize(r.size);
    h += doc.heightOfString(r.text, { width, lineGap: LINE_GAP, characterSpacing: r.characterSpacing ?? 0 });
    h += r.after ?? 0;
  }
  return h;
}

/** Draws a block from (x, y) and returns the y below it. */
export function drawBlock(doc: Doc, runs: readonly Run[], x: number, y: number, width: number): number {
  let at = y;
  for (const r of runs) {
    doc.font(r.font).fontSize(r.size).fillColor(r.color ?? INK);
    const options = { width, lineGap: LINE_GAP, align: r.align ?? 'left', characterSpacing: r.characterSpacing ?? 0 };
    const h = doc.heightOfString(r.text, options);
    doc.text(r.text, x, at, options);
    at += h + (r.after ?? 0);
  }
  doc.fillColor(INK);
  return at;
}

/** A thin rule across the page. */
export function rule(doc: Doc, y: number): void {
  doc.save().moveTo(PAGE.left, y).lineTo(PAGE.right, y).lineWidth(0.5).strokeColor('#999999').stroke().restore();
}

/**
 * Writes the footer of every buffered page: the reference on the left, the page count on the
 * right. Done once all pages exist, since "page N/M" needs M.
 */
export function footers(doc: Doc, reference: string): void {
  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Text below the bottom margin would make PDFKit open a new page; the footer sits there.
    const margins = doc.page.margins;
    doc.page.margins = { ...margins, bottom: 0 };
    const half = CONTENT_WIDTH / 2;
    doc.font('Helvetica').fontSize(7.5).fillColor(GREY);
    doc.text(`Réf. ${reference}`, PAGE.left, PAGE.footer, { width: half, lineBreak: false });
    doc.text(`Document généré par medvault — page ${i + 1}/${range.count}`, PAGE.left + half, PAGE.footer, {
      width: half,
      align: 'right',
      lineBreak: false,
    });
    doc.page.margins = margins;
  }
  doc.fillColor(INK);
}
