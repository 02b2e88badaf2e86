import { useEffect, useRef, useState } from 'preact/hooks';
import type { Me } from '../api.js';
import { fmtTime, T } from '../i18n.js';
import { Problem } from '../ui.js';
import { ConsultationView } from './consultation.js';
import { CurvesView } from './curves.js';
import { DocumentsView } from './documents.js';
import { searchAll, useLoad } from './load.js';
import { conceptText } from './read.js';
import { ResultsView } from './results.js';
import { SummaryView } from './summary.js';

/**
 * A patient's chart as a practitioner uses it: the summary, the consultation, the curves of the
 * vital signs, the laboratory results and the documents, one tab each. This module and everything it
 * imports is a chunk of its own (patient.tsx imports it on demand, for a practitioner only): an
 * assistant's browser neither asks for a clinical type nor downloads the code and lists that would.
 */
type Tab = 'summary' | 'consultation' | 'curves' | 'results' | 'documents';
const TABS: readonly Tab[] = ['summary', 'consultation', 'curves', 'results', 'documents'];

function tabName(t: Tab): string {
  switch (t) {
    case 'summary': return T('Synthèse', 'Summary');
    case 'consultation': return T('Consultation', 'Consultation');
    case 'curves': return T('Courbes', 'Curves');
    case 'results': return T('Résultats', 'Results');
    case 'documents': return T('Documents', 'Documents');
  }
}

export function ClinicalChart({ me, patientId, noteWritten }: {
  me: Me; patientId: string; noteWritten: () => Promise<void>;
}) {
  const [tab, setTab] = useState<Tab>('summary');
  const [version, setVersion] = useState(0);
  const changed = () => setVersion((v) => v + 1);
  const [encounter, setEncounter] = useState<any | null>(null);
  // This practitioner's consultation of the patient left in progress, taken up again. Asked first
  // and alone: the tabs' own requests wait for its answer (a refusal is said once).
  const open = useLoad(() => searchAll('Encounter', patientId, { status: 'in-progress' }), [patientId]);
  useEffect(() => {
    if (open.state !== 'ok') return;
    const mine = open.value.items.find((e) => (e.participant ?? [])
      .some((p: any) => p.individual?.reference === `Practitioner/${me.userId}`));
    setEncounter(mine ?? null);
  }, [open]);
  const tabs = useRef<(HTMLButtonElement | null)[]>([]);
  const key = (ev: KeyboardEvent) => {
    const i = TABS.indexOf(tab);
    const moves: Record<string, number> = {
      ArrowRight: (i + 1) % TABS.length, ArrowLeft: (i + TABS.length - 1) % TABS.length, Home: 0, End: TABS.length - 1,
    };
    const to = moves[ev.key] ?? null;
    if (to === null) return;
    ev.preventDefault();
    setTab(TABS[to] as Tab);
    tabs.current[to]?.focus();
  };

  return (
    <section class="card clinical" aria-labelledby="chart-title">
      <h2 id="chart-title">{T('Dossier médical', 'Medical record')}</h2>
      {open.state === 'loading' && <p class="muted">{T('Chargement du dossier…', 'Loading the record…')}</p>}
      {(open.state === 'refused' || open.state === 'failed') && <Problem error={open.error} />}
      {open.state === 'ok' && (
        <>
          {encounter && tab !== 'consultation' && (
            <p class="in-progress" role="status">
              {T('Consultation en cours depuis', 'Consultation in progress since')}{' '}
              {fmtTime(encounter.period.start)} —{' '}
              {(encounter.reasonCode ?? []).map(conceptText).join(' ; ')}{' '}
              <button type="button" class="link" onClick={() => setTab('consultation')}>
                {T('Reprendre', 'Resume')}
              </button>
            </p>
          )}
          <div class="tabs" role="tablist" aria-label={T('Dossier médical', 'Medical record')} onKeyDown={key}>
            {TABS.map((t, i) => (
              <button
                key={t} type="button" role="tab" id={`tab-${t}`} aria-controls={`panel-${t}`} aria-selected={tab === t}
                tabIndex={tab === t ? 0 : -1} ref={(el) => { tabs.current[i] = el; }} onClick={() => setTab(t)}
              >
                {tabName(t)}
              </button>
            ))}
          </div>
          <div class="tab-panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
            {tab === 'summary' && (
              <SummaryView
                patientId={patientId} encounterId={encounter?.id ?? null} version={version} changed={changed}
              />
            )}
            {tab === 'consultation' && (
              <ConsultationView
                me={me} patientId={patientId} encounter={encounter} setEncounter={setEncounter} version={version}
                changed={changed} finished={() => { changed(); setTab('summary'); }} noteWritten={noteWritten}
              />
            )}
            {tab === 'curves' && <CurvesView patientId={patientId} version={version} />}
            {tab === 'results' && <ResultsView patientId={patientId} version={version} />}
            {tab === 'documents' && (
              <DocumentsView me={me} patientId={patientId} version={version} changed={changed} />
            )}
          </div>
        </>
      )}
    </section>
  );
}
