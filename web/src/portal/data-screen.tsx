import { useState } from 'preact/hooks';
import { download, get, saveJson } from '../api.js';
import { T } from '../i18n.js';
import { Problem } from '../ui.js';

/**
 * Her data to take away (GDPR art. 15, a copy; art. 20, portability): a readable summary as a PDF
 * (identity, appointments, shared documents, who opened her record) and the whole record the
 * portal shows as FHIR (JSON), for another service or her own archive.
 */
export function DataScreen({ patientId }: { patientId: string }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState<'pdf' | 'fhir' | null>(null);
  const run = async (what: 'pdf' | 'fhir', work: () => Promise<void>) => {
    setError(null);
    setBusy(what);
    try {
      await work();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  };
  const pdf = () => run('pdf', () =>
    download(`/fhir/Patient/${patientId}/$record-summary`, 'releve-dossier-medvault.pdf', 'application/pdf'));
  const fhir = () => run('fhir', async () =>
    saveJson(await get(`/fhir/Patient/${patientId}/$everything`), 'mon-dossier-medvault.json'));
  return (
    <section class="card" aria-labelledby="data-title">
      <h1 id="data-title">{T('Mes données', 'My data')}</h1>
      <div class="download">
        <h2>{T('Relevé de mon dossier (PDF)', 'Summary of my record (PDF)')}</h2>
        <p>
          {T('Mon identité, mes rendez-vous, les documents partagés avec moi et qui a consulté mon dossier, '
            + 'dans un document à lire ou à imprimer.',
          'My identity, my appointments, the documents shared with me and who opened my record, in a document '
            + 'to read or print.')}
        </p>
        <button type="button" class="primary" onClick={pdf} disabled={busy !== null}>
          {busy === 'pdf' ? T('Préparation…', 'Preparing…') : T('Télécharger le relevé (PDF)', 'Download the summary (PDF)')}
        </button>
      </div>
      <div class="download">
        <h2>{T('Toutes mes données (FHIR)', 'All my data (FHIR)')}</h2>
        <p>
          {T('Le même contenu au format médical standard FHIR (JSON), pour le transmettre à un autre service.',
            'The same content in the standard medical format FHIR (JSON), to pass on to another service.')}
        </p>
        <button type="button" class="primary" onClick={fhir} disabled={busy !== null}>
          {busy === 'fhir' ? T('Préparation…', 'Preparing…') : T('Télécharger tout mon dossier', 'Download my whole record')}
        </button>
      </div>
      <Problem error={error} />
    </section>
  );
}
