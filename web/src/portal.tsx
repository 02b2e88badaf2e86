import { useEffect, useState } from 'preact/hooks';
import { ApiError, entries, get, nirOf, patientName, saveJson, type Me } from './api.js';
import { fmtDate, fmtDateTime, T } from './i18n.js';

const PURPOSES: Record<string, [string, string]> = {
  TREAT: ['soins', 'care'],
  ETREAT: ['accès d’urgence (bris de glace)', 'emergency access (break the glass)'],
  HOPERAT: ['gestion du cabinet', 'practice administration'],
  PATRQT: ['vous-même', 'yourself'],
  HSYSADMIN: ['sécurité', 'security'],
};

const ROLES: Record<string, [string, string]> = {
  practitioner: ['médecin', 'practitioner'],
  assistant: ['assistant·e', 'assistant'],
  'practice-admin': ['administrateur du cabinet', 'practice administrator'],
  'security-officer': ['responsable sécurité', 'security officer'],
  patient: ['vous', 'you'],
  system: ['système', 'system'],
};

const ACTIONS: Record<string, [string, string]> = {
  read: ['a ouvert votre dossier', 'opened your record'],
  search: ['vous a trouvé(e) dans une recherche', 'found you in a search'],
  create: ['a ajouté une information', 'added information'],
  update: ['a modifié votre dossier', 'changed your record'],
  everything: ['a consulté tout votre dossier', 'viewed your whole record'],
  'break-glass': ['a demandé un accès d’urgence', 'asked for emergency access'],
};

const pick = (m: Record<string, [string, string]>, k: string | undefined) => (k && m[k] ? T(m[k][0], m[k][1]) : (k ?? '—'));

/** The patient portal: my data, my whole record to download, and who opened my record, when and why. */
export function Portal({ me }: { me: Me }) {
  const [patient, setPatient] = useState<any | null>(null);
  const [events, setEvents] = useState<any[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = async () => {
    try {
      setPatient(await get(`/fhir/Patient/${me.patientId}`));
      setEvents(entries(await get(`/fhir/AuditEvent?patient=${me.patientId}&_count=100`)));
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load();
  }, [me]);
  const everything = async () => {
    try {
      saveJson(await get(`/fhir/Patient/${me.patientId}/$everything`), 'mon-dossier-medvault.json');
    } catch (e) {
      setError(e);
    }
  };
  if (error) return <p class="error" role="alert">{error instanceof ApiError ? error.message : String(error)}</p>;
  if (!patient) return <p class="muted">{T('Chargement…', 'Loading…')}</p>;
  const addr = patient.address?.[0];
  return (
    <div class="portal">
      <section class="card" aria-labelledby="me-title">
        <h1 id="me-title">{patientName(patient)}</h1>
        <dl class="facts">
          <dt>{T('Né(e) le', 'Born')}</dt><dd>{patient.birthDate ? fmtDate(patient.birthDate) : '—'}</dd>
          <dt>NIR</dt><dd>{nirOf(patient) ?? '—'}</dd>
          <dt>{T('Adresse', 'Address')}</dt><dd>{addr ? `${(addr.line ?? []).join(', ')}, ${addr.postalCode ?? ''} ${addr.city ?? ''}` : '—'}</dd>
        </dl>
        <button type="button" class="primary" onClick={everything}>{T('Télécharger tout mon dossier', 'Download my whole record')}</button>
      </section>
      <section class="card" aria-labelledby="who-title">
        <h2 id="who-title">{T('Qui a consulté mon dossier', 'Who opened my record')}</h2>
        <p class="muted">{T('Chaque accès à votre dossier est enregistré. Les accès d’urgence sont signalés.', 'Every access to your record is recorded. Emergency accesses are highlighted.')}</p>
        <button type="button" onClick={load}>{T('Actualiser', 'Refresh')}</button>
        {events !== null && events.length === 0 && <p class="muted">{T('Aucun accès enregistré.', 'No access recorded.')}</p>}
        {events !== null && events.length > 0 && (
          <table data-testid="accesses">
            <thead>
              <tr><th scope="col">{T('Quand', 'When')}</th><th scope="col">{T('Qui', 'Who')}</th><th scope="col">{T('Rôle', 'Role')}</th><th scope="col">{T('Quoi', 'What')}</th><th scope="col">{T('Pourquoi', 'Why')}</th></tr>
            </thead>
            <tbody>
              {events.map((e) => {
                const purpose = e.purposeOfEvent?.[0]?.coding?.[0]?.code as string | undefined;
                const glass = purpose === 'ETREAT';
                const agent = e.agent?.[0];
                const role = agent?.type?.coding?.[0]?.code as string | undefined;
                return (
                  <tr key={e.id} class={glass ? 'glass' : ''}>
                    <td>{fmtDateTime(e.recorded)}</td>
                    <td>{agent?.who?.display ?? '—'}</td>
                    <td>{pick(ROLES, role)}</td>
                    <td>{pick(ACTIONS, e.subtype?.[0]?.code)}{e.outcome !== '0' ? ` (${T('refusé', 'refused')})` : ''}</td>
                    <td>{glass ? <strong class="tag sev-high">{pick(PURPOSES, purpose)}</strong> : pick(PURPOSES, purpose)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}
