import { fmtDate, T } from '../i18n.js';
import { Problem } from '../ui.js';
import { unitWords } from './codes.js';
import { Labels } from './fields.js';
import { searchAll, useLoad } from './load.js';
import { conceptText, fmtNumber, INTERPRETATION, observationName } from './read.js';

/**
 * The laboratory results, newest first: value, unit, reference range, and a mark on what is out of
 * range — the laboratory's interpretation when it gave one, else computed from the reference range
 * (a value below its low or above its high, in the same unit).
 */
export type Flag = 'N' | 'H' | 'L' | 'HH' | 'LL' | 'A';

export interface Judged {
  readonly flag: Flag | null;
  /** Whether the flag was computed here from the reference range, not given by the laboratory. */
  readonly computed: boolean;
}

const FLAGS: readonly Flag[] = ['N', 'H', 'L', 'HH', 'LL', 'A'];

/** Two units the same for a comparison: the same UCUM code, or a bound written without one. */
const sameUnit = (bound: any, value: any) => bound?.code === undefined || bound.code === value?.code;

export function judge(o: any): Judged {
  const given = (o.interpretation ?? []).flatMap((c: any) => c.coding ?? [])
    .find((c: any) => c.system === INTERPRETATION)?.code;
  if (FLAGS.includes(given)) return { flag: given as Flag, computed: false };
  const q = o.valueQuantity;
  const range = o.referenceRange?.[0];
  if (typeof q?.value !== 'number' || !range) return { flag: null, computed: false };
  const low = range.low && sameUnit(range.low, q) ? range.low.value : undefined;
  const high = range.high && sameUnit(range.high, q) ? range.high.value : undefined;
  if (low === undefined && high === undefined) return { flag: null, computed: false };
  if (typeof low === 'number' && q.value < low) return { flag: 'L', computed: true };
  if (typeof high === 'number' && q.value > high) return { flag: 'H', computed: true };
  return { flag: 'N', computed: true };
}

function flagWords(f: Flag): string {
  switch (f) {
    case 'N': return T('Normal', 'Normal');
    case 'H': return T('↑ Élevé', '↑ High');
    case 'L': return T('↓ Bas', '↓ Low');
    case 'HH': return T('↑↑ Très élevé', '↑↑ Critically high');
    case 'LL': return T('↓↓ Très bas', '↓↓ Critically low');
    case 'A': return T('Anormal', 'Abnormal');
  }
}

/** A reference range in words: "60–110", "≤ 5", "≥ 0,4", or the laboratory's text. */
export function rangeText(o: any): string {
  const r = o.referenceRange?.[0];
  if (!r) return '—';
  const low = typeof r.low?.value === 'number' ? fmtNumber(r.low.value) : null;
  const high = typeof r.high?.value === 'number' ? fmtNumber(r.high.value) : null;
  const bounds = low && high ? `${low}–${high}` : high ? `≤ ${high}` : low ? `≥ ${low}` : null;
  return [bounds, r.text].filter(Boolean).join(' — ') || '—';
}

function valueText(o: any): string {
  if (typeof o.valueQuantity?.value === 'number') return fmtNumber(o.valueQuantity.value);
  if (o.valueCodeableConcept) return conceptText(o.valueCodeableConcept);
  if (typeof o.valueString === 'string') return o.valueString;
  return o.dataAbsentReason ? conceptText(o.dataAbsentReason) : '—';
}

export function ResultsView({ patientId, version }: { patientId: string; version: number }) {
  const s = useLoad(() => searchAll('Observation', patientId, { category: 'laboratory' }, 4), [patientId, version]);
  if (s.state === 'loading') return <p class="muted">{T('Chargement des résultats…', 'Loading the results…')}</p>;
  if (s.state === 'refused' || s.state === 'failed') return <Problem error={s.error} />;
  const { items, cut } = s.value;
  const anyComputed = items.some((o) => judge(o).computed && judge(o).flag !== 'N');
  return (
    <div class="results">
      {cut && <p class="warn" role="status">{cut}</p>}
      {items.length === 0 ? <p class="muted">{T('Aucun résultat d’analyse.', 'No laboratory result.')}</p> : (
        <table data-testid="results-table">
          <caption>
            {T('Résultats d’analyses, du plus récent au plus ancien', 'Laboratory results, newest first')}
          </caption>
          <thead>
            <tr>
              <th scope="col">{T('Date', 'Date')}</th>
              <th scope="col">{T('Analyse', 'Test')}</th>
              <th scope="col">{T('Résultat', 'Result')}</th>
              <th scope="col">{T('Unité', 'Unit')}</th>
              <th scope="col">{T('Valeurs de référence', 'Reference range')}</th>
              <th scope="col">{T('Interprétation', 'Interpretation')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((o) => {
              const { flag, computed } = judge(o);
              const out = flag !== null && flag !== 'N';
              return (
                <tr key={o.id} class={out ? 'out' : undefined} data-flag={flag ?? ''}>
                  <td>{o.effectiveDateTime ? fmtDate(o.effectiveDateTime) : '—'}</td>
                  <th scope="row">{observationName(o)}<Labels of={o} /></th>
                  <td class="num">{valueText(o)}</td>
                  <td>{unitWords(o.valueQuantity?.code) || (o.valueQuantity?.unit ?? '')}</td>
                  <td>{rangeText(o)}</td>
                  <td>
                    {flag === null ? '—' : (
                      <span class={out ? 'flag' : 'muted'}>{flagWords(flag)}{out && computed ? ' *' : ''}</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {anyComputed && (
        <p class="muted">
          * {T(
            'd’après les valeurs de référence (le laboratoire n’a pas donné d’interprétation).',
            'from the reference range (the laboratory gave no interpretation).',
          )}
        </p>
      )}
    </div>
  );
}
