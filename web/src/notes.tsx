import { useEffect, useState } from 'preact/hooks';
import { entries, get, type Me } from './api.js';
import { authorName, useAuthorNames } from './authors.js';
import { fmtDateTime, labelName, T } from './i18n.js';
import { AmendNote, WithdrawDialog } from './note-forms.js';
import { authorOf, isTypedNote, labelsOf, mayChange, noteText, replacedId, statusOf } from './note-read.js';
import { ShareToggle } from './portal/share-toggle.js';
import { Problem } from './ui.js';

/**
 * A patient's clinical notes (typed text; documents are the chart's Documents tab): the current
 * ones, an amended one marked « modifiée » with its earlier versions on request (each a read of the
 * superseded note, audited as such), and the withdrawn ones, struck through, on request. The
 * author of a current note may amend it or withdraw it; nobody else is offered either.
 */
export function NotesList(p: {
  me: Me; patientId: string; notes: any[]; cut: string | null; changed: () => Promise<void>;
}) {
  const names = useAuthorNames(p.me);
  const [showWithdrawn, setShowWithdrawn] = useState(false);
  const [withdrawn, setWithdrawn] = useState<any[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [withdrawing, setWithdrawing] = useState<any | null>(null);
  const loadWithdrawn = async () => {
    try {
      const b = await get(`/fhir/DocumentReference?patient=${p.patientId}&status=entered-in-error&_count=50`);
      setWithdrawn(entries(b).filter(isTypedNote));
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    setError(null);
    if (showWithdrawn) void loadWithdrawn();
    else setWithdrawn([]);
  }, [showWithdrawn, p.patientId]);
  const changed = async () => {
    await p.changed();
    if (showWithdrawn) await loadWithdrawn();
  };
  const shown = [...p.notes.filter(isTypedNote), ...withdrawn]
    .sort((a, b) => String(b.date).localeCompare(String(a.date)));
  return (
    <>
      {p.cut && <p class="warn" role="status" data-testid="notes-cut">{p.cut}</p>}
      <label class="check">
        <input type="checkbox" checked={showWithdrawn} onChange={(e) => setShowWithdrawn(e.currentTarget.checked)} />
        {T('Afficher les notes retirées', 'Show withdrawn notes')}
      </label>
      <Problem error={error} />
      {shown.length === 0 && <p class="muted">{T('Aucune note.', 'No notes.')}</p>}
      {shown.length > 0 && (
        <ol class="notes" data-testid="notes">
          {shown.map((n) => (
            <NoteItem
              key={n.id} n={n} names={names} me={p.me} patientId={p.patientId} changed={changed}
              withdraw={() => setWithdrawing(n)}
            />
          ))}
        </ol>
      )}
      {withdrawing && (
        <WithdrawDialog
          id={withdrawing.id} kind="note" name={`${T('Note du', 'Note of')} ${fmtDateTime(withdrawing.date)}`}
          close={() => setWithdrawing(null)} done={async () => { setWithdrawing(null); await changed(); }}
        />
      )}
    </>
  );
}

/** A note's date, author, labels and status, as its heading. */
function NoteHead({ n, names }: { n: any; names: ReadonlyMap<string, string> }) {
  const status = statusOf(n);
  return (
    <div class="note-head">
      <span class="time">{fmtDateTime(n.date)}</span>
      <span class="author">{authorName(names, authorOf(n))}</span>
      {labelsOf(n).map((code) => <span key={code} class="label" title={code}>{labelName(code)}</span>)}
      {status === 'current' && replacedId(n) && <span class="tag amended">{T('modifiée', 'amended')}</span>}
      {status === 'superseded' && <span class="tag">{T('version remplacée', 'superseded version')}</span>}
      {status === 'entered-in-error' && <span class="tag withdrawn">{T('retirée (erreur)', 'withdrawn (error)')}</span>}
    </div>
  );
}

function NoteItem(p: {
  n: any; names: ReadonlyMap<string, string>; me: Me; patientId: string; changed: () => Promise<void>;
  withdraw: () => void;
}) {
  const { n } = p;
  const [editing, setEditing] = useState(false);
  const [earlier, setEarlier] = useState(false);
  const status = statusOf(n);
  const text = noteText(n);
  const replaced = replacedId(n);
  return (
    <li class={`note ${status}`} data-status={status}>
      <NoteHead n={n} names={p.names} />
      <p class="note-text">{status === 'entered-in-error' ? <s>{text}</s> : text}</p>
      {(replaced || mayChange(n, p.me)) && !editing && (
        <div class="actions">
          {replaced && (
            <button type="button" class="link" aria-expanded={earlier} onClick={() => setEarlier(!earlier)}>
              {earlier
                ? T('Masquer les versions précédentes', 'Hide the earlier versions')
                : T('Voir les versions précédentes', 'Show the earlier versions')}
            </button>
          )}
          {mayChange(n, p.me) && (
            <>
              <button type="button" class="small" onClick={() => setEditing(true)}>{T('Modifier', 'Amend')}</button>
              <button type="button" class="small" onClick={p.withdraw}>{T('Retirer', 'Withdraw')}</button>
              <ShareToggle n={n} name={`${T('note du', 'note of')} ${fmtDateTime(n.date)}`} />
            </>
          )}
        </div>
      )}
      {editing && (
        <AmendNote
          patientId={p.patientId} note={n} text={text} labels={labelsOf(n)} cancel={() => setEditing(false)}
          done={async () => { setEditing(false); await p.changed(); }}
        />
      )}
      {earlier && replaced && <EarlierVersions first={replaced} names={p.names} />}
    </li>
  );
}

/**
 * The versions an amendment replaced, newest first: each read on request (a read of the note, audited
 * like any other), following the chain of `replaces` back to the first version.
 */
function EarlierVersions({ first, names }: { first: string; names: ReadonlyMap<string, string> }) {
  const [versions, setVersions] = useState<any[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let live = true;
    (async () => {
      const found: any[] = [];
      // A chain is as long as its author's corrections; 20 reads bound a page's walk along it.
      for (let id: string | null = first; id && found.length < 20; id = replacedId(found[found.length - 1])) {
        found.push(await get(`/fhir/DocumentReference/${id}`));
        if (live) setVersions([...found]);
      }
    })().catch((e) => live && setError(e));
    return () => {
      live = false;
    };
  }, [first]);
  return (
    <div class="versions">
      <Problem error={error} />
      {versions.length === 0 && !error && <p class="muted">{T('Chargement…', 'Loading…')}</p>}
      <ol class="notes" aria-label={T('Versions précédentes', 'Earlier versions')}>
        {versions.map((v) => (
          <li key={v.id} class={`note ${statusOf(v)}`} data-status={statusOf(v)}>
            <NoteHead n={v} names={names} />
            <p class="note-text">{noteText(v)}</p>
          </li>
        ))}
      </ol>
    </div>
  );
}
