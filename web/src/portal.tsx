import type { Me } from './api.js';
import { T } from './i18n.js';
import { AccessesScreen } from './portal/accesses.js';
import { AppointmentsScreen } from './portal/appointments.js';
import { DataScreen } from './portal/data-screen.js';
import { DocumentsScreen } from './portal/documents.js';
import { HomeScreen } from './portal/home.js';
import { Link, PATHS, Route, Switch, useLocation } from './router.js';

/** The portal's screens, each at its own path (`#/portal/…`): back, reload and bookmarks work. */
const AREAS = [
  { path: PATHS.portal(), name: () => T('Accueil', 'Home') },
  { path: PATHS.portal('appointments'), name: () => T('Mes rendez-vous', 'My appointments') },
  { path: PATHS.portal('documents'), name: () => T('Mes documents', 'My documents') },
  { path: PATHS.portal('accesses'), name: () => T('Qui a consulté mon dossier', 'Who opened my record') },
  { path: PATHS.portal('data'), name: () => T('Mes données', 'My data') },
] as const;

/** The area a path shows (the sign-in lands on `/`: the portal's home). */
function areaOf(path: string): string {
  return AREAS.slice(1).find((a) => path === a.path || path.startsWith(`${a.path}/`))?.path ?? PATHS.portal();
}

/**
 * The patient portal: her appointments with her practitioners, the notes and documents they shared
 * with her, who opened her record, when and why (an emergency access with the reason stated), and
 * her data to download — a readable summary (PDF) and the whole of it as FHIR.
 */
export function Portal({ me }: { me: Me }) {
  const [location] = useLocation();
  const current = areaOf(location);
  const id = me.patientId as string;
  return (
    <div class="portal">
      <nav class="crumbs portal-nav" aria-label={T('Mon espace patient', 'My patient space')}>
        {AREAS.map((a) => (
          <Link key={a.path} href={a.path} aria-current={a.path === current ? 'page' : undefined}>{a.name()}</Link>
        ))}
      </nav>
      <Switch>
        <Route path={PATHS.portal('appointments')}><AppointmentsScreen patientId={id} /></Route>
        <Route path={PATHS.portal('documents')}><DocumentsScreen patientId={id} /></Route>
        <Route path={PATHS.portal('accesses')}><AccessesScreen patientId={id} /></Route>
        <Route path={PATHS.portal('data')}><DataScreen patientId={id} /></Route>
        <Route><HomeScreen patientId={id} /></Route>
      </Switch>
    </div>
  );
}
