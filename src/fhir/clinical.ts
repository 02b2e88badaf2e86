import { SENSITIVITY_LABELS, type SensitivityLabel } from '../domain/index.js';
import { V3_ACT_CODE, V3_CONFIDENTIALITY } from './codes.js';

type Json = Record<string, unknown>;

/** A stored clinical resource version as its FHIR JSON: type, id, version, when, its labels, then its body. */
export function toFhirClinical(r: {
  type: string; id: string; version: number; writtenAt: Date; labels: readonly SensitivityLabel[]; body: Json;
}): Json {
  const { resourceType: _t, id: _i, meta: _m, ...body } = r.body;
  return {
    resourceType: r.type,
    id: r.id,
    meta: {
      versionId: String(r.version),
      lastUpdated: r.writtenAt.toISOString(),
      security: [
        { system: V3_CONFIDENTIALITY, code: r.labels.length > 0 ? 'R' : 'N' },
        ...r.labels.map((l) => ({ system: V3_ACT_CODE, code: l, display: SENSITIVITY_LABELS[l].en })),
      ],
    },
    ...body,
  };
}
