import { useEffect, useState } from 'preact/hooks';
import { get, post, request, type Me } from '../api.js';
import { T } from '../i18n.js';
import { Link as To, PATHS } from '../router.js';
import { Problem } from '../ui.js';
import { useAccounts } from './accounts.js';
import {
  type AdminClient, Confirm, DeviceItem, fullName, type Link, LinkDialog, roleLabel, stateLabel,
} from './common.js';
import { deviceName } from './devices.js';

/** Asks the server to approve a client: the first admin's call waits for a second admin (202). */
export async function approveClient(c: AdminClient): Promise<string> {
  const path = `/admin/accounts/${c.userId}/clients/approve`;
  const r = await request('POST', path, { client: c.client });
  if (r.status === 204) return T(`${deviceName(c.label)} est approuvé.`, `${deviceName(c.label)} is approved.`);
  return T(`Demande enregistrée : un second administrateur du cabinet doit confirmer l’approbation de ` +
    `${deviceName(c.label)}.`,
    `Request recorded: a second admin of the practice must confirm the approval of ${deviceName(c.label)}.`);
}

type Pending = { kind: 'reset' } | { kind: 'disable' } | { kind: 'refuse-client'; client: AdminClient };

/**
 * One account: where it stands, its devices by readable name and last use, and what the admin may
 * do — approve it (if the server lets this admin), reset its second factor (a new link; a second
 * person approves it again), disable it (a departed employee: every session ends at once).
 */
export function AccountPage({ id, me }: { id: string; me: Me }) {
  const { accounts, error, reload } = useAccounts();
  const [clients, setClients] = useState<AdminClient[] | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [link, setLink] = useState<Link | null>(null);
  const loadClients = () => get<{ clients: AdminClient[] }>(`/admin/accounts/${id}/clients`)
    .then((r) => setClients(r.clients), setFailure);
  useEffect(() => void loadClients(), [id]);
  const a = accounts?.find((x) => x.id === id) ?? null;
  const attempt = async (f: () => Promise<void>) => {
    setFailure(null);
    setSaid(null);
    try {
      await f();
    } catch (e) {
      setFailure(e);
    }
  };
  const act = (c: AdminClient, what: 'approve' | 'refuse') => {
    if (what === 'refuse') return setPending({ kind: 'refuse-client', client: c });
    void attempt(async () => {
      setSaid(await approveClient(c));
      await loadClients();
    });
  };
  if (accounts !== null && a === null) {
    return <section class="card"><h1>{T('Compte introuvable', 'No such account')}</h1></section>;
  }
  const self = a?.id === me.userId;
  return (
    <>
      <section class="card" aria-labelledby="account-title">
        <p><To href={PATHS.admin('accounts')}>{T('← Tous les comptes', '← All accounts')}</To></p>
        <h1 id="account-title">{a ? fullName(a) : T('Chargement…', 'Loading…')}</h1>
        <Problem error={error ?? failure} />
        {said && <p class="ok" role="status">{said}</p>}
        {a && (
          <>
            <dl class="facts">
              <dt>{T('Identifiant', 'Username')}</dt><dd>{a.username}</dd>
              <dt>{T('Rôle', 'Role')}</dt><dd>{roleLabel(a.role)}</dd>
              <dt>{T('État', 'State')}</dt><dd data-testid="account-state">{stateLabel(a)}</dd>
            </dl>
            <div class="actions">
              {a.mayApprove && a.enrolled && (
                <button type="button" onClick={() => attempt(async () => {
                  await post(`/admin/accounts/${a.id}/approve`);
                  setSaid(T('Compte approuvé.', 'Account approved.'));
                  await reload();
                })}>{T('Approuver le compte', 'Approve the account')}</button>
              )}
              {!self && a.status !== 'disabled' && (
                <>
                  <button type="button" onClick={() => setPending({ kind: 'reset' })}>
                    {T('Réinitialiser le second facteur', 'Reset the second factor')}
                  </button>
                  <button type="button" class="danger" onClick={() => setPending({ kind: 'disable' })}>
                    {T('Désactiver le compte', 'Disable the account')}
                  </button>
                </>
              )}
            </div>
          </>
        )}
      </section>
      <section class="card" aria-labelledby="devices-title">
        <h2 id="devices-title">{T('Appareils', 'Devices')}</h2>
        <p class="muted">
          {T('Les navigateurs et logiciels qui se sont connectés à ce compte. Un appareil approuvé l’est par son ' +
            'titulaire depuis un appareil déjà approuvé, ou par deux administrateurs.',
            'The browsers and programs that signed in to this account. A device is approved by its user from an ' +
              'approved one, or by two administrators.')}
        </p>
        {clients === null && <p class="muted">{T('Chargement…', 'Loading…')}</p>}
        {clients !== null && clients.length === 0 && (
          <p class="muted">{T('Aucune connexion pour l’instant.', 'No sign-in yet.')}</p>
        )}
        {clients !== null && clients.length > 0 && (
          <ul class="list devices" data-testid="devices">
            {clients.map((c) => <DeviceItem key={c.client} c={c} {...(self ? {} : { act })} />)}
          </ul>
        )}
      </section>
      {a && pending?.kind === 'reset' && (
        <Confirm
          id="reset-title" title={T('Réinitialiser le second facteur', 'Reset the second factor')}
          action={T('Réinitialiser', 'Reset')} danger close={() => setPending(null)}
          act={async () => {
            const l = await post<{ enrolmentUrl: string; expiresAt: string }>(`/admin/accounts/${a.id}/reset-mfa`);
            setPending(null);
            setLink({ ...l, username: a.username });
            await reload();
          }}
        >
          <p>{T(`Pour ${fullName(a)}, qui a perdu son téléphone ou son application : son second facteur et ses codes ` +
            `de secours sont effacés, ses sessions prennent fin, et vous recevez un lien d’activation à lui remettre.`,
            `For ${fullName(a)}, who lost their phone or app: their second factor and recovery codes are erased, ` +
              `their sessions end, and you get an enrolment link to give them.`)}</p>
          <p class="warn">{T('Quatre yeux : le compte restera inactif jusqu’à ce qu’une seconde personne (un autre ' +
            'administrateur ou le responsable sécurité) l’approuve. Vous ne le pourrez pas.',
            'Four eyes: the account stays inactive until a second person (another administrator or the security ' +
              'officer) approves it. You will not be able to.')}</p>
        </Confirm>
      )}
      {a && pending?.kind === 'disable' && (
        <Confirm
          id="disable-title" title={T('Désactiver le compte', 'Disable the account')}
          action={T('Désactiver', 'Disable')} danger close={() => setPending(null)}
          act={async () => {
            await post(`/admin/accounts/${a.id}/disable`);
            setPending(null);
            setSaid(T('Compte désactivé : ses sessions ont pris fin.', 'Account disabled: its sessions ended.'));
            await reload();
          }}
        >
          <p>{T(`Pour un départ : ${fullName(a)} ne pourra plus se connecter et ses sessions ouvertes prennent fin ` +
            `tout de suite. Un compte désactivé ne se réactive pas ici.`,
            `For someone who left: ${fullName(a)} can no longer sign in and their open sessions end at once. A ` +
              `disabled account is not re-enabled here.`)}</p>
        </Confirm>
      )}
      {pending?.kind === 'refuse-client' && (
        <Confirm
          id="refuse-client-title" title={T('Refuser cet appareil', 'Refuse this device')}
          action={T('Refuser', 'Refuse')} danger close={() => setPending(null)}
          act={async () => {
            await post(`/admin/accounts/${pending.client.userId}/clients/refuse`, { client: pending.client.client });
            setPending(null);
            setSaid(T('Appareil refusé : ses sessions ont pris fin.', 'Device refused: its sessions ended.'));
            await loadClients();
          }}
        >
          <p>{T(`${deviceName(pending.client.label)} : ses sessions prennent fin tout de suite. Si le titulaire ne ` +
            `le reconnaît pas, prévenez le responsable sécurité.`,
            `${deviceName(pending.client.label)}: its sessions end at once. If the user does not recognise it, tell ` +
              `the security officer.`)}</p>
        </Confirm>
      )}
      {link && <LinkDialog link={link} reset close={() => setLink(null)} />}
    </>
  );
}
