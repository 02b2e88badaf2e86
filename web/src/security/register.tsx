import { fmtDateTime, T } from '../i18n.js';
import { Link, PATHS } from '../router.js';
import { Problem } from '../ui.js';
import { short, useServer } from './common.js';

/** An incident as the register lists it. */
export interface Listed {
  id: string;
  createdAt: string;
  kind: string;
  patients: number;
  notes: number;
  events: { at: string; event: string }[];
  /** Whether its notices wait for a second officer (absent from an older server). */
  awaitingApproval?: boolean;
  createdBy?: string | null;
}

/** A step of an incident's timeline, in words. */
export function eventName(e: string): string {
  switch (e) {
    case 'detected': return T('détecté', 'detected');
    case 'scoped': return T('périmètre établi', 'scoped');
    case 'contained': return T('contenu', 'contained');
    case 'cnil-notified': return T('CNIL notifiée', 'CNIL notified');
    case 'patients-notified': return T('patients informés', 'patients notified');
    case 'practitioners-notified': return T('praticiens informés', 'practitioners notified');
    case 'notices-approved': return T('notifications approuvées', 'notices approved');
    case 'closed': return T('clos', 'closed');
    case 'note': return T('note', 'note');
    default: return e;
  }
}

/** The breach register (GDPR Art. 33(5)): every incident, each with its own screen. */
export function RegisterScreen() {
  const r = useServer<{ incidents: Listed[] }>('/security/incidents', 10_000);
  const list = r.data?.incidents ?? null;
  return (
    <section class="card" aria-labelledby="reg-title">
      <div class="card-head">
        <h1 id="reg-title">{T('Registre des violations', 'Breach register')}</h1>
        <Link href={PATHS.security('incidents/new')} class="button primary-link">
          {T('Nouvel incident', 'New incident')}
        </Link>
      </div>
      <Problem error={r.error} />
      {list !== null && list.length === 0 && (
        <p class="muted">{T('Aucun incident enregistré.', 'No incident recorded.')}</p>
      )}
      {list !== null && list.length > 0 && (
        <div class="scroll" tabIndex={0} role="region" aria-labelledby="reg-title">
          <table data-testid="register">
            <thead>
              <tr>
                <th scope="col">{T('Incident', 'Incident')}</th><th scope="col">{T('Ouvert le', 'Opened')}</th>
                <th scope="col">{T('Patients', 'Patients')}</th><th scope="col">{T('Notes', 'Notes')}</th>
                <th scope="col">{T('Chronologie', 'Timeline')}</th>
              </tr>
            </thead>
            <tbody>
              {list.slice(0, 50).map((i) => (
                <tr key={i.id}>
                  <th scope="row"><Link href={PATHS.security(`incidents/${i.id}`)}>{short(i.id)}</Link></th>
                  <td>{fmtDateTime(i.createdAt)}</td><td>{i.patients}</td><td>{i.notes}</td>
                  <td>
                    {i.events.map((e) => `${eventName(e.event)} (${fmtDateTime(e.at)})`).join(' → ')}
                    {i.awaitingApproval && (
                      <> · <span class="warn">{T('approbation attendue', 'approval awaited')}</span></>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
