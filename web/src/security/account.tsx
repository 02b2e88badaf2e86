import { useMemo } from 'preact/hooks';
import type { Me } from '../api.js';
import { Chart } from '../chart.js';
import { fmtDateTime, T } from '../i18n.js';
import { Problem } from '../ui.js';
import { AccountActions } from './account-actions.js';
import { actionName, HOUR, reasonText, roleName, statusName, steps, useServer, valuesAt } from './common.js';

interface Risk {
  userId: string;
  username: string;
  role: string;
  status: string;
  state: string;
  contained: boolean;
  unlockRequestedBy: string[];
  hours: { hour: string; accesses: number; patients: number; refused: number }[];
  alerts: { at: string; action: string; reasons: string[]; explanations?: string[] }[];
}

/** One account: its standing, its activity per hour over two days, its alerts, and the steps that apply. */
export function AccountScreen({ me, userId }: { me: Me; userId: string }) {
  const r = useServer<Risk>(`/security/accounts/${userId}/risk`, 5000);
  const risk = r.data;
  // Every hour of the two days (milliseconds, as Chart expects); an hour without activity is a zero.
  const times = useMemo(() => (risk && risk.hours.length > 0 ? steps(HOUR, 49) : []), [risk]);
  const series = useMemo(() => {
    if (!risk) return [];
    const at = (h: Risk['hours'][number]) => Date.parse(h.hour);
    const of = (f: (h: Risk['hours'][number]) => number) => valuesAt(times, HOUR, risk.hours, at, f);
    return [
      { label: T('accès', 'accesses'), values: of((h) => h.accesses), color: '#1f5fa8' },
      { label: T('patients distincts', 'distinct patients'), values: of((h) => h.patients), color: '#c2410c' },
      { label: T('refus', 'refused'), values: of((h) => h.refused), color: '#6b21a8' },
    ];
  }, [risk, times]);
  return (
    <section class="card" aria-labelledby="risk-title">
      <h1 id="risk-title">{T('Compte', 'Account')} {risk?.username ?? ''}</h1>
      <Problem error={r.error} />
      {risk && (
        <>
          <dl class="facts">
            <dt>{T('Rôle', 'Role')}</dt><dd>{roleName(risk.role)}</dd>
            <dt>{T('Statut', 'Status')}</dt><dd data-testid="account-status">{statusName(risk.status)}</dd>
            <dt>{T('Détection', 'Detection')}</dt><dd data-testid="account-state">{actionName(risk.state)}</dd>
          </dl>
          <div class="actions" data-testid="account-actions">
            <AccountActions
              me={me} userId={userId} changed={r.reload}
              standing={{ ...risk, unlockRequestedBy: risk.unlockRequestedBy ?? [] }}
            />
          </div>
          {times.length > 0
            ? <Chart title={T('Activité par heure (48 h)', 'Activity per hour (48 h)')} times={times} series={series} />
            : <p class="muted">{T('Aucune activité sur 48 h.', 'No activity in 48 h.')}</p>}
          <h2>{T('Alertes sur 48 h', 'Alerts in 48 h')}</h2>
          {risk.alerts.length === 0 && <p class="muted">{T('Aucune.', 'None.')}</p>}
          <ol class="timeline">
            {risk.alerts.map((a, i) => (
              <li key={i}>
                <span class="time">{fmtDateTime(a.at)}</span> <span class="tag">{actionName(a.action)}</span>{' '}
                {a.reasons.map((_x, k) => reasonText(a, k)).join(' ; ')}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
