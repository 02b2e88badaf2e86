import { useState } from 'preact/hooks';
import { patch, post } from './api.js';
import { LABELS, labelName, T } from './i18n.js';
import { typedNote, WITHDRAWAL } from './note-read.js';
import { Dialog, Problem } from './ui.js';

/**
 * The forms that write a note: a new one (on the patient page, and as the consultation's note), its
 * amendment by its author (a new note that replaces it, prefilled with its text and labels), and
 * its withdrawal (after a confirmation: it cannot be undone).
 */

/** The sensitivity labels a note or a document is written with. */
export function SensitivityFields({ labels, set }: { labels: readonly string[]; set: (l: string[]) => void }) {
  const toggle = (code: string, on: boolean) => set(on ? [...labels, code] : labels.filter((l) => l !== code));
  return (
    <fieldset>
      <legend>{T('Sensibilité', 'Sensitivity')}</legend>
      {Object.keys(LABELS).map((code) => (
        <label key={code} class="check">
          <input
            type="checkbox" checked={labels.includes(code)} onChange={(e) => toggle(code, e.currentTarget.checked)}
          />
          {labelName(code)}
        </label>
      ))}
    </fieldset>
  );
}

/** Sends a note, with the busy flag, the refusal and the saved flag of its form. */
function useSend() {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const send = async (body: object, after: () => void | Promise<void>) => {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await post('/fhir/DocumentReference', body);
      setSaved(true);
      await after();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { error, busy, saved, setSaved, send };
}

/** A note form; `id` keeps two of them (the page's and the consultation's) apart for labels. */
export function NewNote(p: {
  patientId: string; done: () => Promise<void>; id?: string; title?: string; label?: string; action?: string;
}) {
  const id = p.id ?? 'note';
  const [text, setText] = useState('');
  const [labels, setLabels] = useState<string[]>([]);
  const { error, busy, saved, setSaved, send } = useSend();
  const submit = (ev: Event) => {
    ev.preventDefault();
    void send(typedNote(p.patientId, text, labels), async () => {
      setText('');
      setLabels([]);
      await p.done();
    });
  };
  return (
    <form class="new-note" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{p.title ?? T('Nouvelle note', 'New note')}</h3>
      <label for={`${id}-text`}>{p.label ?? T('Texte de la note', 'Note text')}</label>
      <textarea
        id={`${id}-text`} required rows={4} value={text}
        onInput={(e) => { setText(e.currentTarget.value); setSaved(false); }}
      />
      <SensitivityFields labels={labels} set={setLabels} />
      <Problem error={error} />
      <button type="submit" class="primary" disabled={busy}>
        {p.action ?? T('Enregistrer la note', 'Save the note')}
      </button>
      {saved && <span class="ok" role="status">{T('Note enregistrée.', 'Note saved.')}</span>}
    </form>
  );
}

/**
 * The author's amendment of a note: a new note, prefilled with the earlier one's text and labels,
 * that replaces it (relatesTo `replaces`); the earlier one stays in the record, superseded.
 */
export function AmendNote(p: {
  patientId: string; note: any; text: string; labels: readonly string[]; cancel: () => void; done: () => Promise<void>;
}) {
  const id = `amend-${p.note.id}`;
  const [text, setText] = useState(p.text);
  const [labels, setLabels] = useState<string[]>([...p.labels]);
  const { error, busy, send } = useSend();
  const submit = (ev: Event) => {
    ev.preventDefault();
    void send(typedNote(p.patientId, text, labels, p.note), p.done);
  };
  return (
    <form class="amend" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{T('Modifier la note', 'Amend the note')}</h3>
      <p class="muted">
        {T('La version actuelle restera dans le dossier, marquée « version remplacée ».',
          'The current version stays in the record, marked “superseded”.')}
      </p>
      <label for={`${id}-text`}>{T('Nouveau texte', 'New text')}</label>
      <textarea id={`${id}-text`} required rows={4} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      <SensitivityFields labels={labels} set={setLabels} />
      <Problem error={error} />
      <div class="actions">
        <button type="button" onClick={p.cancel}>{T('Annuler', 'Cancel')}</button>
        <button type="submit" class="primary" disabled={busy}>
          {T('Enregistrer la modification', 'Save the amendment')}
        </button>
      </div>
    </form>
  );
}

/**
 * The author's withdrawal of a note or a document written in error (the wrong patient, a wrong
 * file): after a confirmation, `PATCH` to entered-in-error. It stays in the record, struck through.
 */
export function WithdrawDialog(p: {
  id: string; kind: 'note' | 'document'; name: string; close: () => void; done: () => Promise<void>;
}) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await patch(`/fhir/DocumentReference/${p.id}`, WITHDRAWAL);
      await p.done();
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };
  const note = p.kind === 'note';
  const title = note
    ? T('Retirer cette note ?', 'Withdraw this note?')
    : T('Retirer ce document ?', 'Withdraw this document?');
  const en = 'It will be marked “withdrawn (error)” and hidden from the list. '
    + 'This cannot be undone: the record keeps it, struck through.';
  return (
    <Dialog id="withdraw-title" title={title} close={p.close}>
      <p><strong>{p.name}</strong></p>
      <p>
        {note
          ? T('Elle sera marquée « retirée (erreur) » et masquée de la liste. '
            + 'Ce retrait est définitif : le dossier la garde, barrée.', en)
          : T('Il sera marqué « retiré (erreur) » et masqué de la liste. '
            + 'Ce retrait est définitif : le dossier le garde, barré.', en)}
      </p>
      <Problem error={error} />
      <div class="actions">
        <button type="button" onClick={p.close} autoFocus>{T('Annuler', 'Cancel')}</button>
        <button type="button" class="danger" disabled={busy} onClick={confirm}>{T('Retirer', 'Withdraw')}</button>
      </div>
    </Dialog>
  );
}
