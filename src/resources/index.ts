import { allergyIntolerance } from './allergy-intolerance/index.js';
import { condition } from './condition/index.js';
import { encounter } from './encounter/index.js';
import { immunization } from './immunization/index.js';
import { medicationRequest } from './medication-request/index.js';
import { observation } from './observation/index.js';
import { defineRegistry } from './registry.js';

export type { Json, ResourceModule, SearchParam, IncidentCategory, Interaction } from './module.js';
export {
  defineRegistry, detectorChannels, incidentCategories, RESOURCE_TABLE, routeLists, sealedTables, searchParamsOf,
  shreddedTables,
  type Registry,
} from './registry.js';
export {
  beaconValues, clinicalDate, definitionOf, patientOf, searchTypeOf, tokenQuery, tokenValues,
} from './search.js';

/** The clinical resource types medvault serves: adding one is adding its folder and its line here. */
export const REGISTRY = defineRegistry([
  condition,
  allergyIntolerance,
  medicationRequest,
  observation,
  immunization,
  encounter,
]);
