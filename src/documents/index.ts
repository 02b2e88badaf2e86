export { ordonnancePdf, type OrdonnanceInput, type OrdonnanceLine } from './ordonnance.js';
export { DocumentError, DOCUMENT_ERRORS, type DocumentErrorCode } from './errors.js';
export { pdfText } from './pdf-text.js';
export { recordSummaryPdf, type RecordSummaryInput } from './record-summary.js';
