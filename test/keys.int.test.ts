import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdminRepository, openStore } from '../src/store/index.js';
import { LocalKeyProvider, Vault } from '../src/vault/index.js';
import { BIN, runCli, startCli } from './helpers/cli.js';
import { keyringWithoutRetired, openEverything } from './helpers/records.js';
import { createToken, softhsmAvailable } from './helpers/softhsm.js';

const tmp = mkdtempSync(join(tmpdir(), 'medvault-keys-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SMALL = ['--practices', '2', '--patients-per-practice', '120', '--history-days', '20', '--port', '0'];

async function seededFolder(name: string, env: Record<string, string> = {}): Promise<string> {
  const dir = join(tmp, name);
  const s = await startCli(['demo', '--data', dir, ...SMALL], env);
  await s.stop();
  return dir;
}

/** Path → SHA-256 of every file under a folder: to prove that a refused start changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out[p] = createHash('sha256').update(readFileSync(p)).digest('hex');
  }
  return out;
}

function oneLine(r: { code: number | null; stderr: string }, pattern: RegExp) {
  expect(r.code).toBe(1);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(pattern);
}

describe('medvault keys rotate', () => {
  it('survives kill -9 half-way, resumes, finishes, and leaves nothing that needs the old version', async () => {
    const dir = await seededFolder('rotate');
    // Start a rotation in small batches and kill it without warning once it is under way.
    const child = spawn(process.execPath, [BIN, 'keys', 'rotate', '--data', dir, '--batch-size', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no progress: ${out}`)), 60_000);
      child.stdout.on('data', (d) => {
        out += d;
        if ((out.match(/data keys rewrapped/g) ?? []).length >= 6) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.on('exit', r));
    expect(out).not.toMatch(/rotation done/);

    const status = await runCli(['keys', 'status', '--data', dir]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/running/);

    const resumed = await runCli(['keys', 'rotate', '--data', dir, '--batch-size', '50'], {}, 120_000);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/resuming/);
    expect(resumed.stdout).toMatch(/rotation done/);

    const after = await runCli(['keys', 'status', '--data', dir]);
    const lines = after.stdout.split('\n').filter((l) => / (admin|clinical) /.test(l));
    expect(lines).toHaveLength(4);
    for (const l of lines) {
      const m = /(\d+)\/(\d+) sealed values on it/.exec(l)!;
      expect(m[1], l).toBe(m[2]);
      expect(l).toMatch(/active v2 .* done/);
    }

    // Remove the retired versions from a copy of the keyring: every record still opens.
    const copy = join(tmp, 'rotate-keys-copy');
    cpSync(join(dir, 'keys'), copy, { recursive: true });
    expect(keyringWithoutRetired(join(dir, 'keys', 'keyring.json'), join(copy, 'keyring.json'))).toBe(4);
    const vault = new Vault(LocalKeyProvider.open({ path: join(copy, 'keyring.json'), passphrase: null }));
    const { db, driver } = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
    try {
      const opened = await openEverything(db, driver, vault);
      expect(opened.patients).toBeGreaterThan(200);
      expect(opened.notes).toBeGreaterThan(100);
    } finally {
      await db.close();
    }
  });

  it('rejects bad options and a folder without medvault in one line', async () => {
    const r = await runCli(['keys', 'rotate', '--purpose', 'everything']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^medvault: --purpose must be admin or clinical\n$/);
    oneLine(await runCli(['keys', 'status', '--data', join(tmp, 'nothing-here')]), /no medvault keys in/);
    expect((await runCli(['keys', 'spin'])).stderr).toMatch(/unknown command "keys spin"/);
  });
});

describe('medvault patient shred', () => {
  it('refuses during the retention period, shreds when forced, and audits who and why', async () => {
    const dir = await seededFolder('shred');
    const creds = JSON.parse(readFileSync(join(dir, 'demo-credentials.json'), 'utf8')) as { users: { role: string; fhirId: string; practiceId: string }[] };
    const patient = creds.users.find((u) => u.role === 'patient')!;
    const base = ['patient', 'shred', '--data', dir, '--practice', patient.practiceId, '--patient', patient.fhirId];
    expect((await runCli([...base])).stderr).toMatch(/--reason is required/);
    oneLine(await runCli([...base, '--reason', 'demande d’effacement']), /shred refused: the record must be kept until \d{4}-\d{2}-\d{2} \(R1112-7\)/);
    const forced = await runCli([...base, '--reason', 'demande d’effacement', '--force']);
    expect(forced.stderr).toBe('');
    expect(forced.stdout).toMatch(/shredded \(forced: retention ran until/);
    expect(forced.stdout).toMatch(/key epoch closed: \d+ patient keys of the practice now under key version 2; destroyed version 1 — no database backup can open the shredded key/);
    oneLine(await runCli([...base, '--reason', 'again', '--force']), /already shredded/);

    const vault = new Vault(LocalKeyProvider.open({ path: join(dir, 'keys', 'keyring.json'), passphrase: null }));
    const { db, driver } = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
    try {
      const p = await db.transaction({ role: 'admin', practiceId: patient.practiceId }, (tx) => new AdminRepository(tx, vault.admin(patient.practiceId)).patient(patient.fhirId));
      expect(p).toMatchObject({ shredded: true, nir: null, email: null });
      const audit = await driver.transaction((sql) => sql.query<{ reason: string; role: string }>("SELECT reason, role FROM audit.events WHERE action = 'patient.shred'"));
      expect(audit.rows).toEqual([{ reason: 'demande d’effacement', role: 'operator' }]);
    } finally {
      await db.close();
    }
  });
});

describe('patient key files of an older medvault', () => {
  it('move into the database at the next start, the folder goes, and every record still opens', async () => {
    const dir = await seededFolder('legacy');
    // Make the folder look like one written by an older medvault: the keys in DIR/keys/patients, none in the database.
    const { db, driver } = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
    let keys: { practice_id: string; patient_id: string; kek_version: number; wrapped: Buffer }[];
    try {
      keys = (await driver.transaction((q) => q.query<{ practice_id: string; patient_id: string; kek_version: number; wrapped: Buffer }>('SELECT practice_id, patient_id, kek_version, wrapped FROM keys.patient_keys'))).rows;
      expect(keys.length).toBeGreaterThan(200);
      mkdirSync(join(dir, 'keys', 'patients'), { mode: 0o700 });
      for (const practice of new Set(keys.map((k) => k.practice_id))) {
        const lines = keys.filter((k) => k.practice_id === practice).map((k) => `${k.patient_id} ${k.kek_version} ${Buffer.from(k.wrapped).toString('base64')}\n`).join('');
        writeFileSync(join(dir, 'keys', 'patients', `${practice}.keys`), lines, { mode: 0o600 });
      }
      await driver.transaction((q) => q.query('DELETE FROM keys.patient_keys'));
    } finally {
      await db.close();
    }
    const s = await startCli(['serve', '--data', dir, '--port', '0']);
    expect(s.output()).toMatch(new RegExp(`moved ${keys.length} patient keys from .*patients into the database`));
    await s.stop();
    expect(existsSync(join(dir, 'keys', 'patients'))).toBe(false);
    const vault = new Vault(LocalKeyProvider.open({ path: join(dir, 'keys', 'keyring.json'), passphrase: null }));
    const again = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
    try {
      const opened = await openEverything(again.db, again.driver, vault);
      expect(opened.patients).toBe(keys.length);
      expect(opened.secrets).toBeGreaterThan(opened.patients);
    } finally {
      await again.db.close();
      await vault.provider.close();
    }
  });
});

describe('the keyring passphrase', () => {
  it('a wrong or missing passphrase refuses to start, and nothing in the data folder changes', async () => {
    const dir = await seededFolder('protected', { MEDVAULT_KEY_PASSPHRASE: 'le bon mot de passe' });
    const keyring = JSON.parse(readFileSync(join(dir, 'keys', 'keyring.json'), 'utf8'));
    expect(keyring.master).toBeUndefined();
    const before = snapshot(dir);
    oneLine(await runCli(['serve', '--data', dir, '--port', '0'], { MEDVAULT_KEY_PASSPHRASE: 'un mauvais' }), /^medvault: keys: wrong keyring passphrase$/m);
    oneLine(await runCli(['serve', '--data', dir, '--port', '0'], { MEDVAULT_KEY_PASSPHRASE: '' }), /set MEDVAULT_KEY_PASSPHRASE/);
    expect(snapshot(dir)).toEqual(before);
    const ok = await startCli(['serve', '--data', dir, '--port', '0'], { MEDVAULT_KEY_PASSPHRASE: 'le bon mot de passe' });
    expect((await fetch(`${ok.baseUrl}/readyz`)).status).toBe(200);
    await ok.stop();
  });

  it('is required in production mode', async () => {
    oneLine(await runCli(['serve', '--data', join(tmp, 'prod'), '--port', '0'], { MEDVAULT_MODE: 'production' }), /passphrase .* is required in production mode/);
  });
});

describe.runIf(softhsmAvailable)('the PKCS#11 provider from the command line', () => {
  it('serves with KEKs in SoftHSM2, and refuses a wrong PIN or a missing token in one line', async () => {
    const token = createToken('medvault-cli');
    try {
      const env = { ...token.env, MEDVAULT_KEY_PROVIDER: 'pkcs11', MEDVAULT_PKCS11_TOKEN: token.label, MEDVAULT_PKCS11_PIN: token.pin };
      const dir = await seededFolder('hsm', env);
      const s = await startCli(['serve', '--data', dir, '--port', '0'], env);
      expect((await fetch(`${s.baseUrl}/readyz`)).status).toBe(200);
      await s.stop();
      const status = await runCli(['keys', 'status', '--data', dir], env);
      expect(status.stdout).toMatch(/key provider: pkcs11/);
      oneLine(await runCli(['serve', '--data', dir, '--port', '0'], { ...env, MEDVAULT_PKCS11_PIN: '000000' }), /^medvault: keys: wrong PIN for the PKCS#11 token$/m);
      oneLine(await runCli(['serve', '--data', dir, '--port', '0'], { ...env, MEDVAULT_PKCS11_TOKEN: 'absent' }), /no PKCS#11 token labelled "absent"/);
    } finally {
      token.cleanup();
    }
  });
});
