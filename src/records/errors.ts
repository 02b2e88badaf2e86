import { AccessError } from '../access/errors.js';
import type { DenyReason } from '../access/policy.js';
import { CatalogError } from '../errors.js';

/** Errors of the records service, mapped to OperationOutcomes at the HTTP edge. */
export const RECORD_ERRORS = {
  not_found: { status: 404, message: 'No such resource.' },
  invalid: { status: 400, message: 'The resource is not acceptable.' },
  unprocessable: { status: 422, message: 'The resource breaks a rule of the record.' },
  precondition_required: { status: 428, message: 'Send If-Match with the version you are updating.' },
  version_conflict: { status: 412, message: 'The resource changed since that version.' },
  gone: { status: 410, message: 'This patient’s record was erased.' },
  /** A booking the agenda cannot take (overlap, past, closed, absent): its problems say why, in French. */
  agenda: { status: 409, message: 'Ce rendez-vous ne peut pas être pris :' },
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

/**
 * The one mapping of a policy refusal to what the client is told: 404 where a 403 would confirm
 * that a record exists (another practice's, another patient's — OWASP API1), a step-up where a
 * fresher second factor would do (RFC 9470), 403 otherwise. A new reason that is not mapped here
 * does not compile.
 */
export function refusalFor(reason: DenyReason): AccessError | RecordError {
  switch (reason) {
    // A note not shared with its patient is, to her, as absent as another patient's.
    case 'not-own-record':
    case 'other-practice':
    case 'not-shared':
      return new RecordError('not_found');
    case 'step-up-required':
      return new AccessError('step_up_required');
    case 'role':
    case 'segment':
    case 'scope':
    case 'no-care-relationship':
    case 'not-a-practitioner':
    case 'not-the-author':
      return new AccessError('forbidden');
    default: {
      const unmapped: never = reason;
      return unmapped;
    }
  }
}
