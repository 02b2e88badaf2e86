import { useEffect, useState } from 'preact/hooks';
import { ApiError, bundleWarning, entries, get, nirOf, patientName, post, type Me } from './api.js';
import { BreakGlass } from './dialogs.js';
import { fmtDate, fmtTime, LABELS, labelName, T } from './i18n.js';
import { genderName, Problem, statusName } from './ui.js';

const V3_ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/**
 * A patient's page: identity, appointments and a booking form; for a practitioner, the clinical
 * notes (refused without a care relationship: then the break-the-glass dialog) and a note form.
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

  const loadNotes = async () => {
    if (!practitioner) return;
    try {
      const b = await get(`/fhir/DocumentReference?patient=${id}&_count=50`);
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
      {practitioner && (
        <section class="card" aria-labelledby="n-title">
          <h2 id="n-title">{T('Notes cliniques', 'Clinical notes')}</h2>
          {notesRefused !== null && (
            <div class="refused">
              <p>{T('Vous n’avez pas de relation de soins avec ce patient.', 'You have no care relationship with this patient.')}</p>
              <button type="button" class="danger" onClick={() => setGlass(true)}>{T('Accès d’urgence (bris de glace)', 'Emergency access (break the glass)')}</button>
            </div>
          )}
          {notesCut && <p class="warn" role="status" data-testid="notes-cut">{notesCut}</p>}
          {notes !== null && notes.length === 0 && <p class="muted">{T('Aucune note.', 'No notes.')}</p>}
          {notes !== null && notes.length > 0 && (
            <ol class="notes" data-testid="notes">
              {notes.map((n) => (
                <li key={n.id} class="note">
                  <div class="note-head">
                    <span class="time">{fmtDate(n.date)}</span>
                    {(n.securityLabel ?? []).flatMap((l: any) => l.coding).map((c: any) => <span key={c.code} class="label" title={c.code}>{labelName(c.code)}</span>)}
                  </div>
                  <p class="note-text">{decodeText(n.content?.[0]?.attachment?.data)}</p>
                </li>
              ))}
            </ol>
          )}
          {notes !== null && <NewNote patientId={id} done={loadNotes} />}
        </section>
      )}
      {glass && <BreakGlass patientId={id} close={() => setGlass(false)} done={async () => { setGlass(false); await loadNotes(); }} />}
    </div>
  );
}

function decodeText(b64: string | undefined): string {
  if (!b64) return '';
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

function encodeText(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

function NewNote({ patientId, done }: { patientId: string; done: () => Promise<void> }) {
  const [text, setText] = useState('');
  const [labels, setLabels] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await post('/fhir/DocumentReference', {
        resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${patientId}` },
        ...(labels.length > 0 ? { securityLabel: [{ coding: labels.map((code) => ({ system: V3_ACT, code })) }] } : {}),
        content: [{ attachment: { contentType: 'text/plain', data: encodeText(text) } }],
      });
      setText('');
      setLabels([]);
      await done();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="new-note" onSubmit={submit} aria-labelledby="nn-title">
      <h3 id="nn-title">{T('Nouvelle note', 'New note')}</h3>
      <label for="note-text">{T('Texte de la note', 'Note text')}</label>
      <textarea id="note-text" required rows={4} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <fieldset>
        <legend>{T('Sensibilité', 'Sensitivity')}</legend>
        {Object.keys(LABELS).map((code) => (
          <label key={code} class="check">
            <input type="checkbox" checked={labels.includes(code)} onChange={(e) => setLabels(e.currentTarget.checked ? [...labels, code] : labels.filter((l) => l !== code))} />
            {labelName(code)}
          </label>
        ))}
      </fieldset>
      <Problem error={error} />
      <button type="submit" class="primary" disabled={busy}>{T('Enregistrer la note', 'Save the note')}</button>
    </form>
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
