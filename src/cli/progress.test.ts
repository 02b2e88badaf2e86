import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { progress } from './progress.js';

function sink(isTTY: boolean) {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  }) as unknown as NodeJS.WriteStream;
  Object.assign(stream, { isTTY, columns: 100, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
  return { stream, text: () => text };
}

describe('progress', () => {
  it('prints a plain line per tenth when not on a terminal', () => {
    const s = sink(false);
    const p = progress('patients', s.stream);
    for (let i = 0; i <= 1000; i += 50) p.update(i, 1000);
    p.stop();
    const lines = s.text().trim().split('\n');
    expect(lines[0]).toBe('patients: 0/1000 (0%)');
    expect(lines.at(-1)).toBe('patients: 1000/1000 (100%)');
    expect(lines).toHaveLength(11);
    expect(s.text().includes(String.fromCharCode(27))).toBe(false); // no terminal escapes
  });

  it('draws a bar on a terminal', () => {
    const s = sink(true);
    const p = progress('patients', s.stream);
    p.update(500, 1000);
    p.stop();
    expect(s.text()).toMatch(/patients \[.*\] 50% \| 500\/1000/);
  });
});
