import { describe, expect, it } from 'vitest';
import type { ClinicalNote } from '../../../domain/index.js';
import { fhirSchemaErrors } from '../../../fhir/index.js';
import { REGISTRY, type Json } from '../../../resources/index.js';
import { generatePopulation, type PopulationOptions } from '../index.js';
import { SUPPLEMENT_CODES } from './codes.js';
import type { ChartResource } from './index.js';
import { ckdEpi } from './labs.js';

const NOW = new Date('2026-03-10T10:00:00Z');

function charts(opts: Omit<PopulationOptions, 'now'>) {
  const resources: ChartResource[] = [];
  const notes: ClinicalNote[] = [];
  const patients: { id: string; birthDate: string; sex: string }[] = [];
  for (const c of generatePopulation({ ...opts, now: NOW })) {
    if (c.kind === 'charts') resources.push(...c.resources);
    else if (c.kind === 'visits') notes.push(...c.notes);
    else if (c.kind === 'patients' || c.kind === 'decoys') patients.push(...c.patients);
  }
  const byPatient = new Map<string, ChartResource[]>();
  for (const r of resources) byPatient.set(r.patientId, [...(byPatient.get(r.patientId) ?? []), r]);
  return { resources, notes, patients, byPatient };
}

const codeOf = (r: ChartResource, path: 'code' | 'medicationCodeableConcept' | 'vaccineCode') =>
  ((r.body[path] as Json).coding as Json[])[0]!.code as string;
const statusOf = (r: ChartResource) => ((r.body.clinicalStatus as Json).coding as Json[])[0]!.code;
const ref = (v: unknown) => ((v as Json | undefined)?.reference as string | undefined)?.split('/')[1];

describe('synthetic charts', () => {
  // Three practices' worth of a few hundred patients, with three months of visits.
  const small = charts({ seed: 21, practices: 3, patientsPerPractice: 120, visitHistoryDays: 90 });

  it('passes its module’s checks and the FHIR schema, every resource of every type, with the module’s labels', () => {
    expect(small.byPatient.size).toBeGreaterThan(300);
    const types = new Set(small.resources.map((r) => r.type));
    expect([...types].sort()).toEqual(REGISTRY.modules.map((m) => m.type).sort());
    for (const r of small.resources) {
      const m = REGISTRY.module(r.type)!;
      const checked = m.check(r.body, NOW);
      expect(checked.problems, `${r.type} ${JSON.stringify(r.body)}`).toEqual([]);
      expect(checked.patientId).toBe(r.patientId);
      expect(fhirSchemaErrors({ ...r.body, id: r.id }), r.type).toEqual([]);
      expect(r.labels).toEqual(m.labels(r.body));
      expect(r.writtenAt.getTime()).toBeLessThanOrEqual(NOW.getTime());
    }
  });

  it('is drawn from the seed alone', () => {
    const again = charts({ seed: 21, practices: 3, patientsPerPractice: 120, visitHistoryDays: 90 });
    expect(again.resources).toEqual(small.resources);
    expect(charts({ seed: 22, practices: 1, patientsPerPractice: 50, visitHistoryDays: 30 }).resources)
      .not.toEqual(charts({ seed: 21, practices: 1, patientsPerPractice: 50, visitHistoryDays: 30 }).resources);
  });

  it('keeps a visit in one consultation: what it wrote references its Encounter, by its doctor, during it', () => {
    const encounters = new Map(small.resources.filter((r) => r.type === 'Encounter').map((r) => [r.id, r]));
    expect(encounters.size).toBeGreaterThan(100);
    let linked = 0;
    for (const r of small.resources) {
      const e = ref(r.body.encounter);
      if (!e) continue;
      linked++;
      const enc = encounters.get(e)!;
      expect(enc.patientId).toBe(r.patientId);
      expect(r.appointmentId).toBe(enc.appointmentId);
      // The visit's practitioner wrote it, while the visit lasted (a renewal on its day).
      expect(r.authorId).toBe(enc.authorId);
      const period = enc.body.period as { start: string; end: string };
      expect(r.writtenAt.getTime()).toBeGreaterThanOrEqual(new Date(period.start).getTime());
      expect(r.writtenAt.getTime()).toBeLessThanOrEqual(new Date(period.end).getTime() + 60 * 60_000);
    }
    expect(linked).toBeGreaterThan(encounters.size * 2);
  });

  it('measures one body: an adult keeps her height, BMI is weight over height², the note says the pressure', () => {
    const vitals = small.resources.filter((r) => r.type === 'Observation' && ref(r.body.encounter));
    const value = (r: ChartResource) => (r.body.valueQuantity as { value: number }).value;
    for (const [pid, rs] of small.byPatient) {
      const birth = small.patients.find((p) => p.id === pid)?.birthDate;
      if (!birth || (NOW.getTime() - new Date(birth).getTime()) / 3.15e10 < 19) continue;
      const heights = rs.filter((r) => r.type === 'Observation' && codeOf(r, 'code') === '8302-2').map(value);
      if (heights.length > 1) expect(Math.max(...heights) - Math.min(...heights)).toBeLessThan(1);
    }
    const byEncounter = new Map<string, ChartResource[]>();
    for (const v of vitals) {
      const enc = ref(v.body.encounter)!;
      byEncounter.set(enc, [...(byEncounter.get(enc) ?? []), v]);
    }
    let bmis = 0;
    for (const group of byEncounter.values()) {
      const of = (code: string) => group.find((r) => codeOf(r, 'code') === code);
      const [w, h, b] = [of('29463-7'), of('8302-2'), of('39156-5')];
      if (!w || !h || !b) continue;
      bmis++;
      expect(value(b)).toBeCloseTo(value(w) / (value(h) / 100) ** 2, 0);
    }
    expect(bmis).toBeGreaterThan(20);
    // The note of a visit (written within half an hour of its end) prints the pressure the chart recorded.
    const encounters = new Map(small.resources.filter((r) => r.type === 'Encounter').map((r) => [r.id, r]));
    let matched = 0;
    for (const [enc, group] of byEncounter) {
      const bp = group.find((r) => codeOf(r, 'code') === '85354-9');
      if (!bp) continue;
      const [sys, dia] = (bp.body.component as Json[]).map((c) => (c.valueQuantity as { value: number }).value);
      const end = new Date((encounters.get(enc)!.body.period as { end: string }).end).getTime();
      const note = small.notes.find((n) => n.patientId === bp.patientId && n.authorId === bp.authorId
        && n.writtenAt.getTime() > end && n.writtenAt.getTime() <= end + 30 * 60_000);
      if (!note) continue;
      expect(note.text).toContain(`TA ${sys}/${dia} mmHg`);
      matched++;
    }
    expect(matched).toBeGreaterThan(20);
  });

  it('treats what the problem list holds, and keeps one current line per standing treatment', () => {
    for (const [, rs] of small.byPatient) {
      const active = (code: string) => rs.some((r) => r.type === 'Condition' && codeOf(r, 'code') === code
        && statusOf(r) === 'active');
      const lines = rs.filter((r) => r.type === 'MedicationRequest');
      const drugs = new Set(lines.map((r) => codeOf(r, 'medicationCodeableConcept')));
      if (drugs.has('J05AR20')) expect(active('Z21') || active('B20')).toBe(true);
      if (drugs.has('A10BA02')) expect(active('E11')).toBe(true);
      if (drugs.has('H03AA01')) expect(active('E03.9')).toBe(true);
      // A standing line has no course length (boundsDuration): one current line per drug.
      const perDrug = new Map<string, number>();
      for (const r of lines) {
        const timing = (r.body.dosageInstruction as Json[])[0]!.timing as Json | undefined;
        const repeat = timing?.repeat as Json | undefined;
        if (r.body.status !== 'active' || repeat?.boundsDuration) continue;
        const c = codeOf(r, 'medicationCodeableConcept');
        perDrug.set(c, (perDrug.get(c) ?? 0) + 1);
      }
      for (const [drug, n] of perDrug) expect(n, drug).toBe(1);
      // A penicillin allergy is never given amoxicillin.
      const allergic = rs.some((r) => r.type === 'AllergyIntolerance' && codeOf(r, 'code') === 'J01CA04');
      const atVisits = lines.filter((r) => r.appointmentId).map((r) => codeOf(r, 'medicationCodeableConcept'));
      if (allergic) expect(atVisits).not.toContain('J01CA04');
    }
  });

  it('reports results with their reference range, flagged H or L out of it, a DFG computed from the creatinine', () => {
    const labs = small.resources.filter((r) => r.type === 'Observation'
      && ((r.body.category as Json[])[0]!.coding as Json[])[0]!.code === 'laboratory' && r.body.valueQuantity);
    expect(labs.length).toBeGreaterThan(100);
    for (const r of labs) {
      const v = (r.body.valueQuantity as { value: number }).value;
      type Range = { low?: { value: number }; high?: { value: number } };
      const range = (r.body.referenceRange as Range[] | undefined)?.[0];
      const flag = ((r.body.interpretation as Json[])[0]!.coding as Json[])[0]!.code;
      if (!range) continue;
      const expected = range.high && v > range.high.value ? 'H' : range.low && v < range.low.value ? 'L' : 'N';
      expect(flag, codeOf(r, 'code')).toBe(expected);
    }
    for (const creat of labs.filter((r) => codeOf(r, 'code') === '14682-9')) {
      const dfg = labs.find((r) => r.patientId === creat.patientId && codeOf(r, 'code') === '62238-1'
        && r.body.effectiveDateTime === creat.body.effectiveDateTime)!;
      const p = small.patients.find((x) => x.id === creat.patientId)!;
      const sampled = new Date(creat.body.effectiveDateTime as string).getTime();
      const age = (sampled - new Date(p.birthDate).getTime()) / (365.25 * 86_400_000);
      const value = (creat.body.valueQuantity as { value: number }).value;
      const expected = Math.round(Math.min(140, ckdEpi(value, age, p.sex === 'female')));
      expect((dfg.body.valueQuantity as { value: number }).value).toBe(expected);
    }
  });

  it('uses the shipped lists, with a short supplement of drugs the list lacks', () => {
    expect(SUPPLEMENT_CODES.length).toBeLessThanOrEqual(10);
    const lines = small.resources.filter((r) => r.type === 'MedicationRequest');
    const used = new Set(lines.map((r) => codeOf(r, 'medicationCodeableConcept')));
    expect([...used].filter((c) => !SUPPLEMENT_CODES.includes(c)).length).toBeGreaterThan(15);
  });
});

describe('prevalences of the problem lists', () => {
  // One practice of 5,000, charts only (no visits): shares by age as the sources say them.
  const big = charts({ seed: 4, practices: 1, patientsPerPractice: 5000, visitHistoryDays: 1, futureDays: 0 });
  const age = (birth: string) => (NOW.getTime() - new Date(birth).getTime()) / (365.25 * 86_400_000);
  const share = (who: (a: number, sex: string) => boolean, has: (rs: ChartResource[]) => boolean) => {
    const group = big.patients.filter((p) => who(age(p.birthDate), p.sex));
    return group.filter((p) => has(big.byPatient.get(p.id) ?? [])).length / group.length;
  };
  const problem = (...codes: string[]) => (rs: ChartResource[]) =>
    rs.some((r) => r.type === 'Condition' && codes.includes(codeOf(r, 'code')) && statusOf(r) === 'active');

  it.each([
    ['hypertension, 18–74 (Esteban: 30 %)', (a: number) => a >= 18 && a < 75, problem('I10'), 0.22, 0.36],
    ['hypertension, 65 and over (~65 %)', (a: number) => a >= 65, problem('I10'), 0.55, 0.78],
    ['diabetes, everyone (SpF: 5.3 % treated)', () => true, problem('E11', 'E10'), 0.035, 0.075],
    ['asthma, everyone (6–7 %)', () => true, problem('J45'), 0.05, 0.1],
    ['depression, adults (~10 % within a year)', (a: number) => a >= 18, problem('F32'), 0.06, 0.13],
    ['HIV, everyone (~0.3 %)', () => true, problem('Z21', 'B20'), 0.0005, 0.007],
    ['hypothyroidism, women (ANSM: 3 million, 4 in 5 women)', (_a: number, s: string) => s === 'female',
      problem('E03.9'), 0.04, 0.1],
    ['an allergy (10–20 %)', () => true, (rs: ChartResource[]) => rs.some((r) => r.type === 'AllergyIntolerance'),
      0.09, 0.2],
  ])('%s', (_name, who, has, low, high) => {
    const s = share(who, has);
    expect(s).toBeGreaterThan(low);
    expect(s).toBeLessThan(high);
  });

  it('vaccinates children on the French schedule', () => {
    const infants = big.patients.filter((p) => {
      const months = (NOW.getTime() - new Date(p.birthDate).getTime()) / (30.44 * 86_400_000);
      return months > 13 && months < 60;
    });
    expect(infants.length).toBeGreaterThan(100);
    const hexavalent = infants.filter((p) => (big.byPatient.get(p.id) ?? [])
      .filter((r) => r.type === 'Immunization' && codeOf(r, 'vaccineCode') === 'J07CA09').length === 3);
    expect(hexavalent.length / infants.length).toBeGreaterThan(0.9);
  });

  it('records obesity for most obese adults (Obépi 2020: 17 % of adults)', () => {
    const s = share((a) => a >= 18, problem('E66'));
    expect(s).toBeGreaterThan(0.07);
    expect(s).toBeLessThan(0.17);
  });
});
