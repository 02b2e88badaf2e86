import { useState } from 'preact/hooks';
import { download } from '../api.js';
import { fmtDate, T } from '../i18n.js';
import { useLoad } from '../clinical/load.js';
import { DocumentViewer } from '../clinical/document-viewer.js';
import { downloadName } from '../clinical/document-file.js';
import { isTypedNote, noteText } from '../note-read.js';
import { Problem } from '../ui.js';
import { practitionerNames, practitionerOf, sharedDocuments } from './data.js';
import { codeOf, DOCUMENT_KINDS, pick } from './words.js';

async function load(patientId: string) {
  const [docs, names] = await Promise.all([sharedDocuments(patientId), practitionerNames()]);
  return { docs, names };
}

const titleOf = (d: any): string => d.content?.[0]?.attachment?.title ?? pick(DOCUMENT_KINDS, codeOf(d.type));

/** One shared note or document: a note's text on request; a document viewed or downloaded. */
function SharedItem({ d, author }: { d: any; author: string }) {
  const [open, setOpen] = useState(false);
  const [viewing, setViewing] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const title = titleOf(d);
  const typed = isTypedNote(d);
  const att = d.content?.[0]?.attachment ?? {};
  const save = async () => {
    setError(null);
    try {
      await download(`/fhir/DocumentReference/${d.id}/$content`, downloadName(title, att.contentType), att.contentType);
    } catch (e) {
      setError(e);
    }
  };
  const label = (verb: string) => `${verb} : ${title}`;
  return (
    <li class="shared" data-testid="shared-document">
      <div class="shared-head">
        <strong class="shared-title">{title}</strong>
        <span class="muted">{pick(DOCUMENT_KINDS, codeOf(d.type))} · {fmtDate(d.date)} · {author}</span>
      </div>
      <div class="actions">
        {typed && (
          <button type="button" class="small" aria-expanded={open} onClick={() => setOpen(!open)}
            aria-label={label(open ? T('Masquer', 'Hide') : T('Lire', 'Read'))}>
            {open ? T('Masquer', 'Hide') : T('Lire', 'Read')}
          </button>
        )}
        {!typed && (
          <>
            <button type="button" class="small" onClick={() => setViewing(true)} aria-label={label(T('Voir', 'View'))}>
              {T('Voir', 'View')}
            </button>
            <button type="button" class="small" onClick={() => void save()} aria-label={label(T('Télécharger', 'Download'))}>
              {T('Télécharger', 'Download')}
            </button>
          </>
        )}
      </div>
      {open && typed && <p class="note-text">{noteText(d)}</p>}
      <Problem error={error} />
      {viewing && <DocumentViewer doc={d} author={author} close={() => setViewing(false)} />}
    </li>
  );
}

/**
 * The notes and documents her practitioners shared with her, newest first. The server returns
 * those only: what was not shared is not hers to read here (she asks her practice for a copy).
 */
export function DocumentsScreen({ patientId }: { patientId: string }) {
  const loaded = useLoad(() => load(patientId), [patientId]);
  const authorOf = (d: any, names: ReadonlyMap<string, string>) => {
    const id = practitionerOf(d.author ?? []);
    return (id && names.get(id)) ?? T('un médecin du cabinet', 'a doctor of the practice');
  };
  return (
    <section class="card" aria-labelledby="docs-title">
      <h1 id="docs-title">{T('Documents partagés par mes médecins', 'Documents my doctors shared with me')}</h1>
      {loaded.state === 'loading' && <p class="muted">{T('Chargement…', 'Loading…')}</p>}
      {(loaded.state === 'failed' || loaded.state === 'refused') && <Problem error={loaded.error} />}
      {loaded.state === 'ok' && loaded.value.docs.length === 0 && (
        <p class="muted">{T('Aucun document partagé pour le moment.', 'No document shared yet.')}</p>
      )}
      {loaded.state === 'ok' && loaded.value.docs.length > 0 && (
        <ul class="shared-list" data-testid="shared-documents">
          {loaded.value.docs.map((d) => <SharedItem key={d.id} d={d} author={authorOf(d, loaded.value.names)} />)}
        </ul>
      )}
      <p class="muted small-print">
        {T(
          'Votre médecin choisit les comptes rendus et documents qu’il partage ici. Pour obtenir une copie '
            + 'complète de votre dossier, adressez-vous à votre cabinet.',
          'Your doctor chooses the reports and documents shared here. For a full copy of your record, '
            + 'ask your practice.',
        )}
      </p>
    </section>
  );
}
