/**
 * Names as a practice searches them: case- and accent-insensitive, by the prefix of any word
 * (birth or used family name, given names). The reference semantics of patient search; the
 * store finds candidates through keyed beacons (store/beacons.ts) and filters them with these.
 */

/** The longest prefix with a beacon of its own; a longer term is looked up by this prefix, then filtered. */
export const PREFIX_MAX = 10;

/**
 * Case- and accent-insensitive form of a name: decomposed, marks removed, ligatures spelt out,
 * lower case, and every run of characters that are not letters or digits (spaces, hyphens,
 * apostrophes) made one space.
 */
export function normaliseName(s: string): string {
  return s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/œ/gi, 'oe')
    .replace(/æ/gi, 'ae')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** The words of a normalised name. */
export function words(normalised: string): string[] {
  return normalised.length === 0 ? [] : normalised.split(' ');
}

/**
 * Whether a name matches a search term: some word of the name starts the term's match, and the
 * name from that word on starts with the whole term ("la font" finds "de La Fontaine", "fontaine"
 * too; "jean" finds "Jean-Pierre" and "Pierre-Jean").
 */
export function nameMatches(name: string, term: string): boolean {
  return normalisedNameMatches(normaliseName(name), normaliseName(term));
}

/** nameMatches on a name and a term already normalised (normaliseName). */
export function normalisedNameMatches(n: string, t: string): boolean {
  if (t.length === 0) return false;
  const ws = words(n);
  let at = 0;
  for (const w of ws) {
    const from = n.indexOf(w, at);
    if (n.startsWith(t, from)) return true;
    at = from + w.length;
  }
  return false;
}

/** Every prefix (1 to PREFIX_MAX letters) of every word of a name: what a search may look it up by. */
export function namePrefixes(name: string): string[] {
  const out = new Set<string>();
  for (const w of words(normaliseName(name))) {
    const chars = [...w];
    for (let k = 1; k <= Math.min(chars.length, PREFIX_MAX); k++) out.add(chars.slice(0, k).join(''));
  }
  return [...out];
}

/**
 * The prefix a search term is looked up by: the longest word of the term, cut to PREFIX_MAX
 * letters (every word of a match begins some word of the name, so its prefix has a beacon). Null
 * for a term without letters or digits.
 */
export function lookupPrefix(term: string): string | null {
  const ws = words(normaliseName(term));
  if (ws.length === 0) return null;
  const longest = ws.reduce((a, b) => ([...b].length > [...a].length ? b : a));
  return [...longest].slice(0, PREFIX_MAX).join('');
}
