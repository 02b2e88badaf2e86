import { CatalogError } from '../errors.js';

/** Errors of the records service, mapped to OperationOutcomes at the HTTP edge. */
export const RECORD_ERRORS = {
  not_found: { status: 404, message: 'No such resource.' },
  invalid: { status: 400, message: 'The resource is not acceptable.' },
  unprocessable: { status: 422, message: 'The resource breaks a rule of the record.' },
  precondition_required: { status: 428, message: 'Send If-Match with the version you are updating.' },
  version_conflict: { status: 412, message: 'The resource changed since that version.' },
  gone: { status: 410, message: 'This patient’s record was erased.' },
} as const;

export type RecordErrorCode = keyof typeof RECORD_ERRORS;

export class RecordError extends CatalogError<RecordErrorCode> {
  override readonly name = 'RecordError';
  constructor(
    code: RecordErrorCode,
    /** Problems with the input, safe to show the client (field paths and rules, no values). */
    readonly problems: string[] = [],
  ) {
    super(code, RECORD_ERRORS);
  }
}
