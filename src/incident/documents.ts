import { SENSITIVITY_LABELS, type SensitivityLabel } from '../domain/index.js';
import { CATEGORIES, CLINICAL_CATEGORIES, type Category } from './scope.js';
import { renderPdf, type PdfPage } from './pdf.js';
import type { Incident } from './types.js';

/**
 * The documents the law asks for after a breach, in French (default) or English:
 * - the GDPR Art. 33 notification to the CNIL (JSON and PDF),
 * - the Art. 34 notice to each patient (PDF letters, a CSV mail-merge list, e-mails),
 * - a notice to each practitioner whose patients are involved,
 * - a structured incident record for threat-intelligence sharing, without personal data.
 * Each patient's notice is built from that patient's disclosure alone: it cannot name another.
 */
export type Lang = 'fr' | 'en';

export interface Contact {
  /** The data protection officer (MEDVAULT_DPO_NAME / MEDVAULT_DPO_EMAIL). */
  readonly dpoName: string;
  readonly dpoEmail: string;
  /** Who operates the platform (the processor). */
  readonly operator: string;
}

/** The clinical types' categories (problems, treatments, results…), worded from their modules. */
const clinical = (f: (c: (typeof CLINICAL_CATEGORIES)[number]) => string) => Object.fromEntries(CLINICAL_CATEGORIES.map((c) => [c.code, f(c)]));

export const CATEGORY_TEXT: Record<Lang, Record<Category, string>> = {
  fr: {
    identity: 'votre identité (nom, prénoms, sexe, date et lieu de naissance)',
    contacts: 'vos coordonnées (adresse postale, téléphone, adresse électronique)',
    nir: 'votre numéro de sécurité sociale (NIR, identifiant national de santé)',
    appointments: 'vos rendez-vous au cabinet (dates et praticien)',
    notes: 'des notes cliniques rédigées par votre médecin',
    ...clinical((c) => `des informations de votre dossier médical : ${c.fr}`),
  },
  en: {
    identity: 'your identity (names, sex, date and place of birth)',
    contacts: 'your contact details (postal address, telephone, e-mail address)',
    nir: 'your social security number (NIR, national health identifier)',
    appointments: 'your appointments at the practice (dates and practitioner)',
    notes: 'clinical notes written by your doctor',
    ...clinical((c) => `information from your medical record: ${c.en}`),
  },
};

const CATEGORY_SHORT: Record<Lang, Record<Category, string>> = {
  fr: { identity: 'identité', contacts: 'coordonnées', nir: 'NIR / INS', appointments: 'rendez-vous', notes: 'notes cliniques', ...clinical((c) => c.fr) },
  en: { identity: 'identity', contacts: 'contact details', nir: 'NIR / INS', appointments: 'appointments', notes: 'clinical notes', ...clinical((c) => c.en) },
};

const CONSEQUENCES: Record<Lang, Record<Category | 'sensitive', string>> = {
  fr: {
    identity: "hameçonnage ciblé (messages ou appels se faisant passer pour le cabinet ou l'Assurance maladie)",
    contacts: 'sollicitations et hameçonnage par courrier, téléphone ou courriel',
    nir: "tentatives d'usurpation d'identité auprès d'organismes sociaux",
    appointments: 'révélation de la relation de soins avec le cabinet',
    notes: 'divulgation d’informations de santé, avec un risque de discrimination, de chantage ou de préjudice moral',
    ...clinical(() => 'divulgation d’informations de santé, avec un risque de discrimination, de chantage ou de préjudice moral'),
    sensitive: 'divulgation d’informations de santé de nature particulièrement sensible (santé mentale, addictions, VIH, sexualité…)',
  },
  en: {
    identity: 'targeted phishing (messages or calls posing as the practice or the health insurer)',
    contacts: 'unsolicited contact and phishing by post, telephone or e-mail',
    nir: 'attempts at identity fraud with social security bodies',
    appointments: 'disclosure of the care relationship with the practice',
    notes: 'disclosure of health information, with a risk of discrimination, blackmail or distress',
    ...clinical(() => 'disclosure of health information, with a risk of discrimination, blackmail or distress'),
    sensitive: 'disclosure of particularly sensitive health information (mental health, substance use, HIV, sexuality…)',
  },
};

const CATEGORY_ORDER: readonly Category[] = CATEGORIES;

const fmtDate = (iso: string, lang: Lang) =>
  new Date(iso).toLocaleString(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' });

const fmtDay = (iso: string, lang: Lang) => new Date(iso).toLocaleDateString(lang === 'fr' ? 'fr-FR' : 'en-GB', { timeZone: 'Europe/Paris', dateStyle: 'long' });

// ─── Art. 34 applicability ───────────────────────────────────────────────────────────────────
export interface Art34 {
  readonly required: boolean;
  readonly reason: string;
}

// ─── Art. 33: the notification to the supervisory authority ─────────────────────────────────
export interface Art33 {
  readonly document: 'gdpr-art33-notification';
  readonly lang: Lang;
  readonly incidentId: string;
  readonly generatedAt: string;
  readonly controllers: { readonly practiceId: string; readonly name: string; readonly city: string | null }[];
  readonly processor: string;
  readonly dpo: { readonly name: string; readonly email: string };
  readonly nature: string;
  readonly kind: Incident['kind'];
  readonly window: { readonly from: string; readonly to: string } | null;
  readonly detectedAt: string | null;
  readonly containedAt: string | null;
  readonly persons: { readonly categories: string[]; readonly approximateNumber: number; readonly byPractice: { practiceId: string; patients: number }[] };
  readonly records: { readonly approximateNumber: number; readonly clinicalNotes: number };
  readonly dataCategories: { readonly category: Category; readonly label: string; readonly persons: number }[];
  readonly specialCategories: { readonly code: string; readonly label: string; readonly persons: number }[];
  readonly likelyConsequences: string[];
  readonly measuresTaken: string[];
  readonly measuresProposed: string[];
  readonly art34: Art34;
  readonly timeline: { readonly at: string; readonly event: string }[];
}

export function art33(i: Incident, practices: ReadonlyMap<string, { name: string; city: string | null }>, contact: Contact, lang: Lang, now: Date): Art33 {
  const fr = lang === 'fr';
  const s = i.summary;
  // In the order of CATEGORIES (the stored JSON does not keep key order).
  const categories = CATEGORY_ORDER.map((c) => [c, s.categories[c] ?? 0] as [Category, number]).filter(([, n]) => n > 0);
  const labels = (Object.entries(s.labels) as [SensitivityLabel, number][]).filter(([, n]) => n > 0);
  // One line per consequence: the clinical categories share the notes' (health information).
  const consequences = [...new Set(categories.map(([c]) => CONSEQUENCES[lang][c] ?? CONSEQUENCES[lang].notes))] as string[];
  if (labels.length > 0) consequences.push(CONSEQUENCES[lang].sensitive as string);
  const contained = i.timeline.find((t) => t.event === 'contained');
  const taken: string[] = [];
  for (const t of i.timeline.filter((x) => x.event === 'contained')) {
    const acts = Array.isArray(t.detail.actions) ? (t.detail.actions as string[]) : [];
    if (acts.includes('lock')) taken.push(fr ? 'Comptes concernés verrouillés' : 'Accounts involved locked');
    if (acts.includes('revoke-sessions')) taken.push(fr ? 'Sessions des comptes concernés révoquées' : "The accounts' sessions revoked");
    if (acts.includes('reset-credentials')) taken.push(fr ? 'Identifiants (mot de passe, second facteur) des comptes concernés réinitialisés' : "The accounts' credentials (password, second factor) reset");
  }
  taken.push(fr ? 'Périmètre établi à partir du journal d’accès signé et vérifié (chaîne de hachage, arbres de Merkle signés)' : 'Scope established from the signed, verified access log (hash chain, signed Merkle tree heads)');
  if (i.kind === 'account-abuse') {
    taken.push(fr ? 'Détection en temps réel : les comptes sont contenus automatiquement au-delà de budgets d’accès' : 'Real-time detection: accounts are contained automatically beyond access budgets');
  }
  const proposed = fr
    ? ['Information individuelle des patients concernés (article 34)', 'Information des praticiens dont les patients sont concernés', 'Rappel aux praticiens des règles de sécurité du poste de travail', 'Surveillance renforcée des comptes du cabinet pendant 30 jours']
    : ['Individual notice to the patients concerned (Article 34)', 'Notice to the practitioners whose patients are concerned', 'Workstation security reminder to the practitioners', "Heightened monitoring of the practice's accounts for 30 days"];
  const nature = i.kind === 'database-copy'
    ? (fr ? `Copie non autorisée de tables de la base de données (${(i.query.tables ?? []).join(', ')}).` : `Unauthorised copy of database tables (${(i.query.tables ?? []).join(', ')}).`)
    : (fr
      ? `Atteinte à la confidentialité : consultation de dossiers patients au moyen de ${s.accounts} compte(s) d'utilisateurs légitimes, par un tiers ou en dehors de toute relation de soins, entre le ${fmtDate(i.query.from ?? '', lang)} et le ${fmtDate(i.query.to ?? '', lang)}.`
      : `Breach of confidentiality: patient records viewed through ${s.accounts} legitimate user account(s), by a third party or outside any care relationship, between ${fmtDate(i.query.from ?? '', lang)} and ${fmtDate(i.query.to ?? '', lang)}.`);
  return {
    document: 'gdpr-art33-notification', lang, incidentId: i.id, generatedAt: now.toISOString(),
    controllers: s.byPractice.map((p) => ({ practiceId: p.practiceId, name: practices.get(p.practiceId)?.name ?? p.practiceId, city: practices.get(p.practiceId)?.city ?? null })),
    processor: contact.operator,
    dpo: { name: contact.dpoName, email: contact.dpoEmail },
    nature, kind: i.kind,
    window: i.query.from && i.query.to ? { from: i.query.from, to: i.query.to } : null,
    detectedAt: i.timeline.find((t) => t.event === 'detected')?.at ?? null,
    containedAt: contained?.at ?? null,
    persons: { categories: [fr ? 'patients' : 'patients'], approximateNumber: s.patients, byPractice: s.byPractice.map((p) => ({ practiceId: p.practiceId, patients: p.patients })) },
    records: { approximateNumber: s.records, clinicalNotes: s.notes },
    dataCategories: categories.map(([c, n]) => ({ category: c, label: CATEGORY_SHORT[lang][c] ?? c, persons: n })),
    specialCategories: labels.map(([code, n]) => ({ code, label: SENSITIVITY_LABELS[code][lang], persons: n })),
    likelyConsequences: consequences,
    measuresTaken: taken,
    measuresProposed: proposed,
    art34: i.art34,
    timeline: i.timeline.map((t) => ({ at: t.at, event: t.event })),
  };
}

export function art33Pdf(a: Art33): Promise<Buffer> {
  const fr = a.lang === 'fr';
  const pages: PdfPage[] = [{
    heading: fr ? 'Notification de violation de données personnelles (RGPD, article 33)' : 'Personal data breach notification (GDPR, Article 33)',
    subheading: `${fr ? 'Incident' : 'Incident'} ${a.incidentId} — ${fr ? 'établi le' : 'drawn up on'} ${fmtDate(a.generatedAt, a.lang)}`,
    blocks: [
      { table: [
        [fr ? 'Responsables de traitement' : 'Controllers', a.controllers.map((c) => c.name + (c.city ? ` (${c.city})` : '')).join(', ') || '—'],
        [fr ? 'Sous-traitant (hébergeur)' : 'Processor (host)', a.processor],
        [fr ? 'Délégué à la protection des données' : 'Data protection officer', `${a.dpo.name} <${a.dpo.email}>`],
        [fr ? 'Détection' : 'Detected', a.detectedAt ? fmtDate(a.detectedAt, a.lang) : '—'],
        [fr ? 'Confinement' : 'Contained', a.containedAt ? fmtDate(a.containedAt, a.lang) : (fr ? 'en cours' : 'in progress')],
      ] },
      fr ? '(a) Nature de la violation' : '(a) Nature of the breach',
      a.nature,
      fr
        ? `Personnes concernées : ${a.persons.approximateNumber} patients. Enregistrements concernés : ${a.records.approximateNumber}, dont ${a.records.clinicalNotes} notes cliniques.`
        : `Persons concerned: ${a.persons.approximateNumber} patients. Records concerned: ${a.records.approximateNumber}, of which ${a.records.clinicalNotes} clinical notes.`,
      { list: a.dataCategories.map((c) => `${c.label} : ${c.persons} ${fr ? 'patients' : 'patients'}`) },
      ...(a.specialCategories.length > 0
        ? [fr ? 'Catégories particulières de données (santé) :' : 'Special categories of data (health):', { list: a.specialCategories.map((c) => `${c.label} (${c.code}) : ${c.persons}`) }]
        : []),
      fr ? '(c) Conséquences probables' : '(c) Likely consequences',
      { list: a.likelyConsequences.length > 0 ? a.likelyConsequences : [fr ? 'Aucune donnée intelligible divulguée' : 'No intelligible data disclosed'] },
      fr ? '(d) Mesures prises' : '(d) Measures taken',
      { list: a.measuresTaken },
      fr ? 'Mesures proposées' : 'Measures proposed',
      { list: a.measuresProposed },
      fr ? 'Communication aux personnes (article 34)' : 'Communication to the data subjects (Article 34)',
      `${a.art34.required ? (fr ? 'Requise' : 'Required') : (fr ? 'Non requise' : 'Not required')} — ${a.art34.reason}`,
    ],
    footer: fr ? 'Document généré par medvault à partir du journal d’accès. Peut être complété par phases (article 33(4)).' : 'Generated by medvault from the access log. May be completed in phases (Article 33(4)).',
  }];
  return renderPdf(fr ? 'Notification article 33' : 'Article 33 notification', pages, a.lang);
}

// ─── Art. 34: the notice to each patient ────────────────────────────────────────────────────
/** What one patient's notice is made of: that patient's identity and disclosure, nothing else. */
export interface PatientNoticeInput {
  readonly patientId: string;
  readonly name: string;
  readonly address: { readonly line: string; readonly postalCode: string; readonly city: string } | null;
  readonly email: string | null;
  readonly practiceName: string;
  readonly categories: readonly Category[];
  /** Whether the disclosed notes carried a sensitivity label (the label itself is not printed). */
  readonly sensitive: boolean;
  readonly firstAt: string;
  readonly lastAt: string;
  /** Whether the accounts were contained (locked, sessions ended, credentials reset) when the notice was drawn up. */
  readonly contained: boolean;
}

export interface PatientNotice {
  readonly patientId: string;
  readonly subject: string;
  readonly text: string;
}

export function patientNotice(p: PatientNoticeInput, contact: Contact, lang: Lang): PatientNotice {
  const fr = lang === 'fr';
  const what = p.categories.map((c) => `- ${CATEGORY_TEXT[lang][c]}`).join('\n');
  const sameDay = fmtDay(p.firstAt, lang) === fmtDay(p.lastAt, lang);
  const when = fr
    ? (sameDay ? `Le ${fmtDay(p.firstAt, lang)}` : `Entre le ${fmtDay(p.firstAt, lang)} et le ${fmtDay(p.lastAt, lang)}`)
    : (sameDay ? `On ${fmtDay(p.firstAt, lang)}` : `Between ${fmtDay(p.firstAt, lang)} and ${fmtDay(p.lastAt, lang)}`);
  const done = fr
    ? (p.contained ? "le compte a été bloqué, ses sessions révoquées et ses identifiants réinitialisés" : "le compte est en cours de blocage et ses sessions sont révoquées")
    : (p.contained ? 'the account was blocked, its sessions revoked and its credentials reset' : 'the account is being blocked and its sessions revoked');
  const consequences = [...new Set(p.categories.map((c) => `- ${CONSEQUENCES[lang][c] ?? CONSEQUENCES[lang].notes}`))].join('\n');
  const sensitive = p.sensitive
    ? (fr ? "\nCertaines de ces notes contiennent des informations de santé sensibles. Votre médecin peut vous dire lesquelles si vous le souhaitez.\n" : '\nSome of these notes contain sensitive health information. Your doctor can tell you which if you wish.\n')
    : '';
  const text = fr
    ? `${p.name}\n${p.address ? `${p.address.line}\n${p.address.postalCode} ${p.address.city}\n` : ''}\nMadame, Monsieur,\n\n` +
      `Nous devons vous informer d'un incident de sécurité qui concerne vos données personnelles, conformément à l'article 34 du règlement général sur la protection des données.\n\n` +
      `${when}, le compte d'un utilisateur du logiciel du cabinet ${p.practiceName} a été utilisé de façon abusive. Les données suivantes vous concernant ont été consultées :\n${what}\n${sensitive}\n` +
      `Conséquences possibles :\n${consequences}\n\n` +
      `Ce que nous avons fait : ${done} ; l'accès a été établi précisément à partir du journal d'accès, qui enregistre chaque consultation.\n\n` +
      `Ce que nous vous conseillons : méfiez-vous des appels, courriels ou SMS qui se réclameraient de votre cabinet, de votre médecin ou de l'Assurance maladie et vous demanderaient des informations ou un paiement. Le cabinet ne vous demandera jamais vos codes ou coordonnées bancaires.\n\n` +
      `Pour toute question, ou pour exercer vos droits, contactez notre délégué à la protection des données : ${contact.dpoName}, ${contact.dpoEmail}. Vous pouvez aussi adresser une réclamation à la CNIL (www.cnil.fr).\n\n` +
      `Nous vous prions de nous excuser pour cet incident.\n\n${p.practiceName}`
    : `${p.name}\n${p.address ? `${p.address.line}\n${p.address.postalCode} ${p.address.city}\n` : ''}\nDear Sir or Madam,\n\n` +
      `We must inform you of a security incident concerning your personal data, as Article 34 of the General Data Protection Regulation requires.\n\n` +
      `${when}, the account of a user of the software of the practice ${p.practiceName} was misused. The following data about you were viewed:\n${what}\n${sensitive}\n` +
      `Possible consequences:\n${consequences}\n\n` +
      `What we have done: ${done}; the access was established exactly from the access log, which records every consultation.\n\n` +
      `What we advise: be wary of calls, e-mails or text messages claiming to come from your practice, your doctor or the health insurer and asking for information or a payment. The practice will never ask for your codes or bank details.\n\n` +
      `For any question, or to exercise your rights, contact our data protection officer: ${contact.dpoName}, ${contact.dpoEmail}. You may also lodge a complaint with the CNIL (www.cnil.fr).\n\n` +
      `We apologise for this incident.\n\n${p.practiceName}`;
  return {
    patientId: p.patientId,
    subject: fr ? 'Information importante concernant vos données de santé' : 'Important information about your health data',
    text,
  };
}

export function noticesPdf(notices: readonly PatientNotice[], lang: Lang, watermark = ''): Promise<Buffer> {
  const fr = lang === 'fr';
  return renderPdf(fr ? 'Notifications aux patients (article 34)' : 'Notices to patients (Article 34)', notices.map((n) => ({
    heading: n.subject,
    blocks: n.text.split('\n\n'),
    footer: (fr ? `Réf. ${n.patientId}` : `Ref. ${n.patientId}`) + (watermark ? ` — ${watermark}` : ''),
  })), lang);
}

/** The mail-merge list: one row per patient, their own categories only; no sensitivity label. */
/**
 * One CSV cell. OWASP's rule against formula injection: a cell that begins with =, +, -, @, a tab
 * or a carriage return is prefixed with a single quote and quoted, so that a spreadsheet shows it
 * as text (an address stored as `=HYPERLINK(...)` must not become a link that phones home).
 */
export function csvCell(v: string): string {
  const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /^[=+\-@\t\r']|[",\n\r;]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function mailMergeCsv(rows: readonly PatientNoticeInput[], lang: Lang, watermark = ''): string {
  const q = csvCell;
  const header = lang === 'fr'
    ? ['reference', 'nom', 'adresse', 'code_postal', 'ville', 'courriel', 'cabinet', 'donnees_consultees', 'informations_sensibles', 'du', 'au', 'export']
    : ['reference', 'name', 'address', 'postal_code', 'city', 'email', 'practice', 'data_viewed', 'sensitive_information', 'from', 'to', 'export'];
  const lines = rows.map((r) => [
    r.patientId, r.name, r.address?.line ?? '', r.address?.postalCode ?? '', r.address?.city ?? '', r.email ?? '', r.practiceName,
    r.categories.map((c) => CATEGORY_SHORT[lang][c]).join(' | '), r.sensitive ? (lang === 'fr' ? 'oui' : 'yes') : (lang === 'fr' ? 'non' : 'no'), r.firstAt.slice(0, 10), r.lastAt.slice(0, 10), watermark,
  ].map(q).join(','));
  return `${header.join(',')}\n${lines.join('\n')}${lines.length > 0 ? '\n' : ''}`;
}

// ─── Practitioners ──────────────────────────────────────────────────────────────────────────
export interface PractitionerNoticeInput {
  readonly practitionerName: string;
  readonly practiceName: string;
  readonly patients: readonly { readonly name: string; readonly birthDate: string; readonly categories: readonly Category[]; readonly labels: readonly SensitivityLabel[] }[];
}

export function practitionersPdf(items: readonly PractitionerNoticeInput[], contact: Contact, i: Incident, lang: Lang): Promise<Buffer> {
  const fr = lang === 'fr';
  return renderPdf(fr ? 'Information des praticiens' : 'Notice to practitioners', items.map((it) => ({
    heading: fr ? `Dr ${it.practitionerName} — patients concernés par l'incident ${i.id.slice(0, 8)}` : `Dr ${it.practitionerName} — patients concerned by incident ${i.id.slice(0, 8)}`,
    subheading: it.practiceName,
    blocks: [
      fr
        ? `Les données de ${it.patients.length} de vos patients ont été consultées par un tiers ou sans relation de soins entre le ${i.query.from ? fmtDay(i.query.from, lang) : '—'} et le ${i.query.to ? fmtDay(i.query.to, lang) : '—'}. Chacun reçoit une notification individuelle (article 34 du RGPD). Ils pourront vous interroger : voici ce qui a été consulté pour chacun.`
        : `The data of ${it.patients.length} of your patients were viewed by a third party or without a care relationship between ${i.query.from ? fmtDay(i.query.from, lang) : '—'} and ${i.query.to ? fmtDay(i.query.to, lang) : '—'}. Each receives an individual notice (GDPR Article 34). They may ask you about it: here is what was viewed for each.`,
      { list: it.patients.map((p) => `${p.name} (${p.birthDate}) : ${p.categories.map((c) => CATEGORY_SHORT[lang][c]).join(', ')}${p.labels.length > 0 ? ` — ${p.labels.map((l) => SENSITIVITY_LABELS[l][lang]).join(', ')}` : ''}`) },
      fr ? `Contact : ${contact.dpoName}, ${contact.dpoEmail}.` : `Contact: ${contact.dpoName}, ${contact.dpoEmail}.`,
    ],
    footer: fr ? 'Confidentiel — contient des données de santé. Ne pas transmettre.' : 'Confidential — contains health data. Do not forward.',
  })), lang);
}

// ─── The incident record for threat-intelligence sharing ─────────────────────────────────────
export interface IncidentRecord {
  readonly schema: 'medvault-incident-record/1';
  readonly type: string;
  readonly date: string;
  readonly severity: 'low' | 'medium' | 'high' | 'critical';
  readonly sector: 'healthcare/primary-care';
  readonly recordsExposed: number;
  readonly personsAffected: number;
  readonly dataTypesCompromised: string[];
  readonly pii: boolean;
  readonly sensitivity: string[];
  readonly plaintextDisclosed: boolean;
  readonly affectedEntities: { readonly practices: number; readonly accounts: number };
  readonly vector: string;
  readonly detectedAt: string | null;
  readonly containedAt: string | null;
}

/** Counts, categories and dates only: no name, no identifier of a person, account or practice. */
export function incidentRecord(i: Incident): IncidentRecord {
  const s = i.summary;
  const labels = (Object.keys(s.labels) as SensitivityLabel[]).filter((l) => (s.labels[l] ?? 0) > 0);
  const plaintext = i.kind === 'account-abuse' || i.art34.required;
  const severity = !plaintext ? 'low' : labels.length > 0 || CLINICAL_CATEGORIES.some((c) => (s.categories[c.code] ?? 0) > 0) || (s.categories.notes ?? 0) > 0 ? 'critical' : s.patients > 100 ? 'high' : 'medium';
  return {
    schema: 'medvault-incident-record/1',
    type: i.kind === 'account-abuse' ? 'unauthorised-access/valid-accounts' : 'data-exfiltration/database-copy',
    date: i.createdAt.slice(0, 10),
    severity,
    sector: 'healthcare/primary-care',
    recordsExposed: s.records,
    personsAffected: s.patients,
    dataTypesCompromised: (Object.keys(s.categories) as Category[]).filter((c) => (s.categories[c] ?? 0) > 0),
    pii: s.patients > 0,
    sensitivity: ['health-data', ...labels.map((l) => `label:${l}`)],
    plaintextDisclosed: plaintext,
    affectedEntities: { practices: s.byPractice.length, accounts: s.accounts },
    vector: i.kind === 'account-abuse' ? 'T1078 valid accounts (stolen credentials or session)' : 'database copy',
    detectedAt: i.timeline.find((t) => t.event === 'detected')?.at ?? null,
    containedAt: i.timeline.find((t) => t.event === 'contained')?.at ?? null,
  };
}
