import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { subset, subsetOf, SUBSETTED, type Subset } from './subsetting.js';

const observation = {
  resourceType: 'Observation', id: 'o1', meta: { versionId: '2' },
  text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">72 kg</div>' },
  status: 'final', category: [{ text: 'vital-signs' }], code: { text: 'Poids' },
  subject: { reference: 'Patient/p1' }, effectiveDateTime: '2026-12-01', valueQuantity: { value: 72, unit: 'kg' },
  note: [{ text: 'à jeun' }],
};
const shape = (p: Record<string, string>) => subsetOf(p) as Subset;

describe('_summary and _elements', () => {
  it('keeps the elements asked for, and the mandatory and modifier ones, tagged SUBSETTED', () => {
    const out = subset(observation, shape({ _elements: 'valueQuantity,subject' }));
    // status and code are mandatory (status a modifier too): kept although not asked for.
    const kept = ['code', 'id', 'meta', 'resourceType', 'status', 'subject', 'valueQuantity'];
    expect(Object.keys(out).sort()).toEqual(kept);
    expect(out.meta).toEqual({ versionId: '2', tag: [SUBSETTED] });
    // A choice element asked for by its name (value) keeps its typed key (valueQuantity).
    expect(subset(observation, shape({ _elements: 'value' }))).toHaveProperty('valueQuantity');
    expect(subset(observation, shape({ _elements: 'valueQuantity' }))).toHaveProperty('valueQuantity');
    expect(subset(observation, shape({ _elements: 'value' }))).not.toHaveProperty('note');
    expect(subset(observation, shape({ _elements: 'Observation.note' }))).toHaveProperty('note');
  });

  it('_summary=true keeps the summary elements, text only the narrative, data all but the narrative', () => {
    const t = subset(observation, shape({ _summary: 'true' }));
    expect(t).toHaveProperty('valueQuantity'); // value[x] is a summary element of Observation
    expect(t).not.toHaveProperty('note');
    expect(t).not.toHaveProperty('text');
    expect(Object.keys(subset(observation, shape({ _summary: 'text' }))).sort())
      .toEqual(['code', 'id', 'meta', 'resourceType', 'status', 'text']);
    const d = subset(observation, shape({ _summary: 'data' }));
    expect(d).not.toHaveProperty('text');
    expect(d).toHaveProperty('note');
    // Nothing taken away: the resource as it was, not tagged.
    const { text: _t, ...plain } = observation;
    expect(subset(plain, shape({ _summary: 'data' }))).toBe(plain);
  });

  it('refuses what it cannot do, and does nothing for false or no parameter', () => {
    expect(subsetOf({})).toBeNull();
    expect(subsetOf({ _summary: 'false' })).toBeNull();
    for (const bad of [{ _summary: 'count' }, { _summary: 'yes' }, { _elements: '' }, { _elements: 'a b' },
      { _elements: 'code', _summary: 'true' }]) {
      expect(subsetOf(bad), JSON.stringify(bad)).toHaveProperty('problems');
    }
    expect(subsetOf({ _elements: ['code', 'status'] as unknown as string })).toHaveProperty('problems');
  });

  it('reads its table from the official definitions, regenerated identically', async () => {
    const script = new URL('../../scripts/summary-elements.mjs', import.meta.url).href;
    const { summaryElements } = (await import(script)) as { summaryElements: () => unknown };
    const file = new URL('./definitions/summary-elements.json', import.meta.url);
    const shipped = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    expect(shipped).toEqual(summaryElements());
  });
});
