import type { Sql } from '../store/index.js';
import { auditEventBatch } from '../store/audit-log.js';
import type { ChainedEvent } from './chain.js';

/** An audit row as stored: the event, its sequence number and its chain hashes. */
export interface AuditRow extends ChainedEvent {
  readonly seq: number;
  readonly prevHash: Buffer | null;
  readonly hash: Buffer | null;
  /** The MAC written with the event (null before migration 012, or without an audit key). */
  readonly mac: Buffer | null;
}

export function toAuditRow(r: Record<string, unknown>): AuditRow {
  return {
    seq: Number(r.seq), id: r.id as string, at: new Date(r.at as Date), practiceId: r.practice_id as string | null,
    userId: r.user_id as string | null, role: r.role as string | null, sessionId: r.session_id as string | null,
    sourceIp: r.source_ip as string | null, action: r.action as string, resourceType: r.resource_type as string | null,
    resourceId: r.resource_id as string | null, patientId: r.patient_id as string | null, segment: r.segment as string | null,
    labels: r.labels as string[], purpose: r.purpose as string | null, outcome: r.outcome as string, reason: r.reason as string | null,
    detail: r.detail ?? null, prevHash: (r.prev_hash as Buffer | undefined) ?? null, hash: (r.hash as Buffer | undefined) ?? null,
    mac: (r.mac as Buffer | undefined) ?? null,
  };
}

/**
 * Every audit row in sequence order, in batches (keyset pagination on seq). The next batch is
 * asked for before this one is handed out, so that the database reads while the caller hashes.
 */
export async function* auditRows(query: Sql['query'], batch = 5000): AsyncGenerator<AuditRow> {
  const fetch = (after: number) => auditEventBatch(query, after, batch);
  let pending = fetch(0);
  try {
    for (;;) {
      const r = await pending;
      const full = r.rows.length === batch;
      if (full) pending = fetch(Number(r.rows[r.rows.length - 1]!.seq));
      for (const row of r.rows) yield toAuditRow(row);
      if (!full) return;
    }
  } finally {
    // A caller that stops early (a problem found) leaves a batch in flight: its outcome is moot.
    pending.catch(() => undefined);
  }
}
