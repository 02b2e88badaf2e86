export { IncidentService, actorOf, OPERATOR, CONTAIN_ACTIONS, type Actor, type ContainAction, type DocumentKind, type DocumentFormat, type IncidentRequest, type RenderedDocument } from './service.js';
export { IncidentError } from './errors.js';
export { SmtpMailer, type Mailer } from './mail.js';
export { scopeAccounts, touches, CATEGORIES, type AccessScope, type Category, type PatientDisclosure } from './scope.js';
export { COPYABLE, isCopyableTable, type CopyScope } from './copy.js';
export { patientNotice, mailMergeCsv, art33, incidentRecord, CATEGORY_TEXT, type Contact, type Lang, type PatientNoticeInput } from './documents.js';
export type { Incident, IncidentSummary, TimelineEntry } from './types.js';
