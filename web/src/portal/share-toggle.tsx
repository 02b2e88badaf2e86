import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { T } from '../i18n.js';
import { Problem } from '../ui.js';

/** The mark the server puts on a note shared with its patient (FHIR Meta.tag; src/fhir/document-reference.ts). */
const SHARING_SYSTEM = 'https://medvault.example/fhir/CodeSystem/sharing';

export function isShared(n: any): boolean {
  return (n?.meta?.tag ?? []).some((t: any) => t.system === SHARING_SYSTEM && t.code === 'patient');
}

/**
 * « Partager avec le patient »: the note's author shows it in the patient's portal, or stops (the
 * server decides: its author, while she treats the patient; each change audited). Named for the
 * note or document it shares, so that a list of them reads well to a screen reader.
 */
export function ShareToggle({ n, name }: { n: any; name: string }) {
  const [shared, setShared] = useState(isShared(n));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // The box shows the choice at once, and goes back if the server refuses it.
  const toggle = async (next: boolean) => {
    setBusy(true);
    setError(null);
    setShared(next);
    try {
      const body = { resourceType: 'Parameters', parameter: [{ name: 'shared', valueBoolean: next }] };
      await post(`/fhir/DocumentReference/${n.id}/$share`, body);
    } catch (e) {
      setShared(!next);
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="share-toggle">
      <label class="check">
        <input
          type="checkbox" checked={shared} disabled={busy} data-testid="share-toggle"
          aria-label={`${T('Partager avec le patient', 'Share with the patient')} : ${name}`}
          onChange={(e) => void toggle(e.currentTarget.checked)}
        />
        {T('Partager avec le patient', 'Share with the patient')}
      </label>
      <Problem error={error} />
    </span>
  );
}
