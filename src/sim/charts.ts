import { beaconValues, clinicalDate, REGISTRY } from '../resources/index.js';
import type { NewVersion } from '../store/index.js';
import type { ChartResource } from './population/index.js';

/**
 * A generated chart's resources as the records write a client's (server/resource-routes.ts): the
 * body with its module's author elements set to the practitioner who wrote it, the token values
 * of its token search parameters and its clinical date, both read from the body as sent.
 */
export function chartVersions(resources: readonly ChartResource[]): NewVersion[] {
  return resources.map((r) => {
    const m = REGISTRY.module(r.type);
    if (!m) throw new Error(`${r.type} is not a registered resource type`);
    const tokens = beaconValues(m, r.body);
    return {
      id: r.id, type: r.type, patientId: r.patientId, authorId: r.authorId, writtenAt: r.writtenAt,
      effectiveAt: clinicalDate(r.body, m.date), labels: r.labels, tokens,
      body: { ...r.body, ...m.author({ reference: `Practitioner/${r.authorId}` }) },
    };
  });
}
