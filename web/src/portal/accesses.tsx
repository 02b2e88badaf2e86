import { fmtDateTime, fmtTime, T } from '../i18n.js';
import { useLoad } from '../clinical/load.js';
import { Problem } from '../ui.js';
import { accesses } from './data.js';
import { sittings } from './sittings.js';
import { codeOf } from './words.js';

/**
 * Accesses to the record, newest first, as a table that becomes one block per access on a narrow
 * screen; an emergency access (break the glass) is highlighted, with the reason its author gave.
 */
export function AccessTable({ events, caption }: { events: any[]; caption: string }) {
  if (events.length === 0) return <p class="muted">{T('Aucun accès enregistré.', 'No access recorded.')}</p>;
  const heads = [T('Quand', 'When'), T('Qui', 'Who'), T('Rôle', 'Role'), T('Quoi', 'What'), T('Pourquoi', 'Why')];
  return (
    <table data-testid="accesses" class="access-table">
      <caption class="sr-only">{caption}</caption>
      <thead><tr>{heads.map((h) => <th key={h} scope="col">{h}</th>)}</tr></thead>
      <tbody>
        {sittings(events).map(({ first, last, count, whats, whys }) => (
          <tr key={last.id} class={last.glass ? 'glass' : ''}>
            <td data-label={heads[0]}>
              {fmtTime(first.recorded) === fmtTime(last.recorded)
                ? fmtDateTime(last.recorded)
                : `${fmtDateTime(first.recorded)} – ${fmtTime(last.recorded)}`}
            </td>
            <td data-label={heads[1]}>{last.who}</td>
            <td data-label={heads[2]}>{last.role}</td>
            <td data-label={heads[3]}>
              {whats.join(', ')}
              {count > 1 && <span class="muted"> ({T(`${count} accès`, `${count} accesses`)})</span>}
            </td>
            <td data-label={heads[4]}>
              <span>
                {last.glass ? <strong class="tag sev-high">{last.why}</strong> : whys.join(', ')}
                {last.stated && (
                  <span class="stated" data-testid="glass-reason">
                    {T('Motif déclaré', 'Stated reason')} : « {last.stated} »
                  </span>
                )}
              </span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Every access to the record by a professional (CSP L1111-19: the patient may see the access traces). */
export function AccessesScreen({ patientId }: { patientId: string }) {
  const events = useLoad(() => accesses(patientId), [patientId]);
  const glass = events.state === 'ok' ? events.value.filter((e) => codeOf(e.purposeOfEvent?.[0]) === 'ETREAT') : [];
  return (
    <section class="card" aria-labelledby="who-title">
      <h1 id="who-title">{T('Qui a consulté mon dossier', 'Who opened my record')}</h1>
      <p class="muted">
        {T(
          'Chaque accès d’un professionnel à votre dossier est enregistré, avec son motif. Un accès d’urgence '
            + '(« bris de glace ») est signalé, avec la raison donnée par le médecin, et vérifié par le cabinet.',
          'Every access by a professional to your record is recorded, with its purpose. An emergency access '
            + '(“break the glass”) is highlighted, with the reason the doctor gave, and checked by the practice.',
        )}
      </p>
      {glass.length > 0 && (
        <p class="warn" role="status" data-testid="glass-count">
          {glass.length === 1
            ? T('1 accès d’urgence à votre dossier.', '1 emergency access to your record.')
            : T(`${glass.length} accès d’urgence à votre dossier.`,
              `${glass.length} emergency accesses to your record.`)}
        </p>
      )}
      {events.state === 'loading' && <p class="muted">{T('Chargement…', 'Loading…')}</p>}
      {(events.state === 'failed' || events.state === 'refused') && <Problem error={events.error} />}
      {events.state === 'ok' && (
        <AccessTable events={events.value} caption={T('Accès à mon dossier', 'Accesses to my record')} />
      )}
    </section>
  );
}
