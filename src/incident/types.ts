import type { SensitivityLabel } from '../domain/index.js';
import type { Art34 } from './documents.js';
import type { CopyScope } from './copy.js';
import type { AccessScope, Category, PracticeSummary } from './scope.js';

export type IncidentKind = 'account-abuse' | 'database-copy';

/** What the security officer asked. */
export interface IncidentQuery {
  readonly accounts?: string[];
  readonly userIds?: string[];
  readonly sessions?: string[];
  readonly addresses?: string[];
  readonly from?: string;
  readonly to?: string;
  readonly tables?: string[];
  readonly keysCompromised?: boolean;
  /**
   * Care accesses: counted for all (true), apart for all (false), or counted for the accesses the
   * named sessions and addresses matched and apart for those matched by an account alone
   * ('matched', the default since 2026-12-01; an incident stored before has no value: apart).
   */
  readonly countCare?: boolean | 'matched';
}

export interface IncidentSummary {
  readonly patients: number;
  readonly notes: number;
  /** Data records disclosed: patient identity records, appointments' patients, clinical notes and resources. */
  readonly records: number;
  readonly accounts: number;
  readonly categories: Record<Category, number>;
  readonly labels: Partial<Record<SensitivityLabel, number>>;
  readonly byPractice: PracticeSummary[];
}

export type TimelineEvent = 'detected' | 'scoped' | 'contained' | 'cnil-notified' | 'patients-notified' | 'practitioners-notified' | 'closed' | 'note' | 'notices-approved';
export const TIMELINE_EVENTS: readonly TimelineEvent[] = ['detected', 'scoped', 'contained', 'cnil-notified', 'patients-notified', 'practitioners-notified', 'closed', 'note', 'notices-approved'];

export interface TimelineEntry {
  readonly at: string;
  readonly event: TimelineEvent;
  readonly by: string | null;
  readonly detail: Record<string, unknown>;
}

/** An entry of the breach register (GDPR Art. 33(5)). */
export interface Incident {
  readonly id: string;
  readonly createdAt: string;
  readonly createdBy: string | null;
  readonly kind: IncidentKind;
  readonly query: IncidentQuery;
  readonly summary: IncidentSummary;
  readonly scope: AccessScope | CopyScope;
  readonly art34: Art34;
  readonly timeline: TimelineEntry[];
}
