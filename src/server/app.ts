import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import Fastify from 'fastify';
import { accessRoutes } from './access-routes.js';
import { fhirRoutes } from './fhir-routes.js';
import { securityRoutes } from './security-routes.js';
import { accountRoutes } from './account-routes.js';
import { authRoutes } from './auth-routes.js';
import { installAuthentication, type DpopVerifier } from './context.js';
import { verifyDpopProof } from '../access/dpop.js';
import { installErrorHandling } from './errors.js';
import { serializers } from './logging.js';
import { installMetrics } from './metrics.js';
import { webRoutes } from './web.js';
import { NotReadyError, type Services } from './services.js';

export interface ServerState {
  /** Set once the database is open, migrated and (in demo mode) seeded. */
  services: Services | null;
}

export interface ServerOptions {
  readonly state: ServerState;
  readonly logLevel?: string;
  /** Where log lines go (default stdout); tests capture them to check they hold no patient data. */
  readonly logStream?: NodeJS.WritableStream;
  readonly version: string;
  readonly clock?: () => Date;
  /** MEDVAULT_METRICS_TOKEN: the scraper's bearer credential for /metrics (none: no /metrics). */
  readonly metricsToken?: string | null;
  /**
   * MEDVAULT_TRUST_PROXY: which proxies' X-Forwarded-For to believe (Fastify's trustProxy: the
   * proxies' addresses or CIDRs, comma-separated; "true" for any). By default none: the client
   * address is the peer's, and a forged X-Forwarded-For changes nothing.
   */
  readonly trustProxy?: boolean | string;
}

/** A URL's origin as the URL standard writes it (default ports dropped), or '' if it is not one. */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/** The HTTP application. Routes of later capabilities register here as plugins. */
export function buildServer(opts: ServerOptions) {
  const app = Fastify({
    logger: { level: opts.logLevel ?? 'info', serializers, ...(opts.logStream ? { stream: opts.logStream } : {}) },
    genReqId: () => randomUUID(),
    trustProxy: opts.trustProxy ?? false,
    requestIdHeader: false, // never trust a client-supplied request id
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // Unknown fields are refused, not silently dropped (no mass assignment); no type coercion.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
  });

  const services = (): Services => {
    if (opts.state.services === null) throw new NotReadyError('medvault is starting');
    return opts.state.services;
  };
  installErrorHandling(app);
  // DPoP proofs (RFC 9449) name the URL they were made for: the configured public address, or the
  // origin the client actually used (a proof is verified against it, links are never built from it).
  const dpop: DpopVerifier = (req, proof, accessToken) =>
    verifyDpopProof(proof, {
      method: req.method, path: req.url.split('?')[0]!.split('#')[0]!, now: (opts.clock ?? (() => new Date()))(),
      origins: [new URL(services().publicUrl).origin, originOf(`${req.protocol}://${req.host}`)], ...(accessToken !== undefined ? { accessToken } : {}),
    }, services().ephemeral);
  installAuthentication(app, () => services().auth, (p, ip, client) => services().detection.gate(p, ip, client), dpop);
  installMetrics(app, opts.metricsToken ?? null);

  // A strict policy: the web app's own files only; no inline script or style, no third party.
  void app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], fontSrc: ["'self'"], connectSrc: ["'self'"],
        frameAncestors: ["'none'"], objectSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"], scriptSrcAttr: ["'none'"],
      },
    },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  app.get('/healthz', { config: { access: 'public' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { access: 'public' } }, async (_req, reply) => {
    const s = opts.state.services;
    if (s === null) return reply.code(503).send({ status: 'starting' });
    try {
      await s.db.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'database unavailable' });
    }
  });

  authRoutes(app, () => services().auth, () => services().oidc, () => services().enrolment, dpop);
  accountRoutes(app, services);
  accessRoutes(app, services, opts.clock ?? (() => new Date()));
  fhirRoutes(app, services, opts.clock ?? (() => new Date()), opts.version);
  securityRoutes(app, services, opts.clock ?? (() => new Date()));

  webRoutes(app, () => ({ name: 'medvault', version: opts.version, health: '/healthz', readiness: '/readyz', app: '/ (in a browser)' }));

  return app;
}
