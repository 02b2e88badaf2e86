import type { Faker } from '@faker-js/faker';
import type { SensitivityLabel } from '../../domain/index.js';
import type { Measured } from './chart/index.js';

/**
 * Plausible French general-practice notes. About 1 % carry a sensitive label, as in the 2025
 * breach where ~165,000 of several million charts held such free text.
 */
interface Encounter {
  readonly motif: string;
  readonly history: readonly string[];
  readonly finding: readonly string[];
  readonly conclusion: string;
  readonly plan: readonly string[];
  readonly labels?: readonly SensitivityLabel[];
  /** Who it fits: 'child' (< 16), 'adult', 'senior' (≥ 65) or any. */
  readonly who?: 'child' | 'adult' | 'senior';
}

const COMMON: readonly Encounter[] = [
  {
    motif: 'rhinopharyngite',
    history: ['Rhinorrhée claire et toux sèche depuis 3 jours.', 'Écoulement nasal, mal de gorge, fébricule à 38 °C depuis 48 h.'],
    finding: ['Tympans normaux, pharynx érythémateux, pas d\'adénopathie.', 'Auscultation pulmonaire libre.'],
    conclusion: 'Rhinopharyngite aiguë virale.',
    plan: ['Lavages de nez, paracétamol si fièvre. Pas d\'antibiotique. Reconsulter si fièvre > 3 jours.'],
  },
  {
    motif: 'angine',
    history: ['Odynophagie fébrile depuis 2 jours, pas de toux.'],
    finding: ['Amygdales érythémato-pultacées, adénopathies cervicales sensibles.'],
    conclusion: 'Angine, TROD streptocoque positif.',
    plan: ['Amoxicilline 1 g x2/j pendant 6 jours. Paracétamol.', 'Amoxicilline 6 jours, arrêt de travail 2 jours.'],
    who: 'adult',
  },
  {
    motif: 'otite',
    history: ['Otalgie droite et fièvre à 38,8 °C depuis la nuit, pleurs.'],
    finding: ['Tympan droit bombé et congestif.'],
    conclusion: 'Otite moyenne aiguë purulente droite.',
    plan: ['Amoxicilline 80 mg/kg/j pendant 5 jours. Ibuprofène si douleur.'],
    who: 'child',
  },
  {
    motif: 'gastro-entérite',
    history: ['Diarrhée aqueuse et vomissements depuis hier, entourage également touché.'],
    finding: ['Abdomen souple, dépressible, indolore. Pas de signe de déshydratation.'],
    conclusion: 'Gastro-entérite aiguë probablement virale.',
    plan: ['Réhydratation orale, régime adapté. Consignes de surveillance données.'],
  },
  {
    motif: 'lombalgie',
    history: ['Lombalgie aiguë après port de charge, sans irradiation.', 'Douleur lombaire mécanique depuis une semaine.'],
    finding: ['Contracture paravertébrale, Lasègue négatif, pas de déficit.'],
    conclusion: 'Lombalgie commune aiguë.',
    plan: ['Paracétamol, maintien de l\'activité, kinésithérapie si persistance à 4 semaines.'],
    who: 'adult',
  },
  {
    motif: 'suivi HTA',
    history: ['Suivi tensionnel, bonne observance, pas de plainte.', 'Automesures correctes, quelques céphalées matinales.'],
    finding: ['Auscultation cardiaque normale, pas d\'œdème des membres inférieurs.'],
    conclusion: 'HTA équilibrée sous traitement.',
    plan: ['Renouvellement du traitement pour 3 mois. Bilan biologique annuel (ionogramme, créatinine).'],
    who: 'senior',
  },
  {
    motif: 'suivi diabète de type 2',
    history: ['HbA1c à 7,2 % au dernier bilan. Régime globalement suivi.'],
    finding: ['Examen des pieds sans lésion, monofilament perçu.'],
    conclusion: 'Diabète de type 2 correctement équilibré.',
    plan: ['Metformine inchangée. Fond d\'œil à programmer. HbA1c dans 3 mois.'],
    who: 'senior',
  },
  {
    motif: 'renouvellement d\'ordonnance',
    history: ['Pas d\'événement intercurrent depuis la dernière consultation.'],
    finding: ['Examen clinique sans particularité.'],
    conclusion: 'État stable.',
    plan: ['Renouvellement du traitement habituel pour 3 mois.'],
    who: 'adult',
  },
  {
    motif: 'vaccination',
    history: ['Mise à jour du calendrier vaccinal.'],
    finding: ['Pas de contre-indication retrouvée.'],
    conclusion: 'Vaccination réalisée.',
    plan: ['Rappel noté dans le carnet. Surveillance 15 minutes sans incident.'],
  },
  {
    motif: 'certificat de non contre-indication au sport',
    history: ['Pratique du football en club, pas d\'antécédent notable.'],
    finding: ['Auscultation cardiaque normale, ECG de repos normal.'],
    conclusion: 'Pas de contre-indication à la pratique du sport.',
    plan: ['Certificat remis.'],
  },
  {
    motif: 'bronchite aiguë',
    history: ['Toux grasse depuis 8 jours, pas de dyspnée.'],
    finding: ['Quelques ronchi diffus, saturation 97 % en air ambiant.'],
    conclusion: 'Bronchite aiguë.',
    plan: ['Traitement symptomatique. Pas d\'antibiotique. Réévaluation si fièvre persistante.'],
  },
  {
    motif: 'entorse de cheville',
    history: ['Traumatisme en inversion de la cheville gauche hier.'],
    finding: ['Œdème latéral, appui possible, critères d\'Ottawa négatifs.'],
    conclusion: 'Entorse bénigne du ligament latéral externe.',
    plan: ['Glace, orthèse, antalgiques. Kinésithérapie proprioceptive.'],
  },
  {
    motif: 'conjonctivite',
    history: ['Œil rouge bilatéral avec sécrétions depuis 2 jours.'],
    finding: ['Acuité visuelle conservée, pas de douleur.'],
    conclusion: 'Conjonctivite probablement virale.',
    plan: ['Lavages au sérum physiologique. Reconsulter si baisse de vision.'],
  },
  {
    motif: 'eczéma',
    history: ['Plaques prurigineuses des plis des coudes, poussée récente.'],
    finding: ['Lésions eczématiformes des plis, pas de surinfection.'],
    conclusion: 'Poussée de dermatite atopique.',
    plan: ['Dermocorticoïde 7 jours, émollients quotidiens.'],
  },
  {
    motif: 'insomnie',
    history: ['Difficultés d\'endormissement depuis quelques semaines, contexte professionnel chargé.'],
    finding: ['Examen normal.'],
    conclusion: 'Insomnie d\'ajustement.',
    plan: ['Règles d\'hygiène du sommeil expliquées. Réévaluation dans un mois.'],
    who: 'adult',
  },
];

/** Encounters whose notes reveal what the 2025 breach exposed: HIV, mental health, addiction, sexuality. */
const SENSITIVE: readonly Encounter[] = [
  {
    motif: 'suivi infection VIH',
    history: ['Infection VIH connue, suivie au service des maladies infectieuses. Charge virale indétectable.'],
    finding: ['Examen clinique sans particularité.'],
    conclusion: 'Infection VIH contrôlée sous trithérapie.',
    plan: ['Poursuite du traitement antirétroviral. Bilan semestriel.'],
    labels: ['HIV'],
    who: 'adult',
  },
  {
    motif: 'épisode dépressif',
    history: ['Tristesse, anhédonie et troubles du sommeil depuis deux mois. Idées noires sans scénario.'],
    finding: ['Ralentissement psychomoteur. PHQ-9 à 17.'],
    conclusion: 'Épisode dépressif caractérisé d\'intensité modérée.',
    plan: ['Sertraline 50 mg. Orientation vers un psychologue. Revoir dans 15 jours.'],
    labels: ['PSY'],
    who: 'adult',
  },
  {
    motif: 'consommation d\'alcool',
    history: ['Consommation déclarée de 6 verres par jour, tentatives d\'arrêt sans succès.'],
    finding: ['AUDIT à 21. Gamma-GT élevées au dernier bilan.'],
    conclusion: 'Trouble de l\'usage de l\'alcool.',
    plan: ['Entretien motivationnel. Orientation vers le CSAPA. Revoir dans un mois.'],
    labels: ['ETH', 'SUD'],
    who: 'adult',
  },
  {
    motif: 'traitement de substitution aux opiacés',
    history: ['Suivi de substitution, pas de consommation parallèle déclarée.'],
    finding: ['Examen sans particularité.'],
    conclusion: 'Substitution stable.',
    plan: ['Renouvellement de la buprénorphine pour 28 jours, délivrance fractionnée.'],
    labels: ['SUD'],
    who: 'adult',
  },
  {
    motif: 'dépistage IST',
    history: ['Rapport non protégé récent, demande de dépistage.'],
    finding: ['Pas de lésion génitale visible.'],
    conclusion: 'Chlamydia trachomatis positive au prélèvement.',
    plan: ['Doxycycline 7 jours. Dépistage et traitement du ou des partenaires.'],
    labels: ['STD', 'SEX'],
    who: 'adult',
  },
  {
    motif: 'contraception et orientation sexuelle',
    history: ['Souhaite parler de son orientation sexuelle et de prévention.'],
    finding: ['Entretien, pas d\'examen.'],
    conclusion: 'Information sur la PrEP et la santé sexuelle.',
    plan: ['Orientation vers le CeGIDD pour bilan avant PrEP.'],
    labels: ['SEX'],
    who: 'adult',
  },
  {
    motif: 'violences conjugales',
    history: ['Révèle des violences physiques répétées de la part de son conjoint.'],
    finding: ['Ecchymoses de l\'avant-bras gauche, constatées.'],
    conclusion: 'Violences conjugales.',
    plan: ['Certificat de constatation remis. Coordonnées du 3919 et d\'une association données.'],
    labels: ['SDV'],
    who: 'adult',
  },
];

/** Share of notes that carry a sensitivity label. */
export const SENSITIVE_SHARE = 0.01;

export interface GeneratedNote {
  readonly text: string;
  readonly labels: readonly SensitivityLabel[];
  /** What the visit was for (its reason, as the chart's consultation records it). */
  readonly motif: string;
}

function fits(e: Encounter, age: number): boolean {
  if (e.who === 'child') return age < 16;
  if (e.who === 'adult') return age >= 16;
  if (e.who === 'senior') return age >= 65;
  return true;
}

const decimal = (x: number) => x.toString().replace('.', ',');

/**
 * The examination's figures. The draws are made whether or not the visit measured the patient, so
 * that the rest of the population is drawn as before; what was measured (the chart's vital signs) is
 * what the note says.
 */
function vitals(f: Faker, age: number, m: Measured | null): string {
  if (age < 6) {
    const t = f.number.float({ min: 36.5, max: 39.2, fractionDigits: 1 });
    const kg = f.number.int({ min: 4, max: 22 });
    return `T ${decimal(t)} °C, poids ${decimal(m?.weightKg ?? kg)} kg.`;
  }
  const sys = f.number.int({ min: 105, max: age > 60 ? 165 : 140 });
  const dia = f.number.int({ min: 60, max: 95 });
  const hr = f.number.int({ min: 56, max: 96 });
  const t = f.number.float({ min: 36.2, max: 38.5, fractionDigits: 1 });
  // A child's pressure is not taken; a teleconsultation measured nothing (the drawn figures stand).
  const measured = m !== null && m.systolic !== null ? `TA ${m.systolic}/${m.diastolic} mmHg, ` : '';
  const pressure = m === null ? `TA ${sys}/${dia} mmHg, ` : measured;
  return `${pressure}FC ${m?.heartRate ?? hr}/min, T ${decimal(t)} °C.`;
}

/** Writes one consultation note for a patient of the given age, with what the visit measured if it did. */
export function writeNote(
  f: Faker, age: number, forceSensitive?: boolean, measured: Measured | null = null,
): GeneratedNote {
  const sensitive = forceSensitive ?? f.number.float({ min: 0, max: 1 }) < SENSITIVE_SHARE;
  const pool = (sensitive ? SENSITIVE : COMMON).filter((e) => fits(e, age));
  const e = f.helpers.arrayElement(pool.length > 0 ? pool : COMMON.filter((c) => fits(c, age)));
  const text = [
    `Motif : ${e.motif}.`,
    f.helpers.arrayElement(e.history),
    `Examen : ${vitals(f, age, measured)} ${f.helpers.arrayElement(e.finding)}`,
    `Conclusion : ${e.conclusion}`,
    `Conduite à tenir : ${f.helpers.arrayElement(e.plan)}`,
  ].join('\n');
  return { text, labels: e.labels ?? [], motif: e.motif };
}
