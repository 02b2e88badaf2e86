import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, total: number | null): void;
  stop(): void;
}

/** A bar on a terminal; plain lines (every 10 %) when the output is a file or a pipe. */
export function progress(label: string, stream: NodeJS.WriteStream = process.stdout): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total}`, stream, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(done, total) {
        if (!started) {
          bar.start(total ?? done, 0);
          started = true;
        }
        if (total !== null) bar.setTotal(total);
        bar.update(done);
      },
      stop() {
        if (started) bar.stop();
      },
    };
  }
  let lastDecile = -1;
  let lastCount = 0;
  return {
    update(done, total) {
      if (total !== null && total > 0) {
        const decile = Math.floor((done / total) * 10);
        if (decile > lastDecile) {
          lastDecile = decile;
          stream.write(`${label}: ${done}/${total} (${decile * 10}%)\n`);
        }
      } else if (done - lastCount >= 10_000) {
        lastCount = done;
        stream.write(`${label}: ${done}\n`);
      }
    },
    stop() {},
  };
}
