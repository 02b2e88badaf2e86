import { useState } from 'preact/hooks';
import { post, type Me } from '../api.js';
import { fmtDateTime, lang, T } from '../i18n.js';
import { Link, PATHS } from '../router.js';
import { Problem } from '../ui.js';
import { AccountActions } from './account-actions.js';
import { actionName, Confirm, reasonText, severityName, short, useServer, type Alert } from './common.js';

interface Wave {
  practiceId: string | null;
  startedAt: string;
  until: string;
  contained: { userId: string; practiceId: string | null; at: string }[];
  held: string[];
  reason: string;
}

/** The console's first screen: the waves under way and the live alerts, each with its account's steps. */
export function AlertsScreen({ me }: { me: Me }) {
  // New alerts appear without a reload: the list is asked for every two seconds.
  const alerts = useServer<{ alerts: Alert[] }>('/security/alerts', 2000);
  const names = new Map((alerts.data?.alerts ?? []).filter((a) => a.username !== null)
    .map((a) => [a.userId, a.username as string]));
  return (
    <>
      <Waves names={names} changed={alerts.reload} />
      <section class="card" aria-labelledby="alerts-title">
        <h1 id="alerts-title">{T('Alertes', 'Alerts')} <span class="live" aria-hidden="true">●</span></h1>
        <Problem error={alerts.error} />
        {alerts.data?.alerts.length === 0 && <p class="muted">{T('Aucune alerte.', 'No alerts.')}</p>}
        <ul class="alerts" aria-live="polite" data-testid="alerts">
          {(alerts.data?.alerts ?? []).slice(0, 50).map((a) => (
            <AlertItem key={a.id} me={me} a={a} changed={alerts.reload} />
          ))}
        </ul>
      </section>
    </>
  );
}

function AlertItem({ me, a, changed }: { me: Me; a: Alert; changed: () => void }) {
  return (
    <li class={`alert sev-${a.severity}`}>
      <div class="alert-head">
        <span class="time">{fmtDateTime(a.at)}</span>
        <strong>{a.username ?? short(a.userId)}</strong>
        <span class={`tag sev-${a.severity}`}>{severityName(a.severity)}</span>
        <span class="tag">{actionName(a.action)}</span>
        {a.account?.contained && <span class="tag contained">{T('contenu en ce moment', 'contained now')}</span>}
      </div>
      <ul class="reasons">
        {a.reasons.map((_r, i) => (
          <li key={i} lang={lang() === 'fr' && a.explanations ? 'fr' : 'en'}>
            {reasonText(a, i)} <span class="muted">({a.evidence[i]?.count} / {a.evidence[i]?.window})</span>
          </li>
        ))}
      </ul>
      <div class="actions">
        <Link href={PATHS.security(`accounts/${a.userId}`)} class="button">
          {T('Voir le compte', 'View the account')}
        </Link>
        {a.account && <AccountActions me={me} userId={a.userId} standing={a.account} changed={changed} />}
      </div>
    </li>
  );
}

/**
 * The waves under way (several accounts contained within minutes): where, since when, which
 * accounts were contained, which were asked for a second factor; an officer ends one here.
 */
function Waves({ names, changed }: { names: ReadonlyMap<string, string>; changed: () => void }) {
  const waves = useServer<{ waves: Wave[] }>('/security/waves', 2000);
  const [ending, setEnding] = useState<Wave | null>(null);
  const who = (id: string) => names.get(id) ?? short(id);
  const list = waves.data?.waves ?? [];
  if (list.length === 0 && !waves.error) return null;
  const where = (w: Wave) => w.practiceId === null
    ? T('Toute la plateforme', 'The whole platform')
    : `${T('Cabinet', 'Practice')} ${short(w.practiceId)}`;
  return (
    <section class="card wave" aria-labelledby="waves-title" data-testid="waves">
      <h2 id="waves-title">{T('Vague de compromissions en cours', 'Wave of compromised accounts under way')}</h2>
      <Problem error={waves.error} />
      {list.map((w) => (
        <div key={w.practiceId ?? 'platform'} class="wave-item">
          <p class="warn">
            {where(w)}{' · '}{T('depuis', 'since')} {fmtDateTime(w.startedAt)} · {T('jusqu’à', 'until')}{' '}
            {fmtDateTime(w.until)}
          </p>
          <p lang="fr">{w.reason}</p>
          <dl class="facts">
            <dt>{T('Comptes contenus', 'Accounts contained')}</dt>
            <dd data-testid="wave-contained">
              {w.contained.map((c) => `${who(c.userId)} (${fmtDateTime(c.at)})`).join(', ') || '—'}
            </dd>
            <dt>{T('Second facteur demandé à', 'Second factor asked of')}</dt>
            <dd data-testid="wave-held">{w.held.map(who).join(', ') || T('personne pour l’instant', 'nobody yet')}</dd>
          </dl>
          <button type="button" class="danger" onClick={() => setEnding(w)}>
            {T('Mettre fin à la vague', 'End the wave')}
          </button>
        </div>
      ))}
      {ending && (
        <Confirm
          id="confirm-wave" title={T('Mettre fin à la vague ?', 'End the wave?')}
          action={T('Mettre fin à la vague', 'End the wave')} close={() => setEnding(null)}
          act={async () => {
            await post('/security/waves/end', { practiceId: ending.practiceId });
            setEnding(null);
            waves.reload();
            changed();
          }}
        >
          <p>{T(`${where(ending)} : les comptes qui se connectent depuis une nouvelle adresse n’auront plus à `
            + 'confirmer leur second facteur. Les comptes déjà contenus le restent.', `${where(ending)}: accounts `
            + 'signing in from a new address will no longer have to confirm their second factor. Accounts already '
            + 'contained stay so.')}</p>
        </Confirm>
      )}
    </section>
  );
}
