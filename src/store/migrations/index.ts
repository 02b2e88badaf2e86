import { createHash } from 'node:crypto';
import { sql as m001 } from './001_segments.js';
import { sql as m002 } from './002_access.js';
import { sql as m003 } from './003_audit_chain.js';
import { sql as m004 } from './004_detection.js';
import { sql as m005 } from './005_incidents.js';
import { sql as m006 } from './006_containment.js';
import { sql as m007 } from './007_enrolment.js';
import { sql as m008 } from './008_refresh_history.js';
import { sql as m009 } from './009_notice_approval.js';
import { sql as m010 } from './010_dpop.js';
import { sql as m011 } from './011_clients.js';
import { sql as m012 } from './012_audit_integrity.js';
import { sql as m013 } from './013_patient_keys.js';
import { sql as m014 } from './014_sealed_identity.js';
import { sql as m015 } from './015_provisional_bookings.js';
import { sql as m016 } from './016_registrations.js';
import { sql as m017 } from './017_clinical_resources.js';
import { sql as m018 } from './018_documents.js';
import { sql as m019 } from './019_admin_clients.js';
import { sql as m020 } from './020_agenda.js';
import { sql as m021 } from './021_patient_sharing.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

function migration(version: number, name: string, sql: string): Migration {
  return { version, name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
}

/** Every migration, in order. An applied migration is never edited: add a new one. */
export const MIGRATIONS: readonly Migration[] = [migration(1, 'segments', m001), migration(2, 'access', m002), migration(3, 'audit-chain', m003), migration(4, 'detection', m004), migration(5, 'incidents', m005), migration(6, 'containment', m006), migration(7, 'enrolment', m007), migration(8, 'refresh-history', m008), migration(9, 'notice-approval', m009), migration(10, 'dpop', m010), migration(11, 'clients', m011), migration(12, 'audit-integrity', m012), migration(13, 'patient-keys', m013), migration(14, 'sealed-identity', m014), migration(15, 'provisional-bookings', m015), migration(16, 'registrations', m016), migration(17, 'clinical-resources', m017), migration(18, 'documents', m018), migration(19, 'admin-clients', m019), migration(20, 'agenda', m020),
  migration(21, 'patient-sharing', m021)];
