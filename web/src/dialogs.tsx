import { useState } from 'preact/hooks';
import { post, setToken } from './api.js';
import { T } from './i18n.js';
import { Dialog, Problem } from './ui.js';

/** Break the glass: an emergency access to a patient without a care relationship, with its reason. */
export function BreakGlass({ patientId, close, done }: { patientId: string; close: () => void; done: () => Promise<void> }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    try {
      await post('/access/break-glass', { patientId, reason });
      await done();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Dialog id="bg-title" title={T('Accès d’urgence', 'Emergency access')}>
      <p>{T('Cet accès sera signalé au responsable sécurité et au patient. Indiquez pourquoi vous en avez besoin.', 'This access will be reported to the security officer and to the patient. Say why you need it.')}</p>
      <form onSubmit={submit}>
        <label for="bg-reason">{T('Motif (10 caractères au moins)', 'Reason (at least 10 characters)')}</label>
        <textarea id="bg-reason" required minLength={10} maxLength={500} rows={3} value={reason} onInput={(e) => setReason(e.currentTarget.value)} autoFocus />
        <Problem error={error} />
        <div class="actions">
          <button type="button" onClick={close}>{T('Annuler', 'Cancel')}</button>
          <button type="submit" class="danger">{T('Ouvrir le dossier', 'Open the record')}</button>
        </div>
      </form>
    </Dialog>
  );
}

/** The RFC 9470 answer: the server wants a fresh second factor before it goes on. */
export function StepUp({ close, done }: { close: () => void; done: () => Promise<void> }) {
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    try {
      const t = await post<{ access_token: string }>('/auth/step-up', { code: code.trim() });
      setToken(t.access_token);
      await done();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <Dialog id="su-title" title={T('Confirmez votre identité', 'Confirm it is you')}>
      <p>{T('Pour continuer, saisissez un nouveau code de votre application d’authentification.', 'To go on, enter a new code from your authenticator app.')}</p>
      <form onSubmit={submit}>
        <label for="su-code">{T('Code de vérification', 'Verification code')}</label>
        <input id="su-code" inputMode="numeric" autocomplete="one-time-code" required value={code} onInput={(e) => setCode(e.currentTarget.value)} autoFocus />
        <Problem error={error} />
        <div class="actions">
          <button type="button" onClick={close}>{T('Annuler', 'Cancel')}</button>
          <button type="submit" class="primary">{T('Valider', 'Verify')}</button>
        </div>
      </form>
    </Dialog>
  );
}
