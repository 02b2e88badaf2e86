import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { serializers } from './logging.js';
import { installMetrics } from './metrics.js';

/** A server whose log lines are kept, with the metrics hook and one slow and one quick route. */
async function server(slowMs: number) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString('utf8').split('\n').filter((l) => l !== '');
      for (const l of text) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const app = Fastify({ logger: { level: 'warn', serializers, stream } });
  installMetrics(app, null, slowMs);
  app.get('/fhir/Patient/:id', async () => {
    await new Promise((r) => setTimeout(r, 60));
    return { resourceType: 'Patient' };
  });
  app.get('/quick', async () => ({ ok: true }));
  await app.ready();
  return { app, lines };
}

describe('the slow-request log', () => {
  it('names the route pattern, status and time of a request over the threshold, never its id or query', async () => {
    const { app, lines } = await server(50);
    const url = '/fhir/Patient/3f6a2c1e-0000-4000-8000-000000000001?name=Dupont';
    const r = await app.inject({ method: 'GET', url });
    expect(r.statusCode).toBe(200);
    await app.inject({ method: 'GET', url: '/quick' });
    const slow = lines.filter((l) => l.msg === 'slow request');
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatchObject({ method: 'GET', route: '/fhir/Patient/:id', status: 200, authMs: null });
    expect(slow[0]!.ms as number).toBeGreaterThanOrEqual(50);
    const all = JSON.stringify(lines);
    expect(all).not.toContain('3f6a2c1e');
    expect(all).not.toContain('Dupont');
    await app.close();
  });

  it('stays quiet under the threshold', async () => {
    const { app, lines } = await server(10_000);
    await app.inject({ method: 'GET', url: '/fhir/Patient/x' });
    expect(lines.filter((l) => l.msg === 'slow request')).toHaveLength(0);
    await app.close();
  });
});
