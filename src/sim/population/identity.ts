import type { Faker } from '@faker-js/faker';
import { composeNir, type Patient, type Sex } from '../../domain/index.js';
import { COUNTRIES_OF_BIRTH, PLACES, type Place } from './places.js';

/** Age pyramid of a French GP's list (INSEE 2024, rounded), as [from, to, weight]. */
const AGE_BANDS: readonly [number, number, number][] = [
  [0, 5, 6], [5, 15, 11], [15, 30, 17], [30, 45, 18], [45, 60, 19], [60, 75, 18], [75, 100, 11],
];

export function drawAge(f: Faker): number {
  const [lo, hi] = f.helpers.weightedArrayElement(AGE_BANDS.map(([a, b, w]) => ({ value: [a, b] as const, weight: w })));
  return f.number.int({ min: lo, max: hi - 1 });
}

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function frenchPhone(f: Faker, mobile: boolean): string {
  const prefix = mobile ? f.helpers.arrayElement(['06', '07']) : f.helpers.arrayElement(['01', '02', '03', '04', '05', '09']);
  return `${prefix} ${f.string.numeric(2)} ${f.string.numeric(2)} ${f.string.numeric(2)} ${f.string.numeric(2)}`;
}

/** Lower-case ASCII for e-mail addresses and usernames: "Éloïse" → "eloise". */
export function ascii(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function birthplace(f: Faker): { insee: string; abroad: boolean } {
  if (f.number.float({ min: 0, max: 1 }) < 0.1) {
    return { insee: f.helpers.weightedArrayElement(COUNTRIES_OF_BIRTH.map((c) => ({ value: c.code, weight: c.weight }))), abroad: true };
  }
  const p = f.helpers.weightedArrayElement(PLACES.map((pl) => ({ value: pl, weight: pl.weight })));
  return { insee: p.insee, abroad: false };
}

/**
 * One patient of a practice located at `home`: names, a birth date drawn from the age pyramid,
 * a NIR consistent with sex, birth date and birthplace, contacts and an address nearby.
 */
export function drawPatient(
  f: Faker,
  practiceId: string,
  home: Place,
  today: Date,
  nirsTaken: Set<string>,
): Patient & { age: number } {
  const sex: Sex = f.number.float({ min: 0, max: 1 }) < 0.52 ? 'female' : 'male';
  const fakerSex = sex === 'female' ? 'female' : 'male';
  const age = drawAge(f);
  const birth = new Date(Date.UTC(today.getUTCFullYear() - age - 1, today.getUTCMonth(), today.getUTCDate()));
  birth.setUTCDate(birth.getUTCDate() + f.number.int({ min: 1, max: 364 }));
  const birthDate = isoDate(birth);
  const birthFamilyName = f.person.lastName();
  const givenCount = f.helpers.weightedArrayElement([{ value: 1, weight: 3 }, { value: 2, weight: 4 }, { value: 3, weight: 2 }]);
  const givenNames = Array.from({ length: givenCount }, () => f.person.firstName(fakerSex));
  // About a third of adult women use a spouse's name; their birth name stays their INS trait.
  const usedFamilyName = sex === 'female' && age >= 25 && f.number.float({ min: 0, max: 1 }) < 0.35 ? f.person.lastName() : null;
  const place = birthplace(f);
  const withNir = f.number.float({ min: 0, max: 1 }) >= 0.04; // some identities are still provisional
  let nir: string | null = null;
  // The serial tells apart people born in the same place and month: redraw it on a clash.
  for (let tries = 0; withNir && nir === null && tries < 50; tries++) {
    const candidate = composeNir({
      sexDigit: sex === 'female' ? 2 : 1,
      year: birth.getUTCFullYear() % 100,
      month: birth.getUTCMonth() + 1,
      birthplace: place.insee,
      serial: f.number.int({ min: 1, max: 999 }),
    });
    if (!nirsTaken.has(candidate)) {
      nirsTaken.add(candidate);
      nir = candidate;
    }
  }
  const family = usedFamilyName ?? birthFamilyName;
  const hasEmail = age >= 15 && f.number.float({ min: 0, max: 1 }) < 0.8;
  return {
    id: f.string.uuid(),
    practiceId,
    birthFamilyName,
    usedFamilyName,
    givenNames,
    usedGivenName: null,
    sex,
    birthDate,
    birthplaceInsee: place.insee,
    nir,
    identityStatus: nir !== null ? (f.number.float({ min: 0, max: 1 }) < 0.7 ? 'QUAL' : 'VALI') : 'PROV',
    phone: f.number.float({ min: 0, max: 1 }) < 0.4 ? frenchPhone(f, false) : null,
    mobile: age >= 12 ? frenchPhone(f, true) : null,
    email: hasEmail
      ? `${ascii(givenNames[0] as string)}.${ascii(family)}${f.number.int({ min: 1, max: 99 })}@${f.helpers.arrayElement(['orange.fr', 'free.fr', 'gmail.com', 'laposte.net', 'sfr.fr', 'outlook.fr'])}`
      : null,
    address: {
      line: f.location.streetAddress(),
      postalCode: home.postalCode,
      city: home.city,
      country: 'FR',
    },
    vip: false,
    deceasedDate: null,
    age,
  };
}
