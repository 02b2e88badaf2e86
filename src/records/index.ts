export { Records } from './records.js';
export type { RequestContext, Page, DisclosureLedger } from './core.js';
export { RecordError, RECORD_ERRORS, type RecordErrorCode } from './errors.js';
export { practitioners, practice, auditHistory, type AuditQuery } from './directory.js';
export { readAlerts, type AlertView } from './security.js';
