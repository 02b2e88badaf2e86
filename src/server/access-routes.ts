import type { FastifyInstance } from 'fastify';
import { breakGlassForReview, breakTheGlass } from '../access/index.js';
import { principalOf } from './context.js';
import type { Services } from './services.js';

/** Break-the-glass for practitioners, and its review list for security officers. */
export function accessRoutes(app: FastifyInstance, services: () => Services, clock: () => Date): void {
  app.post<{ Body: { patientId: string; reason: string } }>(
    '/access/break-glass',
    {
      config: { access: 'authenticated', gate: true },
      schema: {
        body: {
          type: 'object', additionalProperties: false, required: ['patientId', 'reason'],
          properties: { patientId: { type: 'string', format: 'uuid' }, reason: { type: 'string', minLength: 10, maxLength: 500 } },
        },
      },
    },
    async (req, reply) => {
      const g = await breakTheGlass(
        services().db, principalOf(req), req.body.patientId, req.body.reason, clock(), req.ip,
      );
      return reply.code(201).send({ id: g.id, patientId: g.patientId, expiresAt: g.expiresAt.toISOString() });
    },
  );

  app.get('/security/break-glass', { config: { access: 'authenticated' } }, async (req) => ({
    grants: await breakGlassForReview(services().db, principalOf(req)),
  }));
}
