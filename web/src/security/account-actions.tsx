import { useState } from 'preact/hooks';
import { post, type Me } from '../api.js';
import { T } from '../i18n.js';
import { Confirm, type Standing } from './common.js';

type Step = 'lock' | 'ask-unlock' | 'confirm-unlock';

/**
 * The steps that apply to an account as it stands, each behind a confirmation: lock an account that
 * is not locked; ask to unlock a contained one; confirm an unlock another officer asked (four eyes).
 * An unlock this officer asked alone is shown as waiting: only a second officer can confirm it.
 */
export function AccountActions({ me, userId, standing, changed }: {
  me: Me; userId: string; standing: Standing; changed: () => void;
}) {
  const [step, setStep] = useState<Step | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const name = standing.username;
  const askedByOthers = standing.unlockRequestedBy.some((id) => id !== me.userId);
  const askedByMe = standing.unlockRequestedBy.includes(me.userId);
  const self = userId === me.userId;
  const act = async (s: Step) => {
    if (s === 'lock') {
      await post(`/security/accounts/${userId}/lock`);
      setDone(T('Compte verrouillé', 'Account locked'));
    } else {
      // The first officer's unlock is a request (202, with the server's words); a second one's lifts (204).
      const r = await post<{ status?: string; message?: string } | undefined>(`/security/accounts/${userId}/unlock`);
      setDone(r?.status === 'pending'
        ? T(r.message ?? 'Demande enregistrée : un second responsable sécurité doit la confirmer.',
          'Unlock requested: a second security officer must confirm it.')
        : T('Compte déverrouillé', 'Account unlocked'));
    }
    setStep(null);
    changed();
  };
  return (
    <>
      {!self && standing.status !== 'locked' && (
        <button type="button" class="danger" onClick={() => setStep('lock')}>{T('Verrouiller', 'Lock')}</button>
      )}
      {!self && standing.contained && askedByOthers && (
        <button type="button" class="primary inline-action" onClick={() => setStep('confirm-unlock')}>
          {T('Confirmer le déverrouillage', 'Confirm the unlock')}
        </button>
      )}
      {!self && standing.contained && !askedByOthers && !askedByMe && (
        <button type="button" onClick={() => setStep('ask-unlock')}>{T('Déverrouiller', 'Unlock')}</button>
      )}
      {standing.contained && askedByMe && !askedByOthers && (
        <span class="muted" data-testid="unlock-waiting">
          {T('Déverrouillage demandé par vous : en attente d’un second responsable sécurité.',
            'Unlock asked by you: waiting for a second security officer.')}
        </span>
      )}
      {done && <span class="ok" role="status">{done}</span>}
      {step === 'lock' && (
        <Confirm
          id="confirm-lock" title={T(`Verrouiller le compte ${name} ?`, `Lock the account ${name}?`)} danger
          action={T('Verrouiller le compte', 'Lock the account')} close={() => setStep(null)} act={() => act('lock')}
        >
          <p>{T(`Le compte ${name} sera verrouillé : toutes ses sessions ouvertes prennent fin immédiatement et `
            + 'il ne pourra plus se connecter.', `The account ${name} will be locked: all its open sessions end at `
            + 'once and it can no longer sign in.')}</p>
          <p>{T('Pour le rouvrir, il faudra deux responsables sécurité : l’un demande, l’autre confirme.',
            'To open it again takes two security officers: one asks, the other confirms.')}</p>
        </Confirm>
      )}
      {step === 'ask-unlock' && (
        <Confirm
          id="confirm-unlock" title={T(`Demander le déverrouillage de ${name} ?`, `Ask to unlock ${name}?`)}
          action={T('Demander le déverrouillage', 'Ask to unlock')} close={() => setStep(null)}
          act={() => act('ask-unlock')}
        >
          <p>{T(`Votre demande sera enregistrée, mais le compte ${name} reste verrouillé : un second responsable `
            + 'sécurité doit la confirmer depuis son propre compte, dans les 24 heures.',
            `Your request is recorded, but the account ${name} stays locked: a second security officer must `
            + 'confirm it from their own account, within 24 hours.')}</p>
        </Confirm>
      )}
      {step === 'confirm-unlock' && (
        <Confirm
          id="confirm-unlock" title={T(`Déverrouiller le compte ${name} ?`, `Unlock the account ${name}?`)}
          action={T('Confirmer le déverrouillage', 'Confirm the unlock')} close={() => setStep(null)}
          act={() => act('confirm-unlock')}
        >
          <p>{T(`Un autre responsable sécurité a demandé le déverrouillage de ${name}. Votre confirmation lève le `
            + 'verrou et la suspension : le compte pourra se reconnecter. La détection reprend ses compteurs là où ils '
            + 'en étaient.', `Another security officer asked to unlock ${name}. Your confirmation lifts the lock and `
            + 'the suspension: the account can sign in again. Detection resumes its counts where they were.')}</p>
        </Confirm>
      )}
    </>
  );
}
