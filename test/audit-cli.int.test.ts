import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/index.js';
import { bearer } from './helpers/app.js';
import { runCli, startCli } from './helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'medvault-audit-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('medvault audit verify', () => {
  it('passes on an untouched log, and names the first bad event after tampering', async () => {
    const dir = join(tmp, 'demo');
    const s = await startCli(['demo', '--data', dir, '--practices', '2', '--patients-per-practice', '20', '--history-days', '3', '--port', '0']);
    const creds = JSON.parse(readFileSync(join(dir, 'demo-credentials.json'), 'utf8')) as { users: { username: string; password: string; role: string }[] };
    // Some audited activity: failed and successful logins.
    for (const u of creds.users.slice(0, 6)) {
      await fetch(`${s.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: u.username, password: 'wrong' }) });
    }
    const assistant = creds.users.find((u) => u.role === 'assistant')!;
    const tokens = await (await fetch(`${s.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: assistant.username, password: assistant.password }) })).json() as { access_token: string };
    await fetch(`${s.baseUrl}/me`, { headers: bearer(tokens.access_token) });
    expect(await s.stop()).toBe(0);
    // Stopping signed a last tree head, in the database and in the file outside it.
    expect(existsSync(join(dir, 'audit', 'tree-heads.jsonl'))).toBe(true);

    const ok = await runCli(['audit', 'verify', '--data', dir]);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/audit: \d+ events and 1 signed tree heads verify/);

    const { driver, db } = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
    const target = await driver.transaction(async (sql) => {
      await sql.query('ALTER TABLE audit.events DISABLE TRIGGER USER');
      const r = await sql.query<{ seq: number }>("SELECT seq FROM audit.events WHERE action = 'login' ORDER BY seq LIMIT 1 OFFSET 2");
      await sql.query("UPDATE audit.events SET outcome = 'success', reason = 'ok' WHERE seq = $1", [r.rows[0]!.seq]);
      await sql.query('ALTER TABLE audit.events ENABLE TRIGGER USER');
      return r.rows[0]!.seq;
    });
    await db.close();
    const bad = await runCli(['audit', 'verify', '--data', dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`^medvault: audit: verification FAILED at event #${target} \\([0-9a-f-]{36}\\) its MAC does not verify: it was not written by medvault, or was edited\\n$`));
  });
});
