import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { T } from '../i18n.js';
import { go, PATHS } from '../router.js';
import { Problem } from '../ui.js';
import { type Link, LinkDialog } from './common.js';

/** Who the admin invites: a locum is a practitioner of the practice (the server knows roles, not contracts). */
const KINDS = [
  { value: 'doctor', role: 'practitioner', fr: 'Médecin', en: 'Doctor' },
  { value: 'locum', role: 'practitioner', fr: 'Médecin remplaçant', en: 'Locum doctor' },
  { value: 'assistant', role: 'assistant', fr: 'Assistant·e', en: 'Assistant' },
  { value: 'admin', role: 'practice-admin', fr: 'Administrateur du cabinet', en: 'Practice administrator' },
] as const;

/** A username suggested from the names: lowercase ASCII, as the server's pattern asks. */
function suggest(given: string, family: string, doctor: boolean): string {
  const plain = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const name = [plain(given).slice(0, 1), plain(family)].filter(Boolean).join('.');
  return name === '' ? '' : `${doctor ? 'dr.' : ''}${name}`.slice(0, 64);
}

/**
 * Invite a colleague: names, kind, username (suggested), RPPS for a doctor. The server answers with
 * a one-time enrolment link for the colleague — never a password or a second-factor secret.
 */
export function Invite() {
  const [kind, setKind] = useState<(typeof KINDS)[number]['value']>('locum');
  const [given, setGiven] = useState('');
  const [family, setFamily] = useState('');
  const [username, setUsername] = useState('');
  const [edited, setEdited] = useState(false);
  const [rpps, setRpps] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [link, setLink] = useState<Link | null>(null);
  const k = KINDS.find((x) => x.value === kind)!;
  const doctor = k.role === 'practitioner';
  const shown = edited ? username : suggest(given, family, doctor);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, string> = {
        username: shown, role: k.role, familyName: family.trim(), givenName: given.trim(),
      };
      if (doctor && rpps.trim() !== '') body.rpps = rpps.trim();
      setLink(await post<Link & { id: string }>('/admin/accounts', body));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card narrow" aria-labelledby="invite-title">
      <h1 id="invite-title">{T('Inviter un collègue', 'Invite a colleague')}</h1>
      <p class="muted">
        {T('Vous recevrez un lien d’activation à lui remettre. Il y choisira son mot de passe et son second facteur.',
          'You will get an enrolment link to give them. They will choose their password and second factor there.')}
      </p>
      <form onSubmit={submit}>
        <label for="invite-kind">{T('Fonction', 'Position')}</label>
        <select id="invite-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as typeof kind)}>
          {KINDS.map((x) => <option key={x.value} value={x.value}>{T(x.fr, x.en)}</option>)}
        </select>
        <label for="invite-given">{T('Prénom', 'Given name')}</label>
        <input id="invite-given" required maxLength={100} autocomplete="off" value={given}
          onInput={(e) => setGiven(e.currentTarget.value)} />
        <label for="invite-family">{T('Nom', 'Family name')}</label>
        <input id="invite-family" required maxLength={100} autocomplete="off" value={family}
          onInput={(e) => setFamily(e.currentTarget.value)} />
        <label for="invite-username">{T('Identifiant de connexion', 'Username')}</label>
        <input id="invite-username" required pattern="[a-z0-9][a-z0-9._\-]{2,63}" autocomplete="off" value={shown}
          aria-describedby="invite-username-help"
          onInput={(e) => { setEdited(true); setUsername(e.currentTarget.value); }} />
        <p id="invite-username-help" class="muted small-print">
          {T('Minuscules, chiffres, point, tiret ; 3 caractères au moins.',
            'Lowercase letters, digits, dot, dash; at least 3 characters.')}
        </p>
        {doctor && (
          <>
            <label for="invite-rpps">
              {T('Numéro RPPS (11 chiffres, facultatif)', 'RPPS number (11 digits, optional)')}
            </label>
            <input id="invite-rpps" inputMode="numeric" pattern="[0-9]{11}" autocomplete="off" value={rpps}
              onInput={(e) => setRpps(e.currentTarget.value)} />
          </>
        )}
        <Problem error={error} />
        <button type="submit" class="primary" disabled={busy}>
          {T('Créer le lien d’activation', 'Create the enrolment link')}
        </button>
      </form>
      {link && (
        <LinkDialog link={link} reset={false} close={() => { setLink(null); go(PATHS.admin('accounts')); }} />
      )}
    </section>
  );
}
