/**
 * Sensitivity labels of clinical content, from HL7 v3 ActCode (ActInformationSensitivityPolicy),
 * the codes FHIR's `meta.security` / `DocumentReference.securityLabel` carry.
 */
export const SENSITIVITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

export const SENSITIVITY_LABELS = {
  HIV: { fr: 'VIH / SIDA', en: 'HIV/AIDS information' },
  PSY: { fr: 'Psychiatrie', en: 'Psychiatry information' },
  BH: { fr: 'Santé comportementale', en: 'Behavioral health information' },
  ETH: { fr: 'Addiction (alcool, drogues)', en: 'Substance abuse information' },
  SUD: { fr: 'Trouble lié à une substance', en: 'Substance use disorder information' },
  SEX: { fr: 'Sexualité et santé reproductive', en: 'Sexuality and reproductive health information' },
  STD: { fr: 'Infection sexuellement transmissible', en: 'Sexually transmitted disease information' },
  SDV: { fr: 'Violences sexuelles ou conjugales', en: 'Sexual assault, abuse, or domestic violence information' },
  GDIS: { fr: 'Maladie génétique', en: 'Genetic disease information' },
} as const;

export type SensitivityLabel = keyof typeof SENSITIVITY_LABELS;

export const ALL_SENSITIVITY_LABELS = Object.keys(SENSITIVITY_LABELS) as SensitivityLabel[];

export function isSensitivityLabel(code: string): code is SensitivityLabel {
  return Object.prototype.hasOwnProperty.call(SENSITIVITY_LABELS, code);
}
