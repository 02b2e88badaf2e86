import { navigate as hashNavigate } from 'wouter-preact/use-hash-location';

/**
 * One URL per screen, in the page's fragment (`#/agenda`, `#/patient/{id}`): the back button,
 * reload and bookmarks work, and the server never sees the path (it serves one page). Paths hold
 * identifiers only — never a name, a date of birth or a search term: a URL ends up in the
 * browser's history and in screenshots.
 */
export const PATHS = {
  home: '/',
  agenda: '/agenda',
  newPatient: '/patients/new',
  patient: (id: string, tab?: string) => (tab ? `/patient/${id}/${tab}` : `/patient/${id}`),
  admin: (area?: string) => (area ? `/admin/${area}` : '/admin'),
  security: (area?: string) => (area ? `/security/${area}` : '/security'),
  portal: (area?: string) => (area ? `/portal/${area}` : '/portal'),
} as const;

/** Goes to a screen (a new history entry; `replace` for a redirect, which the back button skips). */
export function go(path: string, replace = false): void {
  hashNavigate(path, { replace });
}

export { Link, Route, Router, Switch, useLocation, useParams, useRoute } from 'wouter-preact';
export { useHashLocation } from 'wouter-preact/use-hash-location';
