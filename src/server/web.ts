import { existsSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/** The built web application (web/dist, made by `npm run build:web` during `npm ci`). */
export const WEB_DIST = fileURLToPath(new URL('../../web/dist/', import.meta.url));

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.woff2': 'font/woff2', '.ico': 'image/x-icon', '.json': 'application/json', '.webmanifest': 'application/manifest+json',
};

/**
 * Serves the web application: `/` (index.html for browsers, a JSON description otherwise) and
 * `/assets/<hashed name>` (immutable). Only names made of safe characters, only from the build
 * folder: no path ever reaches outside it. Everything else stays the API's.
 */
export function webRoutes(app: FastifyInstance, describe: () => object, dist = WEB_DIST): void {
  const index = join(dist, 'index.html');
  app.get('/', { config: { access: 'public' } }, async (req, reply) => {
    const wantsHtml = (req.headers.accept ?? '').includes('text/html');
    if (!wantsHtml || !existsSync(index)) return describe();
    return reply.type('text/html; charset=utf-8').send(readFileSync(index));
  });
  app.get<{ Params: { name: string } }>('/assets/:name', { config: { access: 'public' } }, async (req, reply) => {
    const name = req.params.name;
    const type = TYPES[extname(name)];
    const file = join(dist, 'assets', name);
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/.test(name) || type === undefined || !existsSync(file)) {
      return reply.code(404).type('application/fhir+json').send({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found', diagnostics: 'No such resource or route.' }] });
    }
    return reply.type(type).header('cache-control', 'public, max-age=31536000, immutable').send(readFileSync(file));
  });
}
