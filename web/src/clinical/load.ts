import { useEffect, useState } from 'preact/hooks';
import { ApiError, bundleWarning, entries, get } from '../api.js';

/**
 * One patient's resources of a type, newest clinical date first (the server's order), following
 * the bundle's `next` links up to `pages` pages. A page the server cut (a disclosure budget) ends
 * the listing and its reason is kept, in the server's words, to be shown.
 */
export interface Listing<T = any> {
  readonly items: T[];
  /** The server's reason for a cut listing. */
  readonly cut: string | null;
  /** More pages were left unread. */
  readonly more: boolean;
}

export async function searchAll(
  type: string, patientId: string, params: Record<string, string> = {}, pages = 1,
): Promise<Listing> {
  const q = new URLSearchParams({ patient: patientId, ...params, _count: '50' });
  let path: string | null = `/fhir/${type}?${q}`;
  const items: any[] = [];
  for (let i = 0; i < pages && path; i++) {
    const b: any = await get(path);
    items.push(...entries(b));
    const cut = bundleWarning(b);
    if (cut) return { items, cut, more: false };
    const next = (b.link ?? []).find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
    path = next ? new URL(next, location.origin).pathname + new URL(next, location.origin).search : null;
  }
  return { items, cut: null, more: path !== null };
}

export type Loaded<T> =
  | { readonly state: 'loading' }
  | { readonly state: 'ok'; readonly value: T }
  /** Refused: the server's reason (no care relationship, a budget). */
  | { readonly state: 'refused'; readonly error: ApiError }
  | { readonly state: 'failed'; readonly error: unknown };

/** Loads on mount and whenever a key changes (a write bumps `version`); a refusal is kept apart from a failure. */
export function useLoad<T>(load: () => Promise<T>, keys: readonly unknown[]): Loaded<T> {
  const [s, setS] = useState<Loaded<T>>({ state: 'loading' });
  useEffect(() => {
    let live = true;
    load()
      .then((value) => live && setS({ state: 'ok', value }))
      .catch((error) => {
        if (!live) return;
        const refused = error instanceof ApiError && error.status === 403;
        setS(refused ? { state: 'refused', error } : { state: 'failed', error });
      });
    return () => {
      live = false;
    };
  }, keys);
  return s;
}
