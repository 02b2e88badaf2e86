import { useMemo } from 'preact/hooks';
import { Chart } from '../chart.js';
import { T } from '../i18n.js';
import { Problem } from '../ui.js';
import { useServer } from './common.js';

interface Overview {
  hours: { hour: string; accesses: number; refused: number }[];
  days: { day: string; alerts: number; contained: number }[];
}

/** The platform at a glance: accesses per hour (two days), alerts and containments per day (thirty days). */
export function OverviewScreen() {
  const o = useServer<Overview>('/security/overview', 30_000);
  const v = o.data;
  // Times in milliseconds, as Chart expects; a day ('YYYY-MM-DD') is read as its midnight UTC.
  const hourTimes = useMemo(() => (v?.hours ?? []).map((h) => Date.parse(h.hour)), [v]);
  const hourSeries = useMemo(() => v ? [
    { label: T('accès', 'accesses'), values: v.hours.map((h) => h.accesses), color: '#1f5fa8' },
    { label: T('refus', 'refused'), values: v.hours.map((h) => h.refused), color: '#b91c1c' },
  ] : [], [v]);
  const dayTimes = useMemo(() => (v?.days ?? []).map((d) => Date.parse(`${d.day}T00:00:00Z`)), [v]);
  const daySeries = useMemo(() => v ? [
    { label: T('alertes', 'alerts'), values: v.days.map((d) => d.alerts), color: '#c2410c', bars: true },
    { label: T('comptes contenus', 'accounts contained'), values: v.days.map((d) => d.contained), color: '#7f1d1d',
      bars: true },
  ] : [], [v]);
  return (
    <section class="card" aria-labelledby="ov-title" data-testid="overview">
      <h1 id="ov-title">{T('Vue d’ensemble', 'Overview')}</h1>
      <Problem error={o.error} />
      {v && hourTimes.length === 0 && <p class="muted">{T('Aucun accès sur 48 h.', 'No access in 48 h.')}</p>}
      {hourTimes.length > 0 && (
        <Chart title={T('Accès par heure (48 h)', 'Accesses per hour (48 h)')} times={hourTimes} series={hourSeries} />
      )}
      {dayTimes.length > 0 && (
        <Chart
          title={T('Alertes par jour (30 jours)', 'Alerts per day (30 days)')} times={dayTimes} series={daySeries}
          height={140}
        />
      )}
    </section>
  );
}
