import { useEffect, useState } from 'preact/hooks';
import { ApiError, entries, get, nirOf, patientName, post, setToken, type Me } from './api.js';
import { fmtDate, fmtTime, LABELS, labelName, T } from './i18n.js';

const INS_NIR = 'urn:oid:1.2.250.1.213.1.4.8';
const V3_ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

type View = { kind: 'home' } | { kind: 'patient'; id: string } | { kind: 'new-patient' };

/**
 * The practice app: today's appointments, patient search, the patient page. A practitioner with a
 * care relationship sees the notes; an assistant's screens never ask for clinical content (and
 * the server would refuse it anyway).
 */
export function Practice({ me }: { me: Me }) {
  const [view, setView] = useState<View>({ kind: 'home' });
  return (
    <div class="practice">
      <nav class="crumbs" aria-label={T('Navigation', 'Navigation')}>
        <button type="button" class="link" onClick={() => setView({ kind: 'home' })}>{T('Accueil', 'Home')}</button>
        <button type="button" class="link" onClick={() => setView({ kind: 'new-patient' })}>{T('Nouveau patient', 'New patient')}</button>
      </nav>
      {view.kind === 'home' && (
        <div class="columns">
          <Today me={me} open={(id) => setView({ kind: 'patient', id })} />
          <Search open={(id) => setView({ kind: 'patient', id })} />
        </div>
      )}
      {view.kind === 'patient' && <PatientPage me={me} id={view.id} />}
      {view.kind === 'new-patient' && <NewPatient created={(id) => setView({ kind: 'patient', id })} />}
    </div>
  );
}

function statusName(s: string): string {
  return ({ booked: T('prévu', 'booked'), arrived: T('arrivé', 'arrived'), fulfilled: T('honoré', 'fulfilled'), cancelled: T('annulé', 'cancelled'), noshow: T('absent', 'no-show') } as Record<string, string>)[s] ?? s;
}

function genderName(g: string | undefined): string {
  return g ? (({ female: T('féminin', 'female'), male: T('masculin', 'male'), other: T('autre', 'other'), unknown: T('inconnu', 'unknown') } as Record<string, string>)[g] ?? g) : '—';
}

function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  const msg = error instanceof ApiError ? error.message : T('Le serveur ne répond pas.', 'The server does not answer.');
  return <p class="error" role="alert">{msg}</p>;
}

function Today({ me, open }: { me: Me; open: (id: string) => void }) {
  const [rows, setRows] = useState<{ id: string; start: string; patientId: string; name: string; status: string }[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const mine = me.role === 'practitioner' ? `&practitioner=${me.userId}` : '';
    get(`/fhir/Appointment?date=${today()}${mine}&_count=50`)
      .then(async (b) => {
        const appts = entries(b).sort((x: any, y: any) => x.start.localeCompare(y.start));
        const names = new Map<string, string>();
        for (const a of appts) {
          const pid = a.participant.find((p: any) => p.actor.reference.startsWith('Patient/')).actor.reference.slice(8);
          if (!names.has(pid)) names.set(pid, patientName(await get(`/fhir/Patient/${pid}`)));
        }
        setRows(appts.map((a: any) => {
          const pid = a.participant.find((p: any) => p.actor.reference.startsWith('Patient/')).actor.reference.slice(8);
          return { id: a.id, start: a.start, patientId: pid, name: names.get(pid) ?? '—', status: a.status };
        }));
      })
      .catch(setError);
  }, [me]);
  return (
    <section class="card" aria-labelledby="today-title">
      <h2 id="today-title">{T('Rendez-vous du jour', "Today's appointments")}</h2>
      <Problem error={error} />
      {rows === null && !error && <p class="muted">{T('Chargement…', 'Loading…')}</p>}
      {rows !== null && rows.length === 0 && <p class="muted">{T('Aucun rendez-vous aujourd’hui.', 'No appointments today.')}</p>}
      {rows !== null && rows.length > 0 && (
        <ul class="list" data-testid="today">
          {rows.map((r) => (
            <li key={r.id}>
              <span class="time">{fmtTime(r.start)}</span>
              <button type="button" class="link" onClick={() => open(r.patientId)}>{r.name}</button>
              <span class="tag">{statusName(r.status)}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Search({ open }: { open: (id: string) => void }) {
  const [name, setName] = useState('');
  const [birth, setBirth] = useState('');
  const [nir, setNir] = useState('');
  const [found, setFound] = useState<any[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    const q = new URLSearchParams();
    if (name.trim()) q.set('name', name.trim());
    if (birth) q.set('birthdate', birth);
    if (nir.trim()) q.set('identifier', `${INS_NIR}|${nir.replace(/\s/g, '')}`);
    q.set('_count', '20');
    try {
      setFound(entries(await get(`/fhir/Patient?${q}`)));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section class="card" aria-labelledby="search-title">
      <h2 id="search-title">{T('Rechercher un patient', 'Find a patient')}</h2>
      <form class="grid" onSubmit={submit} role="search">
        <label for="s-name">{T('Nom', 'Name')}</label>
        <input id="s-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        <label for="s-birth">{T('Date de naissance', 'Date of birth')}</label>
        <input id="s-birth" type="date" value={birth} onInput={(e) => setBirth(e.currentTarget.value)} />
        <label for="s-nir">{T('NIR (n° de sécurité sociale)', 'NIR (social security number)')}</label>
        <input id="s-nir" inputMode="numeric" value={nir} onInput={(e) => setNir(e.currentTarget.value)} />
        <button type="submit" class="primary">{T('Rechercher', 'Search')}</button>
      </form>
      <Problem error={error} />
      {found !== null && found.length === 0 && <p class="muted">{T('Aucun patient trouvé.', 'No patient found.')}</p>}
      {found !== null && found.length > 0 && (
        <ul class="list" data-testid="results">
          {found.map((p) => (
            <li key={p.id}>
              <button type="button" class="link" onClick={() => open(p.id)}>{patientName(p)}</button>
              <span class="muted">{p.birthDate ? fmtDate(p.birthDate) : ''}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function PatientPage({ me, id }: { me: Me; id: string }) {
  const [patient, setPatient] = useState<any | null>(null);
  const [appts, setAppts] = useState<any[]>([]);
  const [notes, setNotes] = useState<any[] | null>(null);
  const [notesRefused, setNotesRefused] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [glass, setGlass] = useState(false);
  const practitioner = me.role === 'practitioner';

  const loadNotes = async () => {
    if (!practitioner) return;
    try {
      setNotes(entries(await get(`/fhir/DocumentReference?patient=${id}&_count=50`)));
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

function NewPatient({ created }: { created: (id: string) => void }) {
  const [f, setF] = useState({ family: '', given: '', gender: 'female', birthDate: '', nir: '' });
  const [error, setError] = useState<unknown>(null);
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    try {
      const p = await post('/fhir/Patient', {
        resourceType: 'Patient', gender: f.gender, birthDate: f.birthDate,
        name: [{ use: 'official', family: f.family.trim(), given: f.given.trim().split(/\s+/) }],
        ...(f.nir.trim() ? { identifier: [{ system: INS_NIR, value: f.nir.replace(/\s/g, '') }] } : {}),
      });
      created(p.id);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section class="card narrow" aria-labelledby="np-title">
      <h1 id="np-title">{T('Nouveau patient', 'New patient')}</h1>
      <form class="grid" onSubmit={submit}>
        <label for="np-family">{T('Nom de naissance', 'Birth name')}</label>
        <input id="np-family" required value={f.family} onInput={set('family')} />
        <label for="np-given">{T('Prénoms', 'Given names')}</label>
        <input id="np-given" required value={f.given} onInput={set('given')} />
        <label for="np-gender">{T('Sexe', 'Sex')}</label>
        <select id="np-gender" value={f.gender} onChange={set('gender')}>
          <option value="female">{T('Féminin', 'Female')}</option>
          <option value="male">{T('Masculin', 'Male')}</option>
          <option value="other">{T('Autre', 'Other')}</option>
          <option value="unknown">{T('Inconnu', 'Unknown')}</option>
        </select>
        <label for="np-birth">{T('Date de naissance', 'Date of birth')}</label>
        <input id="np-birth" type="date" required value={f.birthDate} onInput={set('birthDate')} />
        <label for="np-nir">{T('NIR (facultatif)', 'NIR (optional)')}</label>
        <input id="np-nir" inputMode="numeric" value={f.nir} onInput={set('nir')} />
        <button type="submit" class="primary">{T('Créer le patient', 'Create the patient')}</button>
      </form>
      <Problem error={error} />
    </section>
  );
}

function BreakGlass({ patientId, close, done }: { patientId: string; close: () => void; done: () => Promise<void> }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    try {
      await post('/access/break-glass', { patientId, reason });
      await done();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="dialog-backdrop">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="bg-title">
        <h2 id="bg-title">{T('Accès d’urgence', 'Emergency access')}</h2>
        <p>{T('Cet accès sera signalé au responsable sécurité et au patient. Indiquez pourquoi vous en avez besoin.', 'This access will be reported to the security officer and to the patient. Say why you need it.')}</p>
        <form onSubmit={submit}>
          <label for="bg-reason">{T('Motif (10 caractères au moins)', 'Reason (at least 10 characters)')}</label>
          <textarea id="bg-reason" required minLength={10} maxLength={500} rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} autoFocus />
          <Problem error={error} />
          <div class="actions">
            <button type="button" onClick={close}>{T('Annuler', 'Cancel')}</button>
            <button type="submit" class="danger">{T('Ouvrir le dossier', 'Open the record')}</button>
          </div>
        </form>
      </div>
    </div>
  );
}

/** The RFC 9470 answer: the server wants a fresh second factor before it goes on. */
export function StepUp({ close, done }: { close: () => void; done: () => Promise<void> }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    try {
      const t = await post<{ access_token: string }>('/auth/step-up', { code: code.trim() });
      setToken(t.access_token);
      await done();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="dialog-backdrop">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby="su-title">
        <h2 id="su-title">{T('Confirmez votre identité', 'Confirm it is you')}</h2>
        <p>{T('Pour continuer, saisissez un nouveau code de votre application d’authentification.', 'To go on, enter a new code from your authenticator app.')}</p>
        <form onSubmit={submit}>
          <label for="su-code">{T('Code de vérification', 'Verification code')}</label>
          <input id="su-code" inputMode="numeric" autocomplete="one-time-code" required value={code} onInput={(e) => setCode(e.currentTarget.value)} autoFocus />
          <Problem error={error} />
          <div class="actions">
            <button type="button" onClick={close}>{T('Annuler', 'Cancel')}</button>
            <button type="submit" class="primary">{T('Valider', 'Verify')}</button>
          </div>
        </form>
      </div>
    </div>
  );
}
