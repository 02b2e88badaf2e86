/**
 * Keyed beacons (docs/encryption.md, "What a copy of the database reveals"): HMAC-SHA-256, under a
 * key derived from the practice's index key, of "medvault-beacon/v1" | kind | normalised value.
 * The store truncates them to the practice's beacon length (store/beacons.ts).
 */
export type BeaconKind = 'family' | 'given' | 'birthdate' | 'clinical-token';

/** What is HMAC'd for a beacon. */
export function beaconInput(kind: BeaconKind, value: string): Buffer {
  return Buffer.from(`medvault-beacon/v1|${kind}|${value}`, 'utf8');
}
