import type { Faker } from '@faker-js/faker';
import { luhnCheckDigit, type Practice, type Role, type User } from '../../domain/index.js';
import { PLACES, type Place } from './places.js';
import { ascii } from './identity.js';

/** Practitioners per practice: many French GPs work alone, group practices of 2–6 are common. */
const PRACTITIONER_COUNTS = [
  { value: 1, weight: 35 }, { value: 2, weight: 20 }, { value: 3, weight: 20 },
  { value: 4, weight: 12 }, { value: 5, weight: 8 }, { value: 6, weight: 5 },
];

export function drawRpps(f: Faker): string {
  const body = '10' + f.string.numeric(8);
  return body + String(luhnCheckDigit(body));
}

function finess(f: Faker, place: Place): string {
  const dept = place.insee.slice(0, 2);
  return (dept === '97' ? place.insee.slice(0, 2) : dept) + f.string.numeric(7);
}

export interface DrawnPractice {
  readonly practice: Practice;
  readonly place: Place;
  readonly staff: User[];
}

/**
 * A practice with its staff. `usernames` is shared across practices so that every username is
 * unique on the platform.
 */
export function drawPractice(f: Faker, usernames: Set<string>): DrawnPractice {
  const place = f.helpers.weightedArrayElement(PLACES.map((p) => ({ value: p, weight: p.weight })));
  const id = f.string.uuid();
  const practitioners = f.helpers.weightedArrayElement(PRACTITIONER_COUNTS);
  const street = f.location.street();
  const name =
    practitioners === 1
      ? `Cabinet médical ${street}`
      : practitioners >= 4
        ? `Maison de santé ${place.city.replace(/ \d+(er|e)$/, '')} ${f.location.street().split(' ').slice(-1)[0]}`
        : `Cabinet médical de groupe ${street}`;
  const practice: Practice = {
    id,
    name,
    finess: finess(f, place),
    city: place.city,
    postalCode: place.postalCode,
    phone: `0${f.number.int({ min: 1, max: 5 })} ${f.string.numeric(2)} ${f.string.numeric(2)} ${f.string.numeric(2)} ${f.string.numeric(2)}`,
  };
  const staff: User[] = [];
  const add = (role: Role) => {
    const sex = f.helpers.arrayElement(['female', 'male'] as const);
    const givenName = f.person.firstName(sex);
    const familyName = f.person.lastName();
    staff.push({
      id: f.string.uuid(),
      practiceId: id,
      username: uniqueUsername(usernames, `${ascii(givenName)}.${ascii(familyName)}`),
      role,
      familyName,
      givenName,
      rpps: role === 'practitioner' ? drawRpps(f) : null,
      patientId: null,
      status: 'active',
    });
  };
  for (let i = 0; i < practitioners; i++) add('practitioner');
  for (let i = 0; i < Math.max(1, Math.round(practitioners / 2)); i++) add('assistant');
  add('practice-admin');
  return { practice, place, staff };
}

export function uniqueUsername(taken: Set<string>, base: string): string {
  const clean = base.slice(0, 56).replace(/^[^a-z0-9]+/, '') || 'user';
  let name = clean.length >= 3 ? clean : `${clean}-user`;
  for (let n = 2; taken.has(name); n++) name = `${clean}${n}`;
  taken.add(name);
  return name;
}
