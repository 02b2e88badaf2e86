import { useEffect, useState } from 'preact/hooks';
import { entries, get, type Me } from './api.js';

/**
 * The names of the practice's practitioners, for the author of a note or a document: one listing
 * (`GET /fhir/Practitioner`, the practice's staff) per signed-in person, not one read per author —
 * an author outside the listing (another practice's, after an emergency access) is not asked for,
 * so that the page meets no refusal of its own making.
 */
let cached: { userId: string; names: Promise<ReadonlyMap<string, string>> } | null = null;

async function listing(): Promise<ReadonlyMap<string, string>> {
  const names = new Map<string, string>();
  let path: string | null = '/fhir/Practitioner?_count=50';
  for (let i = 0; i < 4 && path; i++) {
    const b: any = await get(path);
    for (const p of entries(b)) names.set(p.id, practitionerName(p));
    const next = (b.link ?? []).find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
    path = next ? new URL(next, location.origin).pathname + new URL(next, location.origin).search : null;
  }
  return names;
}

export function practitionerName(p: any): string {
  const n = p?.name?.[0];
  if (!n) return '—';
  return [...(n.prefix ?? []), ...(n.given ?? []), n.family].filter(Boolean).join(' ');
}

/** The practice's practitioners by id (empty until they arrive, and if they cannot). */
export function useAuthorNames(me: Me): ReadonlyMap<string, string> {
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());
  useEffect(() => {
    if (cached?.userId !== me.userId) cached = { userId: me.userId, names: listing() };
    let live = true;
    cached.names.then((n) => live && setNames(n)).catch(() => {
      // Names are a convenience: without them the author shows as "—"; the next page asks again.
      cached = null;
    });
    return () => {
      live = false;
    };
  }, [me.userId]);
  return names;
}

/** The author's name, or a dash when the listing does not hold them. */
export function authorName(names: ReadonlyMap<string, string>, id: string | null): string {
  return (id && names.get(id)) || '—';
}
