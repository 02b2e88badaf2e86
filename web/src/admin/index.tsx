import { useEffect } from 'preact/hooks';
import type { Me } from '../api.js';
import { T } from '../i18n.js';
import { go, Link, PATHS, Route, Switch, useLocation } from '../router.js';
import { AgendaSettings } from '../agenda/settings.js';
import { AccountPage } from './account.js';
import { Accounts } from './accounts.js';
import { WaitingClients } from './clients.js';
import { Invite } from './invite.js';

/** The admin's screens, each at its own URL (reload and the back button keep it). */
const SCREENS = [
  { path: PATHS.admin('accounts'), fr: 'Comptes', en: 'Accounts' },
  { path: PATHS.admin('invite'), fr: 'Inviter un collègue', en: 'Invite a colleague' },
  { path: PATHS.admin('clients'), fr: 'Appareils en attente', en: 'Devices waiting' },
  { path: PATHS.admin('agenda'), fr: 'Agenda', en: 'Agenda' },
] as const;

/**
 * The practice administrator's face: the practice's accounts (invite, approve or refuse, reset a
 * second factor, disable) and their devices; the agenda's visit types, hours and absences. Nothing of patients: the policy gives this role the
 * accounts and the practice, not the records (so no link to the practice's patient screens).
 */
export function Admin({ me }: { me: Me }) {
  const [location] = useLocation();
  // The role's home is its accounts screen; anything else outside /admin goes there too.
  useEffect(() => {
    if (!location.startsWith('/admin/') || location === PATHS.admin()) go(PATHS.admin('accounts'), true);
  }, [location]);
  return (
    <div class="admin">
      <nav class="crumbs admin-nav" aria-label={T('Administration du cabinet', 'Practice administration')}>
        {SCREENS.map((s) => (
          <Link key={s.path} href={s.path}
            aria-current={location === s.path || location.startsWith(`${s.path}/`) ? 'page' : undefined}>
            {T(s.fr, s.en)}
          </Link>
        ))}
      </nav>
      <Switch>
        <Route path={PATHS.admin('invite')}><Invite /></Route>
        <Route path={PATHS.admin('clients')}><WaitingClients myId={me.userId} /></Route>
        <Route path={PATHS.admin('agenda')}><AgendaSettings /></Route>
        <Route path="/admin/accounts/:id">{(p: { id: string }) => <AccountPage key={p.id} id={p.id} me={me} />}</Route>
        <Route><Accounts /></Route>
      </Switch>
    </div>
  );
}
