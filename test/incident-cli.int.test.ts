import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bearer } from './helpers/app.js';
import { runCli, startCli } from './helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'medvault-incident-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('medvault incident scope', () => {
  it('writes the scope and every document for an account over a window, and refuses bad input in one line', async () => {
    const dir = join(tmp, 'demo');
    const s = await startCli(['demo', '--data', dir, '--practices', '2', '--patients-per-practice', '30', '--history-days', '3', '--port', '0']);
    const creds = JSON.parse(readFileSync(join(dir, 'demo-credentials.json'), 'utf8')) as { users: { username: string; password: string; role: string }[] };
    // An account lists the practice's patients (a broad search: disclosure without a care relationship).
    const assistant = creds.users.find((u) => u.role === 'assistant')!;
    const tokens = await (await fetch(`${s.baseUrl}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: assistant.username, password: assistant.password }) })).json() as { access_token: string };
    const listed = await (await fetch(`${s.baseUrl}/fhir/Patient?_count=5`, { headers: bearer(tokens.access_token) })).json() as { entry: { resource: { id: string } }[] };
    expect(listed.entry.length).toBe(5);
    expect(await s.stop()).toBe(0);

    const out = join(tmp, 'out');
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const r = await runCli(['incident', 'scope', '--data', dir, '--accounts', assistant.username, '--from', from, '--to', to, '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^incident [0-9a-f-]{36}: 5 patients, 0 clinical notes disclosed across 1 practice\(s\); Art\. 34 applies/);
    expect(readdirSync(out).sort()).toEqual(['art33.json', 'art33.pdf', 'art34-letters.pdf', 'art34-mailmerge.csv', 'incident-record.json', 'practitioners.pdf', 'scope.json']);
    const scope = JSON.parse(readFileSync(join(out, 'scope.json'), 'utf8')) as { scope: { patients: string[] } };
    expect(scope.scope.patients.sort()).toEqual(listed.entry.map((e) => e.resource.id).sort());
    expect(statSync(join(out, 'art34-letters.pdf')).mode & 0o077).toBe(0); // patient data: owner only
    const pages = execFileSync('pdfinfo', [join(out, 'art34-letters.pdf')], { encoding: 'utf8' });
    expect(pages).toMatch(/Pages:\s+5\b/);

    const missing = await runCli(['incident', 'scope', '--data', dir, '--accounts', assistant.username]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('medvault: --from and --to are required (ISO 8601 date-times)\n');
    const unknown = await runCli(['incident', 'scope', '--data', dir, '--accounts', 'nobody', '--from', from, '--to', to]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('medvault: incident: no such account: 1 of the names given\n');
    const badDate = await runCli(['incident', 'scope', '--data', dir, '--accounts', assistant.username, '--from', 'yesterday', '--to', to]);
    expect(badDate.code).toBe(2);
    expect(badDate.stderr.trim().split('\n')).toHaveLength(1);
    const both = await runCli(['incident', 'scope', '--data', dir, '--accounts', assistant.username, '--from', from, '--to', to, '--count-care', '--care-apart']);
    expect(both.code).toBe(2);
    expect(both.stderr).toBe('medvault: --count-care and --care-apart exclude each other\n');
  }, 120_000);
});
