import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import helmet from 'helmet';
import { accessRoutes } from './access-routes.js';
import { fhirRoutes } from './fhir-routes.js';
import { portalRoutes } from './portal-routes.js';
import { securityRoutes } from './security-routes.js';
import { accountRoutes } from './account-routes.js';
import { authRoutes } from './auth-routes.js';
import { SharedStateUnavailableError } from './services.js';
import { installAuthentication, type DpopVerifier } from './context.js';
import { verifyDpopProof } from '../access/dpop.js';
import { installErrorHandling } from './errors.js';
import { serializers } from './logging.js';
import { installMetrics } from './metrics.js';
import { webRoutes } from './web.js';
import { NotReadyError, type Services } from './services.js';
import { RecordError } from '../records/index.js';

export interface ServerState {
  /** Set once the database is open, migrated and (in demo mode) seeded. */
  services: Services | null;
  /** What a start not yet ready is doing, for /readyz: `seeding` while the demo data is written. */
  step?: 'starting' | 'seeding';
}

export interface ServerOptions {
  readonly state: ServerState;
  readonly logLevel?: string;
  /** Where log lines go (default stdout); tests capture them to check they hold no patient data. */
  readonly logStream?: NodeJS.WritableStream;
  /** Requests slower than this many milliseconds are logged at warn, with their route and phases. */
  readonly slowRequestMs?: number;
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

/** Whether a parsed query or body holds a NUL character in any string (key or value). */
function hasNul(v: unknown, depth = 0): boolean {
  if (typeof v === 'string') return v.includes('\u0000');
  if (v === null || typeof v !== 'object' || depth > 64) return false;
  for (const [k, x] of Object.entries(v)) if (k.includes('\u0000') || hasNul(x, depth + 1)) return true;
  return false;
}

/** Deeper than 32 levels: no FHIR resource we accept nests that far. */
function tooDeep(v: unknown, depth: number): boolean {
  if (v === null || typeof v !== 'object') return false;
  if (depth > 32) return true;
  for (const x of Object.values(v)) if (tooDeep(x, depth + 1)) return true;
  return false;
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
  // Security headers on every response, refusals included: a strict policy (the web app's own
  // files only; no inline script or style, no third party). Helmet's middleware is built once
  // (@fastify/helmet built it again for every request: 25 µs of a read).
  const securityHeaders = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        // blob: for the document viewer only: a letter or a scan is fetched with the bearer token
        // (never in a URL) and shown from a blob of its bytes, typed from them (web/src/clinical).
        defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:', 'blob:'],
        frameSrc: ['blob:'], fontSrc: ["'self'"], connectSrc: ["'self'"],
        frameAncestors: ["'none'"], objectSrc: ["'none'"], baseUri: ["'none'"], formAction: ["'self'"], scriptSrcAttr: ["'none'"],
      },
    },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
  });
  app.addHook('onRequest', (req, reply, done) => securityHeaders(req.raw, reply.raw, (e?: unknown) => done(e as Error | undefined)));
  // Input PostgreSQL cannot store or that would make the server work without end: a NUL character
  // anywhere in the query or body (text columns refuse it: a 500, and a yes/no oracle where an
  // earlier check answered first), or a body nested deeper than any FHIR resource. Refused as 400
  // before any route sees it.
  app.addHook('preValidation', async (req) => {
    if (hasNul(req.query) || hasNul(req.body) || (typeof req.url === 'string' && /%00/.test(req.url))) throw new RecordError('invalid', ['NUL characters are not accepted']);
    if (tooDeep(req.body, 0)) throw new RecordError('invalid', ['the body is nested too deeply']);
  });
  // DPoP proofs (RFC 9449) name the URL they were made for: the configured public address, or the
  // origin the client actually used (a proof is verified against it, links are never built from it).
  const dpop: DpopVerifier = (req, proof, accessToken) =>
    verifyDpopProof(proof, {
      method: req.method, path: req.url.split('?')[0]!.split('#')[0]!, now: (opts.clock ?? (() => new Date()))(),
      origins: [new URL(services().publicUrl).origin, originOf(`${req.protocol}://${req.host}`)], ...(accessToken !== undefined ? { accessToken } : {}),
    }, services().ephemeral);
  installAuthentication(app, () => services().auth, (p, ip, client) => {
    // While the instances cannot hear each other's admissions (Redis away), only the one that
    // claimed the database serves patient data: budgets are not multiplied by the outage.
    if (!services().servesPatientData()) throw new SharedStateUnavailableError();
    services().detection.gate(p, ip, client);
  }, dpop);
  installMetrics(app, opts.metricsToken ?? null, opts.slowRequestMs);


  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
  });

  app.get('/healthz', { config: { access: 'public' } }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { access: 'public' } }, async (_req, reply) => {
    const s = opts.state.services;
    if (s === null) return reply.code(503).send({ status: opts.state.step ?? 'starting' });
    try {
      await s.db.ping();
    } catch {
      return reply.code(503).send({ status: 'database unavailable' });
    }
    // Logins, second-factor challenges and paging need Redis when it is configured.
    if (!s.sharedStateReady()) return reply.code(503).send({ status: 'redis unavailable' });
    return { status: 'ready' };
  });

  authRoutes(app, () => services().auth, () => services().oidc, () => services().enrolment, dpop);
  accountRoutes(app, services);
  accessRoutes(app, services, opts.clock ?? (() => new Date()));
  fhirRoutes(app, services, opts.clock ?? (() => new Date()), opts.version);
  portalRoutes(app, services, opts.clock ?? (() => new Date()));
  securityRoutes(app, services, opts.clock ?? (() => new Date()));

  webRoutes(app, () => ({ name: 'medvault', version: opts.version, health: '/healthz', readiness: '/readyz', app: '/ (in a browser)' }));

  return app;
}
