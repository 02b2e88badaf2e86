import type { Faker } from '@faker-js/faker';
import type { Json } from '../../../resources/index.js';
import { vaccine } from './codes.js';
import { ageAt, type Profile } from './profile.js';
import { ATC, CVX, UCUM } from './systems.js';

/**
 * Vaccinations by age, following the French schedule (Calendrier des vaccinations 2025, Ministère
 * de la Santé) and the cohorts it applied to: meningococcus B for those born from 2022, ACWY in
 * infancy from 2025 (C before), rotavirus from 2022, HPV for girls from 2007 and boys from 2021.
 * Coverage: Santé publique France, bulletins de couverture vaccinale 2024 (hexavalent ~96 %, ROR
 * two doses ~85 %, HPV at 15 years ~55 % of girls and ~30 % of boys, influenza ~54 % after 65).
 * Adults' charts hold what was given in the last ten years: the boosters at 25, 45, 65 and every
 * ten years after, the autumn campaigns of the last two seasons.
 */
export interface Dose {
  readonly code: string;
  readonly at: Date;
  readonly doseNumber: number;
  readonly ofDoses: number | null;
  readonly series: string;
}

const MONTH = 30.44 * 86_400_000;
const YEAR = 365.25 * 86_400_000;
const SCHEDULE = 'Calendrier des vaccinations';
/** Chronic diseases for which the schedule recommends the influenza vaccine before 65. */
const RISKS: readonly string[] = ['J45', 'J44', 'E11', 'E10', 'I50', 'Z21', 'B20'];

function chance(g: Faker, p: number): boolean {
  return g.number.float({ min: 0, max: 1 }) < p;
}

/** A series of doses at these ages (months), each a few days late, given with this coverage. */
function series(g: Faker, birth: Date, code: string, months: readonly number[], coverage: number): Dose[] {
  if (!chance(g, coverage)) return [];
  return months.map((m, i) => ({
    code, at: new Date(birth.getTime() + m * MONTH + g.number.int({ min: 0, max: 20 }) * 86_400_000),
    doseNumber: i + 1, ofDoses: months.length, series: SCHEDULE,
  }));
}

/** The autumn campaigns (mid-October to December) of the last two seasons before now. */
function campaigns(g: Faker, now: Date, code: string, coverage: number, name: string): Dose[] {
  const out: Dose[] = [];
  for (let y = now.getUTCFullYear(); y >= now.getUTCFullYear() - 2 && out.length < 2; y--) {
    const start = Date.UTC(y, 9, 15);
    if (start > now.getTime()) continue;
    if (!chance(g, coverage)) continue;
    const end = Math.min(Date.UTC(y, 11, 20), now.getTime());
    const at = new Date(start + g.number.float({ min: 0, max: 1 }) * (end - start));
    out.push({ code, at, doseNumber: 1, ofDoses: 1, series: `${name} ${y}–${y + 1}` });
  }
  return out;
}

export function doses(g: Faker, p: Profile, now: Date): Dose[] {
  const b = p.birth;
  const born = b.getUTCFullYear() + b.getUTCMonth() / 12;
  const age = ageAt(b, now);
  const out: Dose[] = [];
  if (born >= 2008) {
    out.push(...series(g, b, 'J07CA09', [2, 4, 11], 0.96), ...series(g, b, 'J07AL02', [2, 4, 11], 0.95));
    out.push(...series(g, b, 'J07BD52', [12, 17], 0.85));
    if (born >= 2022) out.push(...series(g, b, 'J07AH09', [3, 5, 12], 0.8), ...series(g, b, 'J07BH01', [2, 3], 0.35));
    if (born >= 2024.5) out.push(...series(g, b, 'J07AH08', [6, 12], 0.9));
    else if (born >= 2017) out.push(...series(g, b, 'J07AH07', [5, 12], 0.9));
    else out.push(...series(g, b, 'J07AH07', [12], 0.85));
    out.push(...series(g, b, 'J07CA02', [72], 0.9), ...series(g, b, 'J07CA02', [138], 0.8));
    const hpv = p.sex === 'female' ? 0.55 : born >= 2010 ? 0.3 : 0;
    if (hpv > 0) out.push(...series(g, b, 'J07BM03', [138, 144], hpv));
  }
  // Adults: the boosters of the last ten years (dTcaP at 25, dTP at 45, 65, then every ten years).
  const boosters = [[25, 'J07CA02'], [45, 'J07CA01'], [65, 'J07CA01'], [75, 'J07CA01'], [85, 'J07CA01']] as const;
  for (const [years, code] of boosters) {
    const due = b.getTime() + years * YEAR;
    if (due <= now.getTime() && due > now.getTime() - 10 * YEAR) out.push(...series(g, b, code, [years * 12], 0.5));
  }
  // The influenza campaign is for those over 65 and those a chronic disease puts at risk.
  const atRisk = p.problems.some((x) => RISKS.includes(x.code) && x.status === 'active');
  if (age >= 65 || (atRisk && age >= 18)) {
    out.push(...campaigns(g, now, 'J07BB02', age >= 65 ? 0.54 : 0.3, 'Campagne antigrippale'));
  }
  if (age >= 65) out.push(...campaigns(g, now, 'J07BN01', 0.3, 'Campagne COVID-19').slice(0, 1));
  if (age >= 65 && chance(g, 0.08)) {
    const first = new Date(now.getTime() - g.number.int({ min: 90, max: 700 }) * 86_400_000);
    out.push({ code: 'J07BK03', at: first, doseNumber: 1, ofDoses: 2, series: SCHEDULE });
    const second = new Date(first.getTime() + 60 * 86_400_000);
    out.push({ code: 'J07BK03', at: second, doseNumber: 2, ofDoses: 2, series: SCHEDULE });
  }
  if (age >= 75) out.push(...campaigns(g, now, 'J07BX05', 0.2, 'Campagne VRS').slice(0, 1));
  return out.filter((d) => d.at.getTime() <= now.getTime() && d.at.getTime() >= b.getTime());
}

const ACT_SITE = 'http://terminology.hl7.org/CodeSystem/v3-ActSite';
const ROUTE = 'http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration';

export function immunizationResource(g: Faker, d: Dose, p: Profile, encounterId: string | null): Json {
  const age = ageAt(p.birth, d.at);
  const v = vaccine(d.code, age >= 18);
  const oral = d.code.startsWith('J07BH');
  const infant = age < 1.5;
  const left = chance(g, 0.5);
  // An infant is vaccinated in the thigh, a child or an adult in the deltoid.
  const site = infant
    ? (left ? ['LVL', 'Vaste externe gauche'] : ['RVL', 'Vaste externe droit'])
    : (left ? ['LD', 'Deltoïde gauche'] : ['RD', 'Deltoïde droit']);
  return {
    resourceType: 'Immunization',
    status: 'completed',
    vaccineCode: {
      coding: [{ system: ATC, code: v.code, display: v.display }, ...(v.cvx ? [{ system: CVX, code: v.cvx }] : [])],
      text: v.display,
    },
    patient: { reference: `Patient/${p.patientId}` },
    ...(encounterId ? { encounter: { reference: `Encounter/${encounterId}` } } : {}),
    occurrenceDateTime: d.at.toISOString(),
    recorded: d.at.toISOString().slice(0, 10),
    primarySource: true,
    lotNumber: g.string.alphanumeric({ length: 6, casing: 'upper' }),
    ...(oral ? {} : { site: { coding: [{ system: ACT_SITE, code: site[0], display: site[1] }] } }),
    route: {
      coding: [oral
        ? { system: ROUTE, code: 'PO', display: 'Voie orale' }
        : { system: ROUTE, code: 'IM', display: 'Injection intramusculaire' }],
    },
    doseQuantity: { value: oral ? 1.5 : 0.5, unit: 'mL', system: UCUM, code: 'mL' },
    protocolApplied: [{
      series: d.series, doseNumberPositiveInt: d.doseNumber,
      ...(d.ofDoses ? { seriesDosesPositiveInt: d.ofDoses } : {}),
    }],
  };
}
