/**
 * How each drug of the charts is taken and dispensed, as a French prescription writes it (the
 * usual adult dosage of its summary of product characteristics, ANSM). `supply` days per dispensing
 * (four weeks or thirty days at most, CSP art. R.5123-2, unless a pack holds three months), renewed
 * `repeats` times: the line covers supply × (1 + repeats) days, twelve months at most (R.5132-21).
 */
export interface Dosing {
  /** How much at a time, in a unit the patient counts ("comprimé") or in UCUM (mg, for a child's weight). */
  readonly dose: number;
  readonly unit: string;
  /** Times per period (day unless `periodUnit` says otherwise); absent: as needed. */
  readonly perDay?: number;
  readonly period?: number;
  readonly periodUnit?: 'd' | 'wk' | 'mo';
  readonly words: string;
  readonly supply: number;
  readonly repeats: number;
  readonly quantity: number;
  readonly quantityUnit: string;
}

const daily = (words: string, dose = 1, unit = 'comprimé', perDay = 1): Dosing => ({
  dose, unit, perDay, words, supply: 30, repeats: 2, quantity: Math.ceil(30 * dose * perDay), quantityUnit: unit,
});
const asNeeded = (words: string, unit: string, quantity: number, quantityUnit: string): Dosing => ({
  dose: 1, unit, words, supply: 30, repeats: 2, quantity, quantityUnit,
});

export const STANDING: Readonly<Record<string, Dosing>> = {
  C08CA01: daily('1 comprimé le matin'),
  C09AA05: daily('1 comprimé le matin'),
  C09AA04: daily('1 comprimé le matin'),
  C09CA01: daily('1 comprimé le matin'),
  C09CA04: daily('1 comprimé le matin'),
  C03AA03: daily('1 comprimé le matin'),
  C03CA01: daily('1 comprimé le matin'),
  C07AB07: daily('1 comprimé le matin'),
  C10AA05: daily('1 comprimé le soir'),
  C10AA07: daily('1 comprimé le soir'),
  B01AF02: daily('1 comprimé matin et soir', 1, 'comprimé', 2),
  B01AF01: daily('1 comprimé le soir au cours du repas'),
  B01AC06: daily('1 sachet par jour au cours du repas', 1, 'sachet'),
  A10BA02: daily('1 comprimé matin et soir au cours des repas', 1, 'comprimé', 2),
  A10BB09: daily('1 comprimé le matin au petit déjeuner'),
  A10BH01: daily('1 comprimé par jour'),
  A10AE04: {
    dose: 16, unit: 'UI', perDay: 1, words: '16 UI le soir, à adapter aux glycémies',
    supply: 30, repeats: 2, quantity: 2, quantityUnit: 'stylo',
  },
  H03AA01: daily('1 comprimé le matin à jeun'),
  A02BC01: daily('1 gélule le matin', 1, 'gélule'),
  A02BC02: daily('1 comprimé le matin'),
  A02BC05: daily('1 comprimé le matin'),
  R03AC02: asNeeded('2 bouffées en cas de gêne respiratoire, jusqu’à 4 fois par jour', 'bouffée', 1,
    'flacon pressurisé'),
  R03AK07: {
    dose: 1, unit: 'inhalation', perDay: 2, words: '1 inhalation matin et soir',
    supply: 30, repeats: 2, quantity: 1, quantityUnit: 'inhalateur',
  },
  R06AE07: daily('1 comprimé le soir en période de symptômes'),
  R06AX27: daily('1 comprimé par jour en période de symptômes'),
  N06AB06: daily('1 gélule le matin', 1, 'gélule'),
  N06AB10: daily('1 comprimé le matin'),
  // Anxiolytic benzodiazepines: twelve weeks at most, withdrawal included (arrêté du 7 octobre 1991).
  N05BA12: {
    ...asNeeded('1 comprimé en cas d’anxiété, jusqu’à 2 par jour', 'comprimé', 30, 'comprimé'), supply: 28,
  },
  N05BA08: {
    dose: 0.25, unit: 'comprimé', perDay: 1, words: '1/4 de comprimé le soir',
    supply: 28, repeats: 2, quantity: 1, quantityUnit: 'boîte',
  },
  N07BB03: daily('2 comprimés matin, midi et soir', 2, 'comprimé', 3),
  N07BA01: { ...daily('1 patch par jour, à changer chaque matin', 1, 'patch'), supply: 28 },
  // Buprenorphine: 28 days at most, dispensed 7 days at a time (arrêté du 20 septembre 1999, CSP R.5132-30).
  N07BC01: {
    dose: 1, unit: 'comprimé', perDay: 1, words: '1 comprimé sublingual par jour, délivrance fractionnée par 7 jours',
    supply: 28, repeats: 0, quantity: 28, quantityUnit: 'comprimé',
  },
  N05AX12: daily('1 comprimé le matin'),
  N05AN01: daily('1 comprimé matin et soir', 1, 'comprimé', 2),
  N04BA02: daily('1 gélule matin, midi et soir', 1, 'gélule', 3),
  J05AR20: daily('1 comprimé par jour, à heure fixe'),
  M01AE01: asNeeded('1 comprimé en cas de crise, jusqu’à 3 par jour', 'comprimé', 30, 'comprimé'),
  N02BE01: asNeeded('1 comprimé en cas de douleur, jusqu’à 3 par jour, à 6 heures d’intervalle', 'comprimé', 24,
    'comprimé'),
  A11CC05: {
    dose: 1, unit: 'ampoule', perDay: 1, period: 3, periodUnit: 'mo', words: '1 ampoule tous les 3 mois',
    supply: 91, repeats: 1, quantity: 1, quantityUnit: 'ampoule',
  },
  D07AC01: asNeeded('1 application par jour sur les plaques pendant 7 jours lors des poussées', 'application', 1,
    'tube'),
  // The pill is renewed once a year: three packs at a time, within the twelve months of R.5132-21.
  G03AA07: {
    dose: 1, unit: 'comprimé', perDay: 1, words: '1 comprimé par jour pendant 21 jours, puis 7 jours d’arrêt',
    supply: 84, repeats: 3, quantity: 3, quantityUnit: 'plaquette',
  },
};

/** The days a standing line covers. */
export function coverage(d: Dosing): number {
  return d.supply * (1 + d.repeats);
}
