import { useEffect, useState } from 'preact/hooks';
import type { Me } from '../api.js';
import { fmtTime, lang, T } from '../i18n.js';
import { go, PATHS, useParams } from '../router.js';
import { Problem, statusName } from '../ui.js';
import {
  addDays, DAY_MS, isoDay, loadDoctors, loadSettings, loadVisits, parseDay, patientNameOf, weekday, weekStart,
  type Doctor, type Settings, type Visit,
} from './data.js';
import { NewVisit, VisitDialog } from './dialogs.js';

type View = 'day' | 'week';
const HOUR_PX = 56;

/** The hours a column shows: the opening hours' span, widened to every visit of the period; 8 h–19 h by default. */
function span(settings: Settings | null, visits: readonly Visit[]): { from: number; to: number } {
  let from = 8;
  let to = 19;
  for (const h of settings?.hours ?? []) {
    from = Math.min(from, Number(h.opens.slice(0, 2)));
    to = Math.max(to, Math.ceil(Number(h.closes.slice(0, 2)) + Number(h.closes.slice(3)) / 60));
  }
  for (const v of visits) {
    from = Math.min(from, v.start.getHours());
    to = Math.max(to, Math.min(24, v.end.getHours() + (v.end.getMinutes() > 0 ? 1 : 0)));
  }
  return { from, to };
}

/**
 * The practice's agenda: a day (every practitioner side by side, or one) or a week (one
 * practitioner), every appointment of the period loaded page after page; a click opens a visit
 * (arrived, seen, missed, moved, cancelled, its history), "Nouveau rendez-vous" books one.
 * The view, day and practitioner are in the URL (`#/agenda/week/2026-12-07/{id}`): no patient's.
 */
export function Agenda({ me }: { me: Me }) {
  const params = useParams<{ view?: string; day?: string; who?: string }>();
  const view: View = params.view === 'week' ? 'week' : 'day';
  const day = parseDay(params.day);
  const [doctors, setDoctors] = useState<Doctor[] | null>(null);
  const mine = me.role === 'practitioner' ? me.userId : null;
  const who = params.who ?? (view === 'week' ? mine ?? doctors?.[0]?.id ?? null : mine);
  const from = view === 'week' ? weekStart(day) : day;
  const to = addDays(from, view === 'week' ? 7 : 1);
  const [settings, setSettings] = useState<Settings | null>(null);
  const [visits, setVisits] = useState<Visit[] | null>(null);
  const [cut, setCut] = useState<string | null>(null);
  const [names, setNames] = useState<ReadonlyMap<string, string>>(new Map());
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<Visit | null>(null);
  const [booking, setBooking] = useState(false);
  const [round, setRound] = useState(0);

  const place = (v: View, d: Date, w: string | null) => go(`${PATHS.agenda}/${v}/${isoDay(d)}${w ? `/${w}` : ''}`);
  useEffect(() => {
    loadDoctors().then(setDoctors).catch(setError);
  }, []);
  useEffect(() => {
    if (view === 'week' && who === null) return;
    let live = true;
    setError(null);
    Promise.all([loadSettings(from, to), loadVisits(from, to, who)])
      .then(async ([s, v]) => {
        if (!live) return;
        setSettings(s);
        setVisits(v.visits);
        setCut(v.cut);
        const ids = [...new Set(v.visits.map((x) => x.patientId))];
        const found = await Promise.all(ids.map(async (id) => [id, await patientNameOf(me.userId, id)] as const));
        if (live) setNames(new Map(found));
      })
      .catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [view, isoDay(from), who, round]);

  const columns: { key: string; title: string; day: Date; doctor: string | null }[] = view === 'week'
    ? Array.from({ length: 7 }, (_, i) => addDays(from, i))
      .filter((d) => weekday(d) < 7 || (visits ?? []).some((v) => isoDay(v.start) === isoDay(d)))
      .map((d) => ({ key: isoDay(d), title: dayTitle(d, true), day: d, doctor: who }))
    : (who ? (doctors ?? []).filter((d) => d.id === who) : doctors ?? [])
      .map((d) => ({ key: d.id, title: d.name, day: from, doctor: d.id }));
  const hours = span(settings, visits ?? []);
  const types = new Map((settings?.visitTypes ?? []).map((t) => [t.id, t]));
  const changed = () => {
    setOpen(null);
    setBooking(false);
    setRound((n) => n + 1);
  };

  return (
    <section class="card agenda" aria-labelledby="agenda-title">
      <div class="agenda-bar">
        <h1 id="agenda-title">{view === 'week' ? T('Semaine du ', 'Week of ') + dayTitle(from).toLowerCase() : dayTitle(from)}</h1>
        <div class="agenda-nav" role="group" aria-label={T('Période', 'Period')}>
          <button type="button" onClick={() => place(view, addDays(from, view === 'week' ? -7 : -1), params.who ?? null)}
            aria-label={view === 'week' ? T('Semaine précédente', 'Previous week') : T('Jour précédent', 'Previous day')}>‹</button>
          <button type="button" onClick={() => place(view, new Date(), params.who ?? null)}>
            {T('Aujourd’hui', 'Today')}
          </button>
          <button type="button" onClick={() => place(view, addDays(from, view === 'week' ? 7 : 1), params.who ?? null)}
            aria-label={view === 'week' ? T('Semaine suivante', 'Next week') : T('Jour suivant', 'Next day')}>›</button>
        </div>
        <div class="agenda-nav" role="group" aria-label={T('Affichage', 'View')}>
          <button type="button" aria-pressed={view === 'day'} onClick={() => place('day', day, params.who ?? null)}>
            {T('Jour', 'Day')}
          </button>
          <button type="button" aria-pressed={view === 'week'} onClick={() => place('week', day, who)}>
            {T('Semaine', 'Week')}
          </button>
        </div>
        <label class="sr-only" for="agenda-who">{T('Médecin', 'Practitioner')}</label>
        <select id="agenda-who" value={who ?? ''} onChange={(e) => place(view, day, e.currentTarget.value || null)}>
          {view === 'day' && <option value="">{T('Tous les médecins', 'All practitioners')}</option>}
          {(doctors ?? []).map((d) => <option key={d.id} value={d.id}>{d.name}</option>)}
        </select>
        <button type="button" class="primary" onClick={() => setBooking(true)}>
          {T('Nouveau rendez-vous', 'New appointment')}
        </button>
      </div>
      <Problem error={error} />
      {cut && <p class="warn" role="status" data-testid="agenda-cut">{cut}</p>}
      {visits === null && !error && <p class="muted">{T('Chargement…', 'Loading…')}</p>}
      {visits !== null && (
        <div class="agenda-grid" style={{ '--hours': hours.to - hours.from } as never} data-testid="agenda">
          <div class="agenda-times" aria-hidden="true">
            {Array.from({ length: hours.to - hours.from }, (_, i) => <span key={i}>{`${hours.from + i} h`}</span>)}
          </div>
          {columns.map((c) => {
            const mineHere = visits.filter((v) => (c.doctor === null || v.practitionerId === c.doctor)
              && v.start.getTime() >= c.day.getTime() && v.start.getTime() < c.day.getTime() + DAY_MS
              && (view === 'day' || isoDay(v.start) === isoDay(c.day)));
            const away = (settings?.absences ?? []).filter((a) => (c.doctor === null || a.practitionerId === c.doctor)
              && new Date(a.start).getTime() < c.day.getTime() + DAY_MS && new Date(a.end).getTime() > c.day.getTime());
            return (
              <div class="agenda-col" key={c.key} role="group" aria-label={c.title}>
                <h2 class="agenda-col-title">{c.title}</h2>
                <div class="agenda-slots" style={{ height: `${(hours.to - hours.from) * HOUR_PX}px` }}>
                  {away.map((a) => <div key={a.id} class="agenda-away" style={place0(new Date(a.start), new Date(a.end), c.day, hours.from)}>
                    {T('Absent', 'Away')}
                  </div>)}
                  {mineHere.length === 0 && <p class="muted agenda-empty">
                    {T('Aucun rendez-vous', 'No appointments')}
                  </p>}
                  {lanes(mineHere, c.day, hours.from).map(({ v, box }) => {
                    const t = v.visitTypeId ? types.get(v.visitTypeId) : undefined;
                    const said = `${fmtTime(v.start.toISOString())} ${names.get(v.patientId) ?? ''} ${t?.label ?? ''}`;
                    return (
                      <button
                        type="button" key={v.id} class={`agenda-visit status-${v.status}`}
                        style={{ ...box, borderLeftColor: t?.colour ?? '#5b6b7f' }}
                        onClick={() => setOpen(v)} data-testid="visit" title={`${said} · ${statusName(v.status)}`}
                      >
                        <span class="time">{fmtTime(v.start.toISOString())}</span> <strong>{names.get(v.patientId) ?? '…'}</strong>
                        <span class="muted"> {t?.label ?? ''} · {statusName(v.status)}</span>
                      </button>
                    );
                  })}
                </div>
              </div>
            );
          })}
        </div>
      )}
      {open && (
        <VisitDialog
          me={me} visit={open} name={names.get(open.patientId) ?? '—'} doctors={doctors ?? []} settings={settings}
          close={() => setOpen(null)} changed={changed}
        />
      )}
      {booking && (
        <NewVisit
          me={me} doctors={doctors ?? []} settings={settings} at={defaultStart(day)} doctorId={who}
          close={() => setBooking(false)} changed={changed}
        />
      )}
    </section>
  );
}

/**
 * The visits of a column with their boxes: visits whose boxes meet (a cancelled visit beside the one
 * booked in its place, a visit shorter than its box's least height) share the width side by side,
 * each in its lane, rather than one covering the other.
 */
function lanes(visits: readonly Visit[], day: Date, fromHour: number): { v: Visit; box: Record<string, string> }[] {
  const placed = [...visits].sort((a, b) => a.start.getTime() - b.start.getTime())
    .map((v) => {
      const box = place0(v.start, v.end, day, fromHour);
      const top = parseFloat(box.top as string);
      return { v, box, top, bottom: top + parseFloat(box.height as string), lane: 0 };
    });
  const out: { v: Visit; box: Record<string, string> }[] = [];
  let group: typeof placed = [];
  let groupEnd = -1;
  const flush = () => {
    const n = Math.max(1, ...group.map((g) => g.lane + 1));
    for (const g of group) {
      out.push({ v: g.v, box: { ...g.box, left: `calc(${(100 * g.lane) / n}% + 2px)`, right: 'auto',
        width: `calc(${100 / n}% - 4px)` } });
    }
    group = [];
  };
  for (const p of placed) {
    if (p.top >= groupEnd) flush();
    const busy = new Set(group.filter((g) => g.bottom > p.top).map((g) => g.lane));
    while (busy.has(p.lane)) p.lane++;
    group.push(p);
    groupEnd = Math.max(groupEnd, p.bottom);
  }
  flush();
  return out;
}

function place0(start: Date, end: Date, day: Date, fromHour: number): Record<string, string> {
  const top = Math.max(0, (start.getTime() - day.getTime()) / 3_600_000 - fromHour) * HOUR_PX;
  const height = Math.max(22, ((end.getTime() - start.getTime()) / 3_600_000) * HOUR_PX - 2);
  return { top: `${top}px`, height: `${height}px` };
}

function dayTitle(d: Date, short = false): string {
  const t = d.toLocaleDateString(lang() === 'fr' ? 'fr-FR' : 'en-GB', short
    ? { weekday: 'short', day: 'numeric', month: 'short' } : { weekday: 'long', day: 'numeric', month: 'long' });
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** A new booking's first proposal: the next quarter hour today, 9 h on another day. */
function defaultStart(day: Date): Date {
  const now = new Date();
  if (isoDay(day) !== isoDay(now)) return new Date(day.getFullYear(), day.getMonth(), day.getDate(), 9, 0);
  return new Date(Math.ceil(now.getTime() / 900_000) * 900_000);
}
