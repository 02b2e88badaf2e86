import type { SensitivityLabel } from '../domain/index.js';
import type { Json } from '../resources/index.js';
import type { ResourceOrder } from '../store/index.js';

/** A clinical resource as the records return it: its stored version, and its body once opened. */
export interface OpenedResource {
  readonly id: string;
  readonly type: string;
  readonly version: number;
  readonly patientId: string;
  readonly authorId: string;
  readonly writtenAt: Date;
  readonly labels: readonly SensitivityLabel[];
  readonly body: Json;
}

/** A search in one patient's compartment: token values per parameter (each an OR), a date range, a page. */
export interface ResourceSearch {
  readonly patientId: string;
  readonly tokens: readonly (readonly string[])[];
  readonly from?: Date;
  readonly to?: Date;
  /** `_id`: only these resources (any of them). */
  readonly ids?: readonly string[];
  /** `_lastUpdated`: when the current version was written, from (inclusive) and to (exclusive). */
  readonly updatedFrom?: Date;
  readonly updatedTo?: Date;
  /** `_sort`: by clinical date or by last update, newest first unless asked otherwise (default -date). */
  readonly order?: ResourceOrder;
  readonly limit: number;
  readonly offset: number;
}

/**
 * What a client wrote, checked by its module: the patient, the body (no id, no meta), the effective
 * date and the search values.
 */
export interface ResourceWrite {
  readonly patientId: string;
  readonly body: Json;
  readonly effectiveAt: Date | null;
  readonly tokens: readonly string[];
  readonly labels: readonly SensitivityLabel[];
}
