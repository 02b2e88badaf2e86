import type { ChartResource } from './population/index.js';

/**
 * The clinical resources of a practice's charts as the simulated traffic meets them: what an
 * honest doctor's summary searches return at a given moment (what had been written by then) with
 * the labels the records would put on the audit event, and what each consultation wrote.
 */
export interface Written {
  readonly id: string;
  readonly type: string;
  readonly at: number;
  readonly labels: readonly string[];
}

/** The chart's summary as the web app opens it beside the identity: one search of each type. */
export const SUMMARY_TYPES = ['Condition', 'AllergyIntolerance', 'MedicationRequest', 'Observation'] as const;

export interface SummarySearch {
  readonly type: (typeof SUMMARY_TYPES)[number];
  /** The resources it returned (none: it disclosed nothing). */
  readonly ids: readonly string[];
  /** Their sensitivity labels, as the records label the search's audit event. */
  readonly labels: readonly string[];
}

/** A summary's results are paged: the first page is what the summary opens (the server's default count). */
const PAGE = 20;
/** What a summary shows of the results: the last year's. */
const YEAR = 365 * 86_400_000;

export class ChartIndex {
  private readonly byPatient = new Map<string, Written[]>();
  private readonly byVisit = new Map<string, Written[]>();

  add(resources: readonly ChartResource[]): void {
    for (const r of resources) {
      const w: Written = { id: r.id, type: r.type, at: r.writtenAt.getTime(), labels: r.labels };
      const mine = this.byPatient.get(r.patientId) ?? this.byPatient.set(r.patientId, []).get(r.patientId)!;
      mine.push(w);
      if (r.appointmentId) {
        const visit = this.byVisit.get(r.appointmentId) ?? this.byVisit.set(r.appointmentId, []).get(r.appointmentId)!;
        visit.push(w);
      }
    }
  }

  /** The next practice's charts replace these: a practice's traffic reads its own. */
  clear(): void {
    this.byPatient.clear();
    this.byVisit.clear();
  }

  /** The summary searches of a patient's chart at `t`: what had been written before, newest first. */
  summary(patientId: string, t: number): SummarySearch[] {
    const mine = (this.byPatient.get(patientId) ?? []).filter((w) => w.at <= t);
    return SUMMARY_TYPES.map((type) => {
      const found = mine
        .filter((w) => w.type === type && (type !== 'Observation' || w.at > t - YEAR))
        .sort((a, b) => b.at - a.at)
        .slice(0, PAGE);
      return { type, ids: found.map((w) => w.id), labels: [...new Set(found.flatMap((w) => w.labels))] };
    });
  }

  /** What a consultation wrote (its encounter, vital signs, prescriptions, a vaccine), in order. */
  written(appointmentId: string): readonly Written[] {
    return [...(this.byVisit.get(appointmentId) ?? [])].sort((a, b) => a.at - b.at);
  }
}
