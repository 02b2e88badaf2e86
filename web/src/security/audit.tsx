import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { fmtDateTime, T } from '../i18n.js';
import { Problem } from '../ui.js';
import { useServer } from './common.js';

interface AuditState {
  events: number;
  lastHead: { treeSize: number; signedAt: string; keyId: string } | null;
  lastVerification: { ok: boolean; events: number; heads: number; at: string; problem?: string } | null;
}

/** The access log: its size, its last signed head, and its verification on request. */
export function AuditScreen() {
  const s = useServer<AuditState>('/security/audit');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const verify = async () => {
    setBusy(true);
    setError(null);
    try {
      await post('/security/audit/verify');
      s.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const a = s.data;
  const v = a?.lastVerification;
  return (
    <section class="card" aria-labelledby="audit-title">
      <h1 id="audit-title">{T('Journal d’accès', 'Access log')}</h1>
      <Problem error={s.error ?? error} />
      {a && (
        <dl class="facts">
          <dt>{T('Événements', 'Events')}</dt><dd>{a.events}</dd>
          <dt>{T('Dernière tête signée', 'Last signed head')}</dt>
          <dd>{a.lastHead
            ? `${a.lastHead.treeSize} ${T('événements', 'events')}, ${fmtDateTime(a.lastHead.signedAt)} `
              + `(${a.lastHead.keyId.slice(0, 12)}…)`
            : '—'}</dd>
          <dt>{T('Vérification', 'Verification')}</dt>
          <dd data-testid="audit-verify">{v
            ? (v.ok
              ? `✓ ${T('intègre', 'intact')} — ${v.events} ${T('événements', 'events')}, ${v.heads} `
                + `${T('têtes', 'heads')}, ${fmtDateTime(v.at)}`
              : `✗ ${v.problem ?? ''}`)
            : T('pas encore faite', 'not run yet')}</dd>
        </dl>
      )}
      <button type="button" onClick={verify} disabled={busy}>
        {busy ? T('Vérification…', 'Verifying…') : T('Vérifier maintenant', 'Verify now')}
      </button>
    </section>
  );
}
