import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastHash, makeVault, NOW } from '../../test/helpers/fixtures.js';
import { REGISTRY, tokenQuery } from '../resources/index.js';
import { openStore, ResourceRepository, type OpenedStore } from '../store/index.js';
import type { Vault } from '../vault/index.js';
import { generatePopulation, type ChartResource, type PopulationOptions } from './population/index.js';
import { seedDemo, type SeedResult } from './seed.js';

/**
 * Seeded charts are stored as the records store a client's resource: sealed under the patient's
 * key, found by their codes' beacons, dated by their clinical date, authored by who wrote them.
 */
describe('seeding the charts', () => {
  const population: Omit<PopulationOptions, 'charts'> = {
    seed: 31, practices: 1, patientsPerPractice: 60, now: NOW, visitHistoryDays: 14, futureDays: 3,
  };
  let store: OpenedStore;
  let keys: { vault: Vault; cleanup(): Promise<void> };
  let seeded: SeedResult;
  const chart: ChartResource[] = [];

  beforeAll(async () => {
    store = await openStore({ kind: 'pglite', dir: null });
    keys = makeVault();
    seeded = await seedDemo(store.db, { ...population, charts: 'all', vault: keys.vault, hashPassword: fastHash });
    for (const c of generatePopulation({ ...population, charts: 'all' })) {
      if (c.kind === 'charts') chart.push(...c.resources);
    }
  });
  afterAll(async () => {
    await store.db.close();
    await keys.cleanup();
  });

  it('writes every generated resource', () => {
    expect(chart.length).toBeGreaterThan(300);
    expect(seeded.counts.resources).toBe(chart.length);
  });

  it('writes by default the charts of the patients the calendar names, and theirs whole', async () => {
    // A store and a keyring of its own: the same seed draws the same patients, whose keys differ.
    const other = await openStore({ kind: 'pglite', dir: null });
    const otherKeys = makeVault();
    try {
      const r = await seedDemo(other.db, { ...population, vault: otherKeys.vault, hashPassword: fastHash });
      const named = new Set<string>();
      for (const c of generatePopulation(population)) {
        if (c.kind === 'visits') for (const a of c.appointments) named.add(a.patientId);
      }
      const theirs = chart.filter((x) => named.has(x.patientId));
      expect(new Set(theirs.map((x) => x.patientId)).size).toBeLessThan(new Set(chart.map((x) => x.patientId)).size);
      expect(r.counts.resources).toBe(theirs.length);
    } finally {
      await other.db.close();
      await otherKeys.cleanup();
    }
  });

  it('stores each as the records would: found by its code, sealed with its author, dated, labelled', async () => {
    const practiceId = seeded.practices[0]!.id;
    const condition = chart.find((r) => r.type === 'Condition')!;
    const coding = ((condition.body.code as { coding: { system: string; code: string }[] }).coding)[0]!;
    await store.db.transaction({ role: 'clinical', practiceId }, async (tx) => {
      const repo = new ResourceRepository(tx, keys.vault.clinical(practiceId));
      const code = tokenQuery('code', `${coding.system}|${coding.code}`);
      const beacons = await repo.tokens('Condition', condition.patientId, [code]);
      const found = await repo.search({
        type: 'Condition', patientId: condition.patientId, tokens: [beacons], limit: 50, offset: 0,
      });
      const mine = found.find((x) => x.id === condition.id)!;
      const { authorId, writtenAt } = condition;
      expect(mine).toMatchObject({ version: 1, current: true, authorId, writtenAt });
      expect(mine.effectiveAt?.toISOString().slice(0, 10)).toBe(condition.body.onsetDateTime);
      expect(mine.labels).toEqual(condition.labels);
      const author = REGISTRY.module('Condition')!.author({ reference: `Practitioner/${condition.authorId}` });
      expect(await mine.open()).toEqual({ ...condition.body, ...author });
    });
  });
});
