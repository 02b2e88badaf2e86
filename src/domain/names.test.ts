import { describe, expect, it } from 'vitest';
import { lookupPrefix, nameMatches, namePrefixes, normaliseName } from './names.js';

describe('names as a practice searches them', () => {
  it('folds case, accents, ligatures and separators', () => {
    expect(normaliseName('  LEFÈVRE-Œuvray ')).toBe('lefevre oeuvray');
    expect(normaliseName("d'Ambrière")).toBe('d ambriere');
    expect(normaliseName('Ça  va—Élodie')).toBe('ca va elodie');
    expect(normaliseName('---')).toBe('');
  });

  it('matches a term at the start of any word, across the words that follow', () => {
    expect(nameMatches('de La Fontaine', 'font')).toBe(true);
    expect(nameMatches('de La Fontaine', 'la font')).toBe(true);
    expect(nameMatches('de La Fontaine', 'LA FÔNT')).toBe(true);
    expect(nameMatches('de La Fontaine', 'ontaine')).toBe(false);
    expect(nameMatches('de La Fontaine', 'fontaine de')).toBe(false);
    expect(nameMatches('Jean-Pierre', 'pierre')).toBe(true);
    expect(nameMatches('Jean-Pierre', 'jean pi')).toBe(true);
    expect(nameMatches('Jean-Pierre', '')).toBe(false);
    // A repeated word: the later one counts too.
    expect(nameMatches('Martin Martinez', 'martine')).toBe(true);
  });

  it('beacons every prefix of every word up to ten letters, and looks a term up by its longest word', () => {
    expect(namePrefixes('Le Bé')).toEqual(['l', 'le', 'b', 'be']);
    expect(namePrefixes('Abcdefghijklm')).toHaveLength(10);
    expect(lookupPrefix('la fontaine')).toBe('fontaine');
    expect(lookupPrefix('Constantinople')).toBe('constantin');
    expect(lookupPrefix(' - ')).toBeNull();
  });
});
