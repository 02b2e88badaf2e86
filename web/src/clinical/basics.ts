import { lang } from '../i18n.js';

/**
 * What a document's viewer needs of the clinical vocabulary, without the code lists: the portal
 * and the assistant's pages import this, and must not pull the CIM-10, LOINC and drug lists into
 * the main bundle (those load with the practitioner's chart only).
 */
export const LOINC = 'http://loinc.org';

export function fmtNumber(n: number): string {
  return n.toLocaleString(lang() === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 2 });
}
