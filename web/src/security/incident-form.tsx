import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { lang, T } from '../i18n.js';
import { go, PATHS } from '../router.js';
import { Problem } from '../ui.js';

/** A local date and time as a datetime-local field holds it (no seconds, no zone). */
export function localIso(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * A new incident: the accounts or addresses suspected and the window (the last day up to now by
 * default: an incident's end is never in the future). The server scopes it; its screen opens.
 */
export function IncidentForm() {
  const [accounts, setAccounts] = useState('');
  const [addresses, setAddresses] = useState('');
  const [countCare, setCountCare] = useState(false);
  const [from, setFrom] = useState(() => localIso(new Date(Date.now() - 24 * 3_600_000)));
  const [to, setTo] = useState(() => localIso(new Date()));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const list = (v: string) => v.split(/[\s,;]+/).filter(Boolean);
      const scope = await post<{ id: string }>('/security/incidents', {
        accounts: list(accounts), addresses: list(addresses), ...(countCare ? { countCare: true } : {}),
        // The field names a minute: its end is the end of that minute (never past now), not its first second,
        // which would leave out the accesses of the last seconds — an attack just seen.
        from: new Date(from).toISOString(), to: new Date(Math.min(Date.parse(to) + 59_999, Date.now())).toISOString(),
        lang: lang(),
      });
      go(PATHS.security(`incidents/${scope.id}`));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="inc-title">
      <h1 id="inc-title">{T('Nouvel incident : établir le périmètre', 'New incident: scope it')}</h1>
      <form class="grid" onSubmit={submit}>
        <label for="inc-accounts">
          {T('Comptes (identifiants, séparés par des virgules)', 'Accounts (usernames, comma-separated)')}
        </label>
        <input id="inc-accounts" value={accounts} onInput={(e) => setAccounts(e.currentTarget.value)} />
        <label for="inc-addresses">
          {T('et/ou adresses réseau de l’attaquant', 'and/or the attacker’s network addresses')}
        </label>
        <input id="inc-addresses" value={addresses} onInput={(e) => setAddresses(e.currentTarget.value)} />
        <label class="check">
          <input type="checkbox" checked={countCare} onChange={(e) => setCountCare(e.currentTarget.checked)} />
          {T('Compter aussi les accès du compte couverts par une relation de soins (toujours comptés pour les '
            + 'adresses nommées)', 'Also count the account’s accesses a care relationship covers (always counted '
            + 'for the addresses named)')}
        </label>
        <label for="inc-from">{T('Du', 'From')}</label>
        <input
          id="inc-from" type="datetime-local" required value={from} onInput={(e) => setFrom(e.currentTarget.value)}
        />
        <label for="inc-to">{T('Au', 'To')}</label>
        <input
          id="inc-to" type="datetime-local" required value={to} max={localIso(new Date(Date.now() + 60_000))}
          onInput={(e) => setTo(e.currentTarget.value)}
        />
        <Problem error={error} />
        <button type="submit" class="primary" disabled={busy}>{T('Établir le périmètre', 'Scope the incident')}</button>
      </form>
    </section>
  );
}
