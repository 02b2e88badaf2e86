import { useEffect, useState } from 'preact/hooks';
import { bundleWarning, entries, get, patientName, post, type Me } from './api.js';
import { fmtDate, fmtTime, T } from './i18n.js';
import { PatientPage } from './patient.js';
import { Problem, statusName } from './ui.js';
import { go, Link, PATHS, Route, Switch } from './router.js';
import { Agenda } from './agenda/index.js';
import { loadVisits, dayStart, addDays, patientNameOf } from './agenda/data.js';

const INS_NIR = 'urn:oid:1.2.250.1.213.1.4.8';


/**
 * The practice app: today's appointments, patient search, the patient page. A practitioner with a
 * care relationship sees the notes; an assistant's screens never ask for clinical content (and
 * the server would refuse it anyway).
 */
export function Practice({ me }: { me: Me }) {
  const open = (id: string) => go(PATHS.patient(id));
  return (
    <div class="practice">
      <nav class="crumbs" aria-label={T('Navigation', 'Navigation')}>
        <Link href={PATHS.home}>{T('Accueil', 'Home')}</Link>
        <Link href={PATHS.agenda}>{T('Agenda', 'Agenda')}</Link>
        <Link href={PATHS.newPatient}>{T('Nouveau patient', 'New patient')}</Link>
      </nav>
      <Switch>
        <Route path={PATHS.newPatient}><NewPatient created={open} /></Route>
        <Route path="/agenda/:view?/:day?/:who?"><Agenda me={me} /></Route>
        <Route path="/patient/:id/:tab?">{(p: { id: string }) => <PatientPage key={p.id} me={me} id={p.id} />}</Route>
        <Route>
          <div class="columns">
            <Today me={me} open={open} />
            <Search open={open} />
          </div>
        </Route>
      </Switch>
    </div>
  );
}

/** Today's appointments (the practitioner's own, or the whole practice's), every page of them. */
function Today({ me, open }: { me: Me; open: (id: string) => void }) {
  const [rows, setRows] = useState<{ id: string; start: string; patientId: string; name: string; status: string }[] | null>(null);
  const [cut, setCut] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const from = dayStart(new Date());
    loadVisits(from, addDays(from, 1), me.role === 'practitioner' ? me.userId : null)
      .then(async ({ visits, cut: c }) => {
        setCut(c);
        const named = await Promise.all(visits.map(async (v) => ({
          id: v.id, start: v.start.toISOString(), patientId: v.patientId, status: v.status,
          name: await patientNameOf(me.userId, v.patientId),
        })));
        setRows(named);
      })
      .catch(setError);
  }, [me]);
  return (
    <section class="card" aria-labelledby="today-title">
      <h2 id="today-title">{T('Rendez-vous du jour', "Today's appointments")}</h2>
      <Problem error={error} />
      {cut && <p class="warn" role="status">{cut}</p>}
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
  const [cut, setCut] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    setCut(null);
    // A refused search shows its refusal alone, not the previous search's patients.
    setFound(null);
    const q = new URLSearchParams();
    if (name.trim()) q.set('name', name.trim());
    if (birth) q.set('birthdate', birth);
    if (nir.trim()) q.set('identifier', `${INS_NIR}|${nir.replace(/\s/g, '')}`);
    q.set('_count', '20');
    try {
      const b = await get(`/fhir/Patient?${q}`);
      setFound(entries(b));
      // A listing the server cut says which budget and what to do, in its words.
      setCut(bundleWarning(b));
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
      {cut && <p class="warn" role="status" data-testid="cut">{cut}</p>}
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

