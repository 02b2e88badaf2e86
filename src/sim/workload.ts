import { Faker, base, en, fr } from '@faker-js/faker';
import type { AccessEvent } from '../detect/index.js';
import { DAY, parisDay, planHeavyDays, type GpMonth, type HeavyDay } from './heavy.js';
import { generatePopulation, type PopulationChunk } from './population/index.js';
import { ChartIndex } from './record.js';

/**
 * The honest traffic of practices, as the detector sees it (access events), on a simulated
 * clock: GPs' consultations (chart and its summary opened before, the consultation, its vital signs,
 * prescriptions and note written during it, results read after),
 * phone-call look-ups of their own patients, some evening work; assistants' bookings (a name
 * search, then the identity). Each event says whether a care relationship explains it.
 */
export interface SimEvent extends AccessEvent {
  readonly explained: boolean;
  /** A clinical resource type the event reads or writes in one patient's chart, and what a search of it returned. */
  readonly resourceType?: string;
  readonly resources?: readonly string[];
  /** How care explains it for a practitioner (an appointment near, standing care only, none); null for assistants. */
  readonly care: 'scheduled' | 'standing' | 'none' | null;
}

export interface SimPractice {
  readonly id: string;
  readonly practitioners: string[];
  readonly assistants: string[];
  readonly patients: string[];
  readonly sensitivePatients: string[];
  readonly decoys: string[];
  readonly vips: string[];
}

export interface Workload {
  readonly practices: SimPractice[];
  readonly events: SimEvent[];
  readonly userDays: number;
  /** Per practitioner: the patients a care relationship ties them to (treating, or an appointment). */
  readonly careOf: Map<string, Set<string>>;
  /** The heavy days (heavy.ts): whose, which Paris day, what kind. */
  readonly heavyDays: HeavyDay[];
  /** Locums' accounts, on probation (approved the day before their first day) for the detector's 14 days. */
  readonly probation: { readonly userId: string; readonly until: Date }[];
}

const MIN = 60_000;
/** The detector's probation of a newly approved account (src/detect/service.ts PROBATION_MS). */
const PROBATION_MS = 14 * DAY;

export function benignWorkload(opts: {
  seed: number; practices: number; days: number; start: Date; patientsPerPractice?: number;
}): Workload {
  const f = new Faker({ locale: [fr, en, base] });
  f.seed(opts.seed + 1);
  // The heavy days draw from their own stream: the ordinary traffic stays what it was without them.
  const h = new Faker({ locale: [fr, en, base] });
  h.seed(opts.seed + 2);
  const end = new Date(opts.start.getTime() + opts.days * DAY);
  const practices: SimPractice[] = [];
  const events: SimEvent[] = [];
  const careOf = new Map<string, Set<string>>();
  const roleOf = new Map<string, string>();
  const heavyDays: HeavyDay[] = [];
  const probation: { userId: string; until: Date }[] = [];
  let locumDays = 0;
  const care = (doc: string, patient: string) => careOf.set(doc, (careOf.get(doc) ?? new Set()).add(patient));
  let current: SimPractice | null = null;
  const fhirClient = new Set<string>();
  const ev = (
    at: number, userId: string, patientId: string | null, action: string, explained: boolean,
    extra: Partial<Omit<SimEvent, 'explained' | 'care'>> = {}, standing = false,
  ): void => {
    const role = roleOf.get(userId) ?? 'practitioner';
    const care = role !== 'practitioner' ? null : !explained ? 'none' : standing ? 'standing' : 'scheduled';
    // Practitioners have care relationships; what none explains is counted as such.
    const unexplained = role !== 'practitioner' ? undefined : !explained && patientId ? [patientId] : [];
    events.push({
      at: new Date(at), userId, sessionId: `${userId}-${Math.floor(at / DAY)}`, practiceId: current!.id, action,
      outcome: 'success', patientId, returned: [], labels: [],
      reason: explained ? 'care relationship' : 'administrative data of the practice', sourceIp: '10.1.0.1',
      device: `workstation-${userId.slice(0, 8)}`, explained, care, role,
      ...(unexplained ? { unexplained } : {}),
      ...(care === 'standing' && patientId ? { standing: [patientId] } : {}),
      ...(care === 'scheduled' && patientId ? { scheduled: [patientId] } : {}),
      ...(action === 'read' && patientId ? { identities: [patientId] } : {}),
      ...extra,
    });
  };
  const charts = new ChartIndex();
  /**
   * A consultation: the desk's booking, the chart and its summary before, the name search, and
   * during it what the visit wrote (the consultation, vital signs, prescriptions) and the note.
   */
  const consultation = (
    g: Faker, t: number, doc: string, patientId: string, bookedAt: () => number, history: boolean,
    visitId: string | null = null,
  ): void => {
    const p = current!;
    const assistant = p.assistants[g.number.int({ min: 0, max: p.assistants.length - 1 })] ?? doc;
    const booked = bookedAt();
    // Booking, on an earlier working day: a name search, then the identity.
    if (booked > opts.start.getTime()) {
      const others = Array.from({ length: g.number.int({ min: 0, max: 4 }) }, () => g.helpers.arrayElement(p.patients));
      ev(booked, assistant, null, 'search', true, { found: [patientId, ...others] });
      ev(booked + MIN, assistant, patientId, 'read', true);
    }
    const before = t - g.number.int({ min: 5, max: 60 }) * MIN;
    ev(before, doc, patientId, 'read', true);
    // The summary beside the identity: problems, allergies, treatments, the year's results, each a
    // search of the patient's compartment labelled with what it returned (records/resources.ts).
    charts.summary(patientId, before).forEach((s, i) => {
      const read = { discovery: false, resourceType: s.type, resources: s.ids, labels: s.labels };
      ev(before + (i + 1) * 2_000, doc, patientId, 'search', true, read);
    });
    // A third of the GPs use a standard FHIR client: the chart is the patient, then the searches
    // of their compartment (notes, appointments), which read that chart and discover no one. A locum
    // reads a new patient's history the same way: past notes, then past results.
    if (fhirClient.has(doc) || history) {
      ev(before + 5_000, doc, patientId, 'search', true, { discovery: false });
      ev(before + 10_000, doc, patientId, 'search', true, { discovery: false });
    }
    // The GP finds the patient by name: the target and a homonym or two (a specific search).
    const homonyms = Array.from({ length: g.number.int({ min: 0, max: 2 }) }, () => g.helpers.arrayElement(p.patients));
    ev(t - 3 * MIN, doc, null, 'search', true, { returned: [], unexplained: [], found: [patientId, ...homonyms] });
    // What the consultation wrote: its resources are clinical content, not records of the practice
    // (src/detect/service.ts: `writes`), labelled as the records label a write. A visit the
    // population did not draw (a heavy day's) writes its consultation and three vital signs.
    const wrote = visitId === null ? [] : charts.written(visitId);
    const writes = wrote.length > 0 ? wrote : ['Encounter', 'Observation', 'Observation', 'Observation']
      .map((type, i) => ({ at: t + (2 + i) * MIN, type, labels: [] as readonly string[] }));
    for (const w of writes) {
      const write = { writes: false, chartWrite: true, resourceType: w.type, labels: w.labels };
      ev(w.at, doc, patientId, 'create', true, write);
    }
    // The note is a clinical document, not a record of the practice (src/detect/service.ts: `writes`).
    ev(t + 15 * MIN, doc, patientId, 'create', true, { writes: false, chartWrite: true });
  };

  // What a practice's GPs did, kept until the practice is complete: the heavy days need her month.
  const firstDay = parisDay(opts.start.getTime());
  const endDay = parisDay(end.getTime());
  let treating = new Map<string, string[]>();
  let perDay = new Map<string, Map<number, number>>();
  let seen = new Map<string, Map<number, string[]>>();
  let followUps: { at: number; doc: string; patient: string }[] = [];
  const finish = (): void => {
    const p = current;
    if (!p) return;
    const gps: GpMonth[] = p.practitioners.map((doc) => ({
      doc, perDay: perDay.get(doc) ?? new Map(), seen: seen.get(doc) ?? new Map(), treating: treating.get(doc) ?? [],
    }));
    const plan = planHeavyDays(h, p.id, gps, p.patients, firstDay, endDay);
    // Results that came back while she was away wait for her: they are the return's backlog.
    for (const u of followUps) {
      if (!plan.away.get(u.doc)?.has(parisDay(u.at))) ev(u.at, u.doc, u.patient, 'read', true, {}, true);
    }
    for (const l of plan.locums) {
      roleOf.set(l.id, 'practitioner');
      probation.push({ userId: l.id, until: new Date(l.approvedAt + PROBATION_MS) });
      locumDays += l.workingDays;
    }
    for (const t of plan.tasks) {
      if (t.at >= end.getTime()) continue;
      if (t.kind === 'consultation') {
        care(t.doc, t.patient);
        consultation(h, t.at, t.doc, t.patient, () => t.bookedAt, t.history);
      } else {
        ev(t.at, t.doc, t.patient, 'read', careOf.get(t.doc)?.has(t.patient) === true, {}, true);
        const line = { writes: false, chartWrite: true };
        if (t.kind === 'renewal') ev(t.at + MIN, t.doc, t.patient, 'create', true, line, true);
      }
    }
    heavyDays.push(...plan.days);
    treating = new Map();
    perDay = new Map();
    seen = new Map();
    followUps = [];
  };
  /** The visits of the population's calendar in the window, each a consultation and what follows it. */
  const play = (p: SimPractice, chunk: Extract<PopulationChunk, { kind: 'visits' }>): void => {
    for (const n of chunk.notes) if (n.labels.length > 0) p.sensitivePatients.push(n.patientId);
    for (const a of chunk.appointments) {
      if (a.start < opts.start) continue;
      const t = a.start.getTime();
      const doc = a.practitionerId;
      // Her calendar by day (a day with only cancelled visits was still a day at work).
      const days = perDay.get(doc) ?? perDay.set(doc, new Map()).get(doc)!;
      days.set(parisDay(t), (days.get(parisDay(t)) ?? 0) + 1);
      if (a.status === 'cancelled') continue;
      const byDay = seen.get(doc) ?? seen.set(doc, new Map()).get(doc)!;
      byDay.set(parisDay(t), [...(byDay.get(parisDay(t)) ?? []), a.patientId]);
      care(doc, a.patientId);
      const booked = () => t - f.number.int({ min: 1, max: 10 }) * DAY + f.number.int({ min: -120, max: 120 }) * MIN;
      consultation(f, t, doc, a.patientId, booked, false, a.id);
      // Results and letters, some days later, sometimes in the evening.
      if (f.number.float({ min: 0, max: 1 }) < 0.3) {
        const later = t + f.number.int({ min: 1, max: 10 }) * DAY;
        const evening = f.number.float({ min: 0, max: 1 }) < 0.3;
        const hour = evening ? 20 + f.number.int({ min: 0, max: 1 }) : 12;
        const at = Math.floor(later / DAY) * DAY + hour * 60 * MIN;
        if (at < end.getTime()) followUps.push({ at, doc, patient: a.patientId });
      }
      // A phone call from another patient of the list, now and then.
      if (f.number.float({ min: 0, max: 1 }) < 0.15) {
        const caller = f.helpers.arrayElement(p.patients);
        ev(t + 17 * MIN, doc, caller, 'read', careOf.get(doc)?.has(caller) === true, {}, true);
      }
    }
  };
  let pending: Extract<PopulationChunk, { kind: 'visits' }>[] = [];
  /** The practice is complete: its visits, then its heavy days; the next one reads its own charts. */
  const settle = (): void => {
    if (current) for (const chunk of pending) play(current, chunk);
    pending = [];
    finish();
    charts.clear();
  };
  const popOpts = {
    seed: opts.seed, practices: opts.practices, now: end, visitHistoryDays: opts.days, futureDays: 0,
    // The charts of the patients the calendar names: the honest traffic reads no other.
    charts: 'calendar' as const,
    ...(opts.patientsPerPractice ? { patientsPerPractice: opts.patientsPerPractice } : {}),
  };
  for (const chunk of generatePopulation(popOpts)) {
    if (chunk.kind === 'practice') {
      settle();
      current = {
        id: chunk.practice.id,
        practitioners: chunk.staff.filter((u) => u.role === 'practitioner').map((u) => u.id),
        assistants: chunk.staff.filter((u) => u.role === 'assistant').map((u) => u.id),
        patients: [], sensitivePatients: [], decoys: [], vips: [],
      };
      practices.push(current);
      for (const u of chunk.staff) roleOf.set(u.id, u.role);
      for (const u of chunk.staff) {
        if (u.role === 'practitioner' && f.number.int({ min: 0, max: 2 }) === 0) fhirClient.add(u.id);
      }
    } else if (chunk.kind === 'patients' && current) {
      current.patients.push(...chunk.patients.map((p) => p.id));
      current.vips.push(...chunk.patients.filter((p) => p.vip).map((p) => p.id));
      for (const c of chunk.care) care(c.practitionerId, c.patientId);
      for (const c of chunk.care) {
        if (c.kind !== 'treating') continue;
        const list = treating.get(c.practitionerId) ?? treating.set(c.practitionerId, []).get(c.practitionerId)!;
        list.push(c.patientId);
      }
    } else if (chunk.kind === 'decoys' && current) {
      current.decoys.push(...chunk.patients.map((p) => p.id));
    } else if (chunk.kind === 'visits') {
      // Played once the practice's charts are known: a consultation reads the summary they hold.
      pending.push(chunk);
    } else if (chunk.kind === 'charts') {
      charts.add(chunk.resources);
    }
  }
  settle();
  events.sort((a, b) => a.at.getTime() - b.at.getTime());
  const staff = practices.reduce((n, p) => n + p.practitioners.length + p.assistants.length, 0);
  // A locum's user-days are the days he worked (he is not counted among the practice's staff).
  const userDays = staff * Math.round(opts.days * (5 / 7)) + locumDays;
  return { practices, events, userDays, careOf, heavyDays, probation };
}
