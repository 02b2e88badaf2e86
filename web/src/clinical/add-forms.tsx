import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { T } from '../i18n.js';
import { Problem } from '../ui.js';
import { CIM10, cim10Label, DRUGS, substanceLabel, VACCINES, type Coded } from './codes.js';
import { Field, Picker, Select } from './fields.js';
import { parseNumber } from './prescription-line.js';
import { allergy, localDay, problem, vaccination, type AllergyCategory, type Criticality } from './write.js';

/**
 * The summary's add forms: a problem (CIM-10), an allergy, a vaccination. Written in the current
 * consultation when one is open (their `encounter`), else on their own.
 */
interface FormProps {
  readonly patientId: string;
  readonly encounterId: string | null;
  readonly done: () => void;
}

/** Sends one resource; says what the server refused, in its words. */
function useSubmit(send: () => Promise<void>, reset: () => void, done: () => void) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await send();
      reset();
      done();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { submit, error, busy, setError };
}

/**
 * The CIM-10 code a picker's text names: an entry of the list ("I10 — Hypertension essentielle"),
 * or a code followed by its words ("J06.9 Rhinopharyngite") for what the list lacks.
 */
export function cim10Of(text: string): Coded | null {
  const t = text.trim();
  const listed = CIM10.find((c) => cim10Label(c).toLowerCase() === t.toLowerCase() || c.code === t.toUpperCase());
  if (listed) return listed;
  const m = /^([A-Za-z][0-9]{2}(?:\.[0-9A-Za-z]{1,4})?)\s*(?:[—–-]\s*)?(.+)$/.exec(t);
  return m ? { code: (m[1] as string).toUpperCase(), display: (m[2] as string).trim() } : null;
}

export function ProblemForm({ patientId, encounterId, done }: FormProps) {
  const [text, setText] = useState('');
  const [onset, setOnset] = useState('');
  const code = cim10Of(text);
  const s = useSubmit(
    async () => {
      if (!code) throw new Error('no code');
      await post('/fhir/Condition', problem(patientId, encounterId, code, onset || null, new Date()));
    },
    () => { setText(''); setOnset(''); },
    done,
  );
  return (
    <form class="chart-form" onSubmit={s.submit}>
      <Picker
        id="pb-code" label={T('Problème (CIM-10)', 'Problem (ICD-10)')} value={text} set={setText} required
        options={CIM10.map(cim10Label)}
        hint={T(
          'Choisissez dans la liste, ou écrivez le code suivi du libellé (J06.9 Rhinopharyngite).',
          'Pick from the list, or write the code then its name (J06.9 Common cold).',
        )}
      />
      <Field
        id="pb-onset" type="date" label={T('Début (facultatif)', 'Onset (optional)')} value={onset} set={setOnset}
        max={localDay(new Date())}
      />
      {text.trim() !== '' && !code && (
        <p class="warn" role="status">{T('Code CIM-10 non reconnu.', 'ICD-10 code not recognised.')}</p>
      )}
      <Problem error={s.error} />
      <button type="submit" class="primary" disabled={s.busy || !code}>
        {T('Ajouter le problème', 'Add the problem')}
      </button>
    </form>
  );
}

const categories = (): readonly (readonly [AllergyCategory, string])[] => [
  ['medication', T('Médicament', 'Drug')],
  ['food', T('Aliment', 'Food')],
  ['environment', T('Environnement', 'Environment')],
  ['biologic', T('Produit biologique', 'Biologic')],
];

export function AllergyForm({ patientId, encounterId, done }: FormProps) {
  const [substance, setSubstance] = useState('');
  const [category, setCategory] = useState<AllergyCategory>('medication');
  const [criticality, setCriticality] = useState<Criticality | ''>('');
  const [reaction, setReaction] = useState('');
  const drug = DRUGS.find((d) => d.display === substance.trim().toLowerCase());
  const s = useSubmit(
    async () => {
      const input = {
        drug: drug ?? null, substance: substance.trim(), category, criticality: criticality || null, reaction,
      };
      await post('/fhir/AllergyIntolerance', allergy(patientId, encounterId, input, new Date()));
    },
    () => { setSubstance(''); setReaction(''); setCriticality(''); },
    done,
  );
  const criticalities: readonly (readonly [Criticality | '', string])[] = [
    ['', T('Non précisée', 'Not stated')], ['low', T('Faible', 'Low')], ['high', T('Élevée', 'High')],
    ['unable-to-assess', T('Non évaluable', 'Unable to assess')],
  ];
  return (
    <form class="chart-form" onSubmit={s.submit}>
      <Picker
        id="al-substance" label={T('Substance', 'Substance')} value={substance} set={setSubstance} required
        options={DRUGS.map(substanceLabel)}
        hint={T(
          'Un médicament de la liste, ou la substance en clair (pollen de bouleau, arachide).',
          'A drug of the list, or the substance in words (birch pollen, peanut).',
        )}
      />
      {drug ? <p class="muted">{T('Médicament', 'Drug')} — ATC {drug.code}</p> : (
        <Select
          id="al-category" label={T('Catégorie', 'Category')} value={category} set={setCategory} options={categories()}
        />
      )}
      <Select
        id="al-criticality" label={T('Criticité', 'Criticality')} value={criticality} set={setCriticality}
        options={criticalities}
      />
      <Field
        id="al-reaction" label={T('Réaction (facultatif)', 'Reaction (optional)')} value={reaction} set={setReaction}
      />
      <Problem error={s.error} />
      <button type="submit" class="primary" disabled={s.busy}>{T('Ajouter l’allergie', 'Add the allergy')}</button>
    </form>
  );
}

export function VaccinationForm({ patientId, encounterId, done }: FormProps) {
  const today = localDay(new Date());
  const [code, setCode] = useState('');
  const [day, setDay] = useState(today);
  const [lot, setLot] = useState('');
  const [dose, setDose] = useState('');
  const vaccine = VACCINES.find((v) => v.code === code);
  const s = useSubmit(
    async () => {
      if (!vaccine) throw new Error('no vaccine');
      await post('/fhir/Immunization', vaccination(patientId, encounterId, vaccine, day, lot, parseNumber(dose)));
    },
    () => { setCode(''); setLot(''); setDose(''); setDay(today); },
    done,
  );
  const options: readonly (readonly [string, string])[] = [
    ['', T('Choisir…', 'Choose…')],
    ...VACCINES.map((v) => [v.code, v.display] as const),
  ];
  return (
    <form class="chart-form" onSubmit={s.submit}>
      <Select id="vx-code" label={T('Vaccin', 'Vaccine')} value={code} set={setCode} options={options} required />
      {vaccine && <p class="muted">{T('Calendrier', 'Schedule')} : {vaccine.schedule}</p>}
      <div class="row">
        <Field id="vx-date" type="date" label={T('Date', 'Date')} value={day} set={setDay} max={today} required />
        <Field id="vx-lot" label={T('N° de lot', 'Lot number')} value={lot} set={setLot} size={10} />
        <Field id="vx-dose" label={T('Dose n°', 'Dose no.')} value={dose} set={setDose} inputMode="numeric" size={3} />
      </div>
      <Problem error={s.error} />
      <button type="submit" class="primary" disabled={s.busy || !vaccine}>
        {T('Enregistrer la vaccination', 'Record the vaccination')}
      </button>
    </form>
  );
}
