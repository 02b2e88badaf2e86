import { get, nirOf, patientName } from '../api.js';
import { fmtDate, T } from '../i18n.js';
import { useLoad } from '../clinical/load.js';
import { Link, PATHS } from '../router.js';
import { Problem } from '../ui.js';
import { AccessTable } from './accesses.js';
import { AppointmentItem, appointmentsWithNames } from './appointments.js';
import { accesses } from './data.js';

/** How many of the latest accesses the home screen shows (all of them are one link away). */
const LATEST = 5;

/** Her identity as the practice registered it, her next appointment, and the latest accesses to her record. */
export function HomeScreen({ patientId }: { patientId: string }) {
  const patient = useLoad(() => get(`/fhir/Patient/${patientId}`), [patientId]);
  const visits = useLoad(() => appointmentsWithNames(patientId), [patientId]);
  const events = useLoad(() => accesses(patientId, LATEST), [patientId]);
  if (patient.state === 'loading') return <p class="muted">{T('Chargement…', 'Loading…')}</p>;
  if (patient.state !== 'ok') return <Problem error={patient.error} />;
  const p = patient.value;
  const addr = p.address?.[0];
  const next = visits.state === 'ok' ? visits.value.upcoming[0] : undefined;
  return (
    <>
      <section class="card" aria-labelledby="me-title">
        <h1 id="me-title">{patientName(p)}</h1>
        <dl class="facts">
          <dt>{T('Né(e) le', 'Born')}</dt><dd>{p.birthDate ? fmtDate(p.birthDate) : '—'}</dd>
          <dt>NIR</dt><dd>{nirOf(p) ?? '—'}</dd>
          <dt>{T('Adresse', 'Address')}</dt>
          <dd>{addr ? `${(addr.line ?? []).join(', ')}, ${addr.postalCode ?? ''} ${addr.city ?? ''}` : '—'}</dd>
        </dl>
        <p class="muted small-print">
          {T('Une erreur ? Signalez-la à votre cabinet, qui la corrigera.',
            'A mistake? Tell your practice, which will correct it.')}
        </p>
      </section>
      <section class="card" aria-labelledby="home-next-title">
        <h2 id="home-next-title">{T('Mon prochain rendez-vous', 'My next appointment')}</h2>
        {visits.state === 'ok' && !next && <p class="muted">{T('Aucun rendez-vous à venir.', 'No upcoming appointment.')}</p>}
        {visits.state === 'ok' && next && (
          <ul class="visits"><AppointmentItem a={next} names={visits.value.names} /></ul>
        )}
        {(visits.state === 'failed' || visits.state === 'refused') && <Problem error={visits.error} />}
        <Link href={PATHS.portal('appointments')}>{T('Tous mes rendez-vous', 'All my appointments')}</Link>
      </section>
      <section class="card" aria-labelledby="home-who-title">
        <h2 id="home-who-title">{T('Derniers accès à mon dossier', 'Latest accesses to my record')}</h2>
        {(events.state === 'failed' || events.state === 'refused') && <Problem error={events.error} />}
        {events.state === 'ok' && (
          <AccessTable events={events.value} caption={T('Derniers accès à mon dossier', 'Latest accesses')} />
        )}
        <Link href={PATHS.portal('accesses')}>{T('Voir tous les accès', 'See every access')}</Link>
      </section>
    </>
  );
}
