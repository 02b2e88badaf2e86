import { useMemo } from 'preact/hooks';
import { Chart } from '../chart.js';
import { T } from '../i18n.js';
import { Problem } from '../ui.js';
import { DAY, HOUR, steps, useServer, valuesAt } from './common.js';

interface Overview {
  hours: { hour: string; accesses: number; refused: number }[];
  days: { day: string; alerts: number; contained: number }[];
}

/** The platform at a glance: accesses per hour (two days), alerts and containments per day (thirty days). */
export function OverviewScreen() {
  const o = useServer<Overview>('/security/overview', 30_000);
  const v = o.data;
  // Times in milliseconds, as Chart expects, over the whole window (two days of hours, thirty days).
  const hourTimes = useMemo(() => (v ? steps(HOUR, 49) : []), [v]);
  const hourSeries = useMemo(() => {
    if (!v) return [];
    const at = (h: Overview['hours'][number]) => Date.parse(h.hour);
    const of = (f: (h: Overview['hours'][number]) => number) => valuesAt(hourTimes, HOUR, v.hours, at, f);
    return [
      { label: T('accès', 'accesses'), values: of((h) => h.accesses), color: '#1f5fa8' },
      { label: T('refus', 'refused'), values: of((h) => h.refused), color: '#b91c1c' },
    ];
  }, [v, hourTimes]);
  // A day ('YYYY-MM-DD', as the server truncates it in UTC) is read as its midnight UTC.
  const dayTimes = useMemo(() => (v ? steps(DAY, 31) : []), [v]);
  const daySeries = useMemo(() => {
    if (!v) return [];
    const at = (d: Overview['days'][number]) => Date.parse(`${d.day}T00:00:00Z`);
    const of = (f: (d: Overview['days'][number]) => number) => valuesAt(dayTimes, DAY, v.days, at, f);
    return [
      { label: T('alertes', 'alerts'), values: of((d) => d.alerts), color: '#c2410c', bars: true },
      // A line over the bars: containments are a part of the alerts, and bars in one place would hide each other.
      { label: T('comptes contenus', 'accounts contained'), values: of((d) => d.contained), color: '#7f1d1d' },
    ];
  }, [v, dayTimes]);
  return (
    <section class="card" aria-labelledby="ov-title" data-testid="overview">
      <h1 id="ov-title">{T('Vue d’ensemble', 'Overview')}</h1>
      <Problem error={o.error} />
      {v && (
        <Chart title={T('Accès par heure (48 h)', 'Accesses per hour (48 h)')} times={hourTimes} series={hourSeries} />
      )}
      {v && (
        <Chart
          title={T('Alertes par jour (30 jours)', 'Alerts per day (30 days)')} times={dayTimes} series={daySeries}
          height={140}
        />
      )}
    </section>
  );
}
