import { CatalogError } from '../errors.js';

/** Errors of incident response, mapped to OperationOutcomes at the HTTP edge and to one line in the CLI. */
export const INCIDENT_ERRORS = {
  invalid: { status: 400, message: 'The incident request is not acceptable.' },
  unknown_account: { status: 422, message: 'An account named is not known.' },
  not_found: { status: 404, message: 'Not found:' },
  unprocessable: { status: 422, message: 'This cannot be done for this incident.' },
  // Four eyes (the officer is watched too): said in French to the officer at the console, as the
  // access refusals are; 422 as the other refusals of an incident's step.
  second_officer: { status: 422, message: 'Un second responsable sécurité doit approuver :' },
} as const;

export type IncidentErrorCode = keyof typeof INCIDENT_ERRORS;

export class IncidentError extends CatalogError<IncidentErrorCode> {
  override readonly name = 'IncidentError';
  constructor(
    code: IncidentErrorCode,
    /** What is wrong, safe to show (no patient data, no values from the request). */
    readonly detail: string,
  ) {
    super(code, INCIDENT_ERRORS);
  }
}
