import type { Faker } from '@faker-js/faker';
import type { Json } from '../../../resources/index.js';
import { allergicTo } from './allergies.js';
import { drug } from './codes.js';
import { coverage, STANDING, type Dosing } from './dosing.js';
import { reasonOf, type Acute, type Visit } from './encounters.js';
import { ageAt, type Profile } from './profile.js';
import { ATC, UCUM } from './systems.js';

/**
 * Prescription lines. A standing treatment is renewed when its line runs out, every three months
 * for most: the latest line covers today (active), the earlier ones back to the start of the visit
 * window are completed. A renewal falls on a visit of the calendar when one is near (and on every
 * follow-up visit), and links to its consultation; otherwise it was written at a visit the window
 * does not hold. A visit's own reason may add a short course (an antibiotic for a tonsillitis).
 */
export interface Line {
  readonly atc: string;
  readonly at: Date;
  readonly visit: Visit | null;
  readonly dosing: Dosing;
  /** An acute course's length in days (null: a standing treatment). */
  readonly days: number | null;
  readonly product: string;
  readonly status: 'active' | 'completed';
}

const DAY = 86_400_000;
/** A renewal goes to a visit this close to when the line runs out. */
const SNAP = 15 * DAY;

/** The visit nearest to `t` within SNAP of it, strictly between `after` and `before`. */
function nearest(visits: readonly Visit[], t: number, after: number, before: number): Visit | null {
  let best: Visit | null = null;
  for (const v of visits) {
    const s = v.start.getTime();
    if (s <= after || s >= before || Math.abs(s - t) > SNAP) continue;
    if (!best || Math.abs(s - t) < Math.abs(best.start.getTime() - t)) best = v;
  }
  return best;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function productOf(atc: string): string {
  const d = drug(atc);
  return `${cap(d.display)} ${d.dose}, ${d.form}`;
}

/** An unlinked renewal's hour: a working hour of that day, never after now. */
function officeHour(g: Faker, t: number, now: Date): Date {
  const d = new Date(t);
  const [hour, minute] = [g.number.int({ min: 8, max: 17 }), g.number.int({ min: 0, max: 59 })];
  const at = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour, minute);
  return new Date(Math.min(at, now.getTime() - 60_000));
}

interface Renewal {
  readonly at: number;
  readonly visit: Visit | null;
}

/** When one treatment was renewed: the latest renewal covers now, each earlier one a course before. */
function renewals(
  g: Faker, cov: number, visits: readonly Visit[], follow: readonly Visit[], from: Date, now: Date, first: Visit | null,
): Renewal[] {
  const live = now.getTime() - cov;
  const due = follow.filter((v) => v.start.getTime() > live).at(-1);
  let latest: Renewal;
  if (due) latest = { at: due.start.getTime(), visit: due };
  else {
    const t = now.getTime() - g.number.float({ min: 0.05, max: 0.95 }) * cov;
    const v = nearest(visits, t, Math.max(live, first ? first.start.getTime() - 1 : -Infinity), now.getTime());
    latest = v ? { at: v.start.getTime(), visit: v } : { at: t, visit: null };
  }
  const out = [latest];
  while (out[0]!.at >= from.getTime() && out.length < 12) {
    const t = out[0]!.at - cov * g.number.float({ min: 0.92, max: 1 });
    if (first && t < first.start.getTime()) break;
    const v = nearest(visits, t, -Infinity, out[0]!.at);
    out.unshift(v ? { at: v.start.getTime(), visit: v } : { at: t, visit: null });
  }
  if (first && out[0]!.visit !== first) out.unshift({ at: first.start.getTime(), visit: first });
  return out;
}

/**
 * The lines of each standing treatment from `from` (the window's first day) to now. A treatment a
 * visit started (`started`) has no line before that visit.
 */
export function standingLines(
  g: Faker, p: Profile, visits: readonly Visit[], from: Date, now: Date, started: ReadonlyMap<string, Visit>,
): Line[] {
  const out: Line[] = [];
  const follow = visits.filter((v) => reasonOf(v.motif).renews === true);
  for (const atc of p.drugs) {
    const dosing = STANDING[atc] as Dosing;
    const cov = coverage(dosing) * DAY;
    const first = started.get(atc) ?? null;
    const mine = first ? [...follow, first].sort((a, b) => a.start.getTime() - b.start.getTime()) : follow;
    const lines = renewals(g, cov, visits, mine, from, now, first);
    lines.forEach((l, i) => out.push({
      atc, dosing, days: null, product: productOf(atc), visit: l.visit,
      at: l.visit ? new Date(l.visit.start.getTime() + 10 * 60_000) : officeHour(g, l.at, now),
      status: i === lines.length - 1 && l.at + cov > now.getTime() ? 'active' : 'completed',
    }));
  }
  return out;
}

/** The short course a visit's reason calls for, fitted to the patient (a child's weight, an allergy). */
export function acuteLine(kind: Acute, p: Profile, v: Visit, weightKg: number, now: Date): Line {
  const at = new Date(v.start.getTime() + 12 * 60_000);
  /** A course of `days` days: `dose` `unit` `perDay` times a day, `quantity` `pack` dispensed once. */
  const course = (atc: string, words: string, d: { dose: number; unit: string; perDay: number }, days: number,
    pack: { quantity: number; unit: string }, product = productOf(atc)): Line => ({
    atc, at, visit: v, days, product,
    dosing: { ...d, words, supply: days, repeats: 0, quantity: pack.quantity, quantityUnit: pack.unit },
    status: at.getTime() + days * DAY > now.getTime() ? 'active' : 'completed',
  });
  const mg = (perKg: number) => Math.max(10, Math.round((weightKg * perKg) / 10) * 10);
  const allergic = allergicTo(p.allergies, 'J01CA04');
  const paracetamol = ageAt(p.birth, v.start) < 15
    ? course('N02BE01', '15 mg/kg 4 fois par jour', { dose: mg(15), unit: 'mg', perDay: 4 }, 3,
      { quantity: 1, unit: 'flacon' }, 'Paracétamol, suspension buvable')
    : course('N02BE01', '1 comprimé 3 fois par jour', { dose: 1, unit: 'comprimé', perDay: 3 }, 5,
      { quantity: 15, unit: 'comprimé' });
  switch (kind) {
    case 'analgesic':
      return paracetamol;
    case 'antibiotic':
      // HAS 2021 (angine): amoxicillin 6 days; a penicillin allergy calls for pristinamycin.
      return allergic
        ? course('J01FG01', '2 comprimés matin et soir', { dose: 2, unit: 'comprimé', perDay: 2 }, 4,
          { quantity: 16, unit: 'comprimé' })
        : course('J01CA04', '2 gélules matin et soir', { dose: 2, unit: 'gélule', perDay: 2 }, 6,
          { quantity: 24, unit: 'gélule' });
    case 'child-antibiotic':
      // HAS 2021 (otite moyenne aiguë de l'enfant): amoxicillin 80 mg/kg/day in two doses, 5 days.
      if (allergic) return paracetamol;
      return course('J01CA04', '80 mg/kg/jour en 2 prises', { dose: mg(40), unit: 'mg', perDay: 2 }, 5,
        { quantity: 1, unit: 'flacon' }, 'Amoxicilline, poudre pour suspension buvable');
    case 'dermocorticoid':
      return course('D07AC01', '1 application par jour sur les plaques', { dose: 1, unit: 'application', perDay: 1 }, 7,
        { quantity: 1, unit: 'tube' });
    case 'doxycycline':
      // HAS 2022 (chlamydia): doxycycline 100 mg twice a day for 7 days.
      return course('J01AA02', '1 comprimé matin et soir', { dose: 1, unit: 'comprimé', perDay: 2 }, 7,
        { quantity: 14, unit: 'comprimé' });
  }
}

const UCUM_UNITS = new Set(['mg', 'mL']);
const day = (t: Date | number) => new Date(t).toISOString().slice(0, 10);

/** A MedicationRequest: the drug in DCI, the dosage in words and in structure, what may be dispensed. */
export function prescriptionResource(l: Line, patientId: string, encounterId: string | null): Json {
  const d = l.dosing;
  const days = l.days ?? coverage(d);
  const words = l.days === null ? d.words : `${d.words} pendant ${l.days} jours`;
  // A narrow therapeutic margin justifies refusing a generic (arrêté du 12 novembre 2019).
  const mte = l.atc === 'N05AN01';
  return {
    resourceType: 'MedicationRequest',
    status: l.status,
    intent: 'order',
    medicationCodeableConcept: {
      coding: [{ system: ATC, code: l.atc, display: drug(l.atc).display }], text: l.product,
    },
    subject: { reference: `Patient/${patientId}` },
    ...(encounterId ? { encounter: { reference: `Encounter/${encounterId}` } } : {}),
    authoredOn: day(l.at),
    dosageInstruction: [{
      sequence: 1,
      text: words,
      ...(d.perDay === undefined ? { asNeededBoolean: true } : {
        timing: {
          repeat: {
            frequency: d.perDay, period: d.period ?? 1, periodUnit: d.periodUnit ?? 'd',
            ...(l.days !== null ? { boundsDuration: { value: l.days, unit: 'jours', system: UCUM, code: 'd' } } : {}),
          },
        },
      }),
      doseAndRate: [{
        doseQuantity: UCUM_UNITS.has(d.unit)
          ? { value: d.dose, unit: d.unit, system: UCUM, code: d.unit }
          : { value: d.dose, unit: d.unit },
      }],
    }],
    dispenseRequest: {
      validityPeriod: { start: day(l.at), end: day(l.at.getTime() + days * DAY) },
      numberOfRepeatsAllowed: d.repeats,
      quantity: { value: d.quantity, unit: d.quantityUnit },
      expectedSupplyDuration: { value: d.supply, unit: 'jours', system: UCUM, code: 'd' },
    },
    substitution: mte
      ? { allowedBoolean: false, reason: { text: 'Non substituable (MTE)' } }
      : { allowedBoolean: true },
  };
}
