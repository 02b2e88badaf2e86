import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { AuthService } from '../access/auth.js';
import type { Principal } from '../access/principal.js';
import { installAuthentication, MAX_INFLIGHT_PER_ACCOUNT } from './context.js';
import { installErrorHandling } from './errors.js';

const principal = (userId: string): Principal => ({ userId, role: 'practitioner', practiceId: 'p', patientId: null, sessionId: 's', scopes: [], authTime: new Date(), amr: [], acr: 'aal2' });

describe('the in-flight bound', () => {
  it('refuses an account\'s requests beyond the bound with 429 and Retry-After, another account\'s not, and frees them as they end', async () => {
    const app = Fastify();
    installErrorHandling(app);
    const auth = { authenticate: async (token: string) => principal(token) } as unknown as AuthService;
    installAuthentication(app, () => auth);
    let open: () => void = () => undefined;
    const held = new Promise<void>((r) => (open = r));
    app.get('/slow', { config: { access: 'authenticated', gate: true } }, async () => {
      await held;
      return { ok: true };
    });
    await app.ready();
    const as = (who: string) => app.inject({ method: 'GET', url: '/slow', headers: { authorization: `Bearer ${who}` } });
    const first = Array.from({ length: MAX_INFLIGHT_PER_ACCOUNT }, () => as('alice'));
    await new Promise((r) => setTimeout(r, 20));
    const over = await as('alice');
    expect(over.statusCode).toBe(429);
    expect(over.headers['retry-after']).toBe('1');
    const bob = as('bob'); // another account is not held back
    open();
    expect((await Promise.all(first)).map((r) => r.statusCode)).toEqual(Array(MAX_INFLIGHT_PER_ACCOUNT).fill(200));
    expect((await bob).statusCode).toBe(200);
    // Every slot was given back.
    expect((await Promise.all(Array.from({ length: MAX_INFLIGHT_PER_ACCOUNT }, () => as('alice')))).every((r) => r.statusCode === 200)).toBe(true);
    await app.close();
  });
});

describe('route declarations', () => {
  it('refuses to register a data route that does not pass the detection gate, or a route without its access', async () => {
    const app = Fastify();
    installAuthentication(app, () => ({}) as unknown as AuthService);
    expect(() => app.get('/fhir/Thing', { config: { access: 'authenticated' } }, async () => ({}))).toThrow(/detection gate/);
    expect(() => app.get('/access/other', { config: { access: 'authenticated', gate: false } }, async () => ({}))).toThrow(/detection gate/);
    expect(() => app.get('/nothing-declared', async () => ({}))).toThrow(/declare its access/);
    expect(() => app.get('/fhir/metadata-like', { config: { access: 'public' } }, async () => ({}))).not.toThrow();
    await app.close();
  });
});
