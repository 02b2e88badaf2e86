import { T } from '../i18n.js';

/**
 * What the portal says of an access, an appointment or a document, in the patient's words: the
 * codes the server sends (HL7 v3 purposes of use, medvault's roles and audit actions, appointment
 * kinds and statuses, LOINC document kinds) as a person reads them.
 */
type Words = Record<string, [string, string]>;

export const PURPOSES: Words = {
  TREAT: ['soins', 'care'],
  ETREAT: ['accès d’urgence (bris de glace)', 'emergency access (break the glass)'],
  HOPERAT: ['gestion du cabinet', 'practice administration'],
  PATRQT: ['vous-même', 'yourself'],
  HSYSADMIN: ['sécurité', 'security'],
};

export const ROLES: Words = {
  practitioner: ['médecin', 'practitioner'],
  assistant: ['assistant·e', 'assistant'],
  'practice-admin': ['administrateur du cabinet', 'practice administrator'],
  'security-officer': ['responsable sécurité', 'security officer'],
  patient: ['vous', 'you'],
  system: ['système', 'system'],
};

export const ACTIONS: Words = {
  read: ['a ouvert votre dossier', 'opened your record'],
  search: ['vous a trouvé(e) dans une recherche', 'found you in a search'],
  create: ['a ajouté une information', 'added information'],
  update: ['a modifié votre dossier', 'changed your record'],
  everything: ['a consulté tout votre dossier', 'viewed your whole record'],
  'break-glass': ['a demandé un accès d’urgence', 'asked for emergency access'],
};

export const VISIT_KINDS: Words = {
  consultation: ['Consultation au cabinet', 'Consultation at the practice'],
  'home-visit': ['Visite à domicile', 'Home visit'],
  teleconsultation: ['Téléconsultation', 'Video consultation'],
};

export const VISIT_STATUSES: Words = {
  booked: ['prévu', 'booked'],
  arrived: ['en cours', 'in progress'],
  fulfilled: ['effectué', 'done'],
  cancelled: ['annulé', 'cancelled'],
  noshow: ['manqué', 'missed'],
};

/** LOINC document kinds (src/fhir/document-reference.ts). */
export const DOCUMENT_KINDS: Words = {
  '11506-3': ['Note de consultation', 'Progress note'],
  '34133-9': ['Courrier', 'Letter'],
  '11502-2': ['Résultats d’analyses', 'Laboratory report'],
  '18748-4': ['Compte rendu d’imagerie', 'Imaging report'],
};

export const pick = (m: Words, k: string | undefined): string => (k && m[k] ? T(m[k][0], m[k][1]) : (k ?? '—'));

/** The code of a CodeableConcept's first coding. */
export const codeOf = (c: any): string | undefined => c?.coding?.[0]?.code;
