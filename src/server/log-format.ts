/**
 * How the server's log reads on a terminal: one plain line per request ("09:41:07 GET
 * /fhir/Patient/… 200 12 ms") and per message, from the JSON lines pino writes. LOG_FORMAT=json
 * keeps the JSON, as an operator's log collector wants it. The lines are the serialisers' fields
 * only (server/logging.ts: a path without its query, a status, an error's code): nothing more.
 */
const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

interface Line {
  reqId?: string;
  level?: number;
  time?: number;
  msg?: string;
  req?: { method?: string; path?: string };
  res?: { statusCode?: number };
  responseTime?: number;
  /** A slow request's route pattern, status and phases (server/metrics.ts). */
  route?: string;
  method?: string;
  status?: number;
  ms?: number;
  authMs?: number | null;
  err?: { type?: string; message?: string };
}

/**
 * One pino line as a person reads it; null for the "incoming request" line, whose method and path
 * `pending` keeps (by request id) for the completion line, which says it all.
 */
export function readableLine(json: string, pending = new Map<string, Line['req']>()): string | null {
  let l: Line;
  try {
    l = JSON.parse(json) as Line;
  } catch {
    return json;
  }
  if (l.msg === 'incoming request') {
    if (l.reqId !== undefined) pending.set(l.reqId, l.req);
    return null;
  }
  if (l.msg === 'request completed' && l.req === undefined && l.reqId !== undefined) {
    l = { ...l, req: pending.get(l.reqId) ?? {} };
    pending.delete(l.reqId as string);
  }
  const time = new Date(l.time ?? Date.now()).toISOString().slice(11, 19);
  const level = LEVELS[l.level ?? 30] ?? 'info';
  const lead = level === 'info' ? time : `${time} ${level}`;
  if (l.msg === 'request completed' && l.req && l.res) {
    const ms = l.responseTime === undefined ? '' : ` ${Math.round(l.responseTime)} ms`;
    return `${lead} ${l.req.method ?? ''} ${l.req.path ?? ''} ${l.res.statusCode ?? ''}${ms}`;
  }
  if (l.msg === 'slow request') {
    const auth = l.authMs === null || l.authMs === undefined ? '' : `, token check ${l.authMs} ms`;
    return `${lead} slow request: ${l.method ?? ''} ${l.route ?? ''} ${l.status ?? ''} ${l.ms ?? ''} ms${auth}`;
  }
  const err = l.err ? ` (${l.err.type ?? 'error'}: ${l.err.message ?? ''})` : '';
  return `${lead} ${l.msg ?? ''}${err}`;
}

/** A pino destination writing readable lines to `out`. */
export function readableLog(out: NodeJS.WritableStream): { write(chunk: string): boolean } {
  let rest = '';
  const requests = new Map<string, Line['req']>();
  return {
    write(chunk: string): boolean {
      rest += chunk;
      let i = rest.indexOf('\n');
      while (i !== -1) {
        const line = readableLine(rest.slice(0, i), requests);
        if (line !== null) out.write(`${line}\n`);
        rest = rest.slice(i + 1);
        i = rest.indexOf('\n');
      }
      // A request whose completion never came (the process stopping) is not kept for ever.
      if (requests.size > 10_000) requests.clear();
      return true;
    },
  };
}
