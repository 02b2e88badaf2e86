import { randomUUID } from 'node:crypto';
import helmet from '@fastify/helmet';
import Fastify from 'fastify';
import type { Database } from '../store/index.js';
import { serializers } from './logging.js';

export interface ServerState {
  /** Set once the database is open, migrated and (in demo mode) seeded. */
  db: Database | null;
}

export interface ServerOptions {
  readonly state: ServerState;
  readonly logLevel?: string;
  readonly version: string;
}

/** The HTTP application. Routes of later capabilities register here as plugins. */
export function buildServer(opts: ServerOptions) {
  const app = Fastify({
    logger: { level: opts.logLevel ?? 'info', serializers },
    genReqId: () => randomUUID(),
    requestIdHeader: false, // never trust a client-supplied request id
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
  });

  void app.register(helmet, {
    contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], frameAncestors: ["'none'"], objectSrc: ["'none'"] } },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
    referrerPolicy: { policy: 'no-referrer' },
  });

  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    reply.header('cache-control', 'no-store');
  });

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const db = opts.state.db;
    if (db === null) return reply.code(503).send({ status: 'starting' });
    try {
      await db.ping();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'database unavailable' });
    }
  });

  app.get('/', async () => ({
    name: 'medvault',
    version: opts.version,
    health: '/healthz',
    readiness: '/readyz',
  }));

  return app;
}
