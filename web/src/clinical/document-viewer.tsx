import { useEffect, useState } from 'preact/hooks';
import { request } from '../api.js';
import { fmtDateTime, T } from '../i18n.js';
import { Dialog, Problem } from '../ui.js';
import { downloadName, kindName, sizeText, sniff, typeName, type DocumentType } from './document-file.js';

/**
 * A document shown in the page: its bytes fetched from `DocumentReference/{id}/$content` with the
 * session's token and DPoP proof (in headers: a token never goes into a URL, so an <iframe> or an
 * <img> cannot ask for it), held as a blob, and shown from the blob's URL — a PDF in an <iframe>
 * (the browser's viewer), an image in an <img>. The blob's type is the one its bytes show, and only
 * one of the three formats the server accepts: a blob of anything else, in this page's origin, could
 * run. The URL is revoked when the viewer closes, so the bytes do not outlive it.
 */
interface Shown {
  readonly url: string;
  readonly type: DocumentType;
  readonly size: number;
}

export function DocumentViewer({ doc, author, close }: { doc: any; author: string; close: () => void }) {
  const att = doc.content?.[0]?.attachment ?? {};
  const title: string = att.title ?? T('Document sans titre', 'Untitled document');
  const [shown, setShown] = useState<Shown | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [unviewable, setUnviewable] = useState(false);
  useEffect(() => {
    let live = true;
    let url: string | null = null;
    (async () => {
      const r = await request('GET', `/fhir/DocumentReference/${doc.id}/$content`, undefined, att.contentType ?? '*/*');
      const bytes = new Uint8Array(await r.arrayBuffer());
      const type = sniff(bytes);
      if (type === null || type !== att.contentType) {
        if (live) setUnviewable(true);
        return;
      }
      url = URL.createObjectURL(new Blob([bytes], { type }));
      if (live) setShown({ url, type, size: bytes.length });
      else URL.revokeObjectURL(url);
    })().catch((e) => live && setError(e));
    return () => {
      live = false;
      if (url) URL.revokeObjectURL(url);
    };
  }, [doc.id]);

  return (
    <Dialog id="viewer-title" title={title} close={close} wide>
      <p class="muted" data-testid="viewer-facts">
        {kindName(doc)} — {fmtDateTime(doc.date)} — {author} — {typeName(att.contentType)}, {sizeText(att.size)}
      </p>
      <Problem error={error} />
      {unviewable && (
        <p class="error" role="alert">
          {T('Ce document n’est pas dans le format annoncé : il n’est pas affiché.',
            'This document is not in the format it claims: it is not shown.')}
        </p>
      )}
      {!shown && !error && !unviewable && (
        <p class="muted" role="status">{T('Chargement du document…', 'Loading the document…')}</p>
      )}
      {shown?.type === 'application/pdf' && (
        <iframe class="doc-frame" src={shown.url} title={title} data-testid="viewer-pdf" />
      )}
      {shown && shown.type !== 'application/pdf' && (
        <div class="doc-image"><img src={shown.url} alt={title} data-testid="viewer-image" /></div>
      )}
      <div class="actions">
        {shown && (
          <a class="button" href={shown.url} download={downloadName(title, shown.type)}>
            {T('Télécharger', 'Download')}
          </a>
        )}
        <button type="button" onClick={close} autoFocus>{T('Fermer', 'Close')}</button>
      </div>
    </Dialog>
  );
}
