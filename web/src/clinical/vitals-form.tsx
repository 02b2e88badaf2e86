import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { T } from '../i18n.js';
import { Problem } from '../ui.js';
import { Field } from './fields.js';
import { parseNumber } from './prescription-line.js';
import { fmtNumber, VITAL } from './read.js';
import { bloodPressure, bmiOf, vitalSign } from './write.js';

/**
 * The vital signs of a consultation: each measurement typed is one Observation (its LOINC code,
 * its UCUM unit, the consultation); the BMI is computed from the weight and height and recorded too.
 */
type Key = 'weight' | 'height' | 'systolic' | 'diastolic' | 'heartRate' | 'temperature';
type Values = Readonly<Record<Key, string>>;

const EMPTY: Values = { weight: '', height: '', systolic: '', diastolic: '', heartRate: '', temperature: '' };

/** Each field: its id, its label with the unit, whether it takes decimals. */
const FIELDS: Readonly<Record<Key, readonly [string, () => string, 'decimal' | 'numeric']>> = {
  weight: ['vs-weight', () => T('Poids (kg)', 'Weight (kg)'), 'decimal'],
  height: ['vs-height', () => T('Taille (cm)', 'Height (cm)'), 'decimal'],
  systolic: ['vs-sys', () => T('PA systolique (mmHg)', 'Systolic BP (mmHg)'), 'numeric'],
  diastolic: ['vs-dia', () => T('PA diastolique (mmHg)', 'Diastolic BP (mmHg)'), 'numeric'],
  heartRate: ['vs-hr', () => T('Fréquence cardiaque (/min)', 'Heart rate (/min)'), 'numeric'],
  temperature: ['vs-temp', () => T('Température (°C)', 'Temperature (°C)'), 'decimal'],
};

/** The Observations these values make, or the problems that keep them from being recorded. */
export function vitalsOf(
  v: Values, patientId: string, encounterId: string, at: Date,
): { bodies: object[]; problems: string[] } {
  const n = (k: Key) => parseNumber(v[k]);
  const problems: string[] = [];
  for (const k of Object.keys(v) as Key[]) {
    if (v[k].trim() !== '' && n(k) === null) {
      const label = FIELDS[k][1]();
      problems.push(T(`${label} : « ${v[k]} » n’est pas un nombre`, `${label}: "${v[k]}" is not a number`));
    }
  }
  const [weight, height, systolic, diastolic, heartRate, temperature] = [
    n('weight'), n('height'), n('systolic'), n('diastolic'), n('heartRate'), n('temperature'),
  ];
  if ((systolic === null) !== (diastolic === null)) {
    problems.push(T(
      'la pression artérielle demande la systolique et la diastolique',
      'blood pressure needs the systolic and the diastolic',
    ));
  }
  const vital = (loinc: string, value: number) => vitalSign(patientId, encounterId, loinc, value, at);
  const bodies: object[] = [];
  if (weight !== null) bodies.push(vital(VITAL.weight, weight));
  if (height !== null) bodies.push(vital(VITAL.height, height));
  if (weight !== null && height !== null) bodies.push(vital(VITAL.bmi, bmiOf(weight, height)));
  if (systolic !== null && diastolic !== null) {
    bodies.push(bloodPressure(patientId, encounterId, systolic, diastolic, at));
  }
  if (heartRate !== null) bodies.push(vital(VITAL.heartRate, heartRate));
  if (temperature !== null) bodies.push(vital(VITAL.temperature, temperature));
  if (bodies.length === 0 && problems.length === 0) problems.push(T('aucune mesure saisie', 'no measurement entered'));
  return { bodies, problems };
}

export function VitalsForm({ patientId, encounterId, done }: {
  patientId: string; encounterId: string; done: () => void;
}) {
  const [v, setV] = useState<Values>(EMPTY);
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const weight = parseNumber(v.weight);
  const height = parseNumber(v.height);
  const bmi = weight !== null && height !== null && height > 0 ? bmiOf(weight, height) : null;
  const field = (k: Key) => {
    const [id, label, mode] = FIELDS[k];
    return <Field id={id} label={label()} value={v[k]} set={(x) => setV({ ...v, [k]: x })} inputMode={mode} size={5} />;
  };
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    const { bodies, problems: found } = vitalsOf(v, patientId, encounterId, new Date());
    setProblems(found);
    if (found.length > 0) return;
    setBusy(true);
    let saved = 0;
    try {
      // One at a time: a refusal names the measurement it refused, and what was recorded stays recorded.
      for (const b of bodies) {
        await post('/fhir/Observation', b);
        saved++;
      }
      setV(EMPTY);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      if (saved > 0) done();
    }
  };
  return (
    <form class="chart-form" onSubmit={submit} aria-labelledby="vs-title">
      <h3 id="vs-title">{T('Constantes', 'Vital signs')}</h3>
      <div class="row">
        {field('weight')}
        {field('height')}
        <div class="field">
          <label for="vs-bmi">{T('IMC (kg/m²)', 'BMI (kg/m²)')}</label>
          <output id="vs-bmi" for="vs-weight vs-height" class="computed" aria-live="polite">
            {bmi !== null ? fmtNumber(bmi) : '—'}
          </output>
        </div>
      </div>
      <div class="row">{field('systolic')}{field('diastolic')}</div>
      <div class="row">{field('heartRate')}{field('temperature')}</div>
      {problems.length > 0 && <ul class="error" role="alert">{problems.map((x) => <li key={x}>{x}</li>)}</ul>}
      <Problem error={error} />
      <button type="submit" class="primary" disabled={busy}>
        {T('Enregistrer les constantes', 'Record the vital signs')}
      </button>
    </form>
  );
}
