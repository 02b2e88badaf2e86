import { useState } from 'preact/hooks';
import { download, post, type Me } from '../api.js';
import { fmtDateTime, labelName, lang, T } from '../i18n.js';
import { Problem } from '../ui.js';
import { ApproveNotices } from './approvals.js';
import { Confirm, short, useServer } from './common.js';
import { eventName } from './register.js';

interface PracticeRow {
  practiceId: string; name: string | null; patients: number; categories: Record<string, number>;
  labels: Record<string, number>;
}

interface Incident {
  id: string; createdAt: string; createdBy: string | null; kind: 'account-abuse' | 'database-copy';
  query: { accounts?: string[]; addresses?: string[]; from?: string; to?: string };
  summary: { patients: number; notes: number };
  scope: { care?: { accesses: number }; accounts?: { userId: string; username: string | null }[] };
  art34: { required: boolean; reason: string };
  timeline: { at: string; event: string; by: string | null }[];
  byPractice: PracticeRow[];
  documents: Record<'art33' | 'art34' | 'record' | 'practitioners', string>;
}

/**
 * One incident: what it exposed, by practice and category; the Art. 34 decision; the second
 * officer's approval of the notices (the exports naming patients appear once approved);
 * containment, behind a confirmation; and the steps of the register.
 */
export function IncidentScreen({ me, id }: { me: Me; id: string }) {
  const r = useServer<Incident>(`/security/incidents/${id}`);
  const [error, setError] = useState<unknown>(null);
  const [containing, setContaining] = useState(false);
  const i = r.data;
  if (!i) {
    return (
      <section class="card">
        <Problem error={r.error} />
        {!r.error && <p class="muted">{T('Chargement…', 'Loading…')}</p>}
      </section>
    );
  }
  const has = (e: string) => i.timeline.some((t) => t.event === e);
  const approved = i.timeline.find((t) => t.event === 'notices-approved');
  const accounts = i.scope.accounts?.map((a) => a.username ?? short(a.userId)) ?? i.query.accounts ?? [];
  const fetchDoc = async (path: string, filename: string) => {
    setError(null);
    try {
      await download(path, filename);
    } catch (e) {
      setError(e);
    }
  };
  const step = async (event: string) => {
    setError(null);
    try {
      await post(`/security/incidents/${i.id}/timeline`, { event });
      r.reload();
    } catch (e) {
      setError(e);
    }
  };
  const doc = (kind: keyof Incident['documents'], format: string) =>
    `${i.documents[kind]}?format=${format}&lang=${lang()}`;
  const file = (what: string) => `incident-${short(i.id)}-${what}`;
  return (
    <section class="card" aria-labelledby="incident-title" data-testid="incident">
      <h1 id="incident-title">{T('Incident', 'Incident')} {short(i.id)}</h1>
      <p class="muted">
        {T('Ouvert le', 'Opened')} {fmtDateTime(i.createdAt)}
        {i.query.from && i.query.to && (
          <> · {T('période', 'period')} {fmtDateTime(i.query.from)} → {fmtDateTime(i.query.to)}</>
        )}
        {accounts.length > 0 && <> · {T('comptes', 'accounts')} : {accounts.join(', ')}</>}
      </p>
      <p class="big">
        <strong data-testid="scope-patients">{i.summary.patients}</strong>{' '}
        {T('patients exposés', 'patients exposed')},{' '}
        <strong>{i.summary.notes}</strong> {T('notes cliniques', 'clinical notes')}
        {i.scope.care && (
          <> · {i.scope.care.accesses}{' '}
            {T('accès de soins (légitimes) non comptés', 'care accesses (legitimate) not counted')}</>
        )}
      </p>
      <ByPractice rows={i.byPractice} />
      <p>{T('Article 34', 'Article 34')} :{' '}
        {i.art34.required ? T('notification des patients requise', 'patients must be notified')
          : T('non requise', 'not required')} — {i.art34.reason}</p>
      {i.kind === 'account-abuse' && (
        <div class="approval" data-testid="notices-state">
          {approved
            ? <p class="ok">{T('Notifications approuvées le', 'Notices approved on')} {fmtDateTime(approved.at)}</p>
            : <>
              <p class="warn">{T('Les lettres aux patients, le publipostage et la liste des praticiens nomment '
                + 'des patients : un second responsable sécurité doit les approuver avant tout export.',
                'The letters, the mail merge and the practitioners’ list name patients: a second security officer '
                + 'must approve them before any export.')}</p>
              {i.createdBy === me.userId && <p class="muted">{T('Vous avez établi ce périmètre : un autre responsable '
                + 'sécurité doit approuver.', 'You scoped this incident: another security officer must approve.')}</p>}
              <ApproveNotices id={i.id} patients={i.summary.patients} done={r.reload} />
            </>}
        </div>
      )}
      <h2>{T('Documents', 'Documents')}</h2>
      <div class="actions">
        <button type="button" onClick={() => fetchDoc(doc('art33', 'pdf'), file('art33.pdf'))}>
          {T('Notification CNIL (art. 33, PDF)', 'CNIL notification (Art. 33, PDF)')}
        </button>
        {approved && <>
          <button
            type="button" data-testid="download-art34" onClick={() => fetchDoc(doc('art34', 'pdf'), file('art34.pdf'))}
          >
            {T('Lettres aux patients (art. 34, PDF)', 'Letters to patients (Art. 34, PDF)')}
          </button>
          <button type="button" onClick={() => fetchDoc(doc('art34', 'csv'), file('art34.csv'))}>
            {T('Publipostage (CSV)', 'Mail merge (CSV)')}
          </button>
          <button
            type="button"
            onClick={() => fetchDoc(`${i.documents.practitioners}?lang=${lang()}`, file('praticiens.pdf'))}
          >
            {T('Information des praticiens (PDF)', 'Practitioners (PDF)')}
          </button>
        </>}
        <button type="button" onClick={() => fetchDoc(i.documents.record, file('record.json'))}>
          {T('Fiche incident (sans données personnelles)', 'Incident record (no personal data)')}
        </button>
      </div>
      <Problem error={error} />
      <h2>{T('Réponse', 'Response')}</h2>
      <div class="actions">
        {accounts.length > 0 && !has('contained') && (
          <button type="button" class="danger" onClick={() => setContaining(true)}>
            {T('Contenir : verrouiller, révoquer, réinitialiser', 'Contain: lock, revoke, reset')}
          </button>
        )}
        {has('contained') && (
          <span class="ok" role="status" data-testid="contained">{T('Comptes contenus', 'Accounts contained')}</span>
        )}
        {!has('cnil-notified') && (
          <button type="button" onClick={() => step('cnil-notified')}>{T('CNIL notifiée', 'CNIL notified')}</button>
        )}
        {!has('closed') && <button type="button" onClick={() => step('closed')}>{T('Clore', 'Close')}</button>}
      </div>
      <h2>{T('Chronologie', 'Timeline')}</h2>
      <ol class="timeline" data-testid="timeline">
        {i.timeline.map((t, k) => <li key={k}><span class="time">{fmtDateTime(t.at)}</span> {eventName(t.event)}</li>)}
      </ol>
      {containing && (
        <Confirm
          id="confirm-contain" title={T('Contenir l’incident ?', 'Contain the incident?')} danger
          action={T('Contenir', 'Contain')} close={() => setContaining(false)}
          act={async () => {
            const actions = ['lock', 'revoke-sessions', 'reset-credentials'];
            await post(`/security/incidents/${i.id}/actions`, { actions });
            setContaining(false);
            r.reload();
          }}
        >
          <p>
            {T('Pour', 'For')}{' '}
            <strong>{accounts.length} {T('compte(s)', 'account(s)')} : {accounts.join(', ')}</strong>
          </p>
          <ul>
            <li>{T('le compte est verrouillé : plus aucune connexion ;',
              'the account is locked: no more sign-in;')}</li>
            <li>{T('toutes ses sessions ouvertes sont révoquées immédiatement ;',
              'all its open sessions are revoked at once;')}</li>
            <li>{T('ses identifiants sont réinitialisés : mot de passe inconnu de tous, second facteur supprimé — il '
              + 'devra être enrôlé à nouveau.', 'its credentials are reset: a password nobody knows, the second factor '
              + 'removed — it must be enrolled again.')}</li>
          </ul>
          <p>{T('Le déverrouillage demandera ensuite deux responsables sécurité.',
            'Unlocking will then take two security officers.')}</p>
        </Confirm>
      )}
    </section>
  );
}

function ByPractice({ rows }: { rows: PracticeRow[] }) {
  const categories: [string, string][] = [
    ['identity', T('identité', 'identity')], ['contacts', T('coordonnées', 'contacts')], ['nir', 'NIR'],
    ['appointments', T('rendez-vous', 'appointments')], ['notes', T('notes cliniques', 'clinical notes')],
  ];
  if (rows.length === 0) return null;
  return (
    <div class="scroll" tabIndex={0} role="region" aria-labelledby="by-practice">
      <table>
        <caption id="by-practice">
          {T('Par cabinet et catégorie (patients)', 'By practice and category (patients)')}
        </caption>
        <thead><tr>
          <th scope="col">{T('Cabinet', 'Practice')}</th><th scope="col">{T('Patients', 'Patients')}</th>
          {categories.map(([k, n]) => <th key={k} scope="col">{n}</th>)}
          <th scope="col">{T('Étiquettes sensibles', 'Sensitive labels')}</th>
        </tr></thead>
        <tbody>
          {rows.map((p) => (
            <tr key={p.practiceId}>
              <th scope="row">{p.name ?? short(p.practiceId)}</th><td>{p.patients}</td>
              {categories.map(([k]) => <td key={k}>{p.categories[k] ?? 0}</td>)}
              <td>{Object.entries(p.labels).map(([l, n]) => `${labelName(l)} ${n}`).join(', ') || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
