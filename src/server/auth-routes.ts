import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AuthService } from '../access/auth.js';
import type { OidcLogin } from '../access/oidc.js';
import type { EnrolmentService } from '../access/enrolment.js';
import { AccessError } from '../access/errors.js';
import { principalOf, requestMeta, type DpopVerifier } from './context.js';

const s = (max: number, min = 1) => ({ type: 'string', minLength: min, maxLength: max }) as const;
const body = (props: Record<string, unknown>) => ({ type: 'object', additionalProperties: false, required: Object.keys(props), properties: props }) as const;

/** /auth: the endpoints of CONTRACTS.md, plus refresh, logout, step-up and OIDC. */
export function authRoutes(app: FastifyInstance, authOf: () => AuthService, oidcOf: () => OidcLogin | null, enrolmentOf: () => EnrolmentService, dpop: DpopVerifier): void {
  /** The request's meta, with the DPoP key's thumbprint when it carries a proof (the session is then bound to it). */
  const meta = async (req: FastifyRequest) => {
    const proof = req.headers.dpop;
    if (proof === undefined) return requestMeta(req);
    if (typeof proof !== 'string') throw new AccessError('dpop_invalid');
    return requestMeta(req, await dpop(req, proof));
  };

  // Enrolment links: the user sets the password and the second factor; nobody else sees them.
  app.post<{ Body: { token: string } }>(
    '/auth/enrol',
    { config: { access: 'public' }, schema: { body: body({ token: s(100, 20) }) } },
    async (req) => enrolmentOf().start(req.body.token),
  );
  app.post<{ Body: { token: string; password: string; code: string } }>(
    '/auth/enrol/complete',
    { config: { access: 'public' }, schema: { body: body({ token: s(100, 20), password: s(1024), code: s(32) }) } },
    async (req) => enrolmentOf().complete(req.body.token, req.body.password, req.body.code),
  );

  app.post<{ Body: { username: string; password: string } }>(
    '/auth/login',
    { config: { access: 'public' }, schema: { body: body({ username: s(64), password: s(1024) }) } },
    async (req) => authOf().login(req.body.username, req.body.password, await meta(req)),
  );

  app.post<{ Body: { mfa_token: string; code: string } }>(
    '/auth/mfa',
    { config: { access: 'public' }, schema: { body: body({ mfa_token: s(200), code: s(32) }) } },
    async (req) => authOf().mfa(req.body.mfa_token, req.body.code, await meta(req)),
  );

  app.post<{ Body: { refresh_token: string } }>(
    '/auth/refresh',
    { config: { access: 'public' }, schema: { body: body({ refresh_token: s(200) }) } },
    async (req) => authOf().refresh(req.body.refresh_token, await meta(req)),
  );

  app.post('/auth/logout', { config: { access: 'authenticated' } }, async (req, reply) => {
    await authOf().logout(principalOf(req), requestMeta(req));
    return reply.code(204).send();
  });

  app.post<{ Body: { code: string } }>(
    '/auth/step-up',
    { config: { access: 'authenticated' }, schema: { body: body({ code: s(32) }) } },
    async (req) => authOf().stepUp(principalOf(req), req.body.code, requestMeta(req)),
  );

  app.get('/me', { config: { access: 'authenticated' } }, async (req) => {
    const p = principalOf(req);
    return { userId: p.userId, role: p.role, practiceId: p.practiceId, patientId: p.patientId, scopes: p.scopes, acr: p.acr, amr: p.amr, authTime: p.authTime.toISOString(), clientApproved: p.clientApproved === true };
  });

  // Known clients: the user's own list, and approving one from a client already approved.
  app.get('/me/clients', { config: { access: 'authenticated' } }, async (req) => authOf().clients(principalOf(req)));
  app.post<{ Body: { client: string } }>(
    '/me/clients/approve',
    { config: { access: 'authenticated' }, schema: { body: body({ client: s(120) }) } },
    async (req, reply) => {
      await authOf().approveClient(principalOf(req), req.body.client, requestMeta(req));
      return reply.code(204).send();
    },
  );

  /** What the login page may offer (no secret): whether an OIDC provider is configured. */
  app.get('/auth/config', { config: { access: 'public' } }, async () => ({ oidc: oidcOf() !== null }));

  app.get('/auth/oidc/start', { config: { access: 'public' } }, async (_req, reply) => {
    const oidc = oidcOf();
    if (oidc === null) throw new AccessError('oidc_disabled');
    return reply.redirect(await oidc.start(), 302);
  });

  app.get('/auth/oidc/callback', { config: { access: 'public' } }, async (req) => {
    const oidc = oidcOf();
    if (oidc === null) throw new AccessError('oidc_disabled');
    const url = new URL(req.url, oidc.redirectUri);
    return oidc.finish(url, requestMeta(req));
  });
}
