import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { T } from '../i18n.js';
import { Link, PATHS } from '../router.js';
import { Problem } from '../ui.js';
import { type Account, Confirm, fullName, roleLabel, stateLabel } from './common.js';

/** The practice's accounts (patients' portal accounts are not the admin's), with a reload. */
export function useAccounts(): { accounts: Account[] | null; error: unknown; reload: () => Promise<void> } {
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = () => get<{ accounts: Account[] }>('/admin/accounts').then((r) => setAccounts(r.accounts), setError);
  useEffect(() => void reload(), []);
  return { accounts, error, reload };
}

/**
 * The accounts screen: those waiting for a second person's approval first (approve or refuse, when
 * the server lets this admin: never the one who invited or reset it), then every account.
 */
export function Accounts() {
  const { accounts, error, reload } = useAccounts();
  const [refusing, setRefusing] = useState<Account | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const approve = async (a: Account) => {
    setFailure(null);
    try {
      await post(`/admin/accounts/${a.id}/approve`);
      setDone(T(`Compte ${a.username} approuvé.`, `Account ${a.username} approved.`));
      await reload();
    } catch (e) {
      setFailure(e);
    }
  };
  const waiting = (accounts ?? []).filter((a) => a.status === 'pending' && a.enrolled && !a.approved);
  return (
    <>
      <section class="card" aria-labelledby="waiting-title">
        <h1 id="waiting-title">{T('Comptes à approuver', 'Accounts to approve')}</h1>
        <p class="muted">
          {T('Un compte n’ouvre une session qu’après l’approbation d’une seconde personne : ni celle qui l’a invité, ' +
            'ni celle qui a remis son lien.',
            'An account signs in only once a second person approved it: neither who invited it nor who handed out ' +
              'its link.')}
        </p>
        <Problem error={error ?? failure} />
        {done && <p class="ok" role="status">{done}</p>}
        {accounts !== null && waiting.length === 0 && (
          <p class="muted">{T('Aucun compte n’attend.', 'No account is waiting.')}</p>
        )}
        {waiting.length > 0 && (
          <ul class="list admin-list" data-testid="accounts-waiting">
            {waiting.map((a) => (
              <li key={a.id}>
                <span class="grow">
                  <Link href={PATHS.admin(`accounts/${a.id}`)}>{fullName(a)}</Link>
                  <span class="muted"> · {roleLabel(a.role)} · {a.username}</span>
                </span>
                {a.mayApprove ? (
                  <span class="actions">
                    <button type="button" class="primary-inline" onClick={() => approve(a)}>
                      {T('Approuver', 'Approve')}
                    </button>
                    <button type="button" class="danger" onClick={() => setRefusing(a)}>
                      {T('Refuser', 'Refuse')}
                    </button>
                  </span>
                ) : (
                  <span class="tag">{T('une autre personne doit approuver', 'someone else must approve')}</span>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section class="card" aria-labelledby="accounts-title">
        <h2 id="accounts-title">{T('Comptes du cabinet', 'The practice\'s accounts')}</h2>
        {accounts === null && !error && <p class="muted">{T('Chargement…', 'Loading…')}</p>}
        {accounts !== null && (
          <ul class="list admin-list" data-testid="accounts">
            {accounts.map((a) => (
              <li key={a.id}>
                <span class="grow">
                  <Link href={PATHS.admin(`accounts/${a.id}`)}>{fullName(a)}</Link>
                  <span class="muted"> · {roleLabel(a.role)} · {a.username}</span>
                </span>
                <span class={`tag status-${a.status}`}>{stateLabel(a)}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      {refusing && (
        <Confirm
          id="refuse-title" title={T('Refuser ce compte', 'Refuse this account')} danger
          action={T('Refuser et désactiver', 'Refuse and disable')} close={() => setRefusing(null)}
          act={async () => {
            await post(`/admin/accounts/${refusing.id}/disable`);
            setRefusing(null);
            setDone(T(`Compte ${refusing.username} refusé.`, `Account ${refusing.username} refused.`));
            await reload();
          }}
        >
          <p>
            {T(`Le compte ${refusing.username} (${fullName(refusing)}) sera désactivé : son lien ne sert plus, et il ` +
              `ne pourra pas être réactivé ici.`,
              `Account ${refusing.username} (${fullName(refusing)}) will be disabled: its link stops working, and it ` +
                `cannot be re-enabled here.`)}
          </p>
        </Confirm>
      )}
    </>
  );
}
