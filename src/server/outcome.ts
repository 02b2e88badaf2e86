/** FHIR OperationOutcome (R4), the body of every error medvault answers. */
export interface OperationOutcome {
  readonly resourceType: 'OperationOutcome';
  readonly issue: { severity: 'error' | 'fatal' | 'warning'; code: string; diagnostics: string }[];
}

const ISSUE_CODE: Record<number, string> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  406: 'not-supported',
  409: 'conflict',
  410: 'deleted',
  412: 'conflict',
  413: 'too-long',
  415: 'not-supported',
  422: 'processing',
  429: 'throttled',
};

export function operationOutcome(status: number, diagnostics: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [{ severity: status >= 500 ? 'fatal' : 'error', code: ISSUE_CODE[status] ?? (status >= 500 ? 'exception' : 'invalid'), diagnostics }],
  };
}
