import type { FastifyInstance } from 'fastify';
import { MANAGEABLE_ROLES } from '../access/index.js';
import type { Services } from './services.js';
import { principalOf } from './context.js';

const idParams = {
  type: 'object', additionalProperties: false, required: ['id'], properties: { id: { type: 'string', format: 'uuid' } },
} as const;
const clientBody = {
  type: 'object', additionalProperties: false, required: ['client'],
  properties: { client: { type: 'string', minLength: 1, maxLength: 120 } },
} as const;
const newAccount = {
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
} as const;

type NewAccountBody = {
  username: string; role: (typeof MANAGEABLE_ROLES)[number]; familyName: string; givenName: string; rpps?: string;
};

/** /admin/accounts: account management for practice admins (policy: manage-accounts). */
export function accountRoutes(app: FastifyInstance, services: () => Services): void {
  app.get('/admin/accounts', { config: { access: 'authenticated' } }, async (req) => ({
    accounts: (await services().accounts.overview(principalOf(req))).map((u) => ({
      id: u.id, username: u.username, role: u.role, familyName: u.familyName, givenName: u.givenName, status: u.status,
      enrolled: u.enrolled, approved: u.approved, mayApprove: u.mayApprove,
    })),
  }));

  app.post<{ Body: NewAccountBody }>(
    '/admin/accounts',
    { config: { access: 'authenticated' }, schema: { body: newAccount } },
    async (req, reply) => {
      const b = req.body;
      const enrolment = await services().accounts.create(principalOf(req), { ...b, rpps: b.rpps ?? null });
      return reply.code(201).send(enrolment);
    },
  );

  // A second practice admin approves an account someone else created (MEDVAULT_ACCOUNT_APPROVERS).
  app.post<{ Params: { id: string } }>(
    '/admin/accounts/:id/approve', { config: { access: 'authenticated' }, schema: { params: idParams } },
    async (req) => services().accounts.approve(principalOf(req), req.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/admin/accounts/:id/disable', { config: { access: 'authenticated' }, schema: { params: idParams } },
    async (req, reply) => {
      await services().accounts.disable(principalOf(req), req.params.id);
      return reply.code(204).send();
    },
  );

  app.put<{ Body: { required: boolean } }>(
    '/admin/practice/dpop',
    {
      config: { access: 'authenticated' },
      schema: {
        body: {
          type: 'object', additionalProperties: false, required: ['required'],
          properties: { required: { type: 'boolean' } },
        },
      },
    },
    async (req) => services().accounts.setDpopRequired(principalOf(req), req.body.required),
  );

  app.post<{ Params: { id: string } }>(
    '/admin/accounts/:id/reset-mfa', { config: { access: 'authenticated' }, schema: { params: idParams } },
    async (req) => services().accounts.resetSecondFactor(principalOf(req), req.params.id),
  );

  // The practice's clients (browsers and programs its accounts used), and one account's.
  app.get('/admin/clients', { config: { access: 'authenticated' } }, async (req) => ({
    clients: await services().accounts.clients.list(principalOf(req)),
  }));
  app.get<{ Params: { id: string } }>(
    '/admin/accounts/:id/clients', { config: { access: 'authenticated' }, schema: { params: idParams } },
    async (req) => ({ clients: await services().accounts.clients.list(principalOf(req), req.params.id) }),
  );

  // Four eyes: the first admin's call is recorded (202); a second admin's approves (204).
  app.post<{ Params: { id: string }; Body: { client: string } }>(
    '/admin/accounts/:id/clients/approve',
    { config: { access: 'authenticated' }, schema: { params: idParams, body: clientBody } },
    async (req, reply) => {
      const done = await services().accounts.clients.approve(principalOf(req), req.params.id, req.body.client);
      if (done === 'approved') return reply.code(204).send();
      return reply.code(202).send({
        status: 'pending',
        message: 'Demande d\'approbation enregistrée : un second administrateur du cabinet doit la confirmer.',
      });
    },
  );

  app.post<{ Params: { id: string }; Body: { client: string } }>(
    '/admin/accounts/:id/clients/refuse',
    { config: { access: 'authenticated' }, schema: { params: idParams, body: clientBody } },
    async (req, reply) => {
      await services().accounts.clients.refuse(principalOf(req), req.params.id, req.body.client);
      return reply.code(204).send();
    },
  );
}
