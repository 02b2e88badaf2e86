import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { fmtDateTime, T } from '../i18n.js';
import { Dialog, Problem } from '../ui.js';
import { deviceName } from './devices.js';

/** An account of the practice as GET /admin/accounts lists it. */
export interface Account {
  readonly id: string;
  readonly username: string;
  readonly role: 'practitioner' | 'assistant' | 'practice-admin';
  readonly familyName: string;
  readonly givenName: string;
  readonly status: 'active' | 'pending' | 'disabled' | 'locked';
  readonly enrolled: boolean;
  readonly approved: boolean;
  /** The server's answer to "may I approve it": not its creator, not the holder of its latest link. */
  readonly mayApprove: boolean;
}

/** A client (browser or program) of an account, as GET /admin/clients lists it. */
export interface AdminClient {
  readonly userId: string;
  readonly client: string;
  readonly kind: 'browser key' | 'program';
  readonly network: string | null;
  readonly label: string | null;
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly state: 'approved' | 'refused' | 'waiting';
  readonly asked: boolean;
  readonly askedByMe: boolean;
}

/** An enrolment link handed to the admin, to give to its user (never a password or a secret). */
export interface Link {
  readonly username: string;
  readonly enrolmentUrl: string;
  readonly expiresAt: string;
}

export function fullName(a: Pick<Account, 'givenName' | 'familyName'>): string {
  return `${a.givenName} ${a.familyName.toUpperCase()}`;
}

export function roleLabel(r: Account['role']): string {
  switch (r) {
    case 'practitioner': return T('Médecin', 'Practitioner');
    case 'assistant': return T('Assistant·e', 'Assistant');
    case 'practice-admin': return T('Administrateur', 'Administrator');
  }
}

/** Where the account stands, in words: the server's status and what it still waits for. */
export function stateLabel(a: Account): string {
  if (a.status === 'active') return T('Actif', 'Active');
  if (a.status === 'disabled') return T('Désactivé', 'Disabled');
  if (a.status === 'locked') return T('Verrouillé par la sécurité', 'Locked by security');
  if (!a.enrolled) return T('Invité : pas encore activé par son titulaire', 'Invited: not yet set up by its user');
  if (!a.approved) return T('À approuver par une seconde personne', 'To be approved by a second person');
  return T('Approuvé : attend son titulaire', 'Approved: waiting for its user');
}

export function clientState(c: AdminClient): string {
  if (c.state === 'approved') return T('approuvé', 'approved');
  if (c.state === 'refused') return T('refusé', 'refused');
  if (c.askedByMe) {
    return T('demande envoyée : un second administrateur doit confirmer', 'asked: a second admin must confirm');
  }
  if (c.asked) return T('un administrateur a demandé son approbation', 'an admin asked to approve it');
  return T('en attente d’approbation', 'waiting for approval');
}

/**
 * One client in a list: its readable name, when it was last used, its state, and (while it waits)
 * Approve and Refuse. The raw user agent stays available to whoever hovers or reads the details.
 */
export function DeviceItem({ c, owner, act }: {
  c: AdminClient; owner?: string; act?: (c: AdminClient, what: 'approve' | 'refuse') => void;
}) {
  return (
    <li class="device" data-testid="device">
      <div class="device-main">
        <strong class="device-name" title={c.label ?? undefined}>{deviceName(c.label)}</strong>
        {owner && <span class="muted"> — {owner}</span>}
        <br />
        <span class="muted">
          {T(`Dernière utilisation : ${fmtDateTime(c.lastSeen)}`, `Last used: ${fmtDateTime(c.lastSeen)}`)}
          {c.kind === 'program' && c.network ? T(` · réseau ${c.network}`, ` · network ${c.network}`) : ''}
        </span>
      </div>
      <span class={`tag state-${c.state}`}>{clientState(c)}</span>
      {act && c.state !== 'refused' && (
        <span class="actions">
          {c.state === 'waiting' && !c.askedByMe && (
            <button type="button" onClick={() => act(c, 'approve')}>
              {c.asked ? T('Confirmer l’approbation', 'Confirm approval') : T('Approuver', 'Approve')}
            </button>
          )}
          <button type="button" class="danger" onClick={() => act(c, 'refuse')}>{T('Refuser', 'Refuse')}</button>
        </span>
      )}
    </li>
  );
}

/** A question before an action that cannot be undone from here; the server's refusal shown in it. */
export function Confirm(p: {
  id: string; title: string; action: string; danger?: boolean; close: () => void; act: () => Promise<void>;
  children: ComponentChildren;
}) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      await p.act();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  return (
    <Dialog id={p.id} title={p.title} close={p.close}>
      {p.children}
      <Problem error={error} />
      <div class="actions">
        <button type="button" onClick={p.close} autoFocus>{T('Annuler', 'Cancel')}</button>
        <button type="button" class={p.danger ? 'danger' : 'primary'} disabled={busy} onClick={go}>{p.action}</button>
      </div>
    </Dialog>
  );
}

/** The enrolment link, once: to give to its user by hand or by a channel of the practice. */
export function LinkDialog({ link, reset, close }: { link: Link; reset: boolean; close: () => void }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    await navigator.clipboard?.writeText(link.enrolmentUrl).then(() => setCopied(true), () => undefined);
  };
  return (
    <Dialog id="link-title" title={T('Lien d’activation', 'Enrolment link')} close={close}>
      <p>
        {reset
          ? T(`Le second facteur de ${link.username} est effacé et ses sessions ont pris fin. Donnez-lui ce lien :`,
            `${link.username}'s second factor is erased and their sessions ended. Give them this link:`)
          : T(`Le compte ${link.username} est créé. Donnez ce lien à son titulaire, et à lui seul :`,
            `Account ${link.username} is created. Give this link to its user, and to them only:`)}
      </p>
      <p class="link-box"><code data-testid="enrolment-url">{link.enrolmentUrl}</code></p>
      <p class="muted">
        {T(`Valable jusqu’au ${fmtDateTime(link.expiresAt)}, une seule ` +
          `fois. `, `Good until ${fmtDateTime(link.expiresAt)}, once. `)}
        {T('Le titulaire y choisit son mot de passe et son second facteur ; personne d’autre ne les voit. ',
          'The user chooses their password and second factor there; nobody else sees them. ')}
        {T('Ensuite, une seconde personne (un autre administrateur ou le responsable sécurité) approuve le compte.',
          'Then a second person (another administrator or the security officer) approves the account.')}
      </p>
      <div class="actions">
        <button type="button" onClick={copy}>
          {copied ? T('Copié', 'Copied') : T('Copier le lien', 'Copy the link')}
        </button>
        <button type="button" class="primary" onClick={close} autoFocus>{T('Fermer', 'Close')}</button>
      </div>
    </Dialog>
  );
}
