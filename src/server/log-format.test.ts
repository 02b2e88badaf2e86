import { describe, expect, it } from 'vitest';
import { readableLine, readableLog } from './log-format.js';

const at = Date.UTC(2026, 11, 7, 9, 41, 7);

describe('the terminal log', () => {
  it('says a request in one line, and drops the line that announced it', () => {
    const req = { method: 'GET', path: '/fhir/Patient' };
    const incoming = JSON.stringify({ level: 30, time: at, msg: 'incoming request', req });
    expect(readableLine(incoming)).toBeNull();
    const done = JSON.stringify({
      level: 30, time: at, msg: 'request completed', req: { method: 'GET', path: '/fhir/Patient/abc' },
      res: { statusCode: 200 }, responseTime: 12.4,
    });
    expect(readableLine(done)).toBe('09:41:07 GET /fhir/Patient/abc 200 12 ms');
  });

  it('takes the method and path from the announcing line when the completion has only its id', () => {
    const pending = new Map();
    const req = { method: 'GET', path: '/readyz' };
    const incoming = { level: 30, time: at, reqId: 'r1', msg: 'incoming request', req };
    expect(readableLine(JSON.stringify(incoming), pending)).toBeNull();
    const res = { statusCode: 503 };
    const done = { level: 30, time: at, reqId: 'r1', msg: 'request completed', res, responseTime: 1.2 };
    expect(readableLine(JSON.stringify(done), pending)).toBe('09:41:07 GET /readyz 503 1 ms');
    expect(pending.size).toBe(0);
  });

  it('says where a slow request spent its time', () => {
    const slow = { level: 40, time: at, msg: 'slow request', method: 'GET', route: '/fhir/Observation', status: 200 };
    const said = '09:41:07 WARN slow request: GET /fhir/Observation 200 2410 ms';
    expect(readableLine(JSON.stringify({ ...slow, ms: 2410, authMs: 3 }))).toBe(`${said}, token check 3 ms`);
    expect(readableLine(JSON.stringify({ ...slow, ms: 2410, authMs: null }))).toBe(said);
  });

  it('marks warnings and errors, with the error\'s type and code only', () => {
    const error = { type: 'DatabaseError', message: '23505' };
    const err = JSON.stringify({ level: 50, time: at, msg: 'request failed', err: error });
    expect(readableLine(err)).toBe('09:41:07 ERROR request failed (DatabaseError: 23505)');
    expect(readableLine(JSON.stringify({ level: 40, time: at, msg: 'slow' }))).toBe('09:41:07 WARN slow');
  });

  it('writes whole lines as they complete, whatever the chunks', () => {
    const out: string[] = [];
    const log = readableLog({ write: (s: string) => out.push(s) } as unknown as NodeJS.WritableStream);
    const line = JSON.stringify({ level: 30, time: at, msg: 'Server listening at http://127.0.0.1:8080' });
    log.write(line.slice(0, 10));
    expect(out).toEqual([]);
    log.write(`${line.slice(10)}\nnot json\n`);
    expect(out).toEqual(['09:41:07 Server listening at http://127.0.0.1:8080\n', 'not json\n']);
  });
});
