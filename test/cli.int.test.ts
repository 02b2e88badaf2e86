import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from 'otplib';
import { ROLES } from '../src/domain/index.js';
import { createPostgresDatabase } from './helpers/backends.js';
import { BIN, runCli, startCli, type Finished } from './helpers/cli.js';
import { POSTGRES_URL } from './helpers/needs.js';

const tmp = mkdtempSync(join(tmpdir(), 'medvault-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SMALL = ['--practices', '2', '--patients-per-practice', '25', '--history-days', '5', '--port', '0'];

interface Credentials {
  baseUrl: string;
  practices: { id: string; name: string }[];
  users: { username: string; password: string; totpSecret: string | null; role: string; practiceId: string | null; fhirId: string | null }[];
}

/** One line on stderr, starting with the command's name, without a stack trace. */
function expectOneLineError(r: Finished, pattern: RegExp, exitCode?: number) {
  expect(r.code).not.toBe(0);
  if (exitCode !== undefined) expect(r.code).toBe(exitCode);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^medvault: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('medvault demo', () => {
  it('seeds an empty folder, writes the credentials, serves, stops cleanly, and serves again without reseeding', async () => {
    const dir = join(tmp, 'demo');
    const server = await startCli(['demo', '--data', dir, ...SMALL]);
    try {
      const health = await fetch(`${server.baseUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
      expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
      expect(health.headers.get('x-content-type-options')).toBe('nosniff');

      const creds = JSON.parse(readFileSync(join(dir, 'demo-credentials.json'), 'utf8')) as Credentials;
      expect(creds.baseUrl).toBe(server.baseUrl);
      expect(creds.practices.length).toBeGreaterThanOrEqual(2);
      for (const role of ROLES) expect(creds.users.some((u) => u.role === role), role).toBe(true);
      for (const u of creds.users.filter((x) => x.role === 'practitioner')) {
        expect(u.totpSecret).toMatch(/^[A-Z2-7]+=*$/);
        expect(u.fhirId).toMatch(/^[0-9a-f-]{36}$/);
      }
      for (const u of creds.users.filter((x) => x.role === 'patient')) expect(u.fhirId).toMatch(/^[0-9a-f-]{36}$/);
      expect(creds.users.find((u) => u.role === 'security-officer')?.practiceId).toBeNull();
      expect(new Set(creds.users.map((u) => u.password)).size).toBe(creds.users.length);
      expect(existsSync(join(dir, 'medvault.lock'))).toBe(true);
      // The seeded history (audit events of the visits) was replayed into detection at start,
      // and leaves honest accounts free to work.
      expect(server.output()).toMatch(/[1-9]\d* audit events of history/);
      const doc = creds.users.find((u) => u.role === 'practitioner')!;
      const l = (await (await fetch(`${server.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: doc.username, password: doc.password }) })).json()) as { mfa_token: string };
      const m = (await (await fetch(`${server.baseUrl}/auth/mfa`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ mfa_token: l.mfa_token, code: await generate({ secret: doc.totpSecret! }) }) })).json()) as { access_token: string };
      expect((await fetch(`${server.baseUrl}/fhir/Patient?family=mar&_count=5`, { headers: { authorization: `Bearer ${m.access_token}` } })).status).toBe(200);
    } finally {
      expect(await server.stop('SIGTERM')).toBe(0);
    }
    expect(server.output()).toMatch(/shutting down/);
    expect(existsSync(join(dir, 'medvault.lock'))).toBe(false);

    const again = await startCli(['demo', '--data', dir, ...SMALL]);
    try {
      expect(again.output()).toMatch(/already holds 2 practices; not seeding/);
      expect((await fetch(`${again.baseUrl}/readyz`)).status).toBe(200);
    } finally {
      await again.stop('SIGINT');
    }
    const serve = await startCli(['serve', '--data', dir, '--port', '0']);
    await serve.stop();
  });

  it('says it is seeding until the demo can be used; a first start stopped while seeding starts again and seeds', async () => {
    const dir = join(tmp, 'interrupted');
    const child = spawn(process.execPath, [BIN, 'demo', '--data', dir, ...SMALL, '--patients-per-practice', '400'], {
      env: { ...process.env, MEDVAULT_LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    // The address comes with the first log line, before the database is ready.
    const deadline = Date.now() + 60_000;
    let base: string | null = null;
    while (base === null && Date.now() < deadline) {
      base = /listening at (http:\/\/\S+)/.exec(out)?.[1] ?? null;
      if (base === null) await new Promise((r) => setTimeout(r, 50));
    }
    expect(base, out).not.toBeNull();
    let ready: { status: number; body: unknown } | null = null;
    while (Date.now() < deadline) {
      const r = await fetch(`${base}/readyz`);
      ready = { status: r.status, body: await r.json() };
      if ((ready.body as { status: string }).status === 'seeding') break;
      await new Promise((r2) => setTimeout(r2, 20));
    }
    expect(ready).toEqual({ status: 503, body: { status: 'seeding' } });
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).not.toBe(0);
    expect(existsSync(join(dir, 'demo-credentials.json'))).toBe(false);
    // Keys and database start again together: the demo is seeded from the start.
    const again = await startCli(['demo', '--data', dir, ...SMALL]);
    try {
      expect(again.output()).toMatch(/seeded \d+ patients/);
      expect((await fetch(`${again.baseUrl}/readyz`)).status).toBe(200);
      expect(existsSync(join(dir, 'demo-credentials.json'))).toBe(true);
    } finally {
      await again.stop();
    }
  });

  it('refuses a second server on the same embedded database', async () => {
    const dir = join(tmp, 'locked');
    const first = await startCli(['demo', '--data', dir, ...SMALL]);
    try {
      const second = await runCli(['serve', '--data', dir, '--port', '0']);
      expectOneLineError(second, /in use by another medvault process/, 1);
    } finally {
      await first.stop();
    }
  });

  it.runIf(POSTGRES_URL !== null)('seeds and serves on PostgreSQL when DATABASE_URL is set', async () => {
    const database = await createPostgresDatabase();
    try {
      const server = await startCli(['demo', '--data', join(tmp, 'pg'), ...SMALL], { DATABASE_URL: database.url });
      try {
        expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
        expect(existsSync(join(tmp, 'pg', 'pgdata'))).toBe(false);
      } finally {
        await server.stop();
      }
    } finally {
      await database.drop();
    }
  });
});

describe('medvault given bad input', () => {
  const untouched = (dir: string) => expect(existsSync(dir), `${dir} was created`).toBe(false);

  it('rejects an unknown flag', async () => {
    const dir = join(tmp, 'unknown-flag');
    expectOneLineError(await runCli(['demo', '--data', dir, '--bogus']), /unknown option --bogus/, 2);
    untouched(dir);
  });

  it('rejects an unknown command, a bad number and a missing value', async () => {
    expectOneLineError(await runCli(['frobnicate']), /unknown command "frobnicate"/, 2);
    expectOneLineError(await runCli(['serve', '--port', 'eighty']), /--port must be a whole number/, 2);
    expectOneLineError(await runCli(['serve', '--port', '70000']), /--port must be between 0 and 65535/, 2);
    expectOneLineError(await runCli(['serve', '--data']), /--data needs a value/, 2);
    expectOneLineError(await runCli(['demo', '--practices', '1']), /--practices must be between 2/, 2);
  });

  it('rejects a data folder it cannot write', async () => {
    const file = join(tmp, 'a-file');
    writeFileSync(file, 'not a folder');
    expectOneLineError(await runCli(['serve', '--data', join(file, 'sub'), '--port', '0']), /not writable/, 1);
    expectOneLineError(await runCli(['serve', '--data', file, '--port', '0']), /is not a folder/, 1);
    expect(readFileSync(file, 'utf8')).toBe('not a folder');
  });

  it('rejects a bad DATABASE_URL without showing its password, and writes nothing', async () => {
    const dir = join(tmp, 'bad-url');
    expectOneLineError(await runCli(['serve', '--data', dir, '--port', '0'], { DATABASE_URL: 'mysql://root@localhost/x' }), /must start with postgres:\/\//, 2);
    expectOneLineError(await runCli(['serve', '--data', dir, '--port', '0'], { DATABASE_URL: 'not a url' }), /not a valid URL/, 2);
    const refused = await runCli(['serve', '--data', dir, '--port', '0'], { DATABASE_URL: 'postgres://medvault:s3cret-pw@127.0.0.1:1/records' });
    expectOneLineError(refused, /cannot use PostgreSQL at 127\.0\.0\.1:1\/records: connection refused/, 1);
    expect(refused.stderr + refused.stdout).not.toContain('s3cret-pw');
    untouched(dir);
  });

  it('rejects a bad MEDVAULT_TRUST_PROXY in one line, and writes nothing (regression: "unexpected Error")', async () => {
    const dir = join(tmp, 'bad-settings');
    expectOneLineError(await runCli(['serve', '--data', dir, '--port', '0'], { MEDVAULT_TRUST_PROXY: 'not an address!' }), /MEDVAULT_TRUST_PROXY must be/, 1);
    untouched(dir);
  });

  it('rejects a slow-request threshold that is not a whole number of milliseconds in one line, and writes nothing', async () => {
    for (const bad of ['abc', '-5', '1.5']) {
      const dir = join(tmp, `bad-slow-${bad}`);
      const r = await runCli(['serve', '--data', dir, '--port', '0'], { MEDVAULT_SLOW_REQUEST_MS: bad });
      expectOneLineError(r, /MEDVAULT_SLOW_REQUEST_MS must be a whole number/, 1);
      untouched(dir);
    }
  });

  it('rejects a port in use, before writing anything', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const dir = join(tmp, 'port-in-use');
    try {
      expectOneLineError(await runCli(['demo', '--data', dir, '--port', String(port)]), new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use`), 1);
      untouched(dir);
      // An existing folder is left as it was found.
      const existing = join(tmp, 'existing');
      await runCli(['serve', '--data', existing, '--port', String(port)]);
      untouched(existing);
    } finally {
      blocker.close();
    }
  });

  it('refuses demo data in production mode', async () => {
    const dir = join(tmp, 'prod');
    expectOneLineError(await runCli(['demo', '--data', dir], { MEDVAULT_MODE: 'production' }), /refused in production mode/, 1);
    untouched(dir);
  });

  it('leaves a folder with earlier content as it was when a start fails', async () => {
    const dir = join(tmp, 'kept');
    const first = await startCli(['demo', '--data', dir, ...SMALL]);
    await first.stop();
    const before = readdirSync(dir).sort();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      expectOneLineError(await runCli(['serve', '--data', dir, '--port', String(port)]), /already in use/, 1);
    } finally {
      blocker.close();
    }
    expect(readdirSync(dir).sort()).toEqual(before);
  });
});
