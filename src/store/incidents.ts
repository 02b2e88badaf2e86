import type { SensitivityLabel } from '../domain/index.js';
import type { Art34 } from '../incident/documents.js';
import type { Incident, IncidentQuery, IncidentSummary, TimelineEntry, TimelineEvent } from '../incident/types.js';
import type { Tx } from './database.js';

/**
 * What incident response reads and writes: the breach register (audit.incidents, append-only) and
 * its timeline, as the audit writer (writes) and the security reader (reads), platform scope; the
 * audit events of the suspected accounts, sessions and addresses; and the few account, practice
 * and care facts that scoping, containment and the documents need, each in the scope named.
 */

/** An incident as the register keeps it: the query carries the Art. 34 assessment. */
export interface StoredIncident {
  readonly id: string;
  readonly created_at: Date;
  readonly created_by: string | null;
  readonly kind: Incident['kind'];
  readonly query: IncidentQuery & { art34: Art34 };
  readonly summary: IncidentSummary;
  readonly scope: Incident['scope'];
}

/** A step of an incident's timeline as stored. */
export interface StoredTimelineEntry {
  at: Date; event: TimelineEvent; by_user: string | null; detail: Record<string, unknown>;
}

/** An audit event as incident scoping reads it. */
export interface ScopedEventRow {
  at: Date;
  user_id: string | null;
  practice_id: string | null;
  role: string | null;
  action: string;
  outcome: string;
  resource_type: string | null;
  resource_id: string | null;
  patient_id: string | null;
  labels: SensitivityLabel[];
  purpose: string | null;
  detail: Record<string, unknown> | null;
  session_id: string | null;
  source_ip: string | null;
}

export class IncidentRegister {
  constructor(private readonly tx: Tx) {}

  /** Enters an incident in the register (as the audit writer). */
  async insert(i: {
    id: string; createdAt: string; createdBy: string | null; kind: Incident['kind'];
    query: StoredIncident['query']; summary: IncidentSummary; scope: Incident['scope'];
  }): Promise<void> {
    await this.tx.query(
      `INSERT INTO audit.incidents (id, created_at, created_by, kind, query, summary, scope)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [
        i.id, i.createdAt, i.createdBy, i.kind, JSON.stringify(i.query), JSON.stringify(i.summary),
        JSON.stringify(i.scope),
      ],
    );
  }

  /** Adds a step to an incident's timeline (as the audit writer). */
  async addTimeline(incidentId: string, t: TimelineEntry): Promise<void> {
    await this.tx.query(
      'INSERT INTO audit.incident_timeline (incident_id, at, event, by_user, detail) VALUES ($1, $2, $3, $4, $5)',
      [incidentId, t.at, t.event, t.by, JSON.stringify(t.detail)],
    );
  }

  /** One incident of the register, or null. */
  async incident(id: string): Promise<StoredIncident | null> {
    const r = await this.tx.query<StoredIncident>(
      'SELECT id, created_at, created_by, kind, query, summary, scope FROM audit.incidents WHERE id = $1', [id],
    );
    return r.rows[0] ?? null;
  }

  /** An incident's timeline, in time order. */
  async timeline(id: string): Promise<StoredTimelineEntry[]> {
    const r = await this.tx.query<StoredTimelineEntry>(
      'SELECT at, event, by_user, detail FROM audit.incident_timeline WHERE incident_id = $1 ORDER BY at, seq', [id],
    );
    return r.rows;
  }

  /** The latest 500 incidents, newest first, with their summaries. */
  async latest(): Promise<{ id: string; created_at: Date; kind: string; summary: IncidentSummary }[]> {
    const r = await this.tx.query<{ id: string; created_at: Date; kind: string; summary: IncidentSummary }>(
      'SELECT id, created_at, kind, summary FROM audit.incidents ORDER BY created_at DESC LIMIT 500',
    );
    return r.rows;
  }

  /** The timeline events of these incidents, in time order. */
  async timelines(ids: readonly string[]): Promise<{ incident_id: string; at: Date; event: string }[]> {
    const r = await this.tx.query<{ incident_id: string; at: Date; event: string }>(
      'SELECT incident_id, at, event FROM audit.incident_timeline WHERE incident_id = ANY($1::uuid[]) ORDER BY at, seq',
      [ids],
    );
    return r.rows;
  }
}

/**
 * The audit events from `from` to `to` of these accounts, sessions or source addresses (any of
 * them), in order. Only the criteria given are in the statement, so that accounts alone use the
 * (user_id, at) index and sessions the (session_id, at) one; addresses have none (a scan of the
 * window). Security reader, platform scope.
 */
export async function suspectEvents(
  tx: Tx,
  q: { from: Date; to: Date; userIds: readonly string[]; sessions: readonly string[]; addresses: readonly string[] },
): Promise<ScopedEventRow[]> {
  const params: unknown[] = [q.from.toISOString(), q.to.toISOString()];
  const where: string[] = [];
  if (q.userIds.length > 0) where.push(`user_id = ANY($${params.push(q.userIds)}::uuid[])`);
  if (q.sessions.length > 0) where.push(`session_id = ANY($${params.push(q.sessions)}::text[])`);
  if (q.addresses.length > 0) where.push(`source_ip = ANY($${params.push(q.addresses)}::text[])`);
  const r = await tx.query<ScopedEventRow>(
    `SELECT at, user_id, practice_id, role, action, outcome, resource_type, resource_id, patient_id, labels, purpose,
            detail, session_id, source_ip
       FROM audit.events WHERE at >= $1 AND at < $2 AND (${where.join(' OR ')}) ORDER BY at, seq`,
    params,
  );
  return r.rows;
}

/** The accounts with these usernames (those that exist), across practices. */
export async function accountsNamed(tx: Tx, usernames: readonly string[]): Promise<{ id: string; username: string }[]> {
  const r = await tx.query<{ id: string; username: string }>(
    'SELECT id, username FROM admin.users WHERE username = ANY($1::text[])', [usernames],
  );
  return r.rows;
}

/** The usernames of these accounts (those that exist), across practices. */
export async function usernamesOf(tx: Tx, ids: readonly string[]): Promise<{ id: string; username: string }[]> {
  const r = await tx.query<{ id: string; username: string }>(
    'SELECT id, username FROM admin.users WHERE id = ANY($1::uuid[])', [ids],
  );
  return r.rows;
}

/** The first alert on these accounts at or after `from` (ISO time), if any. */
export async function firstAlertOf(
  tx: Tx, userIds: readonly string[], from: string,
): Promise<{ id: string; at: Date } | null> {
  const r = await tx.query<{ id: string; at: Date }>(
    'SELECT id, at FROM audit.alerts WHERE user_id = ANY($1::uuid[]) AND at >= $2 ORDER BY at LIMIT 1', [userIds, from],
  );
  return r.rows[0] ?? null;
}

/** Every practice's id, in order (platform role). */
export async function practiceIds(tx: Tx): Promise<string[]> {
  const r = await tx.query<{ id: string }>('SELECT id FROM admin.practices ORDER BY id');
  return r.rows.map((p) => p.id);
}

/** These practices' names and cities (platform role). */
export async function practicesNamed(
  tx: Tx, ids: readonly string[],
): Promise<{ id: string; name: string; city: string | null }[]> {
  const r = await tx.query<{ id: string; name: string; city: string | null }>(
    'SELECT id, name, city FROM admin.practices WHERE id = ANY($1::uuid[])', [ids],
  );
  return r.rows;
}

/**
 * Makes an account's credentials unusable (platform role): this password hash, known to no one,
 * and no second factor.
 */
export async function replaceCredentials(tx: Tx, userId: string, unusableHash: string): Promise<void> {
  await tx.query(
    'UPDATE admin.users SET password_hash = $2, totp_sealed = NULL, totp_last_step = NULL WHERE id = $1',
    [userId, unusableHash],
  );
}

/** Which practitioners of the practice treat which of these patients at `now` (admin role). */
export async function treatingPractitioners(
  tx: Tx, practiceId: string, patientIds: readonly string[], now: Date,
): Promise<{ practitioner_id: string; patient_id: string }[]> {
  const r = await tx.query<{ practitioner_id: string; patient_id: string }>(
    `SELECT DISTINCT practitioner_id, patient_id FROM admin.care_relationships
      WHERE practice_id = $1 AND kind = 'treating' AND patient_id = ANY($2::uuid[])
        AND (ends_at IS NULL OR ends_at > $3)`,
    [practiceId, patientIds, now.toISOString()],
  );
  return r.rows;
}
