import { useEffect, useState } from 'preact/hooks';
import { get, post, type Me } from './api.js';
import { fmtDateTime, T } from './i18n.js';
import { Dialog, Problem } from './ui.js';
import { deviceName } from './admin/devices.js';

interface Client {
  readonly client: string;
  readonly kind: 'browser key' | 'program';
  readonly network: string | null;
  readonly label: string | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly approved: boolean;
  readonly current: boolean;
}

/** Shown on a browser the account has not approved: what it may do, and how to approve it. */
export function NewClientBanner({ me }: { me: Me }) {
  if (me.clientApproved !== false || me.role !== 'practitioner') return null;
  return (
    <p class="card warn" role="status">
      {T(
        'Ce navigateur est nouveau pour votre compte : jusqu’à ce que vous l’approuviez depuis un poste que vous ' +
          'utilisez déjà (menu « Appareils »), ou que le responsable sécurité le fasse, il ouvre au plus 25 dossiers ' +
          'par jour.',
        'This browser is new to your account: until you approve it from a computer you already use (the "Devices" ' +
          'menu), or the security officer does, it opens at most 25 charts a day.',
      )}
    </p>
  );
}

/** The account's clients: the user approves a new one from an approved client, with a fresh code (the server asks). */
export function Clients({ me, close }: { me: Me; close: () => void }) {
  const [clients, setClients] = useState<Client[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => get<{ clients: Client[] }>('/me/clients').then((r) => setClients(r.clients)).catch(setError);
  useEffect(() => void load(), []);
  const approve = async (c: Client) => {
    setError(null);
    try {
      await post('/me/clients/approve', { client: c.client });
      await load();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Dialog id="clients-title" title={T('Appareils de votre compte', 'Your account\'s devices')} close={close}>
      <p>
        {T(
          'Les navigateurs et logiciels qui se sont connectés à votre compte. Approuvez seulement ceux que vous ' +
            'reconnaissez ; un appareil inconnu doit être signalé au responsable sécurité.',
          'The browsers and programs that logged in to your account. Approve only those you recognise; report an ' +
            'unknown one to the security officer.',
        )}
      </p>
      {clients === null ? (
        <p class="muted">{T('Chargement…', 'Loading…')}</p>
      ) : (
        <table class="clients">
          <thead>
            <tr>
              <th>{T('Appareil', 'Device')}</th><th>{T('Première connexion', 'First seen')}</th>
              <th>{T('Dernière', 'Last seen')}</th><th>{T('État', 'State')}</th>
            </tr>
          </thead>
          <tbody>
            {clients.map((c) => (
              <tr key={c.client}>
                <td>
                  <strong title={c.label ?? undefined}>{deviceName(c.label)}</strong>
                  {c.current ? ` — ${T('celui-ci', 'this one')}` : ''}
                  <br />
                  <span class="muted">
                    {c.kind === 'browser key'
                      ? T(`navigateur, clé ${c.client.slice(5, 13)}…`, `browser, key ${c.client.slice(5, 13)}…`)
                      : T(`logiciel, réseau ${c.network ?? '?'}`, `program, network ${c.network ?? '?'}`)}
                  </span>
                </td>
                <td>{fmtDateTime(c.firstSeen)}</td>
                <td>{fmtDateTime(c.lastSeen)}</td>
                <td>
                  {c.approved ? T('approuvé', 'approved') : me.clientApproved ? (
                    <button type="button" onClick={() => approve(c)}>{T('Approuver', 'Approve')}</button>
                  ) : (
                    <span class="warn">{T('en attente', 'waiting')}</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Problem error={error} />
      <div class="actions">
        <button type="button" class="primary" onClick={close}>{T('Fermer', 'Close')}</button>
      </div>
    </Dialog>
  );
}
