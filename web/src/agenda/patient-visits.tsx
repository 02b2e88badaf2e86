import { useEffect, useState } from 'preact/hooks';
import { entries, get, type Me } from '../api.js';
import { fmtDateTime, T } from '../i18n.js';
import { statusName } from '../ui.js';
import { addDays, loadDoctors, loadSettings, visitOf, type Doctor, type Settings, type Visit } from './data.js';
import { NewVisit, VisitDialog } from './dialogs.js';

/** A patient's appointments on their page: those to come, then the past ones; each opens, and one is booked here. */
export function PatientVisits({ me, patientId, name }: { me: Me; patientId: string; name: string }) {
  const [visits, setVisits] = useState<Visit[] | null>(null);
  const [more, setMore] = useState(false);
  const [doctors, setDoctors] = useState<Doctor[]>([]);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [open, setOpen] = useState<Visit | null>(null);
  const [booking, setBooking] = useState(false);
  const [round, setRound] = useState(0);
  useEffect(() => {
    get(`/fhir/Appointment?patient=${patientId}&_count=100`).then((b) => {
      setVisits(entries(b).map(visitOf).sort((x, y) => y.start.getTime() - x.start.getTime()));
      setMore((b.link ?? []).some((l: { relation: string }) => l.relation === 'next'));
    }).catch(() => setVisits([]));
  }, [patientId, round]);
  useEffect(() => {
    loadDoctors().then(setDoctors).catch(() => undefined);
    const now = new Date();
    loadSettings(addDays(now, -1), addDays(now, 60)).then(setSettings).catch(() => undefined);
  }, []);
  const now = Date.now();
  const coming = (visits ?? []).filter((v) => v.end.getTime() >= now).reverse();
  const past = (visits ?? []).filter((v) => v.end.getTime() < now);
  const changed = () => {
    setOpen(null);
    setBooking(false);
    setRound((n) => n + 1);
  };
  const row = (v: Visit) => (
    <li key={v.id}>
      <button type="button" class="link" onClick={() => setOpen(v)}>{fmtDateTime(v.start.toISOString())}</button>{' '}
      <span class="muted">{doctors.find((d) => d.id === v.practitionerId)?.name ?? ''}</span>{' '}
      <span class="tag">{statusName(v.status)}</span>
    </li>
  );
  return (
    <section class="card" aria-labelledby="a-title">
      <h2 id="a-title">{T('Rendez-vous', 'Appointments')}</h2>
      {visits === null && <p class="muted">{T('Chargement…', 'Loading…')}</p>}
      {visits !== null && (
        <>
          <h3>{T('À venir', 'Upcoming')}</h3>
          {coming.length === 0 ? <p class="muted">{T('Aucun rendez-vous à venir.', 'No upcoming appointment.')}</p>
            : <ul class="list" data-testid="visits-coming">{coming.map(row)}</ul>}
          <h3>{T('Passés', 'Past')}</h3>
          {past.length === 0 ? <p class="muted">{T('Aucun rendez-vous passé.', 'No past appointment.')}</p>
            : <ul class="list" data-testid="visits-past">{past.slice(0, 20).map(row)}</ul>}
          {(more || past.length > 20) && <p class="muted">
            {T('Les rendez-vous plus anciens sont dans l’agenda.', 'Older appointments are in the agenda.')}
          </p>}
        </>
      )}
      <button type="button" onClick={() => setBooking(true)}>{T('Nouveau rendez-vous', 'New appointment')}</button>
      {open && (
        <VisitDialog me={me} visit={open} name={name} doctors={doctors} settings={settings}
          close={() => setOpen(null)} changed={changed} />
      )}
      {booking && (
        <NewVisit me={me} doctors={doctors} settings={settings} at={nextQuarter()} doctorId={null}
          patient={{ id: patientId, name }} close={() => setBooking(false)} changed={changed} />
      )}
    </section>
  );
}

function nextQuarter(): Date {
  return new Date(Math.ceil(Date.now() / 900_000) * 900_000);
}
