/** Real INSEE commune codes with their postal codes: birthplaces and practice locations. */
export interface Place {
  readonly insee: string;
  readonly postalCode: string;
  readonly city: string;
  /** Relative population weight, for drawing birthplaces. */
  readonly weight: number;
}

const arrondissements = (insee0: number, postal0: number, n: number, city: string, weight: number): Place[] =>
  Array.from({ length: n }, (_, i) => ({
    insee: String(insee0 + i),
    postalCode: String(postal0 + i).padStart(5, '0'),
    city: `${city} ${i + 1}${i === 0 ? 'er' : 'e'}`,
    weight,
  }));

export const PLACES: readonly Place[] = [
  ...arrondissements(75101, 75001, 20, 'Paris', 5),
  ...arrondissements(13201, 13001, 16, 'Marseille', 3),
  ...arrondissements(69381, 69001, 9, 'Lyon', 3),
  { insee: '31555', postalCode: '31000', city: 'Toulouse', weight: 12 },
  { insee: '06088', postalCode: '06000', city: 'Nice', weight: 9 },
  { insee: '44109', postalCode: '44000', city: 'Nantes', weight: 8 },
  { insee: '67482', postalCode: '67000', city: 'Strasbourg', weight: 7 },
  { insee: '34172', postalCode: '34000', city: 'Montpellier', weight: 7 },
  { insee: '33063', postalCode: '33000', city: 'Bordeaux', weight: 7 },
  { insee: '59350', postalCode: '59000', city: 'Lille', weight: 6 },
  { insee: '35238', postalCode: '35000', city: 'Rennes', weight: 6 },
  { insee: '51454', postalCode: '51100', city: 'Reims', weight: 5 },
  { insee: '76351', postalCode: '76600', city: 'Le Havre', weight: 4 },
  { insee: '42218', postalCode: '42000', city: 'Saint-Étienne', weight: 4 },
  { insee: '83137', postalCode: '83000', city: 'Toulon', weight: 4 },
  { insee: '38185', postalCode: '38000', city: 'Grenoble', weight: 4 },
  { insee: '21231', postalCode: '21000', city: 'Dijon', weight: 4 },
  { insee: '49007', postalCode: '49000', city: 'Angers', weight: 4 },
  { insee: '30189', postalCode: '30000', city: 'Nîmes', weight: 4 },
  { insee: '63113', postalCode: '63000', city: 'Clermont-Ferrand', weight: 4 },
  { insee: '87085', postalCode: '87000', city: 'Limoges', weight: 3 },
  { insee: '37261', postalCode: '37000', city: 'Tours', weight: 3 },
  { insee: '80021', postalCode: '80000', city: 'Amiens', weight: 3 },
  { insee: '57463', postalCode: '57000', city: 'Metz', weight: 3 },
  { insee: '25056', postalCode: '25000', city: 'Besançon', weight: 3 },
  { insee: '45234', postalCode: '45000', city: 'Orléans', weight: 3 },
  { insee: '68224', postalCode: '68100', city: 'Mulhouse', weight: 3 },
  { insee: '76540', postalCode: '76000', city: 'Rouen', weight: 3 },
  { insee: '14118', postalCode: '14000', city: 'Caen', weight: 3 },
  { insee: '54395', postalCode: '54000', city: 'Nancy', weight: 3 },
  { insee: '29019', postalCode: '29200', city: 'Brest', weight: 3 },
  { insee: '64445', postalCode: '64000', city: 'Pau', weight: 2 },
  { insee: '17300', postalCode: '17000', city: 'La Rochelle', weight: 2 },
  { insee: '86194', postalCode: '86000', city: 'Poitiers', weight: 2 },
  { insee: '66136', postalCode: '66000', city: 'Perpignan', weight: 2 },
  { insee: '2A004', postalCode: '20000', city: 'Ajaccio', weight: 2 },
  { insee: '2B033', postalCode: '20200', city: 'Bastia', weight: 2 },
  { insee: '97411', postalCode: '97400', city: 'Saint-Denis', weight: 3 },
  { insee: '97209', postalCode: '97200', city: 'Fort-de-France', weight: 2 },
  { insee: '97101', postalCode: '97139', city: 'Les Abymes', weight: 2 },
];

/** Births abroad: "99" + INSEE country code. */
export const COUNTRIES_OF_BIRTH: readonly { code: string; weight: number }[] = [
  { code: '99350', weight: 10 }, // Maroc
  { code: '99352', weight: 10 }, // Algérie
  { code: '99351', weight: 5 }, // Tunisie
  { code: '99139', weight: 5 }, // Portugal
  { code: '99127', weight: 3 }, // Italie
  { code: '99134', weight: 3 }, // Espagne
  { code: '99109', weight: 2 }, // Allemagne
  { code: '99131', weight: 2 }, // Belgique
  { code: '99132', weight: 2 }, // Royaume-Uni
  { code: '99208', weight: 3 }, // Turquie
  { code: '99341', weight: 3 }, // Sénégal
  { code: '99114', weight: 2 }, // Roumanie
  { code: '99243', weight: 2 }, // Viêt Nam
];
