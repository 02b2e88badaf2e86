import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Prometheus metrics. Labels are route patterns (/fhir/Patient/:id), methods and status codes:
 * never an id, a name or a query string.
 */
/** A request slower than this is logged at warn with its phases (MEDVAULT_SLOW_REQUEST_MS). */
export const SLOW_REQUEST_MS = 2000;

export function installMetrics(app: FastifyInstance, token: string | null = null, slowMs = SLOW_REQUEST_MS): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'medvault_' });
  const requests = new Counter({ name: 'medvault_http_requests_total', help: 'HTTP requests by route pattern and status', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const duration = new Histogram({
    name: 'medvault_http_request_duration_seconds', help: 'HTTP request duration', labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    requests.inc({ method: req.method, route, status: String(reply.statusCode) });
    duration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    // The route's pattern, never its URL: an operator sees which path stalls and where (the token
    // check, or the handler), without an id or a query string.
    if (reply.elapsedTime >= slowMs) {
      const ms = Math.round(reply.elapsedTime);
      const authMs = typeof req.authMs === 'number' ? Math.round(req.authMs) : null;
      req.log.warn({ method: req.method, route, status: reply.statusCode, ms, authMs }, 'slow request');
    }
  });
  // Metrics need a credential of their own (MEDVAULT_METRICS_TOKEN, for the Prometheus scraper):
  // without one configured, the endpoint does not exist. Not for anyone who asks.
  const expected = token === null ? null : createHash('sha256').update(token).digest();
  app.get('/metrics', { config: { access: 'public' } }, async (req, reply) => {
    if (expected === null) return reply.code(404).type('application/fhir+json').send(outcome('not-found', 'Not found.'));
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    const given = createHash('sha256').update(m?.[1] ?? '').digest();
    if (!m || !timingSafeEqual(given, expected)) return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').type('application/fhir+json').send(outcome('login', 'A metrics credential is required.'));
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}

function outcome(code: string, diagnostics: string) {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, diagnostics }] };
}
