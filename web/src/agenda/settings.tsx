import { useEffect, useState } from 'preact/hooks';
import { api, post } from '../api.js';
import { fmtDateTime, T } from '../i18n.js';
import { Problem } from '../ui.js';
import { addDays, loadDoctors, loadSettings, type Doctor, type Hours, type Settings, type VisitType } from './data.js';
import { kindName } from './dialogs.js';

const DAYS: [number, () => string][] = [
  [1, () => T('Lundi', 'Monday')], [2, () => T('Mardi', 'Tuesday')], [3, () => T('Mercredi', 'Wednesday')],
  [4, () => T('Jeudi', 'Thursday')], [5, () => T('Vendredi', 'Friday')], [6, () => T('Samedi', 'Saturday')],
  [7, () => T('Dimanche', 'Sunday')],
];
const PALETTE = ['#2f6fb0', '#2e8b57', '#b8860b', '#8e44ad', '#c0392b', '#16a085'];

/**
 * The agenda's settings, the practice admin's: visit types (name, length, colour, kind), the
 * practice's opening hours (a morning and an afternoon per day at most) and practitioners' absences.
 */
export function AgendaSettings() {
  const [s, setS] = useState<Settings | null>(null);
  const [doctors, setDoctors] = useState<Doctor[]>([]);
  const [types, setTypes] = useState<VisitType[]>([]);
  const [hours, setHours] = useState<Hours[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const [round, setRound] = useState(0);
  const [away, setAway] = useState({ practitionerId: '', start: '', end: '' });
  useEffect(() => {
    const now = new Date();
    loadSettings(addDays(now, -1), addDays(now, 365)).then((x) => {
      setS(x);
      setTypes(x.visitTypes);
      setHours(x.hours.filter((h) => h.practitionerId === null));
    }).catch(setError);
    loadDoctors().then(setDoctors).catch(setError);
  }, [round]);
  const act = async (what: string, f: () => Promise<unknown>) => {
    setError(null);
    setSaved(null);
    try {
      await f();
      setSaved(what);
      setRound((n) => n + 1);
    } catch (e) {
      setError(e);
    }
  };
  const setType = (i: number, k: keyof VisitType, v: unknown) => setTypes(types.map((t, j) => (j === i ? { ...t, [k]: v } : t)));
  const dayHours = (d: number) => hours.filter((h) => h.weekday === d);
  const setDay = (d: number, slot: number, k: 'opens' | 'closes', v: string) => {
    const mine = [...dayHours(d)];
    const cur = mine[slot] ?? { practitionerId: null, weekday: d, opens: '', closes: '' };
    mine[slot] = { ...cur, [k]: v };
    setHours([...hours.filter((h) => h.weekday !== d), ...mine]);
  };
  if (!s) return <><Problem error={error} /><p class="muted">{T('Chargement…', 'Loading…')}</p></>;
  return (
    <section class="card" aria-labelledby="as-title">
      <h1 id="as-title">{T('Agenda du cabinet', 'The practice’s agenda')}</h1>
      <Problem error={error} />
      {saved && <p class="ok" role="status">{saved}</p>}
      <h2>{T('Types de consultation', 'Visit types')}</h2>
      <div class="table-wrap" tabIndex={0}>
        <table data-testid="visit-types">
          <thead><tr>
            <th>{T('Nom', 'Name')}</th><th>{T('Durée (min)', 'Length (min)')}</th><th>{T('Couleur', 'Colour')}</th>
            <th>{T('Nature', 'Kind')}</th><th>{T('Proposé', 'Offered')}</th>
          </tr></thead>
          <tbody>
            {types.map((t, i) => (
              <tr key={t.id}>
                <td><input aria-label={T('Nom', 'Name')} value={t.label} maxLength={60} onInput={(e) => setType(i, 'label', e.currentTarget.value)} /></td>
                <td><input aria-label={T('Durée (min)', 'Length (min)')} type="number" min={5} max={240} step={5} value={t.minutes}
                  onInput={(e) => setType(i, 'minutes', Number(e.currentTarget.value))} /></td>
                <td><input aria-label={T('Couleur', 'Colour')} type="color" value={t.colour} onInput={(e) => setType(i, 'colour', e.currentTarget.value)} /></td>
                <td><select aria-label={T('Nature', 'Kind')} value={t.kind} onChange={(e) => setType(i, 'kind', e.currentTarget.value)}>
                  {(['consultation', 'home-visit', 'teleconsultation'] as const).map((k) => <option key={k} value={k}>{kindName(k)}</option>)}
                </select></td>
                <td><input aria-label={T('Proposé', 'Offered')} type="checkbox" checked={t.active} onChange={(e) => setType(i, 'active', e.currentTarget.checked)} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div class="actions">
        <button type="button" onClick={() => setTypes([...types, {
          id: crypto.randomUUID(), label: '', minutes: 20, colour: PALETTE[types.length % PALETTE.length]!, kind: 'consultation', active: true,
        }])}>{T('Ajouter un type', 'Add a type')}</button>
        <button type="button" class="primary" onClick={() => act(T('Types de consultation enregistrés.', 'Visit types saved.'),
          () => api('PUT', '/agenda/visit-types', { visitTypes: types }))}>
            {T('Enregistrer les types', 'Save the types')}
          </button>
      </div>
      <h2>{T('Heures d’ouverture', 'Opening hours')}</h2>
      <p class="muted">{T('Aucune heure saisie : l’agenda accepte toute heure. Laissez vide un jour de fermeture.',
        'No hours set: the agenda takes any time. Leave a closed day empty.')}</p>
      <div class="table-wrap" tabIndex={0}>
        <table data-testid="hours">
          <tbody>
            {DAYS.map(([d, name]) => (
              <tr key={d}>
                <th scope="row">{name()}</th>
                {[0, 1].map((slot) => (
                  <td key={slot}>
                    <input type="time" aria-label={`${name()} ${slot === 0 ? T('ouverture', 'opens') : T('réouverture', 'reopens')}`}
                      value={dayHours(d)[slot]?.opens ?? ''} onInput={(e) => setDay(d, slot, 'opens', e.currentTarget.value)} />
                    {' – '}
                    <input type="time" aria-label={`${name()} ${slot === 0 ? T('pause', 'break') : T('fermeture', 'closes')}`}
                      value={dayHours(d)[slot]?.closes ?? ''} onInput={(e) => setDay(d, slot, 'closes', e.currentTarget.value)} />
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <button type="button" class="primary" onClick={() => act(T('Heures d’ouverture enregistrées.', 'Opening hours saved.'),
        () => api('PUT', '/agenda/hours', {
          practitionerId: null,
          hours: hours.filter((h) => h.opens && h.closes).map(({ weekday, opens, closes }) => ({ weekday, opens, closes })),
        }))}>{T('Enregistrer les heures', 'Save the hours')}</button>
      <h2>{T('Absences', 'Absences')}</h2>
      <ul class="list" data-testid="absences">
        {s.absences.length === 0 && <li class="muted">{T('Aucune absence prévue.', 'No absence planned.')}</li>}
        {s.absences.map((a) => (
          <li key={a.id}>
            {doctors.find((d) => d.id === a.practitionerId)?.name ?? '—'} : {fmtDateTime(a.start)} → {fmtDateTime(a.end)}{' '}
            <button type="button" class="link" onClick={() => act(T('Absence retirée.', 'Absence removed.'),
              () => api('DELETE', `/agenda/absences/${a.id}`))}>{T('retirer', 'remove')}</button>
          </li>
        ))}
      </ul>
      <form class="grid" onSubmit={(ev) => {
        ev.preventDefault();
        void act(T('Absence ajoutée.', 'Absence added.'), () => post('/agenda/absences', {
          practitionerId: away.practitionerId, start: new Date(away.start).toISOString(), end: new Date(away.end).toISOString(),
        }));
      }}>
        <label for="ab-doc">{T('Médecin', 'Practitioner')}</label>
        <select id="ab-doc" required value={away.practitionerId} onChange={(e) => setAway({ ...away, practitionerId: e.currentTarget.value })}>
          <option value="">{T('Médecin…', 'Practitioner…')}</option>
          {doctors.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
        </select>
        <label for="ab-from">{T('Du', 'From')}</label>
        <input id="ab-from" type="datetime-local" required value={away.start} onInput={(e) => setAway({ ...away, start: e.currentTarget.value })} />
        <label for="ab-to">{T('Au', 'To')}</label>
        <input id="ab-to" type="datetime-local" required value={away.end} onInput={(e) => setAway({ ...away, end: e.currentTarget.value })} />
        <button type="submit">{T('Ajouter l’absence', 'Add the absence')}</button>
      </form>
    </section>
  );
}
