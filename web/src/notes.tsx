import { useState } from 'preact/hooks';
import { post } from './api.js';
import { fmtDate, LABELS, labelName, T } from './i18n.js';
import { Problem } from './ui.js';

const V3_ACT = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';

/**
 * A patient's clinical notes (DocumentReference, text/plain) with their sensitivity labels, and
 * the form that writes one: on the patient page, and as the consultation's note.
 */
export function NotesList({ notes, cut }: { notes: any[]; cut: string | null }) {
  return (
    <>
      {cut && <p class="warn" role="status" data-testid="notes-cut">{cut}</p>}
      {notes.length === 0 && <p class="muted">{T('Aucune note.', 'No notes.')}</p>}
      {notes.length > 0 && (
        <ol class="notes" data-testid="notes">
          {notes.map((n) => (
            <li key={n.id} class="note">
              <div class="note-head">
                <span class="time">{fmtDate(n.date)}</span>
                {(n.securityLabel ?? []).flatMap((l: any) => l.coding).map((c: any) => (
                  <span key={c.code} class="label" title={c.code}>{labelName(c.code)}</span>
                ))}
              </div>
              <p class="note-text">{decodeText(n.content?.[0]?.attachment?.data)}</p>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

function decodeText(b64: string | undefined): string {
  if (!b64) return '';
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

function encodeText(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** A note form; `id` keeps two of them (the page's and the consultation's) apart for labels. */
export function NewNote(p: {
  patientId: string; done: () => Promise<void>; id?: string; title?: string; label?: string; action?: string;
}) {
  const id = p.id ?? 'note';
  const [text, setText] = useState('');
  const [labels, setLabels] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const toggle = (code: string, on: boolean) => setLabels(on ? [...labels, code] : labels.filter((l) => l !== code));
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await post('/fhir/DocumentReference', {
        resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${p.patientId}` },
        ...(labels.length > 0 ? { securityLabel: [{ coding: labels.map((code) => ({ system: V3_ACT, code })) }] } : {}),
        content: [{ attachment: { contentType: 'text/plain', data: encodeText(text) } }],
      });
      setText('');
      setLabels([]);
      setSaved(true);
      await p.done();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="new-note" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{p.title ?? T('Nouvelle note', 'New note')}</h3>
      <label for={`${id}-text`}>{p.label ?? T('Texte de la note', 'Note text')}</label>
      <textarea
        id={`${id}-text`} required rows={4} value={text}
        onInput={(e) => { setText(e.currentTarget.value); setSaved(false); }}
      />
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
      <Problem error={error} />
      <button type="submit" class="primary" disabled={busy}>
        {p.action ?? T('Enregistrer la note', 'Save the note')}
      </button>
      {saved && <span class="ok" role="status">{T('Note enregistrée.', 'Note saved.')}</span>}
    </form>
  );
}
