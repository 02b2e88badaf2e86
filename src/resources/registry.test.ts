import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { disclosed } from '../audit/disclosure.js';
import { capabilityStatement } from '../fhir/capability.js';
import { resourceRoutes } from '../server/resource-routes.js';
import type { FhirKit } from '../server/fhir-kit.js';
import type { Services } from '../server/services.js';
import { sealedTablesOf } from '../vault/rotation.js';
import {
  defineRegistry, detectorChannels, incidentCategories, REGISTRY, routeLists, shreddedTables, type ResourceModule,
} from './index.js';

/**
 * A throw-away type (FamilyMemberHistory: a relative's conditions) registered in a registry of the
 * test's own: every list medvault keeps of its types must pick it up from its module alone.
 */
const throwAway: ResourceModule = {
  type: 'FamilyMemberHistory',
  title: { fr: 'Antécédents familiaux', en: 'Family history' },
  segment: 'clinical',
  ledger: 'clinical',
  category: { code: 'family-history', fr: 'antécédents familiaux', en: 'family history' },
  interactions: ['read', 'create', 'search-type'],
  search: [{ name: 'code', index: 'token' }, { name: 'date', index: 'date' }],
  date: 'FamilyMemberHistory.date',
  patient: 'FamilyMemberHistory.patient',
  serverOwned: ['text'],
  author: () => ({}),
  audit: ['read', 'search', 'create'],
  check: (r) => {
    const patient = String(((r.patient ?? {}) as { reference?: string }).reference ?? '');
    return { problems: [], patientId: patient.slice(8) || null };
  },
  labels: () => [],
  example: (patientId) => ({
    resourceType: 'FamilyMemberHistory', status: 'completed', patient: { reference: `Patient/${patientId}` },
    relationship: { text: 'mère' },
  }),
};

const registry = defineRegistry([...REGISTRY.modules, throwAway]);

describe('the resource registry', () => {
  it('builds the capability, route, rotation, shredding, incident and detector lists from the modules', async () => {
    type Capability = { rest: { resource: { type: string; searchParam?: { name: string; type: string }[] }[] }[] };
    const cap = capabilityStatement('test', 'http://x/fhir', registry) as Capability;
    const entry = cap.rest[0]!.resource.find((r) => r.type === 'FamilyMemberHistory');
    expect(entry?.searchParam?.map((p) => [p.name, p.type])).toEqual(
      [
        ['patient', 'reference'], ['code', 'token'], ['date', 'date'], ['_id', 'token'], ['_lastUpdated', 'date'],
        ['_count', 'number'],
      ],
    );
    expect(JSON.stringify(capabilityStatement('test', 'http://x/fhir'))).not.toContain('FamilyMemberHistory');

    expect(routeLists(registry).find((r) => r.type === 'FamilyMemberHistory')).toEqual({
      type: 'FamilyMemberHistory', interactions: ['read', 'create', 'search-type'],
      search: ['patient', 'code', 'date', '_id', '_lastUpdated', '_sort', '_count'],
    });
    const app = Fastify();
    const unused = () => { throw new Error('unused'); };
    const kit = { records: unused, send: unused, base: () => '', paged: unused } as unknown as FhirKit;
    resourceRoutes(app, () => ({}) as Services, () => new Date(), kit, registry);
    await app.ready();
    expect(app.hasRoute({ method: 'GET', url: '/fhir/FamilyMemberHistory/:id' })).toBe(true);
    expect(app.hasRoute({ method: 'GET', url: '/fhir/FamilyMemberHistory' })).toBe(true);
    expect(app.hasRoute({ method: 'POST', url: '/fhir/FamilyMemberHistory' })).toBe(true);
    // Only the interactions it offers: no update, no history.
    expect(app.hasRoute({ method: 'PUT', url: '/fhir/FamilyMemberHistory/:id' })).toBe(false);
    await app.close();

    const rotated = sealedTablesOf(registry).clinical.find((t) => t.table === 'clinical.resources');
    expect(rotated?.columns).toEqual(['labels_sealed', 'body_sealed']);
    expect(sealedTablesOf(defineRegistry([])).clinical.map((t) => t.table)).toEqual(['clinical.notes']);
    expect(shreddedTables(registry)[0]?.types).toContain('FamilyMemberHistory');

    expect(incidentCategories(registry)).toContainEqual(throwAway.category);
    expect(detectorChannels(registry).FamilyMemberHistory)
      .toEqual({ read: 'clinical', search: 'clinical', create: 'write' });
    const read = {
      action: 'read', outcome: 'success', resourceType: 'FamilyMemberHistory', resourceId: 'r1', patientId: 'p1',
      purpose: 'care', labels: [],
    };
    expect(disclosed(read, detectorChannels(registry))[0]?.resources).toEqual({ FamilyMemberHistory: ['r1'] });
    // The default registry does not know it: its events disclose nothing known, and nothing is counted.
    expect(disclosed(read)).toEqual([]);
  });

  it('refuses a module missing any piece, naming it', () => {
    const pieces: (keyof ResourceModule)[] = [
      'title', 'category', 'interactions', 'audit', 'patient', 'search', 'check', 'labels', 'example', 'author',
    ];
    for (const piece of pieces) {
      const { [piece]: _gone, ...rest } = throwAway;
      expect(() => defineRegistry([rest as ResourceModule]), piece).toThrow(/resource registry: FamilyMemberHistory/);
    }
    const unknownParam: ResourceModule = { ...throwAway, search: [{ name: 'no-such-param', index: 'token' }] };
    expect(() => defineRegistry([unknownParam])).toThrow(/not an R4 search parameter/);
    expect(() => defineRegistry([throwAway, throwAway])).toThrow(/registered twice/);
  });

  it('holds every type medvault serves, each with an incident category of its own wording', () => {
    expect(REGISTRY.modules.map((m) => m.type).sort()).toEqual(
      ['AllergyIntolerance', 'Condition', 'Encounter', 'Immunization', 'MedicationRequest', 'Observation'],
    );
    expect(incidentCategories(REGISTRY).map((c) => c.fr)).toEqual(
      expect.arrayContaining([
        'problèmes de santé', 'traitements', "résultats d'analyses", 'vaccinations', 'allergies', 'consultations',
      ]),
    );
  });
});
