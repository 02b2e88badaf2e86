import { fmtDate, fmtTime, T } from '../i18n.js';
import { useLoad } from '../clinical/load.js';
import { Problem } from '../ui.js';
import { appointments, practitionerNames, practitionerOf } from './data.js';
import { codeOf, pick, VISIT_KINDS, VISIT_STATUSES } from './words.js';

/**
 * A visit to come: booked, or under way (arrived), and not over — one already seen, missed or
 * cancelled is past, whatever its scheduled end.
 */
function toCome(a: { end: string; status: string }, now: number): boolean {
  return new Date(a.end).getTime() >= now && (a.status === 'booked' || a.status === 'arrived');
}

/** Her appointments and the names of those she sees: upcoming first (soonest on top), then past ones. */
export async function appointmentsWithNames(patientId: string) {
  const [list, names] = await Promise.all([appointments(patientId), practitionerNames()]);
  const now = Date.now();
  const upcoming = list.filter((a) => toCome(a, now));
  const past = list.filter((a) => !upcoming.includes(a)).reverse();
  return { upcoming, past, names };
}

/** One appointment: when, with whom, what kind, and its state. */
export function AppointmentItem({ a, names }: { a: any; names: ReadonlyMap<string, string> }) {
  const who = practitionerOf((a.participant ?? []).map((p: any) => p.actor ?? {}));
  const status = a.status as string;
  return (
    <li class={`visit ${status}`} data-testid="appointment">
      <span class="visit-when">
        <strong>{fmtDate(a.start)}</strong> {T('à', 'at')} {fmtTime(a.start)}
      </span>
      <span class="visit-who">{(who && names.get(who)) ?? T('Un médecin du cabinet', 'A doctor of the practice')}</span>
      <span class="visit-what">
        {pick(VISIT_KINDS, codeOf(a.serviceType?.[0]))}
        <span class={`tag status-${status}`}>{pick(VISIT_STATUSES, status)}</span>
      </span>
    </li>
  );
}

export function AppointmentsScreen({ patientId }: { patientId: string }) {
  const loaded = useLoad(() => appointmentsWithNames(patientId), [patientId]);
  return (
    <>
      <section class="card" aria-labelledby="next-title">
        <h1 id="next-title">{T('Mes prochains rendez-vous', 'My upcoming appointments')}</h1>
        {loaded.state === 'loading' && <p class="muted">{T('Chargement…', 'Loading…')}</p>}
        {(loaded.state === 'failed' || loaded.state === 'refused') && <Problem error={loaded.error} />}
        {loaded.state === 'ok' && loaded.value.upcoming.length === 0 && (
          <p class="muted">{T('Aucun rendez-vous à venir.', 'No upcoming appointment.')}</p>
        )}
        {loaded.state === 'ok' && loaded.value.upcoming.length > 0 && (
          <ul class="visits" data-testid="upcoming">
            {loaded.value.upcoming.map((a) => <AppointmentItem key={a.id} a={a} names={loaded.value.names} />)}
          </ul>
        )}
        <p class="muted small-print">
          {T('Pour prendre, déplacer ou annuler un rendez-vous, appelez votre cabinet.',
            'To book, move or cancel an appointment, call your practice.')}
        </p>
      </section>
      <section class="card" aria-labelledby="past-title">
        <h2 id="past-title">{T('Rendez-vous passés', 'Past appointments')}</h2>
        {loaded.state === 'ok' && loaded.value.past.length === 0 && (
          <p class="muted">{T('Aucun rendez-vous passé.', 'No past appointment.')}</p>
        )}
        {loaded.state === 'ok' && loaded.value.past.length > 0 && (
          <ul class="visits" data-testid="past">
            {loaded.value.past.map((a) => <AppointmentItem key={a.id} a={a} names={loaded.value.names} />)}
          </ul>
        )}
      </section>
    </>
  );
}
