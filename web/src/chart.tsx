import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { timeWords } from './chart-time.js';
import { T } from './i18n.js';

const WEEK = 7 * 86_400;

export interface Series {
  readonly label: string;
  readonly values: readonly number[];
  readonly color: string;
  readonly bars?: boolean;
}

/**
 * A time-series chart (uPlot, drawn on a canvas); the same numbers are also given as a table: for
 * screen readers only, or shown beside the chart (`table: 'visible'`, newest first, with `when`
 * and `value` wording times and numbers) where the reader wants the numbers too (a patient's weight).
 */
export function Chart({ title, times, series, height = 180, table = 'hidden', when, value }: {
  title: string; times: readonly number[]; series: readonly Series[]; height?: number;
  table?: 'hidden' | 'visible'; when?: (t: number) => string; value?: (v: number) => string;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(280, el.clientWidth || 600);
    const only = times.length > 0 && times[0] === times[times.length - 1] ? (times[0] as number) / 1000 : null;
    const bars = uPlot.paths.bars?.({ size: [0.6, 40] });
    const time = timeWords();
    const plot = new uPlot(
      {
        width, height, legend: { show: true }, ...time.options,
        // A single time (a first measurement) gets a week either side, not the years uPlot gives it.
        scales: {
          x: { time: true, range: (_u, min, max) => (only === null ? [min, max] : [only - WEEK, only + WEEK]) },
        },
        axes: [
          { stroke: '#333', ...time.axis },
          { stroke: '#333', grid: { stroke: '#e4e4e4' } },
        ],
        series: [{ label: T('Date', 'Date'), ...time.legend }, ...series.map((s) => ({
          label: s.label, stroke: s.color, width: 2, fill: s.bars ? s.color : undefined,
          ...(s.bars && bars ? { paths: bars } : {}),
        }))],
      },
      [times.map((t) => t / 1000), ...series.map((s) => [...s.values])] as uPlot.AlignedData,
      el,
    );
    return () => plot.destroy();
  }, [times, series, height]);
  const rows = times.map((t, i) => ({ t, i }));
  if (table === 'visible') rows.reverse();
  return (
    <figure class={table === 'visible' ? 'chart with-table' : 'chart'}>
      <figcaption>{title}</figcaption>
      <div ref={box} aria-hidden="true" />
      <table class={table === 'visible' ? 'values' : 'sr-only'}>
        <caption class={table === 'visible' ? 'sr-only' : undefined}>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{T('Date', 'Date')}</th>
            {series.map((s) => <th key={s.label} scope="col">{s.label}</th>)}
          </tr>
        </thead>
        <tbody>
          {rows.map(({ t, i }) => (
            <tr key={t}>
              <th scope="row">{when ? when(t) : new Date(t).toISOString()}</th>
              {series.map((s) => <td key={s.label}>{cell(s.values[i], value)}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

function cell(v: number | undefined, value: ((v: number) => string) | undefined): string {
  if (v === undefined || Number.isNaN(v)) return '—';
  return value ? value(v) : String(v);
}
