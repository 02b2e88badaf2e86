import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export interface Series {
  readonly label: string;
  readonly values: readonly number[];
  readonly color: string;
  readonly bars?: boolean;
}

/** A time-series chart (uPlot, drawn on a canvas); the same numbers are also given as a table for screen readers. */
export function Chart({ title, times, series, height = 180 }: { title: string; times: readonly number[]; series: readonly Series[]; height?: number }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const width = Math.max(280, el.clientWidth || 600);
    const bars = uPlot.paths.bars?.({ size: [0.6, 40] });
    const plot = new uPlot(
      {
        width, height, legend: { show: true },
        scales: { x: { time: true } },
        axes: [{ stroke: '#333' }, { stroke: '#333', grid: { stroke: '#e4e4e4' } }],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, fill: s.bars ? s.color : undefined, ...(s.bars && bars ? { paths: bars } : {}) }))],
      },
      [times.map((t) => t / 1000), ...series.map((s) => [...s.values])] as uPlot.AlignedData,
      el,
    );
    return () => plot.destroy();
  }, [times, series, height]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} aria-hidden="true" />
      <table class="sr-only">
        <caption>{title}</caption>
        <tbody>
          {times.map((t, i) => (
            <tr key={t}><th scope="row">{new Date(t).toISOString()}</th>{series.map((s) => <td key={s.label}>{s.values[i]}</td>)}</tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
