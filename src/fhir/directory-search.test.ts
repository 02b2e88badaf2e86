import { describe, expect, it } from 'vitest';
import { directoryMatches, directoryProblems } from './directory-search.js';

const rpps = 'urn:oid:1.2.250.1.71.4.2.1';
const doctor = {
  resourceType: 'Practitioner', id: 'p1', active: true,
  identifier: [{ system: rpps, value: '810001234567' }],
  name: [{ family: 'Lefèvre-Dupont', given: ['Élise'], prefix: ['Dr'] }],
};
const practice = { resourceType: 'Organization', id: 'o1', active: true, name: 'Maison de santé des Tilleuls' };

describe('directory searches (Practitioner, Organization)', () => {
  it('matches a string from the start of a name or of a word, accents and case ignored; :exact and :contains', () => {
    for (const [params, expected] of [
      [{ name: 'lefe' }, true], [{ name: 'dupont' }, true], [{ name: 'elise' }, true], [{ family: 'elise' }, false],
      [{ given: 'Éli' }, true], [{ name: 'fevre' }, false], [{ 'name:contains': 'fevre' }, true],
      [{ 'family:exact': 'Lefèvre-Dupont' }, true], [{ 'family:exact': 'lefèvre-dupont' }, false],
      [{ name: 'martin,lef' }, true], [{ name: ['lef', 'eli'] }, true], [{ name: ['lef', 'martin'] }, false],
    ] as const) {
      const asked = params as Record<string, string | string[]>;
      expect(directoryMatches(doctor, asked), JSON.stringify(params)).toBe(expected);
    }
  });

  it('matches a token with or without its system, _id and active', () => {
    expect(directoryMatches(doctor, { identifier: `${rpps}|810001234567` })).toBe(true);
    expect(directoryMatches(doctor, { identifier: '810001234567' })).toBe(true);
    expect(directoryMatches(doctor, { identifier: 'urn:oid:1.2.250.1.71.4.2.2|810001234567' })).toBe(false);
    expect(directoryMatches(doctor, { identifier: '|810001234567' })).toBe(false);
    expect(directoryMatches(doctor, { _id: 'p2,p1', active: 'true' })).toBe(true);
    expect(directoryMatches(doctor, { active: 'false' })).toBe(false);
    expect(directoryMatches(practice, { name: 'maison de' })).toBe(true);
    expect(directoryMatches(practice, { name: 'tilleuls' })).toBe(true);
    expect(directoryMatches(practice, { name: 'clinique' })).toBe(false);
  });

  it('names what is wrong with a value', () => {
    expect(directoryProblems({ active: 'yes' })).toEqual(['active: true or false']);
    expect(directoryProblems({ name: 'x'.repeat(201) })).toEqual(['name: too long']);
    expect(directoryProblems({ name: 'ok', active: 'false' })).toEqual([]);
  });
});
