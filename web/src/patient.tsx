import { useEffect, useState } from 'preact/hooks';
import { PatientVisits } from './agenda/patient-visits.js';
import { ApiError, bundleWarning, entries, get, nirOf, patientName, type Me } from './api.js';
import { BreakGlass } from './dialogs.js';
import { fmtDate, T } from './i18n.js';
import { NewNote } from './note-forms.js';
import { NotesList } from './notes.js';
import { genderName, Problem } from './ui.js';

/** The practitioner's clinical chart: a chunk of its own, which an assistant's browser never loads. */
type ClinicalModule = typeof import('./clinical/index.js');

/**
 * A patient's page: identity, appointments and a booking form; for a practitioner, the clinical
 * chart and the notes (refused without a care relationship: then the break-the-glass dialog) and a
 * note form. The chart opens once the notes are: one refusal says there is no care relationship,
 * not one per clinical type.
 */
export function PatientPage({ me, id }: { me: Me; id: string }) {
  const [patient, setPatient] = useState<any | null>(null);
  const [notes, setNotes] = useState<any[] | null>(null);
  const [notesRefused, setNotesRefused] = useState<string | null>(null);
  const [notesCut, setNotesCut] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [glass, setGlass] = useState(false);
  const practitioner = me.role === 'practitioner';
  const [clinical, setClinical] = useState<ClinicalModule | null>(null);
  useEffect(() => {
    if (practitioner) import('./clinical/index.js').then(setClinical).catch(setError);
  }, [practitioner]);

  const loadNotes = async () => {
    if (!practitioner) return;
    try {
      // The current notes: an amendment's earlier versions and the withdrawn ones are asked for on request.
      const b = await get(`/fhir/DocumentReference?patient=${id}&status=current&_count=50`);
      setNotes(entries(b));
      setNotesCut(bundleWarning(b));
      setNotesRefused(null);
    } catch (e) {
      if (e instanceof ApiError && e.status === 403) setNotesRefused(e.message);
      else setError(e);
    }
  };
  const load = async () => {
    try {
      setPatient(await get(`/fhir/Patient/${id}`));
      await loadNotes();
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
  }, [id]);

  if (error) return <Problem error={error} />;
  if (!patient) return <p class="muted">{T('Chargement…', 'Loading…')}</p>;
  const addr = patient.address?.[0];
  const phone = (patient.telecom ?? []).find((t: any) => t.system === 'phone')?.value;
  const email = (patient.telecom ?? []).find((t: any) => t.system === 'email')?.value;
  return (
    <div class="patient">
      <section class="card" aria-labelledby="p-title">
        <h1 id="p-title">{patientName(patient)}</h1>
        <dl class="facts">
          <dt>{T('Né(e) le', 'Born')}</dt><dd>{patient.birthDate ? fmtDate(patient.birthDate) : '—'}</dd>
          <dt>{T('Sexe', 'Sex')}</dt><dd>{genderName(patient.gender)}</dd>
          <dt>NIR</dt><dd>{nirOf(patient) ?? '—'}</dd>
          <dt>{T('Adresse', 'Address')}</dt><dd>{addr ? `${(addr.line ?? []).join(', ')}, ${addr.postalCode ?? ''} ${addr.city ?? ''}` : '—'}</dd>
          <dt>{T('Téléphone', 'Phone')}</dt><dd>{phone ?? '—'}</dd>
          <dt>{T('Courriel', 'E-mail')}</dt><dd>{email ?? '—'}</dd>
        </dl>
      </section>
      {practitioner && notesRefused !== null && (
        <section class="card refused" aria-labelledby="r-title">
          <h2 id="r-title">{T('Dossier médical', 'Medical record')}</h2>
          <p>{T('Vous n’avez pas de relation de soins avec ce patient.', 'You have no care relationship with this patient.')}</p>
          <button type="button" class="danger" onClick={() => setGlass(true)}>
            {T('Accès d’urgence (bris de glace)', 'Emergency access (break the glass)')}
          </button>
        </section>
      )}
      {practitioner && notes !== null && clinical && (
        <clinical.ClinicalChart me={me} patientId={id} noteWritten={loadNotes} />
      )}
      <PatientVisits me={me} patientId={id} name={patientName(patient)} />
      {practitioner && notes !== null && (
        <section class="card" aria-labelledby="n-title">
          <h2 id="n-title">{T('Notes cliniques', 'Clinical notes')}</h2>
          <NotesList me={me} patientId={id} notes={notes} cut={notesCut} changed={loadNotes} />
          <NewNote patientId={id} done={loadNotes} />
        </section>
      )}
      {glass && <BreakGlass patientId={id} close={() => setGlass(false)} done={async () => { setGlass(false); await loadNotes(); }} />}
    </div>
  );
}
