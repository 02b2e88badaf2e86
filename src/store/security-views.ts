import type { Tx } from './database.js';
import { patientHistoryKinds } from '../audit/events.js';

/**
 * What the security console and the audit history read, in a security reader's transaction:
 * counts by hour and day, alerts, audit events. Patients appear by id only.
 */
/** A finding as audit.alerts keeps it (the detector's Finding, as JSON). */
export interface StoredFinding {
  readonly rule: string;
  readonly response: string;
  readonly reason: string;
  readonly evidence: { readonly count: number; readonly window: string; readonly examples: string[] };
}

/** An alert as the console lists it, with the account's username. */
export interface ListedAlert {
  id: string; at: Date; user_id: string; username: string | null; response: string; findings: StoredFinding[];
  practice_id: string | null;
}

export interface AuditFilter {
  readonly patientId: string | null;
  readonly agentId: string | null;
  readonly from: Date | null;
  readonly to: Date | null;
  /**
   * A patient's own view: successful accesses by professionals only, of the kinds the audit
   * vocabulary shows a patient (audit/events.ts `patientHistoryKinds`).
   */
  readonly patientView: boolean;
  readonly limit: number;
  readonly offset: number;
}

export class SecurityViews {
  constructor(private readonly tx: Tx) {}

  async account(userId: string): Promise<{ username: string; role: string; status: string } | null> {
    const r = await this.tx.query<{ username: string; role: string; status: string }>(
      'SELECT username, role, status FROM admin.users WHERE id = $1', [userId],
    );
    return r.rows[0] ?? null;
  }

  /**
   * The accounts that wait for a second person's approval (new, or reset), of every practice: who
   * they are, their practice's name, and who created them or handed out their link (that person may
   * not approve). No patient data.
   */
  async pendingAccounts(): Promise<{
    id: string; username: string; role: string; practice: string | null; createdAt: Date; enrolled: boolean;
    createdBy: string | null; linkBy: string | null;
  }[]> {
    const r = await this.tx.query<{
      id: string; username: string; role: string; practice: string | null; created_at: Date; enrolled: boolean;
      created_by: string | null; link_by: string | null;
    }>(
      `SELECT u.id, u.username, u.role, p.name AS practice, u.created_at, u.enrolled_at IS NOT NULL AS enrolled,
              u.created_by,
              (SELECT e.created_by FROM admin.enrolments e WHERE e.user_id = u.id ORDER BY e.created_at DESC LIMIT 1)
                AS link_by
         FROM admin.users u LEFT JOIN admin.practices p ON p.id = u.practice_id
        WHERE u.status = 'pending' AND u.approved_at IS NULL AND u.role <> 'patient'
        ORDER BY u.created_at LIMIT 200`,
    );
    return r.rows.map((x) => ({
      id: x.id, username: x.username, role: x.role, practice: x.practice, createdAt: new Date(x.created_at),
      enrolled: x.enrolled, createdBy: x.created_by, linkBy: x.link_by,
    }));
  }

  /** One account's accesses per hour since `since`: how many, of how many patients, how many refused. */
  async hoursOf(
    userId: string, since: Date,
  ): Promise<{ hour: Date; accesses: number; patients: number; refused: number }[]> {
    const r = await this.tx.query<{ hour: Date; accesses: number; patients: number; refused: number }>(
      `SELECT date_trunc('hour', at) AS hour, count(*)::int AS accesses,
              count(DISTINCT patient_id)::int AS patients,
              count(*) FILTER (WHERE outcome <> 'success')::int AS refused
         FROM audit.events WHERE user_id = $1 AND at >= $2 GROUP BY 1 ORDER BY 1`, [userId, since.toISOString()],
    );
    return r.rows;
  }

  async alertsOf(
    userId: string, since: Date,
  ): Promise<{ at: Date; response: string; findings: StoredFinding[] }[]> {
    const r = await this.tx.query<{ at: Date; response: string; findings: StoredFinding[] }>(
      'SELECT at, response, findings FROM audit.alerts WHERE user_id = $1 AND at >= $2 ORDER BY at',
      [userId, since.toISOString()],
    );
    return r.rows;
  }

  /** The platform's accesses per hour since `hoursSince`, and alerts per day since `daysSince`. */
  async overview(hoursSince: Date, daysSince: Date): Promise<{
    hours: { hour: Date; accesses: number; refused: number }[];
    days: { day: Date; alerts: number; contained: number }[];
  }> {
    const hours = await this.tx.query<{ hour: Date; accesses: number; refused: number }>(
      `SELECT date_trunc('hour', at) AS hour, count(*)::int AS accesses,
              count(*) FILTER (WHERE outcome <> 'success')::int AS refused
         FROM audit.events WHERE at >= $1 AND user_id IS NOT NULL GROUP BY 1 ORDER BY 1`, [hoursSince.toISOString()],
    );
    const days = await this.tx.query<{ day: Date; alerts: number; contained: number }>(
      `SELECT date_trunc('day', at) AS day, count(*)::int AS alerts,
              count(*) FILTER (WHERE response IN ('suspend', 'lock'))::int AS contained
         FROM audit.alerts WHERE at >= $1 GROUP BY 1 ORDER BY 1`, [daysSince.toISOString()],
    );
    return { hours: hours.rows, days: days.rows };
  }

  /** The latest alerts, with the account's username. */
  async alerts(limit: number): Promise<ListedAlert[]> {
    const r = await this.tx.query<ListedAlert>(
      `SELECT a.id, a.at, a.user_id, u.username, a.response, a.findings, a.practice_id
         FROM audit.alerts a LEFT JOIN admin.users u ON u.id = a.user_id ORDER BY a.at DESC LIMIT $1`, [limit],
    );
    return r.rows;
  }

  /** Audit events, newest first, with the professional's name; `limit + 1` rows tell whether more follow. */
  async events(f: AuditFilter): Promise<Record<string, unknown>[]> {
    const kinds = patientHistoryKinds();
    const ownView = f.patientView
      ? `AND e.outcome = 'success' AND e.role <> 'patient'
          AND (e.resource_type, e.action) IN (SELECT * FROM unnest($7::text[], $8::text[]))`
      : '';
    const kindParams = f.patientView ? [kinds.map((k) => k.resourceType), kinds.map((k) => k.action)] : [];
    const r = await this.tx.query<Record<string, unknown>>(
      `SELECT e.id, e.at, e.user_id, e.role, e.source_ip, e.action, e.resource_type, e.resource_id, e.patient_id,
              e.purpose, e.outcome, e.reason, e.labels, u.given_name, u.family_name
         FROM audit.events e LEFT JOIN admin.users u ON u.id = e.user_id
        WHERE ($1::uuid IS NULL OR e.patient_id = $1) AND ($2::uuid IS NULL OR e.user_id = $2)
          AND ($3::timestamptz IS NULL OR e.at >= $3) AND ($4::timestamptz IS NULL OR e.at < $4)
          ${ownView}
        ORDER BY e.seq DESC LIMIT $5 OFFSET $6`,
      [
        f.patientId, f.agentId, f.from?.toISOString() ?? null, f.to?.toISOString() ?? null, f.limit + 1, f.offset,
        ...kindParams,
      ],
    );
    return r.rows;
  }
}
