import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
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

/** The dialogs shown, oldest first: Escape closes the last one only. */
const open: object[] = [];

/**
 * A modal dialog: a titled box over the page, focus moved into it (to its `autoFocus` element: the
 * attribute alone is honoured once per page load, not for a box shown later) and given back to
 * where it was when it closes; Escape closes it when it can be closed. `wide` for what needs the
 * room (a document's viewer).
 */
export function Dialog({ id, title, children, close, wide }: {
  id: string; title: string; children: ComponentChildren; close?: () => void; wide?: boolean;
}) {
  const box = useRef<HTMLDivElement>(null);
  // Layout effects: the focus moves in, and Escape works, from the first frame the box is shown — a
  // key pressed before a later effect ran was lost, and the box stayed open.
  useLayoutEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const el = box.current;
    (el?.querySelector<HTMLElement>('[autofocus]') ?? el)?.focus();
    return () => {
      if (before?.isConnected) before.focus();
    };
  }, []);
  // Escape closes the topmost box, wherever the focus is (its place in the stack is kept from its
  // first frame to its last; `close` is read when the key comes, as the latest render gave it).
  const closing = useRef(close);
  closing.current = close;
  useLayoutEffect(() => {
    const me = {};
    open.push(me);
    const key = (ev: KeyboardEvent) => {
      const shut = closing.current;
      if (ev.key !== 'Escape' || !shut || open[open.length - 1] !== me) return;
      ev.preventDefault();
      shut();
    };
    document.addEventListener('keydown', key);
    return () => {
      document.removeEventListener('keydown', key);
      open.splice(open.indexOf(me), 1);
    };
  }, []);
  return (
    <div class="dialog-backdrop">
      <div
        ref={box} class={wide ? 'dialog wide' : 'dialog'} role="dialog" aria-modal="true" aria-labelledby={id}
        tabIndex={-1}
      >
        <h2 id={id}>{title}</h2>
        {children}
      </div>
    </div>
  );
}
