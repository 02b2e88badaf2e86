import { useMemo } from 'preact/hooks';
import { Chart, type Series } from '../chart.js';
import { fmtDateTime, T } from '../i18n.js';
import { Problem } from '../ui.js';
import { searchAll, useLoad } from './load.js';
import { componentValue, fmtNumber, loincOf, VITAL } from './read.js';

/**
 * The vital signs over time: weight, BMI, blood pressure and heart rate, each a uPlot chart with
 * its numbers in a table beside it. Up to 200 measurements, the newest (four pages of 50).
 */
const PAGES = 4;

interface Curve {
  readonly title: string;
  readonly times: number[];
  readonly series: Series[];
}

/** One chart's points, oldest first (uPlot wants its x values in order). */
/** A series of a chart: its label, its colour, and how it reads its value from an Observation. */
type Part = readonly [string, string, (o: any) => number | undefined];

function curve(obs: readonly any[], title: string, parts: readonly Part[]): Curve {
  const points = obs
    .map((o) => ({ t: Date.parse(o.effectiveDateTime), v: parts.map(([, , read]) => read(o)) }))
    .filter((p) => !Number.isNaN(p.t) && p.v.every((x) => x !== undefined))
    .sort((a, b) => a.t - b.t);
  return {
    title,
    times: points.map((p) => p.t),
    series: parts.map(([label, color], i) => ({ label, color, values: points.map((p) => p.v[i] as number) })),
  };
}

const valueOf = (o: any): number | undefined =>
  (typeof o.valueQuantity?.value === 'number' ? o.valueQuantity.value : undefined);

export function curvesOf(vitals: readonly any[]): Curve[] {
  const of = (code: string) => vitals.filter((o) => loincOf(o) === code);
  return [
    curve(of(VITAL.weight), T('Poids (kg)', 'Weight (kg)'), [[T('Poids (kg)', 'Weight (kg)'), '#1f5fa8', valueOf]]),
    curve(of(VITAL.bmi), T('IMC (kg/m²)', 'BMI (kg/m²)'), [[T('IMC', 'BMI'), '#1c6b3a', valueOf]]),
    curve(of(VITAL.bloodPressure), T('Pression artérielle (mmHg)', 'Blood pressure (mmHg)'), [
      [T('Systolique', 'Systolic'), '#a61b1b', (o) => componentValue(o, VITAL.systolic)],
      [T('Diastolique', 'Diastolic'), '#1f5fa8', (o) => componentValue(o, VITAL.diastolic)],
    ]),
    curve(of(VITAL.heartRate), T('Fréquence cardiaque (/min)', 'Heart rate (/min)'), [
      [T('Fréquence cardiaque', 'Heart rate'), '#8a4b00', valueOf],
    ]),
  ];
}

export function CurvesView({ patientId, version }: { patientId: string; version: number }) {
  const s = useLoad(
    () => searchAll('Observation', patientId, { category: 'vital-signs' }, PAGES),
    [patientId, version],
  );
  const curves = useMemo(() => (s.state === 'ok' ? curvesOf(s.value.items) : []), [s]);
  if (s.state === 'loading') return <p class="muted">{T('Chargement des mesures…', 'Loading the measurements…')}</p>;
  if (s.state === 'refused' || s.state === 'failed') return <Problem error={s.error} />;
  const shown = curves.filter((c) => c.times.length > 0);
  return (
    <div class="curves" data-testid="curves">
      {s.value.cut && <p class="warn" role="status">{s.value.cut}</p>}
      {s.value.more && (
        <p class="muted">{T('Les 200 mesures les plus récentes.', 'The 200 most recent measurements.')}</p>
      )}
      {shown.length === 0 && <p class="muted">{T('Aucune mesure enregistrée.', 'No measurement recorded.')}</p>}
      {shown.map((c) => (
        <Chart
          key={c.title} title={c.title} times={c.times} series={c.series} height={200} table="visible"
          when={(t) => fmtDateTime(new Date(t).toISOString())} value={fmtNumber}
        />
      ))}
    </div>
  );
}
