import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { post, setToken, type Tokens } from './api.js';
import { T } from './i18n.js';
import { Dialog, Problem } from './ui.js';

/** A dialog holding one form: its fields, the server's refusal if any, Cancel and the action. */
function FormDialog(p: {
  id: string; title: string; intro: string; why?: string | null; action: string; danger?: boolean;
  close: () => void; act: () => Promise<void>; children: ComponentChildren;
}) {
  const [error, setError] = useState<unknown>(null);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    try {
      await p.act();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Dialog id={p.id} title={p.title}>
      {p.why && <p class="warn" data-testid="dialog-why">{p.why}</p>}
      <p>{p.intro}</p>
      <form onSubmit={submit}>
        {p.children}
        <Problem error={error} />
        <div class="actions">
          <button type="button" onClick={p.close}>{T('Annuler', 'Cancel')}</button>
          <button type="submit" class={p.danger ? 'danger' : 'primary'}>{p.action}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** Break the glass: an emergency access to a patient without a care relationship, with its reason. */
export function BreakGlass({ patientId, close, done }: { patientId: string; close: () => void; done: () => Promise<void> }) {
  const [reason, setReason] = useState('');
  return (
    <FormDialog
      id="bg-title" title={T('Accès d’urgence', 'Emergency access')} danger close={close} action={T('Ouvrir le dossier', 'Open the record')}
      intro={T('Cet accès sera signalé au responsable sécurité et au patient. Indiquez pourquoi vous en avez besoin.', 'This access will be reported to the security officer and to the patient. Say why you need it.')}
      act={async () => {
        await post('/access/break-glass', { patientId, reason });
        await done();
      }}
    >
      <label for="bg-reason">{T('Motif (10 caractères au moins)', 'Reason (at least 10 characters)')}</label>
      <textarea id="bg-reason" required minLength={10} maxLength={500} rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} autoFocus />
    </FormDialog>
  );
}

/**
 * The RFC 9470 answer: the server wants a fresh second factor before it goes on, and says why (a
 * wave of suspensions while this account appears from a new address, a token used from another
 * network, an action that needs it).
 */
export function StepUp({ why, close, done }: { why: string | null; close: () => void; done: () => Promise<void> }) {
  const [code, setCode] = useState('');
  return (
    <FormDialog
      id="su-title" title={T('Confirmez votre identité', 'Confirm it is you')} close={close} action={T('Valider', 'Verify')}
      intro={T('Pour continuer, saisissez un nouveau code de votre application d’authentification.', 'To go on, enter a new code from your authenticator app.')}
      why={why}
      act={async () => {
        const t = await post<Tokens>('/auth/step-up', { code: code.trim() });
        setToken(t.access_token, t.token_type === 'DPoP' ? 'DPoP' : 'Bearer');
        await done();
      }}
    >
      <label for="su-code">{T('Code de vérification', 'Verification code')}</label>
      <input id="su-code" inputMode="numeric" autocomplete="one-time-code" required value={code} onInput={(e) => setCode(e.currentTarget.value)} autoFocus />
    </FormDialog>
  );
}
