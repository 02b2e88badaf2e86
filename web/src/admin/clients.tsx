import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { T } from '../i18n.js';
import { Problem } from '../ui.js';
import { approveClient } from './account.js';
import { useAccounts } from './accounts.js';
import { type AdminClient, Confirm, DeviceItem, fullName } from './common.js';
import { deviceName } from './devices.js';

/**
 * The devices waiting for approval, across the practice's accounts: a browser or program an
 * account used that neither its user (from an approved device) nor two admins approved yet. Until
 * then it opens few charts a day. The admin approves (a second admin confirms) or refuses it.
 */
export function WaitingClients({ myId }: { myId: string }) {
  const { accounts } = useAccounts();
  const [clients, setClients] = useState<AdminClient[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [said, setSaid] = useState<string | null>(null);
  const [refusing, setRefusing] = useState<AdminClient | null>(null);
  const load = () => get<{ clients: AdminClient[] }>('/admin/clients').then((r) => setClients(r.clients), setError);
  useEffect(() => void load(), []);
  const owner = (c: AdminClient) => {
    const a = accounts?.find((x) => x.id === c.userId);
    return a ? `${fullName(a)} (${a.username})` : T('compte inconnu', 'unknown account');
  };
  const act = (c: AdminClient, what: 'approve' | 'refuse') => {
    if (what === 'refuse') return setRefusing(c);
    setError(null);
    setSaid(null);
    approveClient(c).then(async (s) => {
      setSaid(s);
      await load();
    }, setError);
  };
  const waiting = (clients ?? []).filter((c) => c.state === 'waiting');
  return (
    <section class="card" aria-labelledby="clients-title">
      <h1 id="clients-title">{T('Appareils en attente', 'Devices waiting')}</h1>
      <p class="muted">
        {T('Approuvez seulement un appareil que son titulaire reconnaît. Deux administrateurs sont nécessaires : le ' +
          'premier demande, un second confirme. Vos propres appareils s’approuvent depuis le menu « Appareils ».',
          'Approve only a device its user recognises. It takes two administrators: the first asks, a second ' +
            'confirms. Your own devices are approved from the "Devices" menu.')}
      </p>
      <Problem error={error} />
      {said && <p class="ok" role="status">{said}</p>}
      {clients === null && !error && <p class="muted">{T('Chargement…', 'Loading…')}</p>}
      {clients !== null && waiting.length === 0 && (
        <p class="muted">{T('Aucun appareil n’attend.', 'No device is waiting.')}</p>
      )}
      {waiting.length > 0 && (
        <ul class="list devices" data-testid="devices-waiting">
          {waiting.map((c) => (
            <DeviceItem key={`${c.userId} ` +
              `${c.client}`} c={c} owner={owner(c)} {...(c.userId === myId ? {} : { act })} />
          ))}
        </ul>
      )}
      {refusing && (
        <Confirm
          id="refuse-device-title" title={T('Refuser cet appareil', 'Refuse this device')} danger
          action={T('Refuser', 'Refuse')} close={() => setRefusing(null)}
          act={async () => {
            await post(`/admin/accounts/${refusing.userId}/clients/refuse`, { client: refusing.client });
            setRefusing(null);
            setSaid(T('Appareil refusé : ses sessions ont pris fin.', 'Device refused: its sessions ended.'));
            await load();
          }}
        >
          <p>{T(`${deviceName(refusing.label)} de ${owner(refusing)} : ses sessions prennent fin tout de suite.`,
            `${deviceName(refusing.label)} of ${owner(refusing)}: its sessions end at once.`)}</p>
        </Confirm>
      )}
    </section>
  );
}
