import { useEffect, useState } from 'preact/hooks';
import { request } from '../api.js';
import { fmtDateTime, T } from '../i18n.js';
import { Problem } from '../ui.js';
import { conceptText } from './read.js';

/**
 * The lines prescribed in a consultation and their ordonnance: the server's PDF
 * (`GET /fhir/Patient/{id}/$ordonnance?request=…`), opened in a new tab. The request needs the
 * session's token and DPoP proof, so the page fetches the PDF and holds it as a blob; the same
 * blob is offered as a download, where a browser blocks the new tab.
 */
export function Ordonnance({ patientId, lines }: { patientId: string; lines: readonly any[] }) {
  const [pdf, setPdf] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => () => {
    if (pdf) URL.revokeObjectURL(pdf);
  }, [pdf]);
  // A new line makes the printed ordonnance out of date.
  const ids = lines.map((l) => l.id).join(',');
  useEffect(() => setPdf(null), [ids]);
  const print = async () => {
    setError(null);
    try {
      const path = `/fhir/Patient/${patientId}/$ordonnance?request=${ids}`;
      const r = await request('GET', path, undefined, 'application/pdf');
      const url = URL.createObjectURL(await r.blob());
      setPdf(url);
      window.open(url, '_blank');
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section class="ordonnance" aria-labelledby="ord-title">
      <h3 id="ord-title">{T('Ordonnance', 'Prescription sheet')}</h3>
      {lines.length === 0 ? (
        <p class="muted">
          {T('Aucune ligne prescrite dans cette consultation.', 'No line prescribed in this consultation.')}
        </p>
      ) : (
        <ol data-testid="enc-lines">
          {lines.map((l) => (
            <li key={l.id}>
              <strong>{conceptText(l.medicationCodeableConcept)}</strong> — {l.dosageInstruction?.[0]?.text}
              {l.substitution?.allowedBoolean === false && (
                <span class="tag">{T('non substituable', 'not substitutable')} ({l.substitution.reason?.text})</span>
              )}
              <span class="muted"> {fmtDateTime(l.meta.lastUpdated)}</span>
            </li>
          ))}
        </ol>
      )}
      <Problem error={error} />
      <div class="actions">
        <button type="button" onClick={print} disabled={lines.length === 0}>
          {T('Imprimer l’ordonnance', 'Print the prescription')}
        </button>
        {pdf && (
          <a class="button" href={pdf} download="ordonnance.pdf">
            {T('Télécharger l’ordonnance (PDF)', 'Download the prescription (PDF)')}
          </a>
        )}
      </div>
    </section>
  );
}
