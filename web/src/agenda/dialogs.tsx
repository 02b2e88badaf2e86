import { useEffect, useState } from 'preact/hooks';
import { entries, get, patientName, post, request, type Me } from '../api.js';
import { fmtDateTime, T } from '../i18n.js';
import { go, PATHS } from '../router.js';
import { Dialog, Problem, statusName } from '../ui.js';
import { appointmentOf, localInput, type Doctor, type Settings, type Visit } from './data.js';

/** Why a visit is cancelled: HL7 appointment-cancellation-reason codes, in the desk's words. */
const REASONS: [string, () => string][] = [
  ['pat', () => T('À la demande du patient', 'At the patient’s request')],
  ['prov', () => T('Indisponibilité du médecin', 'The practitioner is unavailable')],
  ['oth-err', () => T('Rendez-vous pris par erreur', 'Booked in error')],
  ['other', () => T('Autre raison', 'Other reason')],
];

/** A FHIR update of an appointment (the calendar's writes carry no version: the database keeps each). */
async function save(v: Visit): Promise<void> {
  await request('PUT', `/fhir/Appointment/${v.id}`, appointmentOf(v));
}

/** One visit: who, when, what; arrived, seen, missed, moved, cancelled with a reason; its history. */
export function VisitDialog({ me, visit, name, doctors, settings, close, changed }: {
  me: Me; visit: Visit; name: string; doctors: Doctor[]; settings: Settings | null;
  close: () => void; changed: () => void;
}) {
  const [mode, setMode] = useState<'view' | 'move' | 'cancel' | 'history'>('view');
  const [error, setError] = useState<unknown>(null);
  const [when, setWhen] = useState(localInput(visit.start));
  const [doctor, setDoctor] = useState(visit.practitionerId);
  const [reason, setReason] = useState('pat');
  const [history, setHistory] = useState<any[] | null>(null);
  const type = settings?.visitTypes.find((t) => t.id === visit.visitTypeId);
  const doctorName = doctors.find((d) => d.id === visit.practitionerId)?.name ?? '—';
  const act = async (next: Partial<Visit>) => {
    setError(null);
    try {
      await save({ ...visit, ...next });
      changed();
    } catch (e) {
      setError(e);
    }
  };
  const move = (ev: Event) => {
    ev.preventDefault();
    const start = new Date(when);
    const length = visit.end.getTime() - visit.start.getTime();
    void act({ start, end: new Date(start.getTime() + length), practitionerId: doctor, status: 'booked' });
  };
  useEffect(() => {
    if (mode !== 'history') return;
    get(`/fhir/Appointment/${visit.id}/_history`).then((b) => setHistory(entries(b))).catch(setError);
  }, [mode]);
  const open = visit.status === 'booked' || visit.status === 'arrived';
  return (
    <Dialog id="visit-title" title={`${name} — ${fmtDateTime(visit.start.toISOString())}`} close={close}>
      <dl class="facts">
        <dt>{T('Médecin', 'Practitioner')}</dt><dd>{doctorName}</dd>
        <dt>{T('Type', 'Type')}</dt><dd>{type?.label ?? kindName(visit.kind)}</dd>
        <dt>{T('Statut', 'Status')}</dt><dd data-testid="visit-status">{statusName(visit.status)}</dd>
      </dl>
      <Problem error={error} />
      {mode === 'view' && (
        <div class="actions wrap">
          {visit.status === 'booked' && <button type="button" class="primary" onClick={() => act({ status: 'arrived' })}>
            {T('Arrivé', 'Arrived')}
          </button>}
          {open && me.role === 'practitioner' && <button type="button" onClick={() => act({ status: 'fulfilled' })}>
            {T('Vu', 'Seen')}
          </button>}
          {visit.status === 'booked' && <button type="button" onClick={() => act({ status: 'noshow' })}>
            {T('Absent', 'No-show')}
          </button>}
          {open && <button type="button" onClick={() => setMode('move')}>{T('Déplacer', 'Move')}</button>}
          {open && <button type="button" class="danger" onClick={() => setMode('cancel')}>
            {T('Annuler le rendez-vous', 'Cancel the appointment')}
          </button>}
          <button type="button" onClick={() => setMode('history')}>{T('Historique', 'History')}</button>
          <button type="button" onClick={() => go(PATHS.patient(visit.patientId))}>
            {T('Ouvrir le dossier', 'Open the chart')}
          </button>
          <button type="button" onClick={close} autoFocus>{T('Fermer', 'Close')}</button>
        </div>
      )}
      {mode === 'move' && (
        <form class="grid" onSubmit={move}>
          <label for="move-when">{T('Nouvelle date et heure', 'New date and time')}</label>
          <input id="move-when" type="datetime-local" required value={when} onInput={(e) => setWhen(e.currentTarget.value)} />
          <label for="move-doc">{T('Médecin', 'Practitioner')}</label>
          <select id="move-doc" value={doctor} onChange={(e) => setDoctor(e.currentTarget.value)}>
            {doctors.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
          </select>
          <div class="actions">
            <button type="submit" class="primary">{T('Déplacer', 'Move')}</button>
            <button type="button" onClick={() => setMode('view')}>{T('Retour', 'Back')}</button>
          </div>
        </form>
      )}
      {mode === 'cancel' && (
        <form class="grid" onSubmit={(ev) => { ev.preventDefault(); void act({ status: 'cancelled', cancelReason: reason }); }}>
          <label for="cancel-why">{T('Motif d’annulation', 'Reason for cancelling')}</label>
          <select id="cancel-why" value={reason} onChange={(e) => setReason(e.currentTarget.value)}>
            {REASONS.map(([code, label]) => <option key={code} value={code}>{label()}</option>)}
          </select>
          <div class="actions">
            <button type="submit" class="danger">{T('Confirmer l’annulation', 'Confirm the cancellation')}</button>
            <button type="button" onClick={() => setMode('view')}>{T('Retour', 'Back')}</button>
          </div>
        </form>
      )}
      {mode === 'history' && (
        <>
          {history === null ? <p class="muted">{T('Chargement…', 'Loading…')}</p> : (
            <ol class="list" data-testid="visit-history">
              {history.map((h) => (
                <li key={h.meta?.versionId}>
                  <span class="time">{fmtDateTime(h.meta?.lastUpdated)}</span> {statusName(h.status)} —{' '}
                  {fmtDateTime(h.start)} · {doctors.find((d) => `Practitioner/${d.id}` === h.participant?.[1]?.actor?.reference)?.name ?? ''}
                </li>
              ))}
            </ol>
          )}
          <div class="actions"><button type="button" onClick={() => setMode('view')}>
            {T('Retour', 'Back')}
          </button></div>
        </>
      )}
    </Dialog>
  );
}

export function kindName(k: string): string {
  return ({
    consultation: T('Consultation', 'Consultation'), 'home-visit': T('Visite à domicile', 'Home visit'),
    teleconsultation: T('Téléconsultation', 'Teleconsultation'),
  } as Record<string, string>)[k] ?? k;
}

/** Books a visit: a patient found by name, a practitioner, a visit type (its length), a date and time. */
export function NewVisit({ me, doctors, settings, at, doctorId, patient, close, changed }: {
  me: Me; doctors: Doctor[]; settings: Settings | null; at: Date; doctorId: string | null;
  patient?: { id: string; name: string }; close: () => void; changed: () => void;
}) {
  const types = (settings?.visitTypes ?? []).filter((t) => t.active);
  const [who, setWho] = useState(patient ?? null);
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<any[] | null>(null);
  const [doctor, setDoctor] = useState(doctorId ?? (me.role === 'practitioner' ? me.userId : doctors[0]?.id ?? ''));
  const [type, setType] = useState(types[0]?.id ?? '');
  const [when, setWhen] = useState(localInput(at));
  const [error, setError] = useState<unknown>(null);
  // The practitioners and visit types may arrive after the dialog opened: the form takes the first then.
  useEffect(() => {
    if (!doctor && doctors[0]) setDoctor(doctors[0].id);
    if (!type && types[0]) setType(types[0].id);
  }, [doctors, types.length]);
  const search = async () => {
    setError(null);
    try {
      setFound(entries(await get(`/fhir/Patient?name=${encodeURIComponent(query.trim())}&_count=10`)));
    } catch (e) {
      setError(e);
    }
  };
  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (!who) return;
    setError(null);
    const t = types.find((x) => x.id === type);
    const start = new Date(when);
    try {
      await post('/fhir/Appointment', appointmentOf({
        patientId: who.id, practitionerId: doctor, start, end: new Date(start.getTime() + (t?.minutes ?? 20) * 60_000),
        status: 'booked', kind: t?.kind ?? 'consultation', visitTypeId: t?.id ?? null, cancelReason: null,
      }));
      changed();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Dialog id="new-visit-title" title={T('Nouveau rendez-vous', 'New appointment')} close={close}>
      <form class="grid" onSubmit={submit}>
        {who ? (
          <>
            <span>{T('Patient', 'Patient')}</span>
            <span data-testid="new-visit-patient"><strong>{who.name}</strong>{!patient && (
              <> <button type="button" class="link" onClick={() => setWho(null)}>{T('changer', 'change')}</button></>
            )}</span>
          </>
        ) : (
          <>
            <label for="nv-query">{T('Patient (nom prénom)', 'Patient (name)')}</label>
            <span class="inline">
              <input id="nv-query" value={query} onInput={(e) => setQuery(e.currentTarget.value)} autoFocus
                onKeyDown={(e) => { if (e.key === 'Enter') { e.preventDefault(); void search(); } }} />
              <button type="button" onClick={search}>{T('Chercher', 'Search')}</button>
            </span>
            {found !== null && (
              <ul class="list span2" data-testid="nv-found">
                {found.length === 0 && <li class="muted">{T('Aucun patient trouvé.', 'No patient found.')}</li>}
                {found.map((p) => (
                  <li key={p.id}><button type="button" class="link" onClick={() => setWho({ id: p.id, name: patientName(p) })}>{patientName(p)}</button></li>
                ))}
              </ul>
            )}
          </>
        )}
        <label for="nv-doc">{T('Médecin', 'Practitioner')}</label>
        <select id="nv-doc" required value={doctor} onChange={(e) => setDoctor(e.currentTarget.value)}>
          {doctors.map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
        </select>
        {types.length > 0 && (
          <>
            <label for="nv-type">{T('Type de consultation', 'Visit type')}</label>
            <select id="nv-type" value={type} onChange={(e) => setType(e.currentTarget.value)}>
              {types.map((t) => <option key={t.id} value={t.id}>{`${t.label} (${t.minutes} min)`}</option>)}
            </select>
          </>
        )}
        <label for="nv-when">{T('Date et heure', 'Date and time')}</label>
        <input id="nv-when" type="datetime-local" required value={when} onInput={(e) => setWhen(e.currentTarget.value)} />
        <Problem error={error} />
        <div class="actions span2">
          <button type="submit" class="primary" disabled={!who}>{T('Réserver', 'Book')}</button>
          <button type="button" onClick={close}>{T('Fermer', 'Close')}</button>
        </div>
      </form>
    </Dialog>
  );
}
