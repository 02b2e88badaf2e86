export { Database, detached, ScopeError, type Tx } from './database.js';
export type { Driver, Sql, SqlResult } from './driver.js';
export { DB_ROLES, type DbRole, type Scope } from './roles.js';
export { migrate, MigrationError } from './migrate.js';
export { MIGRATIONS } from './migrations/index.js';
export { openStore, describeLocation, type StoreLocation, type OpenedStore } from './open.js';
export { AdminRepository, SegmentError, type UserRecord, type PatientSearch, type StoredPatient } from './admin.js';
export { ClinicalRepository, enterAsPatient } from './clinical.js';
export {
  ResourceRepository, type NewVersion, type ResourceOrder, type ResourceQuery, type ResourceVersion,
  type SealedResource,
} from './resources.js';
export { beaconBitsFor, BEACON_BITS_MAX, BEACON_BITS_MIN } from './beacons.js';
export { PlatformRepository, PLATFORM_KEY_SCOPE } from './platform.js';
export { damagedPlaceOf, isShreddedKeyError, type IdentitySealer, type NoteSealer, type IndexedColumn } from './sealing.js';
export { appendAuditEvents, type AuditEventInput, type AuditOutcome, type AuditPurpose, type AuditSegment } from './audit.js';
export { AuthRepository, type ClientRow, type LoginAccount, type SessionRow } from './auth.js';
export { DatabaseUnavailableError, isUnavailable } from './postgres.js';
export { SecurityViews, type AuditFilter, type StoredFinding } from './security-views.js';
