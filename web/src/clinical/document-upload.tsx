import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { T } from '../i18n.js';
import { SensitivityFields } from '../note-forms.js';
import { Problem } from '../ui.js';
import {
  base64Of, checkFile, documentBody, KINDS, MAX_TITLE_CHARS, sizeText, titleFrom, typeName, type DocumentType,
} from './document-file.js';
import { Field, Select } from './fields.js';

/**
 * Adding a document to the record: a file chosen or dropped, checked here as the server would check
 * it (format by its bytes, 5 MiB at most), its title (the file's name to start with), its kind and
 * its sensitivity; then sent inline (`attachment.data`, base64). A refusal the page could not
 * foresee is shown in the server's words.
 */
export function UploadForm({ patientId, done }: { patientId: string; done: () => void }) {
  const [file, setFile] = useState<{ f: File; type: DocumentType } | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [title, setTitle] = useState('');
  const [kind, setKind] = useState<string>(KINDS[0]![0]);
  const [labels, setLabels] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const [over, setOver] = useState(false);
  // A new file input after each upload: its own value cannot be cleared otherwise.
  const [inputKey, setInputKey] = useState(0);

  const choose = async (f: File | null) => {
    setProblem(null);
    setError(null);
    setSaved(false);
    setFile(null);
    if (!f) return;
    const checked = await checkFile(f);
    if ('problem' in checked) {
      setProblem(checked.problem);
      setInputKey((k) => k + 1);
      return;
    }
    setFile({ f, type: checked.type });
    if (!title.trim()) setTitle(titleFrom(f.name));
  };
  const drop = (ev: DragEvent) => {
    ev.preventDefault();
    setOver(false);
    void choose(ev.dataTransfer?.files?.[0] ?? null);
  };
  const submit = async (ev: Event) => {
    ev.preventDefault();
    if (!file) {
      setProblem(T('Choisissez d’abord un fichier.', 'Choose a file first.'));
      return;
    }
    if (!title.trim()) {
      setProblem(T('Donnez un titre au document.', 'Give the document a title.'));
      return;
    }
    setProblem(null);
    setBusy(true);
    setError(null);
    try {
      const data = await base64Of(file.f);
      await post('/fhir/DocumentReference', documentBody(patientId, file.type, data, title, kind, labels));
      setFile(null);
      setTitle('');
      setKind(KINDS[0]![0]);
      setLabels([]);
      setInputKey((k) => k + 1);
      setSaved(true);
      done();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const kinds = KINDS.map(([code, fr, en]) => [code, T(fr, en)] as const);
  return (
    <form class="chart-form upload" onSubmit={submit} aria-labelledby="doc-up-title">
      <h3 id="doc-up-title">{T('Ajouter un document', 'Add a document')}</h3>
      <div
        class={over ? 'drop over' : 'drop'} data-testid="doc-drop"
        onDragEnter={(e) => { e.preventDefault(); setOver(true); }}
        onDragOver={(e) => { e.preventDefault(); setOver(true); }}
        onDragLeave={() => setOver(false)} onDrop={drop}
      >
        <p>{T('Déposez un fichier ici, ou choisissez-le.', 'Drop a file here, or choose it.')}</p>
        <label for="doc-file">
          {T('Fichier (PDF, JPEG ou PNG ; 5 Mo au plus)', 'File (PDF, JPEG or PNG; 5 MB at most)')}
        </label>
        <input
          key={inputKey} id="doc-file" type="file" accept="application/pdf,image/jpeg,image/png,.pdf,.jpg,.jpeg,.png"
          onChange={(e) => void choose(e.currentTarget.files?.[0] ?? null)}
        />
        {file && (
          <p class="chosen" data-testid="doc-chosen">
            {T('Fichier choisi :', 'Chosen file:')} <strong>{file.f.name}</strong>{' '}
            ({typeName(file.type)}, {sizeText(file.f.size)})
          </p>
        )}
        {problem && <p class="error" role="alert">{problem}</p>}
      </div>
      <div class="row">
        <Field
          id="doc-title" label={T('Titre', 'Title')} value={title} set={setTitle} required maxLength={MAX_TITLE_CHARS}
          hint={T(`${MAX_TITLE_CHARS} caractères au plus`, `${MAX_TITLE_CHARS} characters at most`)}
        />
        <Select id="doc-kind" label={T('Nature', 'Kind')} value={kind} set={setKind} options={kinds} />
      </div>
      <SensitivityFields labels={labels} set={setLabels} />
      <Problem error={error} />
      <button type="submit" class="primary" disabled={busy}>{T('Ajouter le document', 'Add the document')}</button>
      {busy && <span class="muted" role="status"> {T('Envoi…', 'Sending…')}</span>}
      {saved && <span class="ok" role="status">{T('Document ajouté.', 'Document added.')}</span>}
    </form>
  );
}
