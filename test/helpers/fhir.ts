import { expect } from 'vitest';
import { fhirSchemaErrors } from '../../src/fhir/index.js';
import { bearer, type TestApp } from './app.js';

/** Every FHIR response a test sees is checked against the official R4 JSON schema. */
export function expectValidFhir(body: unknown): void {
  expect(fhirSchemaErrors(body), JSON.stringify(body).slice(0, 300)).toEqual([]);
}

export async function fhir(t: TestApp, token: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers: Record<string, string> = {}) {
  const r = await t.app.inject({
    method, url, headers: { ...bearer(token), ...(payload === undefined ? {} : { 'content-type': 'application/fhir+json' }), ...headers },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
  const body = r.body.length > 0 ? r.json() : null;
  if (body !== null) expectValidFhir(body);
  return { status: r.statusCode, body, headers: r.headers };
}
