import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../src/store/index.js';
import { runCli, startCli, type Finished } from './helpers/cli.js';

/**
 * Key material and the audit log as an operator meets them: keys are created only for
 * a new database, never replaced; key files open to others or damaged stop the start with the
 * file and the fix; `keys check` says it all without starting; `audit verify` is read-only and
 * names a row written behind the server's back; a stop and a start sign no head for nothing new.
 */
const tmp = mkdtempSync(join(tmpdir(), 'medvault-keys-material-'));
const dir = join(tmp, 'demo');
const keys = join(dir, 'keys');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function oneLine(r: Finished, pattern: RegExp): void {
  expect(r.code, r.stderr).not.toBe(0);
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

const headLines = () => readFileSync(join(dir, 'audit', 'tree-heads.jsonl'), 'utf8').split('\n').filter(Boolean).length;

beforeAll(async () => {
  const s = await startCli(['demo', '--data', dir, '--practices', '2', '--patients-per-practice', '10', '--history-days', '2', '--port', '0']);
  expect(await s.stop()).toBe(0);
}, 180_000);

describe('key material', () => {
  it('keys check passes on a healthy folder; a stop and a start sign no head for nothing new (regression: a line per start and stop)', async () => {
    const ok = await runCli(['keys', 'check', '--data', dir]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/holds every key this medvault uses/);
    const before = headLines();
    const s = await startCli(['serve', '--data', dir, '--port', '0']);
    expect(await s.stop()).toBe(0);
    expect(headLines()).toBe(before);
  });

  it('a key file open to others stops the start with the file and the chmod to run', async () => {
    chmodSync(join(keys, 'keyring.json'), 0o644);
    try {
      oneLine(await runCli(['serve', '--data', dir, '--port', '0']), new RegExp(`keyring\\.json is readable by group or others \\(mode 644\\) \\(run: chmod 600 .*keyring\\.json\\)`));
      const check = await runCli(['keys', 'check', '--data', dir]);
      expect(check.code).toBe(1);
      expect(check.stderr).toMatch(/chmod 600/);
    } finally {
      chmodSync(join(keys, 'keyring.json'), 0o600);
    }
    chmodSync(keys, 0o777);
    try {
      oneLine(await runCli(['serve', '--data', dir, '--port', '0']), /keys is open to group or others \(mode 777\) \(run: chmod 700 /);
    } finally {
      chmodSync(keys, 0o700);
    }
  });

  it('a key the database was initialised with, missing, is never replaced: the start stops naming it (regression: silently recreated)', async () => {
    for (const name of ['audit-signing.pem', 'token-signing.pem', 'keyring.json']) {
      const path = join(keys, name);
      renameSync(path, `${path}.away`);
      try {
        oneLine(await runCli(['serve', '--data', dir, '--port', '0']), new RegExp(`${name.replace('.', '\\.')} is missing, but the database was initialised with it`));
        const check = await runCli(['keys', 'check', '--data', dir]);
        expect(check.code).toBe(1);
        expect(check.stderr).toContain(name);
      } finally {
        renameSync(`${path}.away`, path);
      }
    }
  });

  it('a damaged key file, or another audit key than the one that signed the log, is named', async () => {
    const token = join(keys, 'token-signing.pem');
    copyFileSync(token, `${token}.bak`);
    writeFileSync(token, '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n', { mode: 0o600 });
    try {
      oneLine(await runCli(['serve', '--data', dir, '--port', '0']), /token-signing\.pem is damaged/);
    } finally {
      copyFileSync(`${token}.bak`, token);
      rmSync(`${token}.bak`);
    }
    const audit = join(keys, 'audit-signing.pem');
    copyFileSync(audit, `${audit}.bak`);
    // Another valid Ed25519 key in its place.
    const { generateKeyPairSync } = await import('node:crypto');
    writeFileSync(audit, generateKeyPairSync('ed25519').privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, { mode: 0o600 });
    try {
      oneLine(await runCli(['serve', '--data', dir, '--port', '0']), /audit-signing\.pem is not the key that signed the audit log/);
      expect((await runCli(['keys', 'check', '--data', dir])).stderr).toMatch(/is not the key that signed the audit log/);
    } finally {
      copyFileSync(`${audit}.bak`, audit);
      rmSync(`${audit}.bak`);
    }
  });

  it('an empty DATABASE_URL is an error, not a new empty embedded database (regression)', async () => {
    oneLine(await runCli(['serve', '--data', join(tmp, 'other'), '--port', '0'], { DATABASE_URL: '' }), /DATABASE_URL is set but empty/);
  });
});

describe('audit repair', () => {
  it('corrects a head signed over a wrong root (the overlapping-checkpoint bug) by a signed, audited correction; verify then passes', async () => {
    const dir2 = join(tmp, 'repair');
    // Five days of history hold weekdays whatever the day the test runs (two days from a Monday were a
    // weekend: no visits, two audit events, and no head to corrupt).
    const s = await startCli(['demo', '--data', dir2, '--practices', '2', '--patients-per-practice', '10', '--history-days', '5', '--port', '0']);
    expect(await s.stop()).toBe(0);
    // A head as the old bug signed it: the right size, a wrong root, a good signature.
    const { loadAuditSigner, treeHeadMessage } = await import('../src/audit/signing.js');
    const signer = loadAuditSigner(join(dir2, 'keys', 'audit-signing.pem'));
    const { driver, db } = await openStore({ kind: 'pglite', dir: join(dir2, 'pgdata') });
    const size = Number((await driver.transaction((q) => q.query<{ count: number }>('SELECT count FROM meta.audit_head'))).rows[0]!.count) - 3;
    expect(size).toBeGreaterThan(0);
    const wrong = Buffer.alloc(32, 7);
    const at = new Date();
    await driver.transaction((q) =>
      q.query('INSERT INTO audit.tree_heads (tree_size, root_hash, signed_at, key_id, signature) VALUES ($1, $2, $3, $4, $5)', [size, wrong, at.toISOString(), signer.keyId, signer.sign(treeHeadMessage(size, wrong, at))]),
    );
    await db.close();
    const broken = await runCli(['audit', 'verify', '--data', dir2]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(new RegExp(`tree head at ${size} events .*no longer hash to the signed root`));

    const repaired = await runCli(['audit', 'repair', '--data', dir2]);
    expect(repaired.code, repaired.stderr).toBe(0);
    expect(repaired.stdout).toMatch(new RegExp(`1 tree head corrected \\(${size} events\\)`));
    expect(readFileSync(join(dir2, 'audit', 'tree-head-corrections.jsonl'), 'utf8')).toContain(`"treeSize":${size}`);
    const ok = await runCli(['audit', 'verify', '--data', dir2]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/1 heads corrected by signed corrections/);
    // Nothing was rewritten: the wrong head is still there, the repair is in the log.
    const after = await openStore({ kind: 'pglite', dir: join(dir2, 'pgdata') });
    const kept = await after.driver.transaction((q) => q.query<{ root_hash: Buffer }>('SELECT root_hash FROM audit.tree_heads WHERE tree_size = $1', [size]));
    expect(kept.rows[0]!.root_hash.equals(wrong)).toBe(true);
    const audited = await after.driver.transaction((q) => q.query<{ n: number }>("SELECT count(*)::int AS n FROM audit.events WHERE action = 'audit.repair'"));
    expect(audited.rows[0]!.n).toBe(1);
    await after.db.close();
    // A second repair finds nothing to do.
    expect((await runCli(['audit', 'repair', '--data', dir2])).stdout).toMatch(/nothing to repair/);
  }, 120_000);
});

describe('the record of when event MACs began', () => {
  it('is signed outside the database: moving or deleting meta.audit_mac does not let a forged row pass, and a start refuses an altered one (regression, found by an outside review)', async () => {
    const dir3 = join(tmp, 'mac-record');
    const s = await startCli(['demo', '--data', dir3, '--practices', '2', '--patients-per-practice', '10', '--history-days', '2', '--port', '0']);
    expect(await s.stop()).toBe(0);
    expect(readFileSync(join(dir3, 'audit', 'audit-mac.json'), 'utf8')).toMatch(/"sinceSeq":1,/);
    const { driver, db } = await openStore({ kind: 'pglite', dir: join(dir3, 'pgdata') });
    // The row refuses a plain change; its owner disables the trigger, moves it, and forges a row.
    await expect(driver.transaction((q) => q.query('UPDATE meta.audit_mac SET since_seq = 999999999'))).rejects.toThrow();
    await driver.transaction(async (q) => {
      await q.query('ALTER TABLE meta.audit_mac DISABLE TRIGGER USER');
      await q.query('UPDATE meta.audit_mac SET since_seq = 999999999');
      await q.query('ALTER TABLE meta.audit_mac ENABLE TRIGGER USER');
      await q.query(`INSERT INTO audit.events (id, at, role, action, outcome, reason, labels) VALUES ($1, now(), 'operator', 'forged', 'success', 'forged', '{}')`, [randomUUID()]);
    });
    await db.close();
    const moved = await runCli(['audit', 'verify', '--data', dir3]);
    expect(moved.code).toBe(1);
    expect(moved.stderr).toMatch(/meta\.audit_mac says event MACs begin at #999999999, the signed record says #1: the audit log was altered/);
    oneLine(await runCli(['serve', '--data', dir3, '--port', '0']), /meta\.audit_mac says event MACs begin at #999999999.*the audit log was altered/);
    // Deleted instead: verification still goes by the signed record, and names the forged row.
    const again = await openStore({ kind: 'pglite', dir: join(dir3, 'pgdata') });
    await again.driver.transaction(async (q) => {
      await q.query('ALTER TABLE meta.audit_mac DISABLE TRIGGER USER');
      await q.query('DELETE FROM meta.audit_mac');
      await q.query('ALTER TABLE meta.audit_mac ENABLE TRIGGER USER');
    });
    await again.db.close();
    const deleted = await runCli(['audit', 'verify', '--data', dir3]);
    expect(deleted.code).toBe(1);
    expect(deleted.stderr).toMatch(/meta\.audit_mac is missing, the signed record says #1/);
    // A start restores the row from the signed record; the forged row is then named.
    const restarted = await startCli(['serve', '--data', dir3, '--port', '0']);
    expect(await restarted.stop()).toBe(0);
    const named = await runCli(['audit', 'verify', '--data', dir3]);
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(/carries no MAC: it was not written by medvault/);
  }, 120_000);
});

describe('audit verify, read-only', () => {
  it('names a row appended behind the server\'s back, and writes nothing (regression: it chained the row first)', async () => {
    const clean = await runCli(['audit', 'verify', '--data', dir]);
    expect(clean.code, clean.stderr).toBe(0);
    const { driver, db } = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
    const forged = randomUUID();
    await driver.transaction((sql) => sql.query(`INSERT INTO audit.events (id, at, action, outcome, labels, reason) VALUES ($1, now(), 'read', 'success', '{}', 'forged')`, [forged]));
    const chained = async () => Number((await driver.transaction((sql) => sql.query<{ count: number }>('SELECT count FROM meta.audit_head'))).rows[0]!.count);
    const before = await chained();
    await db.close();
    const bad = await runCli(['audit', 'verify', '--data', dir]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(forged);
    expect(bad.stderr).toMatch(/carries no MAC: it was not written by medvault/);
    const again = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
    expect(Number((await again.driver.transaction((sql) => sql.query<{ count: number }>('SELECT count FROM meta.audit_head'))).rows[0]!.count)).toBe(before);
    await again.db.close();
  });
});
