import { useState } from 'preact/hooks';
import { download, type Me } from '../api.js';
import { authorName, useAuthorNames } from '../authors.js';
import { fmtDate, labelName, T } from '../i18n.js';
import { WithdrawDialog } from '../note-forms.js';
import { authorOf, isTypedNote, labelsOf, mayChange, statusOf } from '../note-read.js';
import { ShareToggle } from '../portal/share-toggle.js';
import { Problem } from '../ui.js';
import { downloadName, kindName, sizeText } from './document-file.js';
import { UploadForm } from './document-upload.js';
import { DocumentViewer } from './document-viewer.js';
import { searchAll, useLoad } from './load.js';

/**
 * The patient's documents — letters, laboratory and imaging reports, scans — as the search
 * describes them (title, kind, date, author, format and size; never their bytes), each opened in the
 * viewer or downloaded on request (a read of the document, audited as such), and the form that adds
 * one. The author of a document added in error (the wrong patient, the wrong file) may withdraw
 * it; withdrawn documents are shown, struck through, on request.
 */
export function DocumentsView({ me, patientId, version, changed }: {
  me: Me; patientId: string; version: number; changed: () => void;
}) {
  const [withWithdrawn, setWithWithdrawn] = useState(false);
  const status = withWithdrawn ? 'current,entered-in-error' : 'current';
  const listed = useLoad(() => searchAll('DocumentReference', patientId, { status }, 4), [patientId, version, status]);
  const names = useAuthorNames(me);
  const [viewing, setViewing] = useState<any | null>(null);
  const [withdrawing, setWithdrawing] = useState<any | null>(null);
  const [error, setError] = useState<unknown>(null);
  const docs = listed.state === 'ok' ? listed.value.items.filter((d) => !isTypedNote(d)) : [];
  const save = async (d: any) => {
    setError(null);
    try {
      const att = d.content?.[0]?.attachment ?? {};
      const path = `/fhir/DocumentReference/${d.id}/$content`;
      await download(path, downloadName(titleOf(d), att.contentType), att.contentType);
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section class="chart-section documents" aria-labelledby="docs-title" data-testid="documents">
      <h3 id="docs-title">{T('Documents', 'Documents')}</h3>
      {listed.state === 'loading' && <p class="muted">{T('Chargement…', 'Loading…')}</p>}
      {(listed.state === 'refused' || listed.state === 'failed') && <Problem error={listed.error} />}
      {listed.state === 'ok' && listed.value.cut && <p class="warn" role="status">{listed.value.cut}</p>}
      <label class="check">
        <input type="checkbox" checked={withWithdrawn} onChange={(e) => setWithWithdrawn(e.currentTarget.checked)} />
        {T('Afficher les documents retirés', 'Show withdrawn documents')}
      </label>
      <Problem error={error} />
      {listed.state === 'ok' && docs.length === 0 && (
        <p class="muted">{T('Aucun document dans le dossier.', 'No documents in the record.')}</p>
      )}
      {docs.length > 0 && (
        // A row's actions stay on one line: on a phone the table scrolls in its own box, not the page.
        <div class="table-wrap" tabIndex={0}>
          <table class="compact docs" data-testid="documents-table">
            <caption class="sr-only">{T('Documents du dossier', 'Documents in the record')}</caption>
            <thead>
              <tr>
                <th scope="col">{T('Titre', 'Title')}</th>
                <th scope="col">{T('Nature', 'Kind')}</th>
                <th scope="col">{T('Date', 'Date')}</th>
                <th scope="col">{T('Auteur', 'Author')}</th>
                <th scope="col">{T('Taille', 'Size')}</th>
                <th scope="col"><span class="sr-only">{T('Actions', 'Actions')}</span></th>
              </tr>
            </thead>
            <tbody>
              {docs.map((d) => (
                <DocumentRow
                  key={d.id} d={d} author={authorName(names, authorOf(d))} mine={mayChange(d, me)}
                  view={() => setViewing(d)} save={() => void save(d)} withdraw={() => setWithdrawing(d)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <UploadForm patientId={patientId} done={changed} />
      {viewing && (
        <DocumentViewer doc={viewing} author={authorName(names, authorOf(viewing))} close={() => setViewing(null)} />
      )}
      {withdrawing && (
        <WithdrawDialog
          id={withdrawing.id} kind="document" name={titleOf(withdrawing)} close={() => setWithdrawing(null)}
          done={async () => { setWithdrawing(null); changed(); }}
        />
      )}
    </section>
  );
}

function titleOf(d: any): string {
  return d.content?.[0]?.attachment?.title ?? T('Document sans titre', 'Untitled document');
}

/** A document's line: what it is, and what may be done with it (named for it: "Voir : <title>"). */
function DocumentRow(p: {
  d: any; author: string; mine: boolean; view: () => void; save: () => void; withdraw: () => void;
}) {
  const { d } = p;
  const title = titleOf(d);
  const withdrawn = statusOf(d) === 'entered-in-error';
  const act = (label: string, onClick: () => void) => (
    <button type="button" class="small" onClick={onClick} aria-label={`${label} : ${title}`}>{label}</button>
  );
  return (
    <tr class={withdrawn ? 'withdrawn' : undefined} data-status={statusOf(d)}>
      <th scope="row">
        {withdrawn ? <s>{title}</s> : title}
        {labelsOf(d).map((code) => <span key={code} class="label" title={code}>{labelName(code)}</span>)}
        {withdrawn && <span class="tag withdrawn">{T('retiré (erreur)', 'withdrawn (error)')}</span>}
      </th>
      <td>{kindName(d)}</td>
      <td>{fmtDate(d.date)}</td>
      <td>{p.author}</td>
      <td class="num">{sizeText(d.content?.[0]?.attachment?.size)}</td>
      <td class="row-actions">
        {act(T('Voir', 'View'), p.view)}
        {act(T('Télécharger', 'Download'), p.save)}
        {p.mine && act(T('Retirer', 'Withdraw'), p.withdraw)}
        {p.mine && <ShareToggle n={d} name={title} />}
      </td>
    </tr>
  );
}
