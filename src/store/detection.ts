import type { Finding } from '../detect/rules.js';
import type { Tx } from './database.js';

/**
 * What detection reads of the audit log and the accounts to rebuild and keep up its state (the
 * replay at start, the catch-up from other instances, the four-eyes unlock), in a transaction of
 * the security reader with platform scope; and the alerts it writes, as the audit writer.
 */

/** An alert as detection stores it: the findings travel as JSON. */
export interface NewAlert {
  readonly id: string;
  readonly practiceId: string | null;
  readonly at: Date;
  readonly userId: string;
  readonly response: string;
  readonly findings: readonly Finding[];
}

/** An alert as detection reads it back. */
export interface ReadAlert {
  id: string; at: Date; user_id: string; response: string; findings: Finding[];
}

/** A suspension as stored with its alert. */
export interface Suspension {
  user_id: string; practice_id: string | null; findings: Finding[];
}

/** The event columns the detector reads. */
const EVENT = `seq, id, at, user_id, session_id, practice_id, action, outcome, patient_id, resource_type, resource_id,
              detail, labels, reason, source_ip, role, purpose`;

/** Stores an alert (audit.alerts), in the audit writer's transaction for its practice. */
export async function insertAlert(tx: Tx, a: NewAlert): Promise<void> {
  await tx.query(
    'INSERT INTO audit.alerts (id, practice_id, at, user_id, response, findings) VALUES ($1, $2, $3, $4, $5, $6)',
    [a.id, a.practiceId, a.at.toISOString(), a.userId, a.response, JSON.stringify(a.findings)],
  );
}

export class DetectionReads {
  constructor(private readonly tx: Tx) {}

  /** Events of accounts since `since` (ISO time), in time order. */
  async accountEventsSince(since: string): Promise<Record<string, unknown>[]> {
    const r = await this.tx.query<Record<string, unknown>>(
      `SELECT ${EVENT} FROM audit.events WHERE at >= $1 AND user_id IS NOT NULL ORDER BY at, seq`, [since],
    );
    return r.rows;
  }

  /** The log's last sequence number (0: empty). */
  async lastSeq(): Promise<number> {
    const top = await this.tx.query<{ seq: number | null }>('SELECT max(seq) AS seq FROM audit.events');
    return Number(top.rows[0]?.seq ?? 0);
  }

  /** The ids of the locked accounts. */
  async lockedAccounts(): Promise<string[]> {
    const r = await this.tx.query<{ id: string }>("SELECT id FROM admin.users WHERE status = 'locked'");
    return r.rows.map((u) => u.id);
  }

  /**
   * Each account's last suspension since `since` (ISO time), unless an unlock of the account came
   * after it: the suspensions that still hold.
   */
  async standingSuspensions(since: string): Promise<Suspension[]> {
    const r = await this.tx.query<Suspension>(
      `SELECT s.user_id, s.practice_id, s.findings FROM (
         SELECT DISTINCT ON (user_id) user_id, practice_id, at, findings FROM audit.alerts
          WHERE response = 'suspend' AND at >= $1 ORDER BY user_id, at DESC) s
        WHERE NOT EXISTS (SELECT 1 FROM audit.events e
                           WHERE e.action = 'account.unlock' AND e.resource_id::text = s.user_id::text
                             AND e.at > s.at)`,
      [since],
    );
    return r.rows;
  }

  /** Accounts approved after `since`, with when. */
  async approvedSince(since: Date): Promise<{ id: string; approved_at: Date }[]> {
    const r = await this.tx.query<{ id: string; approved_at: Date }>(
      'SELECT id, approved_at FROM admin.users WHERE approved_at > $1', [since.toISOString()],
    );
    return r.rows;
  }

  /** Sequence numbers and ids of up to 20,000 events after `after`, in order. */
  async eventIdsAfter(after: number): Promise<{ seq: number; id: string }[]> {
    const r = await this.tx.query<{ seq: number; id: string }>(
      'SELECT seq, id FROM audit.events WHERE seq > $1 ORDER BY seq LIMIT 20000', [after],
    );
    return r.rows;
  }

  /** These events (by id), in sequence order. */
  async eventsById(ids: readonly string[]): Promise<Record<string, unknown>[]> {
    const r = await this.tx.query<Record<string, unknown>>(
      `SELECT ${EVENT} FROM audit.events WHERE id = ANY($1::uuid[]) ORDER BY seq`, [ids],
    );
    return r.rows;
  }

  /** Alerts since `since`, in time order. */
  async alertsSince(since: Date): Promise<ReadAlert[]> {
    const r = await this.tx.query<ReadAlert>(
      'SELECT id, at, user_id, response, findings FROM audit.alerts WHERE at >= $1 ORDER BY at', [since.toISOString()],
    );
    return r.rows;
  }

  /** Whether there is such an account. */
  async accountExists(userId: string): Promise<boolean> {
    const u = await this.tx.query<{ id: string }>('SELECT id FROM admin.users WHERE id = $1', [userId]);
    return u.rows.length > 0;
  }

  /**
   * Who asked to unlock the account since `since` (ISO time), in requests no unlock has answered
   * yet: the officers' user ids.
   */
  async unlockRequests(userId: string, since: string): Promise<string[]> {
    const r = await this.tx.query<{ user_id: string }>(
      `SELECT q.user_id FROM audit.events q
        WHERE q.action = 'account.unlock-request' AND q.resource_id::text = $1 AND q.at > $2 AND q.user_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM audit.events u
                           WHERE u.action = 'account.unlock' AND u.resource_id::text = $1 AND u.at >= q.at)`,
      [userId, since],
    );
    return r.rows.map((x) => x.user_id);
  }
}
