import type { SimPractice } from './workload.js';

/**
 * Attack scenarios: what a thief holding a doctor's password and second factor asks for, one
 * request at a time. Each request names the patients it would disclose if served. The
 * simulator serves it only if the account's state lets it through (the attacker waits out a
 * throttle and passes a step-up: it holds the second factor).
 */
export interface AttackRequest {
  readonly action: 'read' | 'search';
  readonly patients: readonly string[];
  readonly sourceIp: string;
  /** A search with a specific term: its results do not count as a broad listing. */
  readonly specific?: boolean;
  /** Sent with the victim's own session of the day (a copied token) rather than a session of its own. */
  readonly victimSession?: boolean;
}

export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** How many accounts it compromises (one per practice, from the first). */
  readonly accounts: number | 'all';
  /** Replays the victim's live session (starts ten minutes after the victim's last honest request). */
  readonly victimSession?: boolean;
  /** The attack starts on the first simulated day (slow scenarios) or the last (fast ones)… */
  readonly startDay: 'first' | 'last';
  /** …this many seconds after midnight (UTC), with this gap between requests. */
  readonly startSecond: number;
  readonly everySeconds: number;
  /** Requests the attacker makes against one practice, in order; may be endless (capped). */
  requests(p: SimPractice, all: readonly SimPractice[], own: readonly string[]): Iterable<AttackRequest>;
}

function* pages(ids: readonly string[], size: number, ip: string): Iterable<AttackRequest> {
  for (let i = 0; i < ids.length; i += size) yield { action: 'search', patients: ids.slice(i, i + size), sourceIp: ip };
}

function* reads(ids: readonly string[], ip: string): Iterable<AttackRequest> {
  for (const id of ids) yield { action: 'read', patients: [id], sourceIp: ip };
}

export const SCENARIOS: Scenario[] = [
  {
    name: 'smash-and-grab', description: 'pages through the patient directory, 20 identities a page, one page a second',
    accounts: 1, startDay: 'last', startSecond: 10 * 3600, everySeconds: 1, requests: (p) => pages(p.patients, 20, '10.1.0.1'),
  },
  {
    name: 'id-enumeration', description: 'opens patient ids one after the other, own practice and others, two a second',
    accounts: 1, startDay: 'last', startSecond: 14 * 3600, everySeconds: 0.5,
    requests: function* (p, all) {
      // Ids of other practices answer 404 and disclose nothing; the simulator counts only the practice's own.
      const mixed = p.patients.flatMap((id, i) => [id, all[(i + 1) % all.length]!.patients[i] ?? id]);
      yield* reads(mixed.filter((id) => p.patients.includes(id)), '10.1.0.1');
    },
  },
  {
    name: 'low-and-slow', description: 'thirty records a working day, spread over the days, from the doctor’s usual address',
    accounts: 1, startDay: 'first', startSecond: 9 * 3600, everySeconds: 900, requests: (p) => reads(p.patients, '10.1.0.1'),
  },
  {
    name: 'many-accounts', description: 'the 2025 pattern: one account in every practice, all at once, paging the directory',
    accounts: 'all', startDay: 'last', startSecond: 10 * 3600, everySeconds: 1, requests: (p) => pages(p.patients, 20, '10.9.0.1'),
  },
  {
    name: 'sensitive-sweep', description: 'opens the patients whose notes carry HIV, mental-health, addiction or sexuality labels',
    accounts: 1, startDay: 'last', startSecond: 11 * 3600, everySeconds: 2, requests: (p) => reads([...new Set(p.sensitivePatients)], '10.1.0.1'),
  },
  {
    name: 'night-replay', description: 'a stolen session replayed at 02:00 from a new address, paging the directory',
    accounts: 1, startDay: 'last', startSecond: 1 * 3600, everySeconds: 1, requests: (p) => pages(p.patients, 20, '203.0.113.7'),
  },
  {
    name: 'copied-session', description: "the doctor's session token copied from the workstation and replayed from another browser during the day, opening the doctor's own patients (all explained by care relationships)",
    accounts: 1, startDay: 'last', startSecond: 11 * 3600, everySeconds: 5, victimSession: true,
    requests: function* (_p, _all, own) {
      for (const id of own) yield { action: 'read' as const, patients: [id], sourceIp: '10.1.0.1', victimSession: true };
    },
  },
  {
    name: 'alphabetical-sweep', description: 'specific-looking searches (three letters each: "Aba", "Abb"…), a few identities each, one a second',
    accounts: 1, startDay: 'last', startSecond: 16 * 3600, everySeconds: 1,
    requests: function* (p) {
      for (let i = 0; i < p.patients.length; i += 3) yield { action: 'search' as const, patients: p.patients.slice(i, i + 3), sourceIp: '10.1.0.1', specific: true };
    },
  },
  {
    name: 'vip-insider', description: 'a practice insider opens the record of a notable patient they do not care for',
    accounts: 1, startDay: 'last', startSecond: 13 * 3600, everySeconds: 30, requests: (p) => reads(p.vips, '10.1.0.1'),
  },
  {
    name: 'honeytoken-sweep', description: 'reads records in id order, the decoys among them',
    accounts: 1, startDay: 'last', startSecond: 15 * 3600, everySeconds: 1, requests: (p) => reads([...p.decoys, ...p.patients], '10.1.0.1'),
  },
];
