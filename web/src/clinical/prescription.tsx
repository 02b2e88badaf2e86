import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { T } from '../i18n.js';
import { Problem } from '../ui.js';
import { DRUGS, drugLabel } from './codes.js';
import { Field, Picker, Select } from './fields.js';
import {
  dosageWords, EMPTY_LINE, lineProblems, listedDrug, medicationRequest, REASONS,
  type LineDraft, type NoSubstitution, type TimeUnit,
} from './prescription-line.js';

/**
 * The prescription of a consultation: several lines, each a drug of the list (or written, with its
 * ATC code), its dosage in words and in structure, what to dispense, and a refused substitution
 * with its legal reason. Saved, each line is a MedicationRequest of the consultation.
 */
export function PrescriptionForm({ patientId, encounterId, done }: {
  patientId: string; encounterId: string; done: () => void;
}) {
  const [lines, setLines] = useState<LineDraft[]>([EMPTY_LINE]);
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const setLine = (i: number) => (l: LineDraft) => setLines(lines.map((x, j) => (j === i ? l : x)));
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    const found = lines.flatMap((l, i) => lineProblems(l).map((p) => `${T('Ligne', 'Line')} ${i + 1} : ${p}`));
    setProblems(found);
    if (found.length > 0) return;
    setBusy(true);
    const at = new Date();
    let saved = 0;
    try {
      // Line by line, dropping each saved one: after a refusal, what remains is what was not saved.
      for (const l of lines) {
        await post('/fhir/MedicationRequest', medicationRequest(patientId, encounterId, l, at));
        saved++;
        setLines(lines.length > saved ? lines.slice(saved) : [EMPTY_LINE]);
      }
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
      if (saved > 0) done();
    }
  };
  return (
    <form class="chart-form" onSubmit={submit} aria-labelledby="rx-title">
      <h3 id="rx-title">{T('Prescription', 'Prescription')}</h3>
      {lines.map((l, i) => (
        <LineEditor
          key={i} n={i + 1} line={l} set={setLine(i)}
          remove={lines.length > 1 ? () => setLines(lines.filter((_, j) => j !== i)) : null}
        />
      ))}
      <datalist id="rx-drugs">{DRUGS.map((d) => <option key={d.code} value={drugLabel(d)} />)}</datalist>
      {problems.length > 0 && <ul class="error" role="alert">{problems.map((x) => <li key={x}>{x}</li>)}</ul>}
      <Problem error={error} />
      <div class="actions">
        <button type="button" onClick={() => setLines([...lines, EMPTY_LINE])}>
          {T('Ajouter une ligne', 'Add a line')}
        </button>
        <button type="submit" class="primary" disabled={busy}>
          {T('Enregistrer la prescription', 'Save the prescription')}
        </button>
      </div>
    </form>
  );
}

const timeUnits = (): readonly (readonly [TimeUnit, string])[] => [
  ['d', T('jours', 'days')], ['wk', T('semaines', 'weeks')], ['mo', T('mois', 'months')],
];

/** The keys of a line that hold what a person types. */
type Typed = 'drug' | 'atc' | 'dosage' | 'dose' | 'frequency' | 'duration' | 'quantity' | 'quantityUnit' | 'renewals';

function LineEditor({ n, line, set, remove }: {
  n: number; line: LineDraft; set: (l: LineDraft) => void; remove: (() => void) | null;
}) {
  const id = (k: string) => `rx${n}-${k}`;
  const up = <K extends keyof LineDraft>(k: K) => (v: LineDraft[K]) => set({ ...line, [k]: v });
  /** A typed field of the line. */
  const field = (k: Typed, label: string, more: Partial<Parameters<typeof Field>[0]> = {}) => (
    <Field id={id(k)} label={label} value={line[k]} set={up(k)} {...more} />
  );
  const listed = listedDrug(line);
  const reasons: readonly (readonly [NoSubstitution | '', string])[] = [
    ['', T('Choisir le motif…', 'Choose the reason…')],
    ...(Object.keys(REASONS) as NoSubstitution[]).map((r) => [r, REASONS[r]()] as const),
  ];
  const substitution = (e: Event) => {
    const checked = (e.currentTarget as HTMLInputElement).checked;
    set({ ...line, noSubstitution: checked, reason: checked ? line.reason : '' });
  };
  return (
    <fieldset class="rx-line">
      <legend>{T('Ligne', 'Line')} {n}</legend>
      <Picker
        id={id('drug')} label={T('Médicament', 'Drug')} value={line.drug} set={up('drug')} list="rx-drugs" required
        hint={T(
          'Un médicament de la liste (DCI, dosage, forme), ou écrit en clair avec son code ATC.',
          'A drug of the list (INN, strength, form), or written with its ATC code.',
        )}
      />
      {listed ? <p class="muted">ATC {listed.code}</p> : line.drug.trim() !== '' && (
        field('atc', T('Code ATC', 'ATC code'), { required: true, size: 8 })
      )}
      {field('dosage', T('Posologie', 'Dosage'), {
        hint: T(`Laissée vide : « ${dosageWords(line)} »`, `Left empty: "${dosageWords(line)}"`),
      })}
      <div class="row">
        {field('dose', T('Dose par prise', 'Dose per intake'), { inputMode: 'decimal', size: 4 })}
        {field('frequency', T('Prises', 'Intakes'), { inputMode: 'numeric', size: 3 })}
        <Select
          id={id('period')} label={T('Par', 'Per')} value={line.period} set={up('period')}
          options={[['d', T('jour', 'day')], ['wk', T('semaine', 'week')]]}
        />
        <label class="check">
          <input type="checkbox" checked={line.asNeeded} onChange={(e) => up('asNeeded')(e.currentTarget.checked)} />
          {T('Si besoin', 'As needed')}
        </label>
      </div>
      <div class="row">
        {field('duration', T('Durée', 'Duration'), { inputMode: 'numeric', size: 4 })}
        <Select
          id={id('dunit')} label={T('Unité de durée', 'Duration unit')} value={line.durationUnit}
          set={up('durationUnit')} options={timeUnits()}
        />
      </div>
      <div class="row">
        {field('quantity', T('Quantité à délivrer', 'Quantity to dispense'), { inputMode: 'numeric', size: 4 })}
        {field('quantityUnit', T('Unité', 'Unit'), { size: 10, placeholder: listed ? listed.form : T('boîte', 'box') })}
        {field('renewals', T('Renouvellements', 'Repeats'), { inputMode: 'numeric', size: 3 })}
      </div>
      <div class="row">
        <label class="check">
          <input type="checkbox" checked={line.noSubstitution} onChange={substitution} />
          {T('Non substituable', 'Not substitutable')}
        </label>
        {line.noSubstitution && (
          <Select
            id={id('reason')} label={T('Motif de non-substitution', 'Reason for no substitution')} value={line.reason}
            set={up('reason')} options={reasons} required
          />
        )}
      </div>
      {remove && (
        <button type="button" class="small" onClick={remove}>{T('Retirer la ligne', 'Remove the line')} {n}</button>
      )}
    </fieldset>
  );
}
