import { useEffect, useState } from 'preact/hooks';
import { ApiError, bundleWarning, entries, get, nirOf, patientName, post, type Me } from './api.js';
import { BreakGlass } from './dialogs.js';
import { fmtDate, fmtTime, T } from './i18n.js';
import { NewNote } from './note-forms.js';
import { NotesList } from './notes.js';
import { genderName, Problem, statusName } from './ui.js';

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
  const [appts, setAppts] = useState<any[]>([]);
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
      setAppts(entries(await get(`/fhir/Appointment?patient=${id}&_count=50`)));
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
      <section class="card" aria-labelledby="a-title">
        <h2 id="a-title">{T('Rendez-vous', 'Appointments')}</h2>
        {appts.length === 0 ? <p class="muted">{T('Aucun rendez-vous.', 'No appointments.')}</p> : (
          <ul class="list">
            {appts.sort((x, y) => y.start.localeCompare(x.start)).slice(0, 10).map((a) => (
              <li key={a.id}><span class="time">{fmtDate(a.start)} {fmtTime(a.start)}</span> <span class="tag">{statusName(a.status)}</span></li>
            ))}
          </ul>
        )}
        <NewAppointment me={me} patientId={id} done={load} />
      </section>
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

function NewAppointment({ me, patientId, done }: { me: Me; patientId: string; done: () => Promise<void> }) {
  const [when, setWhen] = useState('');
  const [doctor, setDoctor] = useState(me.role === 'practitioner' ? me.userId : '');
  const [doctors, setDoctors] = useState<any[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (me.role !== 'practitioner') get('/fhir/Practitioner?_count=50').then((b) => setDoctors(entries(b))).catch(setError);
  }, [me]);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    try {
      const start = new Date(when);
      await post('/fhir/Appointment', {
        resourceType: 'Appointment', status: 'booked', start: start.toISOString(), end: new Date(start.getTime() + 20 * 60_000).toISOString(),
        participant: [{ actor: { reference: `Patient/${patientId}` }, status: 'accepted' }, { actor: { reference: `Practitioner/${doctor}` }, status: 'accepted' }],
      });
      setWhen('');
      await done();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <form class="inline" onSubmit={submit}>
      <label for="appt-when">{T('Nouveau rendez-vous', 'New appointment')}</label>
      <input id="appt-when" type="datetime-local" required value={when} onInput={(e) => setWhen(e.currentTarget.value)} />
      {me.role !== 'practitioner' && (
        <>
          <label for="appt-doc" class="sr-only">{T('Médecin', 'Practitioner')}</label>
          <select id="appt-doc" required value={doctor} onChange={(e) => setDoctor(e.currentTarget.value)}>
            <option value="">{T('Médecin…', 'Practitioner…')}</option>
            {doctors.filter((d) => d.name?.[0]?.prefix).map((d) => <option key={d.id} value={d.id}>Dr {d.name[0].given?.[0]} {d.name[0].family}</option>)}
          </select>
        </>
      )}
      <button type="submit">{T('Réserver', 'Book')}</button>
      <Problem error={error} />
    </form>
  );
}
