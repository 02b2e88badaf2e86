/**
 * Per-account features over the stream of committed audit events, in sliding windows. Memory is
 * bounded: a map of the distinct patients each account touched (last time seen), pruned past the
 * longest window, and minute buckets for counts.
 */
export interface AccessEvent {
  /** The audit event's id: an event heard twice (the bus, then the database) is counted once. */
  readonly id?: string;
  readonly at: Date;
  readonly userId: string;
  readonly sessionId: string | null;
  readonly practiceId: string | null;
  readonly action: string;
  readonly outcome: string;
  /** The patient the access concerned, if one. */
  readonly patientId: string | null;
  /** Patients a search disclosed. */
  readonly returned: readonly string[];
  /**
   * Of the patients touched, those no care relationship of this account explains (absent when
   * not known: the account's role has no care relationships, as for assistants).
   */
  readonly unexplained?: readonly string[];
  /** Identities a specific search found (a name of 3+ letters, a birth date…). */
  readonly found?: readonly string[];
  /** The account's role: budgets differ between a GP and an assistant who books for six. */
  readonly role?: string | null;
  readonly labels: readonly string[];
  readonly reason: string | null;
  readonly sourceIp: string | null;
  /** A short fingerprint of the client's user agent (no more than that is kept). */
  readonly device?: string | null;
  /** Patients whose full identity (NIR, address, contacts) the access disclosed: a read of one patient. */
  readonly identities?: readonly string[];
  /** Of the patients touched, those only a standing care relationship explains (no appointment near). */
  readonly standing?: readonly string[];
  /** Clinical notes disclosed without a genuine care relationship (break-the-glass). */
  readonly noCareNotes?: readonly string[];
  /**
   * Whether a search looks for patients (a Patient search) rather than reading the compartment of
   * one patient already in hand (`DocumentReference?patient=…`): only the former counts as a search.
   * Absent: every search counts.
   */
  readonly discovery?: boolean;
  /** Of the patients touched, those a near appointment explains (the calendar: scheduled care). */
  readonly scheduled?: readonly string[];
  /**
   * Of those, the ones whose identity, notes or broad listing the event disclosed (what the
   * ledger's budgets count: a patient merely named by an appointment is not among them).
   */
  readonly calendar?: readonly string[];
  /** Whether a create or update makes a record of the practice (patient, appointment) rather than a note. Absent: it does. */
  readonly writes?: boolean;
  /** Whether a create or update writes clinical content (a note, a problem, a result…: the chart). */
  readonly chartWrite?: boolean;
  /** Patients appointment listings named outside the account's near calendar (the ledger's calendar budgets). */
  readonly calendarListed?: readonly string[];
  /** Of those, the ones only other doctors' calendars named. */
  readonly calendarOthers?: readonly string[];
}

export {
  CountWindow, DailyHistory, DAY, DistinctWindow, FewDistinct, HOUR, MIN_BASELINE_DAYS, MINUTE, parisDay, WEEK,
} from './windows.js';
import { CountWindow, DailyHistory, DAY, DistinctWindow, FewDistinct, HOUR, MINUTE, WEEK } from './windows.js';


/** Everything the rules look at for one account. */
export class AccountFeatures {
  readonly patients = new DistinctWindow([HOUR, DAY, WEEK]);
  readonly disclosed = new DistinctWindow([10 * MINUTE]); // identities returned by searches
  readonly noCare = new CountWindow(DAY);
  readonly sensitive = new DistinctWindow([DAY]);
  readonly offHours = new DistinctWindow([DAY]);
  readonly addresses = new FewDistinct([DAY, WEEK]);
  /** Sessions seen in the last hour (several at once: a second party using the account) and day. */
  readonly sessions = new FewDistinct([HOUR, DAY]);
  /**
   * Whether the account used this network address in the past week — and already before `before`
   * (a wave's start: an address first seen during a wave, at the login that precedes the first
   * request, is not known).
   */
  knowsAddress(ip: string, now: number, before = Infinity): boolean {
    return this.addresses.knownBefore(ip, WEEK, now, before);
  }

  /** Patients touched without a care relationship: the signature of the 2025 breach. */
  readonly noCarePatients = new DistinctWindow([HOUR, DAY, WEEK]);
  /** Searches made (specific ones included): many in an hour is a sweep by other means. */
  readonly searches = new CountWindow(HOUR);
  /** Identities found by specific searches: a handful an hour, unless someone sweeps by name. */
  readonly found = new DistinctWindow([HOUR, DAY]);
  /** Patients opened under standing care only (treating declaration, past visit): a daily budget. */
  readonly standing = new DistinctWindow([DAY]);
  /** Patients whose full identity the account read. */
  readonly identities = new DistinctWindow([DAY, WEEK]);
  /** Notes read without a genuine care relationship (break-the-glass). */
  readonly noCareNotes = new DistinctWindow([DAY, WEEK]);
  /** Patients touched that no near appointment explains: the hourly budget (a day's calendar read in an hour is the doctor preparing it). */
  readonly unscheduled = new DistinctWindow([HOUR]);
  /** Patients and appointments created or moved: bulk creation makes the facts a thief would need. */
  readonly created = new CountWindow(DAY);
  /** Clinical resources written: a flood of writes into charts (false allergies, a chart made unreadable). */
  readonly chartWrites = new CountWindow(HOUR);
  /** Patients named by appointment listings outside the near calendar, and those named by others' calendars. */
  readonly calendarListed = new DistinctWindow([DAY, WEEK]);
  readonly calendarOthers = new DistinctWindow([DAY, WEEK]);
  /** Distinct patients per working day: the account's own baseline. */
  readonly daily = new DailyHistory();
  /** Client fingerprints (user agents) used in the last day. */
  readonly devices = new FewDistinct([DAY]);
  /** Each recent session's first device; a session seen from another device was copied. */
  private readonly sessionDevice = new Map<string, string>();
  copiedSessions: string[] = [];
  practiceId: string | null = null;
  role: string | null = null;
  honeytokens: string[] = [];
  vipWithoutCare: string[] = [];

  constructor(
    /** Whether a time is outside the account's usual hours (Paris time by default). */
    private readonly offHoursAt: (at: Date) => boolean,
    private readonly isHoneytoken: (patientId: string) => boolean,
    private readonly isVip: (patientId: string) => boolean,
  ) {}

  /**
   * Feeds one event. Returns whether any count a rule looks at went up (or a one-off signal
   * appeared): when none did, no rule can newly fire, and the detector skips the rules.
   */
  observe(e: AccessEvent): boolean {
    const t = e.at.getTime();
    let grew = false;
    // Opening a decoy's record is the tell; a decoy merely listed among search results is not
    // (a doctor typing a common name would trip it) — broad listing is the volume rules' job.
    if (e.patientId && this.isHoneytoken(e.patientId)) {
      this.honeytokens.push(e.patientId);
      grew = true;
    }
    if (e.outcome === 'success') {
      const off = this.offHoursAt(e.at);
      const due = e.scheduled && e.scheduled.length > 0 ? new Set(e.scheduled) : null;
      for (const p of [...(e.patientId ? [e.patientId] : []), ...e.returned]) {
        if (due?.has(p)) continue;
        this.unscheduled.add(p, t);
        grew ||= this.unscheduled.grew;
      }
      if (e.patientId) {
        this.daily.add(t, this.patients.add(e.patientId, t));
        grew ||= this.patients.grew;
        if (off) {
          this.offHours.add(e.patientId, t);
          grew ||= this.offHours.grew;
        }
      }
      for (const p of e.returned) {
        this.daily.add(t, this.patients.add(p, t));
        grew ||= this.patients.grew;
        if (off) {
          this.offHours.add(p, t);
          grew ||= this.offHours.grew;
        }
      }
    }
    for (const p of e.returned) {
      this.disclosed.add(p, t);
      grew ||= this.disclosed.grew;
    }
    if (e.outcome === 'success') {
      for (const p of e.unexplained ?? []) {
        this.noCarePatients.add(p, t);
        grew ||= this.noCarePatients.grew;
        if (this.isVip(p)) {
          this.vipWithoutCare.push(p);
          grew = true;
        }
      }
    }
    if (e.role && e.role !== this.role) {
      this.role = e.role;
      grew = true;
    }
    if (e.outcome === 'success') {
      for (const p of e.identities ?? []) {
        this.identities.add(p, t);
        grew ||= this.identities.grew;
      }
      for (const p of e.standing ?? []) {
        this.standing.add(p, t);
        grew ||= this.standing.grew;
      }
      for (const n of e.noCareNotes ?? []) {
        this.noCareNotes.add(n, t);
        grew ||= this.noCareNotes.grew;
      }
      // Budgets of the ledger only (checked before a response leaves): no rule reads them afterwards.
      for (const p of e.calendarListed ?? []) this.calendarListed.add(p, t);
      for (const p of e.calendarOthers ?? []) this.calendarOthers.add(p, t);
    }
    if ((e.action === 'create' || e.action === 'update') && e.outcome === 'success' && e.patientId && e.writes !== false) {
      this.created.add(t);
      grew = true;
    }
    if ((e.action === 'create' || e.action === 'update') && e.outcome === 'success' && e.chartWrite === true) {
      this.chartWrites.add(t);
      grew = true;
    }
    if (e.action === 'search' && e.outcome === 'success' && e.discovery !== false) {
      this.searches.add(t);
      grew = true;
    }
    for (const p of e.found ?? []) {
      this.found.add(p, t);
      grew ||= this.found.grew;
    }
    if (e.reason === 'no-care-relationship') {
      this.noCare.add(t);
      grew = true;
    }
    if (e.patientId && e.reason === 'no-care-relationship' && this.isVip(e.patientId) && !this.vipWithoutCare.includes(e.patientId)) {
      this.vipWithoutCare.push(e.patientId);
      grew = true;
    }
    // The calendar's patients are the day's work: their sensitive charts do not count (the ledger's rule).
    if (e.labels.length > 0 && e.outcome === 'success' && e.patientId && !(e.scheduled ?? []).includes(e.patientId)) {
      this.sensitive.add(e.patientId, t);
      grew ||= this.sensitive.grew;
    }
    if (e.sourceIp) {
      this.addresses.add(e.sourceIp, t);
      grew ||= this.addresses.grew;
    }
    if (e.sessionId) {
      this.sessions.add(e.sessionId, t);
      grew ||= this.sessions.grew;
    }
    if (e.practiceId) this.practiceId = e.practiceId;
    if (e.device) {
      this.devices.add(e.device, t);
      grew ||= this.devices.grew;
      if (e.sessionId) {
        const first = this.sessionDevice.get(e.sessionId);
        if (first === undefined) {
          this.sessionDevice.set(e.sessionId, e.device);
          if (this.sessionDevice.size > 32) this.sessionDevice.delete(this.sessionDevice.keys().next().value as string);
        } else if (first !== e.device && !this.copiedSessions.includes(e.sessionId)) {
          this.copiedSessions.push(e.sessionId);
          grew = true;
        }
      }
    }
    return grew;
  }
}

/** 22:00–06:59 Paris time (UTC+1, no DST here) counts as outside usual hours by default. */
export function defaultOffHours(at: Date): boolean {
  const h = (at.getUTCHours() + 1) % 24;
  return h >= 22 || h < 7;
}
