import { normaliseName } from '../domain/index.js';

/**
 * Searches of the practice's directory (Practitioner, Organization): a few dozen entries, filtered
 * in memory by FHIR's string and token rules (search §3.1.1.4). A string matches from its start,
 * accents and case ignored (`:exact` the whole value as written, `:contains` anywhere); a comma
 * is an OR; several parameters are an AND. A token is `system|value`, `|value` (no system) or
 * `value` (any system).
 */
type Json = Record<string, unknown>;
type Params = Record<string, string | string[]>;
type Identifier = { system?: string; value?: string };

/** The parameters each type answers to, with the modifiers a string parameter takes. */
const strings = (...names: string[]) => names.flatMap((n) => [n, `${n}:exact`, `${n}:contains`]);
export const PRACTITIONER_SEARCH = [...strings('name', 'family', 'given'), 'identifier', '_id', 'active'];
export const ORGANIZATION_SEARCH = [...strings('name'), 'identifier', '_id', 'active'];

const all = (p: Params, k: string): string[] => {
  const v = p[k];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

function stringMatch(values: readonly string[], wanted: string, modifier: string | undefined): boolean {
  return wanted.split(',').some((w) => values.some((v) => {
    if (modifier === 'exact') return v === w;
    const [a, b] = [normaliseName(v), normaliseName(w)];
    if (b === '') return false;
    return modifier === 'contains' ? a.includes(b) : a.startsWith(b) || a.split(' ').some((word) => word.startsWith(b));
  }));
}

function tokenMatch(ids: readonly Identifier[], wanted: string): boolean {
  return wanted.split(',').some((w) => {
    const bar = w.indexOf('|');
    const system = bar < 0 ? null : w.slice(0, bar);
    const value = bar < 0 ? w : w.slice(bar + 1);
    return ids.some((i) => i.value === value && (system === null || (system === '' ? !i.system : i.system === system)));
  });
}

/** The strings a resource offers to a string parameter. */
function stringsOf(r: Json, name: string): string[] {
  if (r.resourceType === 'Organization') return name === 'name' && typeof r.name === 'string' ? [r.name] : [];
  const names = (r.name ?? []) as { family?: string; given?: string[]; prefix?: string[] }[];
  const family = names.flatMap((n) => (n.family ? [n.family] : []));
  const given = names.flatMap((n) => n.given ?? []);
  if (name === 'family') return family;
  if (name === 'given') return given;
  return [...family, ...given, ...names.map((n) => [...(n.given ?? []), n.family ?? ''].join(' ').trim())];
}

/** Whether a directory resource meets every parameter (the route has checked their names). */
export function directoryMatches(r: Json, params: Params): boolean {
  for (const key of Object.keys(params)) {
    const [name, modifier] = key.split(':') as [string, string | undefined];
    for (const wanted of all(params, key)) {
      let ok: boolean;
      if (name === '_id') ok = wanted.split(',').includes(String(r.id));
      else if (name === 'active') ok = String(r.active !== false) === wanted;
      else if (name === 'identifier') ok = tokenMatch((r.identifier ?? []) as Identifier[], wanted);
      else ok = stringMatch(stringsOf(r, name), wanted, modifier);
      if (!ok) return false;
    }
  }
  return true;
}

/** What is wrong with a directory search's values (its names are checked by the route): a 400. */
export function directoryProblems(params: Params): string[] {
  const problems: string[] = [];
  for (const v of all(params, 'active')) if (v !== 'true' && v !== 'false') problems.push('active: true or false');
  for (const [k, v] of Object.entries(params)) {
    const tooLong = all(params, k).some((x) => x.length > 200) || (Array.isArray(v) && v.length > 10);
    if (tooLong) problems.push(`${k}: too long`);
  }
  return problems;
}
