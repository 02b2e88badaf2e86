import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { fmtDateTime, T } from '../i18n.js';
import { Problem } from '../ui.js';
import { Confirm, roleName, useServer } from './common.js';

interface PendingAccount {
  id: string;
  username: string;
  role: string;
  practice: string | null;
  createdAt: string;
  enrolled: boolean;
  /** This officer created the account or handed out its link: she may not approve it. */
  mine: boolean;
}

/**
 * The accounts that wait for a second person's approval, of every practice. A practice with a
 * single administrator has its new colleagues approved here: the admin who invites may not approve.
 */
export function PendingAccounts() {
  const list = useServer<{ accounts: PendingAccount[] }>('/security/pending-accounts', 10_000);
  const accounts = list.data?.accounts ?? [];
  return (
    <section class="card" aria-labelledby="ap-accounts" data-testid="approve-accounts">
      <h2 id="ap-accounts">{T('Comptes à approuver', 'Accounts to approve')}</h2>
      <p class="muted">{T('Un compte créé ou réinitialisé par un administrateur de cabinet attend qu’une seconde '
        + 'personne l’approuve : un autre administrateur du cabinet, ou vous.',
      'An account created or reset by a practice administrator waits for a second person to approve it: another '
        + 'administrator of the practice, or you.')}</p>
      <Problem error={list.error} />
      {list.data && accounts.length === 0 && (
        <p class="muted">{T('Aucun compte en attente.', 'No account waiting.')}</p>
      )}
      <ul class="list approvals">
        {accounts.map((a) => (
          <li key={a.id} data-testid={`pending-${a.username}`}>
            <span>
              <strong>{a.username}</strong> ({roleName(a.role)}) · {a.practice ?? T('plateforme', 'platform')}
              {' · '}{T('créé le', 'created')} {fmtDateTime(a.createdAt)}
              {' · '}{a.enrolled ? T('activé par son titulaire', 'set up by its holder') : T('lien pas encore utilisé',
                'link not used yet')}
            </span>
            {a.mine
              ? <span class="muted">{T('créé par vous : un autre approuve', 'created by you: another approves')}</span>
              : <ApproveAccount account={a} done={list.reload} />}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The approval of one account, behind a confirmation that says what it lets the account do. */
function ApproveAccount({ account, done }: { account: PendingAccount; done: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" class="primary inline-action" onClick={() => setOpen(true)}>
        {T('Approuver le compte', 'Approve the account')}
      </button>
      {open && (
        <Confirm
          id="confirm-account" title={T(`Approuver le compte ${account.username} ?`, `Approve ${account.username}?`)}
          action={T('Approuver', 'Approve')} close={() => setOpen(false)}
          act={async () => {
            await post(`/security/accounts/${account.id}/approve`);
            setOpen(false);
            done();
          }}
        >
          <p>{T(`${account.username} pourra se connecter comme ${roleName(account.role)} de ce cabinet, avec les `
            + 'budgets réduits d’un nouveau compte pendant ses premiers jours. Vérifiez auprès du cabinet qu’il '
            + 'attend bien cette personne.',
          `${account.username} will sign in as a ${roleName(account.role)} of this practice, with a new account’s `
            + 'reduced budgets for its first days. Check with the practice that it expects this person.')}</p>
        </Confirm>
      )}
    </>
  );
}
