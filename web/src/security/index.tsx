import type { Me } from '../api.js';
import { T } from '../i18n.js';
import { Link, PATHS, Route, Switch, useLocation } from '../router.js';
import { AccountScreen } from './account.js';
import { AlertsScreen } from './alerts.js';
import { ApprovalsScreen } from './approvals.js';
import { AuditScreen } from './audit.js';
import { IncidentForm } from './incident-form.js';
import { IncidentScreen } from './incident.js';
import { OverviewScreen } from './overview.js';
import { RegisterScreen } from './register.js';

/** The console's screens, each at its own path (`#/security/…`): back, reload and bookmarks work. */
const AREAS = [
  { path: PATHS.security(), name: () => T('Alertes', 'Alerts') },
  { path: PATHS.security('approvals'), name: () => T('Approbations', 'Approvals') },
  { path: PATHS.security('incidents'), name: () => T('Incidents', 'Incidents') },
  { path: PATHS.security('overview'), name: () => T('Vue d’ensemble', 'Overview') },
  { path: PATHS.security('audit'), name: () => T('Journal d’accès', 'Access log') },
] as const;

/** Which area a path belongs to (an incident's screen is under Incidents; an account's under Alerts). */
function areaOf(path: string): string {
  const found = AREAS.slice(1).find((a) => path === a.path || path.startsWith(`${a.path}/`));
  return found?.path ?? PATHS.security();
}

/**
 * The security console: live alerts and each account's steps, what waits for a second officer,
 * the breach register with each incident's scope and documents, an overview, and the access log.
 * Paths hold identifiers only (an account's or an incident's id), never a name.
 */
export function Security({ me }: { me: Me }) {
  const [location] = useLocation();
  const current = areaOf(location);
  return (
    <div class="security">
      <nav class="crumbs security-nav" aria-label={T('Console de sécurité', 'Security console')}>
        {AREAS.map((a) => (
          <Link key={a.path} href={a.path} aria-current={a.path === current ? 'page' : undefined}>{a.name()}</Link>
        ))}
      </nav>
      <Switch>
        <Route path={PATHS.security('approvals')}><ApprovalsScreen me={me} /></Route>
        <Route path={PATHS.security('incidents')}><RegisterScreen /></Route>
        <Route path={PATHS.security('incidents/new')}><IncidentForm /></Route>
        <Route path={PATHS.security('incidents/:id')}>
          {(p: { id: string }) => <IncidentScreen key={p.id} me={me} id={p.id} />}
        </Route>
        <Route path={PATHS.security('accounts/:userId')}>
          {(p: { userId: string }) => <AccountScreen key={p.userId} me={me} userId={p.userId} />}
        </Route>
        <Route path={PATHS.security('overview')}><OverviewScreen /></Route>
        <Route path={PATHS.security('audit')}><AuditScreen /></Route>
        <Route><AlertsScreen me={me} /></Route>
      </Switch>
    </div>
  );
}
