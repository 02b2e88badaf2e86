import { namePrefixes } from '../domain/names.js';
import type { Patient } from '../domain/index.js';
import type { BeaconKind } from './sealing.js';

/**
 * Keyed beacons as stored (admin.patient_beacons): the MAC's first bits, truncated to the
 * practice's beacon length — a few bits fewer than the values it must tell apart, so that equal
 * beacons mean only probably-equal values, as CipherSweet's blind indexes and the AWS Database
 * Encryption SDK's beacons advise. A search computes the beacon of its term, reads the candidates
 * with that beacon, opens them and keeps those that really match.
 */
export const BEACON_BITS_MIN = 8;
export const BEACON_BITS_MAX = 24;

/**
 * How many distinct beaconed values (name prefixes, birth dates) a practice of `patients` holds:
 * they grow slower than the patients (prefixes and dates repeat). Fitted on the demo population
 * (bench/search: 3,140 distinct values at 2,000 patients, 34,279 at 100,000): 30 × n^0.61.
 */
export function expectedDistinctValues(patients: number): number {
  return 30 * Math.max(1, patients) ** 0.61;
}

/**
 * The beacon length for a practice of about `patients` patients: about two distinct beaconed
 * values per beacon at that size (AWS's advice: at least two plaintexts per beacon) — 10 bits at
 * 2,000 patients, 14 at 100,000. A practice that grows past it gets more collisions (more
 * candidates opened, less leaked), never wrong results.
 */
export function beaconBitsFor(patients: number): number {
  return Math.min(BEACON_BITS_MAX, Math.max(BEACON_BITS_MIN, Math.floor(Math.log2(expectedDistinctValues(patients) / 2))));
}

/** A beacon: the first `bits` bits of a 32-bit MAC prefix. */
export function truncateBeacon(mac32: number, bits: number): number {
  if (!Number.isInteger(bits) || bits < BEACON_BITS_MIN || bits > BEACON_BITS_MAX) throw new RangeError(`beacon length must be ${BEACON_BITS_MIN}–${BEACON_BITS_MAX} bits`);
  return mac32 >>> (32 - bits);
}

/** What a patient is beaconed by: every prefix of every word of its names, and its birth date. */
export function patientBeaconValues(p: Pick<Patient, 'birthFamilyName' | 'usedFamilyName' | 'givenNames' | 'usedGivenName' | 'birthDate'>): { kind: BeaconKind; value: string }[] {
  const family = new Set([p.birthFamilyName, p.usedFamilyName ?? ''].flatMap(namePrefixes));
  const given = new Set([...p.givenNames, p.usedGivenName ?? ''].flatMap(namePrefixes));
  return [
    ...[...family].map((value) => ({ kind: 'family' as const, value })),
    ...[...given].map((value) => ({ kind: 'given' as const, value })),
    { kind: 'birthdate' as const, value: p.birthDate },
  ];
}
