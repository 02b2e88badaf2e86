import type { ComponentChildren } from 'preact';
import { ApiError } from './api.js';
import { T } from './i18n.js';
import { refusalText } from './refusals.js';

/** An API error, in the words the server chose for people (refusals.ts: in English, its code's). */
export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  const msg = error instanceof ApiError ? refusalText(error) : T('Le serveur ne répond pas.', 'The server does not answer.');
  return <p class="error" role="alert">{msg}</p>;
}

export function statusName(s: string): string {
  return ({ booked: T('prévu', 'booked'), arrived: T('arrivé', 'arrived'), fulfilled: T('honoré', 'fulfilled'), cancelled: T('annulé', 'cancelled'), noshow: T('absent', 'no-show') } as Record<string, string>)[s] ?? s;
}

export function genderName(g: string | undefined): string {
  return g ? (({ female: T('féminin', 'female'), male: T('masculin', 'male'), other: T('autre', 'other'), unknown: T('inconnu', 'unknown') } as Record<string, string>)[g] ?? g) : '—';
}

/** A modal dialog: a titled box over the page, focus starting in it. */
export function Dialog({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <div class="dialog-backdrop">
      <div class="dialog" role="dialog" aria-modal="true" aria-labelledby={id}>
        <h2 id={id}>{title}</h2>
        {children}
      </div>
    </div>
  );
}
