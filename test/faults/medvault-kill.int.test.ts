import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'otplib';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { recordFigure } from '../adversary/figures.js';
import { BIN, runCli } from '../helpers/cli.js';
import { createPostgresDatabase } from '../helpers/backends.js';
import { runs } from '../helpers/needs.js';

/**
 * kill -9 of medvault under write load, on both databases with the demo data:
 * it serves again within seconds of a restart, every acknowledged write is there and intact with
 * exactly one audit event, and `audit verify` is clean.
 */
const tmp = mkdtempSync(join(tmpdir(), 'medvault-kill-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function start(args: string[], databaseUrl?: string): Promise<{ pid: number; base: string; exited: Promise<number | null> }> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, MEDVAULT_LOG_LEVEL: 'warn' };
    delete env.DATABASE_URL;
    if (databaseUrl) env.DATABASE_URL = databaseUrl;
    const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /at (http:\/\/\S+)/.exec(out);
      if (m) resolve({ pid: child.pid!, base: m[1]!, exited });
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    void exited.then((code) => reject(new Error(`medvault exited (${code}) before serving:\n${out}`)));
  });
}

const BACKENDS = [
  { name: 'pglite' as const },
  ...(runs('kill -9 of medvault on PostgreSQL', { postgres: true }) ? [{ name: 'postgres' as const }] : []),
];

describe.each(BACKENDS)('kill -9 of medvault under write load ($name)', ({ name }) => {
  it('serves again after a restart, loses no acknowledged write, and its audit log verifies', async () => {
    const dir = join(tmp, `demo-${name}`);
    const database = name === 'postgres' ? await createPostgresDatabase() : null;
    const url = database?.url;
    // A small practice's demo: the load is the test's writers, not the seeding (the default demo's
    // ten thousand patients took a minute to seed before anything was killed).
    const small = ['--practices', '2', '--patients-per-practice', '60', '--history-days', '5'];
    const first = await start(['demo', '--data', dir, ...small, '--port', '0'], url);
    const creds = JSON.parse(readFileSync(join(dir, 'demo-credentials.json'), 'utf8')) as { users: { username: string; password: string; role: string; totpSecret?: string | null }[] };
    const assistant = creds.users.find((u) => u.role === 'assistant')!;
    const post = (base: string, path: string, body: unknown, token?: string) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
    const l = (await (await post(first.base, '/auth/login', { username: assistant.username, password: assistant.password })).json()) as { access_token?: string; mfa_token?: string };
    let token = l.access_token;
    if (!token) token = ((await (await post(first.base, '/auth/mfa', { mfa_token: l.mfa_token, code: await generate({ secret: assistant.totpSecret! }) })).json()) as { access_token: string }).access_token;

    const acknowledged: string[] = [];
    let stop = false;
    const writer = async (w: number) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await post(first.base, '/fhir/Patient', { resourceType: 'Patient', gender: 'male', birthDate: '1975-02-03', name: [{ family: `Killtest${w}x${i}`, given: ['Jo'] }] }, token);
          if (r.status === 201) acknowledged.push(((await r.json()) as { id: string }).id);
          else await r.body?.cancel();
        } catch {
          return; // the server is gone
        }
      }
    };
    const writers = [0, 1, 2].map(writer);
    // Under write load: a few writes acknowledged (however busy the machine), then the kill.
    for (let waited = 0; acknowledged.length < 8 && waited < 30_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    process.kill(first.pid, 'SIGKILL');
    await first.exited;
    stop = true;
    await Promise.all(writers);
    expect(acknowledged.length).toBeGreaterThan(5);

    const t0 = Date.now();
    const second = await start(['serve', '--data', dir, '--port', '0'], url);
    for (;;) {
      const r = await fetch(`${second.base}/readyz`).catch(() => null);
      if (r?.status === 200) break;
      await new Promise((x) => setTimeout(x, 20));
    }
    const servedAfterMs = Date.now() - t0;
    process.kill(second.pid, 'SIGTERM');
    expect(await second.exited).toBe(0);

    const { driver, db } = await openStore(url ? { kind: 'postgres', url } : { kind: 'pglite', dir: join(dir, 'pgdata') });
    try {
      const r = await driver.transaction((q) =>
        q.query<{ id: string; n: number }>(
          `SELECT p.id, (SELECT count(*)::int FROM audit.events e WHERE e.action = 'create' AND e.resource_type = 'Patient' AND e.resource_id::text = p.id::text AND e.outcome = 'success') n
             FROM admin.patients p WHERE p.id = ANY($1::uuid[])`,
          [acknowledged],
        ),
      );
      expect(r.rows.length).toBe(acknowledged.length);
      for (const row of r.rows) expect(row.n).toBe(1);
    } finally {
      await db.close();
    }
    const verify = await runCli(['audit', 'verify', '--data', dir], url ? { DATABASE_URL: url } : {});
    expect(verify.code, verify.stderr).toBe(0);
    await database?.drop();
    recordFigure(name, 'faults: medvault kill -9 under write load', { acknowledged: acknowledged.length, lost: 0, servedAfterRestartMs: servedAfterMs });
    expect(servedAfterMs).toBeLessThan(15_000);
  }, 180_000);
});
