import { useState } from 'preact/hooks';
import { post, type Me } from '../api.js';
import { fmtDateTime, T } from '../i18n.js';
import { Link, PATHS } from '../router.js';
import { Problem } from '../ui.js';
import { Confirm, roleName, short, useServer, type Standing } from './common.js';
import type { Listed } from './register.js';
import { PendingAccounts } from './pending-accounts.js';

interface UnlockRequest extends Standing {
  userId: string;
  mine: boolean;
}

/**
 * What waits for a second officer (four eyes): the incidents whose notices name patients, the
 * unlocks another officer asked, and the new accounts a practice admin created. The one who asked
 * cannot approve; the server says why.
 */
export function ApprovalsScreen({ me }: { me: Me }) {
  const inc = useServer<{ incidents: Listed[] }>('/security/incidents', 5000);
  const unl = useServer<{ requests: UnlockRequest[] }>('/security/unlock-requests', 5000);
  const notices = (inc.data?.incidents ?? []).filter((i) => i.awaitingApproval);
  const unlocks = unl.data?.requests ?? [];
  return (
    <>
      <section class="card" aria-labelledby="ap-notices" data-testid="approve-notices">
        <h1 id="ap-notices">
          {T('Notifications aux patients à approuver (art. 34)', 'Patient notices to approve (Art. 34)')}
        </h1>
        <p class="muted">{T('Les lettres, le publipostage et la liste des praticiens nomment des patients : un second '
          + 'responsable sécurité, autre que celui qui a établi le périmètre, les approuve avant tout export.',
        'Letters, the mail merge and the practitioners’ list name patients: a second security officer, not the one '
          + 'who scoped the incident, approves them before any export.')}</p>
        <Problem error={inc.error} />
        {inc.data && notices.length === 0 && <p class="muted">{T('Rien à approuver.', 'Nothing to approve.')}</p>}
        <ul class="list approvals">
          {notices.map((i) => (
            <li key={i.id} data-testid={`notice-${i.id}`}>
              <span>
                <Link href={PATHS.security(`incidents/${i.id}`)}>{T('Incident', 'Incident')} {short(i.id)}</Link>
                {' · '}{fmtDateTime(i.createdAt)} · {i.patients} {T('patients', 'patients')}
                {i.createdBy === me.userId && (
                  <> · <span class="muted">{T('périmètre établi par vous', 'scoped by you')}</span></>
                )}
              </span>
              <ApproveNotices id={i.id} patients={i.patients} done={inc.reload} />
            </li>
          ))}
        </ul>
      </section>
      <section class="card" aria-labelledby="ap-unlocks" data-testid="approve-unlocks">
        <h2 id="ap-unlocks">{T('Déverrouillages à confirmer', 'Unlocks to confirm')}</h2>
        <Problem error={unl.error} />
        {unl.data && unlocks.length === 0 && (
          <p class="muted">{T('Aucune demande en attente.', 'No request waiting.')}</p>
        )}
        <ul class="list approvals">
          {unlocks.map((u) => (
            <li key={u.userId}>
              <span>
                <Link href={PATHS.security(`accounts/${u.userId}`)}>{u.username}</Link> ({roleName(u.role)})
                {u.mine && <> · <span class="muted">{T('demandé par vous', 'asked by you')}</span></>}
              </span>
              <ConfirmUnlock userId={u.userId} username={u.username} done={unl.reload} />
            </li>
          ))}
        </ul>
      </section>
      <PendingAccounts />
    </>
  );
}

/** The second officer's approval of an incident's notices, behind a confirmation. */
export function ApproveNotices({ id, patients, done }: { id: string; patients: number; done: () => void }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" class="primary inline-action" onClick={() => setOpen(true)}>
        {T('Approuver les notifications', 'Approve the notices')}
      </button>
      {open && (
        <Confirm
          id="confirm-notices" title={T(`Approuver les notifications de l’incident ${short(id)} ?`,
            `Approve the notices of incident ${short(id)}?`)}
          action={T('Approuver', 'Approve')} close={() => setOpen(false)}
          act={async () => {
            await post(`/security/incidents/${id}/approve-notices`);
            setOpen(false);
            done();
          }}
        >
          <p>{T(`Les lettres aux ${patients} patients exposés, le publipostage et la liste des praticiens `
            + 'pourront être téléchargés et envoyés. Chaque export reste tracé et marqué.',
            `The letters to the ${patients} patients exposed, the mail merge and the practitioners’ list may then `
            + 'be downloaded and sent. Every export stays audited and watermarked.')}</p>
        </Confirm>
      )}
    </>
  );
}

/** The second officer's confirmation of an unlock another asked. */
function ConfirmUnlock({ userId, username, done }: { userId: string; username: string; done: () => void }) {
  const [open, setOpen] = useState(false);
  const [said, setSaid] = useState<string | null>(null);
  return (
    <>
      <button type="button" class="primary inline-action" onClick={() => setOpen(true)}>
        {T('Confirmer le déverrouillage', 'Confirm the unlock')}
      </button>
      {said && <span class="warn" role="status">{said}</span>}
      {open && (
        <Confirm
          id="confirm-unlock" title={T(`Déverrouiller le compte ${username} ?`, `Unlock the account ${username}?`)}
          action={T('Confirmer le déverrouillage', 'Confirm the unlock')} close={() => setOpen(false)}
          act={async () => {
            const path = `/security/accounts/${userId}/unlock`;
            const r = await post<{ status?: string; message?: string } | undefined>(path);
            // Still pending: this officer asked it; the server's words say why nothing was lifted.
            setSaid(r?.status === 'pending' ? T(r.message ?? '', 'A second security officer must confirm it.') : null);
            setOpen(false);
            done();
          }}
        >
          <p>{T(`Un responsable sécurité a demandé le déverrouillage de ${username}. Votre confirmation lève le `
            + 'verrou et la suspension : le compte pourra se reconnecter.',
            `A security officer asked to unlock ${username}. Your confirmation lifts the lock and the suspension: `
            + 'the account can sign in again.')}</p>
        </Confirm>
      )}
    </>
  );
}
