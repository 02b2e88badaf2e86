import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AccessError } from '../access/errors.js';
import type { AuthService } from '../access/auth.js';
import { clientFingerprint } from '../access/clients.js';
import type { Principal } from '../access/principal.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Every route says who may call it; a route without this refuses to register. */
    access?: 'public' | 'authenticated';
    /** Routes that read or write patient data pass the detection gate first. */
    gate?: boolean;
  }
  interface FastifyRequest {
    principal: Principal | null;
    /** The account whose in-flight count this request holds (released when it ends). */
    inflightOf: string | null;
    /** Milliseconds from the request's start to its principal (the slow-request log's first phase). */
    authMs: number | null;
  }
}

export function requestMeta(req: FastifyRequest, dpopJkt: string | null = null) {
  return { ip: req.ip, userAgent: req.headers['user-agent'] ?? null, dpopJkt };
}

/** The principal of an authenticated route (the hook guarantees it). */
export function principalOf(req: FastifyRequest): Principal {
  if (req.principal === null) throw new AccessError('token_missing');
  return req.principal;
}

/**
 * Authentication context: checks at start-up that every route declares its access, and on each
 * request of an authenticated route turns the bearer token into a principal (or refuses).
 */
/**
 * Requests of one account in flight at once on a data route (per instance): a browser needs a
 * handful; a burst of fifty parallel reads is not a person. The disclosure ledger
 * already counts each response before it leaves; this bounds how much work a burst can queue.
 */
export const MAX_INFLIGHT_PER_ACCOUNT = 16;

/** Routes that carry patients' data: the FHIR API and break-the-glass. */
const DATA_ROUTE = /^\/(fhir|access)\//;

/** The data routes each server registered, as they were declared (tests check each is covered). */
const dataRoutesOf = new WeakMap<FastifyInstance, { method: string; url: string; access: string }[]>();

/** Every data route this server registered: method, URL pattern (`:id` parameters) and access. */
export function dataRoutes(app: FastifyInstance): readonly { method: string; url: string; access: string }[] {
  return dataRoutesOf.get(app) ?? [];
}

/**
 * The entries of a FHIR batch or transaction Bundle are served by the routes themselves, as requests
 * made inside the process on behalf of the Bundle's principal: each carries a grant (256 random
 * bits, `ENTRY_HEADER`) that lives while the Bundle is processed and names the principal its own
 * request authenticated (token, DPoP proof and all). Every other check applies to each entry.
 */
export const ENTRY_HEADER = 'x-medvault-entry';
const grants = new Map<string, Principal>();

/** A grant for a Bundle's entries, and its end (the header's value is then refused like a bad token). */
export function entryGrant(p: Principal): { value: string; end: () => void } {
  const value = randomBytes(32).toString('base64url');
  grants.set(value, p);
  return { value, end: () => grants.delete(value) };
}

/** Checks a request's DPoP proof (RFC 9449) and returns its key's thumbprint (or throws dpop_invalid). */
export type DpopVerifier = (req: FastifyRequest, proof: string, accessToken?: string) => Promise<string>;

export function installAuthentication(
  app: FastifyInstance,
  auth: () => AuthService,
  gate: (p: Principal, ip: string, client: string) => void = () => undefined,
  dpop: DpopVerifier = async () => {
    throw new AccessError('dpop_invalid');
  },
): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('inflightOf', null);
  app.decorateRequest('authMs', null);
  const inflight = new Map<string, number>();
  const release = (req: FastifyRequest) => {
    const id = req.inflightOf;
    if (id === null) return;
    req.inflightOf = null;
    const n = (inflight.get(id) ?? 1) - 1;
    if (n <= 0) inflight.delete(id);
    else inflight.set(id, n);
  };
  app.addHook('onResponse', async (req) => release(req));
  app.addHook('onRequestAbort', async (req) => release(req));
  app.addHook('onRoute', (route) => {
    const access = (route.config as { access?: string } | undefined)?.access;
    if (access !== 'public' && access !== 'authenticated') {
      throw new Error(`route ${route.method} ${route.url} does not declare its access (config.access)`);
    }
    // Every authenticated route of patient data passes the detection gate (a data route
    // that forgets it would never be checked): refused at start-up, not found at 3 a.m.
    if (access === 'authenticated' && DATA_ROUTE.test(route.url) && (route.config as { gate?: boolean } | undefined)?.gate !== true) {
      throw new Error(`route ${route.method} ${route.url} serves patient data and must pass the detection gate (config.gate: true)`);
    }
    if (DATA_ROUTE.test(route.url)) {
      const list = dataRoutesOf.get(app) ?? [];
      for (const method of [route.method].flat()) list.push({ method, url: route.url, access });
      dataRoutesOf.set(app, list);
    }
  });
  app.addHook('onRequest', async (req, reply) => {
    if (req.routeOptions.config?.access !== 'authenticated') return;
    const entry = req.headers[ENTRY_HEADER];
    if (entry !== undefined) {
      const granted = typeof entry === 'string' ? grants.get(entry) : undefined;
      if (granted === undefined) throw new AccessError('token_invalid');
      // The Bundle's session may have ended while it ran (a logout, an officer, a lock).
      await auth().stillLive(granted);
      return admitted(req, granted, reply.elapsedTime);
    }
    const header = req.headers.authorization;
    const m = header === undefined ? null : /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]+=*)$/.exec(header);
    if (!m) throw new AccessError('token_missing');
    const token = m[2] as string;
    const principal = await auth().authenticate(token);
    // A DPoP-bound token (RFC 9449 §7) is good only with the DPoP scheme and a proof, for this
    // request and this token, signed by the key it is bound to; copied alone, it is useless.
    if (principal.dpopJkt !== undefined) {
      const proof = req.headers.dpop;
      if (m[1] !== 'DPoP' || typeof proof !== 'string') throw new AccessError('dpop_invalid');
      if ((await dpop(req, proof, token)) !== principal.dpopJkt) throw new AccessError('dpop_invalid');
    } else if (m[1] === 'DPoP') {
      throw new AccessError('token_invalid');
    }
    admitted(req, principal, reply.elapsedTime);
  });
  function admitted(req: FastifyRequest, principal: Principal, authMs: number): void {
    req.principal = principal;
    req.authMs = authMs;
    // The detection gate: the account's state, updated by every committed audit event, applies
    // before this request reads anything.
    if (req.routeOptions.config?.gate === true) {
      gate(principal, req.ip, clientFingerprint(req.headers['user-agent']));
      const n = inflight.get(principal.userId) ?? 0;
      if (n >= MAX_INFLIGHT_PER_ACCOUNT) throw new AccessError('throttled', 1);
      inflight.set(principal.userId, n + 1);
      req.inflightOf = principal.userId;
    }
  }
}
