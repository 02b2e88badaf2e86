import { readAuditEvent, unhandledKind } from '../audit/events.js';
import type { Detector } from './engine.js';

/** How long an approved account is watched more closely (its first two weeks). */
export const PROBATION_MS = 14 * 86_400_000;

/**
 * What an account event in the audit log changes for the detector: an officer's unlock lifts the
 * account's state and counters as of then; an approval starts its probation (another instance's
 * approval too, heard through the catch-up).
 */
export function accountFact(detector: Detector, row: Readonly<Record<string, unknown>>): void {
  const ev = readAuditEvent({ resourceType: row.resource_type as string | null, action: String(row.action) });
  if (ev === null || row.outcome !== 'success') return;
  const at = new Date(row.at as Date);
  const target = typeof row.resource_id === 'string' ? row.resource_id : null;
  switch (ev.subject) {
    case 'Practice':
      switch (ev.action) {
        // A practice's wave, or the platform's (no resource).
        case 'wave.end':
          detector.endWave(target, at);
          return;
        default:
          return unhandledKind(ev);
      }
    case 'Account': {
      if (target === null) return;
      switch (ev.action) {
        // An unlock made here was applied here at that instant: the catch-up must not reset again
        // what was counted since.
        case 'account.unlock':
          if (!detector.releasedAfter(target, new Date(at.getTime() - 1))) detector.release(target, at);
          return;
        case 'account.approve':
          detector.probation(target, new Date(at.getTime() + PROBATION_MS));
          return;
        // An officer approved a device of the account: a wave no longer asks it for a step-up.
        case 'client.approve':
          if (row.role === 'security-officer') detector.clearWave(target, at);
          return;
        // The detector's own locks are its state already; containment and the practice's
        // administration change the account's access (the login door), not what was counted.
        case 'account.lock':
        case 'account.create':
        case 'account.disable':
        case 'account.reset-mfa':
        case 'account.enrol':
        case 'account.unlock-request':
        case 'account.revoke-sessions':
        case 'account.reset-credentials':
        case 'client.approve-request':
        case 'practice.dpop-required':
        case 'practice.dpop-optional':
          return;
        default:
          return unhandledKind(ev);
      }
    }
    default:
      return;
  }
}

