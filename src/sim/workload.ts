import { Faker, base, en, fr } from '@faker-js/faker';
import type { AccessEvent } from '../detect/index.js';
import { generatePopulation } from './population/index.js';

/**
 * The honest traffic of practices, as the detector sees it (access events), on a simulated
 * clock: GPs' consultations (chart opened before, note written during, results read after),
 * phone-call look-ups of their own patients, some evening work; assistants' bookings (a name
 * search, then the identity). Each event says whether a care relationship explains it.
 */
export interface SimEvent extends AccessEvent {
  readonly explained: boolean;
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
}

const MIN = 60_000;

export function benignWorkload(opts: { seed: number; practices: number; days: number; start: Date; patientsPerPractice?: number }): Workload {
  const f = new Faker({ locale: [fr, en, base] });
  f.seed(opts.seed + 1);
  const end = new Date(opts.start.getTime() + opts.days * 86_400_000);
  const practices: SimPractice[] = [];
  const events: SimEvent[] = [];
  const careOf = new Map<string, Set<string>>();
  const roleOf = new Map<string, string>();
  const care = (doc: string, patient: string) => careOf.set(doc, (careOf.get(doc) ?? new Set()).add(patient));
  let current: SimPractice | null = null;
  const fhirClient = new Set<string>();
  const ev = (at: number, userId: string, patientId: string | null, action: string, explained: boolean, extra: Partial<AccessEvent> = {}, standing = false): void => {
    const role = roleOf.get(userId) ?? 'practitioner';
    const care = role !== 'practitioner' ? null : !explained ? 'none' : standing ? 'standing' : 'scheduled';
    // Practitioners have care relationships; what none explains is counted as such.
    const unexplained = role === 'practitioner' && !explained && patientId ? [patientId] : role === 'practitioner' ? [] : undefined;
    events.push({
      at: new Date(at), userId, sessionId: `${userId}-${Math.floor(at / 86_400_000)}`, practiceId: current!.id, action, outcome: 'success', patientId, returned: [], labels: [],
      reason: explained ? 'care relationship' : 'administrative data of the practice', sourceIp: '10.1.0.1', device: `workstation-${userId.slice(0, 8)}`, explained, care, role,
      ...(unexplained ? { unexplained } : {}), ...(care === 'standing' && patientId ? { standing: [patientId] } : {}), ...(care === 'scheduled' && patientId ? { scheduled: [patientId] } : {}), ...(action === 'read' && patientId ? { identities: [patientId] } : {}), ...extra,
    });
  };
  for (const chunk of generatePopulation({ seed: opts.seed, practices: opts.practices, now: end, visitHistoryDays: opts.days, futureDays: 0, ...(opts.patientsPerPractice ? { patientsPerPractice: opts.patientsPerPractice } : {}) })) {
    if (chunk.kind === 'practice') {
      current = {
        id: chunk.practice.id,
        practitioners: chunk.staff.filter((u) => u.role === 'practitioner').map((u) => u.id),
        assistants: chunk.staff.filter((u) => u.role === 'assistant').map((u) => u.id),
        patients: [], sensitivePatients: [], decoys: [], vips: [],
      };
      practices.push(current);
      for (const u of chunk.staff) roleOf.set(u.id, u.role);
      for (const u of chunk.staff) if (u.role === 'practitioner' && f.number.int({ min: 0, max: 2 }) === 0) fhirClient.add(u.id);
    } else if (chunk.kind === 'patients' && current) {
      current.patients.push(...chunk.patients.map((p) => p.id));
      current.vips.push(...chunk.patients.filter((p) => p.vip).map((p) => p.id));
      for (const c of chunk.care) care(c.practitionerId, c.patientId);
    } else if (chunk.kind === 'decoys' && current) {
      current.decoys.push(...chunk.patients.map((p) => p.id));
    } else if (chunk.kind === 'visits' && current) {
      for (const n of chunk.notes) if (n.labels.length > 0) current.sensitivePatients.push(n.patientId);
      for (const a of chunk.appointments) {
        if (a.start < opts.start || a.status === 'cancelled') continue;
        const t = a.start.getTime();
        const doc = a.practitionerId;
        care(doc, a.patientId);
        const assistant = current.assistants[f.number.int({ min: 0, max: current.assistants.length - 1 })] ?? doc;
        // Booking, on an earlier working day: a name search, then the identity.
        const booked = t - f.number.int({ min: 1, max: 10 }) * 86_400_000 + f.number.int({ min: -120, max: 120 }) * MIN;
        if (booked > opts.start.getTime()) {
          const others = Array.from({ length: f.number.int({ min: 0, max: 4 }) }, () => f.helpers.arrayElement(current!.patients));
          ev(booked, assistant, null, 'search', true, { found: [a.patientId, ...others] });
          ev(booked + MIN, assistant, a.patientId, 'read', true);
        }
        const before = t - f.number.int({ min: 5, max: 60 }) * MIN;
        ev(before, doc, a.patientId, 'read', true);
        // A third of the GPs use a standard FHIR client: the chart is the patient, then the searches
        // of their compartment (notes, appointments), which read that chart and discover no one.
        if (fhirClient.has(doc)) {
          ev(before + 5_000, doc, a.patientId, 'search', true, { discovery: false });
          ev(before + 10_000, doc, a.patientId, 'search', true, { discovery: false });
        }
        // The GP finds the patient by name: the target and a homonym or two (a specific search).
        const homonyms = Array.from({ length: f.number.int({ min: 0, max: 2 }) }, () => f.helpers.arrayElement(current!.patients));
        ev(t - 3 * MIN, doc, null, 'search', true, { returned: [], unexplained: [], found: [a.patientId, ...homonyms] });
        ev(t + 15 * MIN, doc, a.patientId, 'create', true);
        // Results and letters, some days later, sometimes in the evening.
        if (f.number.float({ min: 0, max: 1 }) < 0.3) {
          const later = t + f.number.int({ min: 1, max: 10 }) * 86_400_000;
          const evening = f.number.float({ min: 0, max: 1 }) < 0.3;
          const at = Math.floor(later / 86_400_000) * 86_400_000 + (evening ? (20 + f.number.int({ min: 0, max: 1 })) * 60 * MIN : 12 * 60 * MIN);
          if (at < end.getTime()) ev(at, doc, a.patientId, 'read', true, {}, true);
        }
        // A phone call from another patient of the list, now and then.
        if (f.number.float({ min: 0, max: 1 }) < 0.15) {
          const caller = f.helpers.arrayElement(current.patients);
          ev(t + 17 * MIN, doc, caller, 'read', careOf.get(doc)?.has(caller) === true, {}, true);
        }
      }
    }
  }
  events.sort((a, b) => a.at.getTime() - b.at.getTime());
  const staff = practices.reduce((n, p) => n + p.practitioners.length + p.assistants.length, 0);
  return { practices, events, userDays: staff * Math.round(opts.days * (5 / 7)), careOf };
}
