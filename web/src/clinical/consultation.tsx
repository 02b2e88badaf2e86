import { useState } from 'preact/hooks';
import { post, put, type Me } from '../api.js';
import { fmtTime, T } from '../i18n.js';
import { NewNote } from '../note-forms.js';
import { Problem } from '../ui.js';
import { Field, Select } from './fields.js';
import { searchAll, useLoad } from './load.js';
import { Ordonnance } from './ordonnance.js';
import { conceptText, inEncounter, observationName, vitalText } from './read.js';
import { PrescriptionForm } from './prescription.js';
import { VitalsForm } from './vitals-form.js';
import { encounterFinished, encounterStarted, type EncounterClass } from './write.js';

/**
 * The consultation: begun with its reason (an Encounter in progress), then its note, vital signs
 * and prescription, the ordonnance printed from the server's PDF, and finished (the Encounter's
 * end). A consultation left open (a closed tab) is taken up again from the server.
 */
export interface ConsultationProps {
  readonly me: Me;
  readonly patientId: string;
  readonly encounter: any | null;
  readonly setEncounter: (e: any | null) => void;
  readonly version: number;
  readonly changed: () => void;
  readonly finished: () => void;
  /** The page's notes list, reloaded when the consultation's note is saved. */
  readonly noteWritten: () => Promise<void>;
}

export function ConsultationView(p: ConsultationProps) {
  if (!p.encounter) return <StartForm {...p} />;
  return <Consultation {...p} encounter={p.encounter} />;
}

function StartForm({ me, patientId, setEncounter }: ConsultationProps) {
  const [reason, setReason] = useState('');
  const [cls, setCls] = useState<EncounterClass>('AMB');
  const [error, setError] = useState<unknown>(null);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    try {
      const started = encounterStarted(patientId, me.userId, reason.trim(), cls, new Date());
      setEncounter(await post('/fhir/Encounter', started));
    } catch (e) {
      setError(e);
    }
  };
  const classes: readonly (readonly [EncounterClass, string])[] = [
    ['AMB', T('Au cabinet', 'At the practice')],
    ['HH', T('À domicile', 'Home visit')],
    ['VR', T('Téléconsultation', 'Video consultation')],
  ];
  return (
    <form class="chart-form narrow-form" onSubmit={submit} aria-labelledby="enc-start-title">
      <h3 id="enc-start-title">{T('Nouvelle consultation', 'New consultation')}</h3>
      <Field
        id="enc-reason" label={T('Motif de consultation', 'Reason for the consultation')} value={reason} set={setReason}
        required
      />
      <Select id="enc-class" label={T('Lieu', 'Setting')} value={cls} set={setCls} options={classes} />
      <Problem error={error} />
      <button type="submit" class="primary">{T('Commencer la consultation', 'Start the consultation')}</button>
    </form>
  );
}

function Consultation(p: ConsultationProps & { encounter: any }) {
  const { patientId, encounter, version, changed } = p;
  const [error, setError] = useState<unknown>(null);
  const recorded = useLoad(async () => {
    const [lines, vitals] = await Promise.all([
      searchAll('MedicationRequest', patientId, { status: 'active' }),
      searchAll('Observation', patientId, { category: 'vital-signs' }),
    ]);
    const mine = (r: any) => inEncounter(r, encounter.id);
    return { lines: lines.items.filter(mine), vitals: vitals.items.filter(mine) };
  }, [patientId, encounter.id, version]);
  const finish = async () => {
    setError(null);
    try {
      await put(`/fhir/Encounter/${encounter.id}`, encounterFinished(encounter, new Date()), encounter.meta.versionId);
      p.setEncounter(null);
      p.finished();
    } catch (e) {
      setError(e);
    }
  };
  const lines = recorded.state === 'ok' ? recorded.value.lines : [];
  const vitals = recorded.state === 'ok' ? recorded.value.vitals : [];
  return (
    <div class="consultation">
      <p class="in-progress" role="status">
        {T('Consultation en cours depuis', 'Consultation in progress since')} {fmtTime(encounter.period.start)} —{' '}
        {T('motif', 'reason')} : <strong>{(encounter.reasonCode ?? []).map(conceptText).join(' ; ')}</strong>
      </p>
      {(recorded.state === 'refused' || recorded.state === 'failed') && <Problem error={recorded.error} />}
      <div class="columns">
        <div class="stack">
          <NewNote
            patientId={patientId} done={p.noteWritten} id="enc-note"
            title={T('Note de consultation', 'Consultation note')}
            label={T('Texte de la note de consultation', 'Text of the consultation note')}
            action={T('Enregistrer la note de consultation', 'Save the consultation note')}
          />
          <VitalsForm patientId={patientId} encounterId={encounter.id} done={changed} />
          {vitals.length > 0 && (
            <ul class="list" data-testid="enc-vitals" aria-label={T('Constantes de la consultation', 'Vital signs')}>
              {vitals.map((o) => (
                <li key={o.id}><span class="grow">{observationName(o)}</span><strong>{vitalText(o)}</strong></li>
              ))}
            </ul>
          )}
        </div>
        <div class="stack">
          <PrescriptionForm patientId={patientId} encounterId={encounter.id} done={changed} />
          <Ordonnance patientId={patientId} lines={lines} />
        </div>
      </div>
      <Problem error={error} />
      <div class="actions end">
        <button type="button" class="primary" onClick={finish}>
          {T('Terminer la consultation', 'Finish the consultation')}
        </button>
      </div>
    </div>
  );
}
