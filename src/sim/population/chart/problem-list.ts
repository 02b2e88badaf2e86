import type { Faker } from '@faker-js/faker';
import type { Json } from '../../../resources/index.js';
import { problem } from './codes.js';
import { reasonOf, type Visit } from './encounters.js';
import { PROBLEMS } from './problems.js';
import { ageAt, drugsFor, problemDraw, type ProblemDraw, type Profile } from './profile.js';
import { CONDITION_CATEGORY, CONDITION_CLINICAL, CONDITION_VERIFICATION, ICD10 } from './systems.js';

/**
 * The problem list a chart shows: the problems drawn for the patient, and those a visit of the
 * window shows she has (a follow-up of her HIV infection, a depressive episode diagnosed that day),
 * with the treatments they bring.
 */
export interface ListedProblem extends ProblemDraw {
  /** The visit that diagnosed it, if one of the window did. */
  readonly diagnosedAt: Visit | null;
}

export interface Chartable {
  readonly problems: readonly ListedProblem[];
  readonly drugs: readonly string[];
  /** Treatments a visit of the window started: no line before it. */
  readonly started: ReadonlyMap<string, Visit>;
}

const YEAR = 365.25 * 86_400_000;
/** Problems a visit's reason diagnoses then and there: the episode began weeks before. */
const DIAGNOSED = new Set(['F32', 'F10.2']);
/**
 * What the note of that visit starts (notes.ts: "Sertraline 50 mg"; for alcohol, an interview and
 * the CSAPA, no drug yet).
 */
const STARTED: Readonly<Record<string, string | null>> = { 'F32': 'N06AB06', 'F10.2': null };

export function listProblems(g: Faker, p: Profile, visits: readonly Visit[], now: Date): Chartable {
  const problems: ListedProblem[] = p.problems.map((x) => ({ ...x, diagnosedAt: null }));
  const drugs = new Set(p.drugs);
  const started = new Map<string, Visit>();
  for (const v of visits) {
    const code = reasonOf(v.motif).problem;
    if (!code) continue;
    // An HIV follow-up is the follow-up of Z21 or of B20, whichever the list holds.
    const same = (c: string, x: string) => x === c || (c === 'Z21' && x === 'B20');
    const has = (c: string) => problems.some((x) => x.status === 'active' && same(c, x.code));
    if (has(code)) continue;
    const rule = PROBLEMS.find((r) => r.code === code);
    if (!rule) continue;
    const before = (now.getTime() - v.start.getTime()) / YEAR;
    const age = ageAt(p.birth, v.start);
    const fresh = DIAGNOSED.has(code);
    const drawn = problemDraw(g, rule, age, false);
    const weeksBefore = g.number.float({ min: 0.1, max: 0.3, fractionDigits: 2 });
    const onsetYearsAgo = before + (fresh ? weeksBefore : drawn.onsetYearsAgo);
    // A problem the patient had and is back (a second episode) replaces the one that was over.
    const i = problems.findIndex((x) => x.code === code);
    if (i >= 0) problems.splice(i, 1);
    problems.push({ code, status: 'active', onsetYearsAgo, endedYearsAgo: null, diagnosedAt: fresh ? v : null });
    const named = STARTED[code];
    if (named) {
      drugs.add(named);
      started.set(named, v);
    } else if (named === undefined) {
      // A follow-up note says the problem is treated: its first treatment is taken for sure.
      for (const d of drugsFor(g, rule, true)) drugs.add(d);
    }
  }
  return { problems, drugs: [...drugs], started };
}

const day = (t: number) => new Date(t).toISOString().slice(0, 10);

/** When a problem was put on the list: within a month of its onset (the day of the visit that diagnosed it). */
export function recordedAt(g: Faker, x: ListedProblem, now: Date): Date {
  if (x.diagnosedAt) return new Date(x.diagnosedAt.start.getTime() + 8 * 60_000);
  const onset = now.getTime() - x.onsetYearsAgo * YEAR;
  const t = Math.min(onset + g.number.int({ min: 0, max: 30 }) * 86_400_000, now.getTime() - 86_400_000);
  const d = new Date(t);
  const [hour, minute] = [g.number.int({ min: 8, max: 17 }), g.number.int({ min: 0, max: 59 })];
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour, minute));
}

export function conditionResource(
  x: ListedProblem, patientId: string, recorded: Date, now: Date, encounterId: string | null,
): Json {
  const display = problem(x.code).display;
  const onset = now.getTime() - x.onsetYearsAgo * YEAR;
  return {
    resourceType: 'Condition',
    clinicalStatus: { coding: [{ system: CONDITION_CLINICAL, code: x.status }] },
    verificationStatus: { coding: [{ system: CONDITION_VERIFICATION, code: 'confirmed' }] },
    category: [{ coding: [{ system: CONDITION_CATEGORY, code: 'problem-list-item', display: 'Problème de santé' }] }],
    code: { coding: [{ system: ICD10, code: x.code, display }], text: display },
    subject: { reference: `Patient/${patientId}` },
    ...(encounterId ? { encounter: { reference: `Encounter/${encounterId}` } } : {}),
    onsetDateTime: day(Math.min(onset, recorded.getTime())),
    ...(x.endedYearsAgo !== null ? { abatementDateTime: day(now.getTime() - x.endedYearsAgo * YEAR) } : {}),
    recordedDate: day(recorded.getTime()),
  };
}
