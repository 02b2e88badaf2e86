import { T } from '../i18n.js';
import { ACTIONS, codeOf, pick, PURPOSES, ROLES } from './words.js';

/** One access as the page shows it: who, when, what, and why — with the reason stated for an emergency access. */
function rowOf(e: any) {
  const purpose = codeOf(e.purposeOfEvent?.[0]);
  const agent = e.agent?.[0];
  return {
    id: e.id as string,
    at: Date.parse(e.recorded as string),
    recorded: e.recorded as string,
    who: (agent?.who?.display as string | undefined) ?? T('un professionnel', 'a professional'),
    role: pick(ROLES, codeOf(agent?.type)),
    what: pick(ACTIONS, e.subtype?.[0]?.code),
    why: pick(PURPOSES, purpose),
    glass: purpose === 'ETREAT',
    // The reason the professional typed when asking for emergency access (shown to the patient).
    stated: typeof e.outcomeDesc === 'string' ? (e.outcomeDesc as string) : null,
  };
}
type Row = ReturnType<typeof rowOf>;

/** Accesses less than this apart, by the same person, are one sitting. */
const SITTING_MS = 30 * 60_000;

/** A sitting: one professional's accesses in a row (newest first), or one emergency access alone. */
interface Sitting {
  readonly first: Row;
  readonly last: Row;
  readonly count: number;
  readonly whats: string[];
  readonly whys: string[];
}

/**
 * The accesses as sittings: a consultation opens the record a dozen times (the chart, its lists,
 * the results), which is one line for the patient — who, from when to when, what, why — not a
 * dozen. An emergency access is always a line of its own, with its stated reason.
 */
export function sittings(events: any[]): Sitting[] {
  const out: Sitting[] = [];
  for (const r of events.map(rowOf)) {
    const g = out[out.length - 1];
    const sameDay = g && new Date(g.first.at).toDateString() === new Date(r.at).toDateString();
    const same = g && sameDay && !g.first.glass && !r.glass && g.first.who === r.who && g.first.role === r.role
      && g.first.at - r.at <= SITTING_MS;
    const add = (list: string[], x: string) => (list.includes(x) ? list : [...list, x]);
    if (same) {
      const count = g.count + 1;
      out[out.length - 1] = { ...g, first: r, count, whats: add(g.whats, r.what), whys: add(g.whys, r.why) };
    } else {
      out.push({ first: r, last: r, count: 1, whats: [r.what], whys: [r.why] });
    }
  }
  return out;
}
