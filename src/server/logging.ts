import type { FastifyRequest } from 'fastify';

/**
 * Log serialisers. Patient data must never reach a log line: a URL's query string can hold a
 * name or a NIR (FHIR search), so only the path is logged, and never a body or a header value.
 */
export function pathOnly(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

export const serializers = {
  req(req: FastifyRequest) {
    return { id: req.id, method: req.method, path: pathOnly(req.url) };
  },
  res(res: { statusCode: number }) {
    return { statusCode: res.statusCode };
  },
  // Error messages of drivers and parsers can quote the values they choked on (an id field
  // holding a name, a duplicate NIR): keep the type, the code and the stack frames, never the message.
  err(err: Error & { code?: string; statusCode?: number }) {
    return {
      type: err.name,
      message: err.code ?? err.name,
      code: err.code,
      statusCode: err.statusCode,
      stack: (err.stack ?? '').split('\n').slice(1).join('\n'),
    };
  },
};
