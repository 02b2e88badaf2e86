/**
 * The code systems of the clinical resources, as the resource modules name them: the registry's
 * index does not export them, and a second copy of a URI is one that can drift from the checks.
 */
export {
  ATC, CONDITION_CATEGORY, CONDITION_CLINICAL, CONDITION_VERIFICATION, CVX, ENCOUNTER_CLASS, ICD10, LOINC,
  OBSERVATION_CATEGORY, OBSERVATION_INTERPRETATION, SNOMED, UCUM,
} from '../../../resources/systems.js';
