import type { IncidentCategory, Interaction, ResourceModule } from './module.js';
import { definitionOf } from './search.js';

/**
 * The clinical resource types medvault serves, and every list the rest of medvault keeps of them,
 * built here from the modules rather than written by hand in five places: the CapabilityStatement's
 * entries, the routes and their allowed parameters, the sealed tables key rotation rewraps and
 * shredding clears, the incident categories, and the detector's channels (what an audited access
 * of each type discloses). A module missing a piece is refused when the registry is built.
 */
export interface Registry {
  readonly modules: readonly ResourceModule[];
  /** The module of a resource type, or null: not a clinical type. */
  module(type: string): ResourceModule | null;
}

/** The table every clinical resource type's rows live in, sealed per patient (docs/resources.md). */
export const RESOURCE_TABLE = 'clinical.resources';

const INTERACTIONS: ReadonlySet<Interaction> = new Set([
  'read', 'vread', 'update', 'create', 'search-type', 'history-instance',
]);

/**
 * What a module must say; checked again at run time for modules built outside the compiler's sight
 * (tests, plugins).
 */
function problemsOf(m: ResourceModule): string[] {
  const p: string[] = [];
  const name = typeof m.type === 'string' && /^[A-Z][A-Za-z]+$/.test(m.type) ? m.type : '(no type)';
  if (name === '(no type)') p.push('a module needs its FHIR resourceType');
  if (!m.title?.fr || !m.title?.en) p.push(`${name}: title (fr, en) missing`);
  if (m.segment !== 'clinical') p.push(`${name}: segment must be clinical`);
  if (m.ledger !== 'clinical') p.push(`${name}: ledger class missing`);
  if (!m.category?.code || !m.category?.fr || !m.category?.en) p.push(`${name}: incident category missing`);
  const interactions = Array.isArray(m.interactions) ? m.interactions : [];
  if (interactions.length === 0 || !interactions.every((i) => INTERACTIONS.has(i))) {
    p.push(`${name}: interactions missing or unknown`);
  }
  if (!Array.isArray(m.audit) || m.audit.length === 0) p.push(`${name}: audit kinds missing`);
  if (typeof m.patient !== 'string') p.push(`${name}: patient path missing`);
  if (!Array.isArray(m.search)) p.push(`${name}: search parameters missing`);
  for (const f of ['check', 'labels', 'example', 'author'] as const) {
    if (typeof m[f] !== 'function') p.push(`${name}: ${f}() missing`);
  }
  for (const s of Array.isArray(m.search) ? m.search : []) {
    try {
      definitionOf(name, s.name);
    } catch {
      p.push(`${name}: ${s.name} is not an R4 search parameter of ${name}`);
    }
  }
  return p;
}

export function defineRegistry(modules: readonly ResourceModule[]): Registry {
  const problems = modules.flatMap(problemsOf);
  const types = new Set<string>();
  for (const m of modules) {
    if (types.has(m.type)) problems.push(`${m.type} registered twice`);
    types.add(m.type);
  }
  if (problems.length > 0) throw new Error(`resource registry: ${problems.join('; ')}`);
  const byType = new Map(modules.map((m) => [m.type, m]));
  return { modules, module: (type) => byType.get(type) ?? null };
}

// ─── the lists, built from a registry ─────────────────────────────────────────────────────

/**
 * The search parameters a route accepts for a type: patient (required), its own, the parameters of
 * every resource (`_id`, `_lastUpdated`: a client's incremental sync) and _count.
 */
export function searchParamsOf(m: ResourceModule): string[] {
  return ['patient', ...m.search.map((s) => s.name), '_id', '_lastUpdated', '_sort', '_count'];
}

/** One route list per type: the interactions to serve and the parameters a search accepts. */
export function routeLists(
  reg: Registry,
): { type: string; interactions: readonly Interaction[]; search: string[] }[] {
  return reg.modules.map((m) => ({ type: m.type, interactions: m.interactions, search: searchParamsOf(m) }));
}

/** The sealed columns key rotation rewraps, and the resource types they hold. */
export function sealedTables(
  reg: Registry,
): { table: string; role: 'clinical'; columns: readonly string[]; types: string[] }[] {
  const types = reg.modules.filter((m) => m.segment === 'clinical').map((m) => m.type);
  const columns = ['labels_sealed', 'body_sealed'];
  return types.length === 0 ? [] : [{ table: RESOURCE_TABLE, role: 'clinical', columns, types }];
}

/** What shredding a patient clears besides the key: the search beacons of every type's rows. */
export function shreddedTables(reg: Registry): { table: string; column: string; types: string[] }[] {
  const types = reg.modules.map((m) => m.type);
  return types.length === 0 ? [] : [{ table: RESOURCE_TABLE, column: 'tokens', types }];
}

/** The incident categories of the clinical types (after identity, contacts, NIR, appointments, notes). */
export function incidentCategories(reg: Registry): IncidentCategory[] {
  const seen = new Map<string, IncidentCategory>();
  for (const m of reg.modules) if (!seen.has(m.category.code)) seen.set(m.category.code, m.category);
  return [...seen.values()];
}

/** What the detector counts for each audited kind of one type. */
type TypeChannels = Partial<Record<'read' | 'search' | 'create' | 'update', 'clinical' | 'write'>>;

/**
 * What the detector counts for each audited kind of each type: a read or search discloses clinical
 * content; writes are writes.
 */
export function detectorChannels(reg: Registry): Record<string, TypeChannels> {
  const out: Record<string, TypeChannels> = {};
  for (const m of reg.modules) {
    out[m.type] = Object.fromEntries(m.audit.map((k) => [k, k === 'read' || k === 'search' ? m.ledger : 'write']));
  }
  return out;
}
