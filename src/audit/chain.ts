import type { AuditEventInput } from '../store/audit.js';
import { createHmac } from 'node:crypto';
import { sha256 } from './merkle.js';

/**
 * The audit hash chain: hash_i = SHA-256("medvault-audit/v1" ‖ hash_{i-1} ‖ canonical(event_i)),
 * hash_0's predecessor being 32 zero bytes. The canonical form is JSON with a fixed field order
 * and sorted keys inside `detail`, so the database's own JSON normalisation cannot change it.
 */
/** What the chain hashes: an audit event's fields (the detail as stored: any JSON). */
/** The fields a stored row reads back as any value, where the writer's input types them. */
type AsStored = 'detail' | 'segment' | 'purpose' | 'labels' | 'outcome' | 'action' | 'resourceType';
export type ChainedEvent = Omit<AuditEventInput, AsStored> & {
  /** As stored: a row is data, read back whatever it says. */
  readonly action: string;
  readonly resourceType: string | null;
  readonly segment: string | null;
  readonly purpose: string | null;
  readonly labels: readonly string[];
  readonly outcome: string;
  readonly detail: unknown;
};

export const GENESIS = Buffer.alloc(32);
const DOMAIN = Buffer.from('medvault-audit/v1');

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  }
  return v;
}

export function canonicalEvent(e: ChainedEvent): string {
  return JSON.stringify([
    e.id, e.at.toISOString(), e.practiceId, e.userId, e.role, e.sessionId, e.sourceIp, e.action, e.resourceType, e.resourceId,
    e.patientId, e.segment, [...e.labels], e.purpose, e.outcome, e.reason, sortKeys(e.detail ?? null),
  ]);
}

export function chainHash(prev: Buffer, e: ChainedEvent): Buffer {
  return sha256(DOMAIN, prev, Buffer.from(canonicalEvent(e), 'utf8'));
}

/** Timestamps are kept to the millisecond so that the stored value hashes as it was hashed. */
export function auditTime(d: Date): Date {
  return new Date(Math.floor(d.getTime()));
}

const MAC_DOMAIN = 'medvault-audit-mac/v1';

/**
 * The MAC an event carries from the moment it is written: HMAC-SHA-256 under the audit
 * key (derived from the key provider, never stored in the database) over the same canonical form
 * the chain hashes. Whoever writes a row behind the server's back cannot make one.
 */
export function eventMac(key: Buffer, e: ChainedEvent): Buffer {
  return createHmac('sha256', key).update(MAC_DOMAIN).update(canonicalEvent(e)).digest();
}

/** What the audit key is derived from, under the platform's index key of the key provider. */
export const AUDIT_KEY_LABEL = 'medvault/audit-event-mac/v1';
