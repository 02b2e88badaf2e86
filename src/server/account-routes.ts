import type { FastifyInstance } from 'fastify';
import { MANAGEABLE_ROLES } from '../access/index.js';
import type { Services } from './services.js';
import { principalOf } from './context.js';

const idParams = { type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

/** /admin/accounts: account management for practice admins (policy: manage-accounts). */
export function accountRoutes(app: FastifyInstance, services: () => Services): void {
  app.get('/admin/accounts', { config: { access: 'authenticated' } }, async (req) => ({
    accounts: (await services().accounts.list(principalOf(req))).map((u) => ({
      id: u.id, username: u.username, role: u.role, familyName: u.familyName, givenName: u.givenName, status: u.status,
    })),
  }));

  app.post<{ Body: { username: string; role: (typeof MANAGEABLE_ROLES)[number]; familyName: string; givenName: string; rpps?: string } }>(
    '/admin/accounts',
    {
      config: { access: 'authenticated' },
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['username', 'role', 'familyName', 'givenName'],
          properties: {
            username: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{2,63}$' },
            role: { type: 'string', enum: [...MANAGEABLE_ROLES] },
            familyName: { type: 'string', minLength: 1, maxLength: 100 },
            givenName: { type: 'string', minLength: 1, maxLength: 100 },
            rpps: { type: 'string', pattern: '^[0-9]{11}$' },
          },
        },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const enrolment = await services().accounts.create(principalOf(req), { ...b, rpps: b.rpps ?? null });
      return reply.code(201).send(enrolment);
    },
  );

  // A second practice admin approves an account someone else created (MEDVAULT_ACCOUNT_APPROVERS).
  app.post<{ Params: { id: string } }>('/admin/accounts/:id/approve', { config: { access: 'authenticated' }, schema: { params: idParams } }, async (req) =>
    services().accounts.approve(principalOf(req), req.params.id),
  );

  app.post<{ Params: { id: string } }>('/admin/accounts/:id/disable', { config: { access: 'authenticated' }, schema: { params: idParams } }, async (req, reply) => {
    await services().accounts.disable(principalOf(req), req.params.id);
    return reply.code(204).send();
  });

  app.put<{ Body: { required: boolean } }>(
    '/admin/practice/dpop',
    { config: { access: 'authenticated' }, schema: { body: { type: 'object', additionalProperties: false, required: ['required'], properties: { required: { type: 'boolean' } } } } },
    async (req) => services().accounts.setDpopRequired(principalOf(req), req.body.required),
  );

  app.post<{ Params: { id: string } }>('/admin/accounts/:id/reset-mfa', { config: { access: 'authenticated' }, schema: { params: idParams } }, async (req) =>
    services().accounts.resetSecondFactor(principalOf(req), req.params.id),
  );
}
