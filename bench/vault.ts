/**
 * bench/vault — sealing and opening 1 KiB notes, with and without the data-key cache, beside
 * raw AES-256-GCM on the same machine in the same run (the ceiling), and the rewrap rate of a
 * rotation. Local keyring always; SoftHSM2 through PKCS#11 when it is installed.
 *
 *   npm run bench:vault [-- --n 20000]
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MemoryPatientKeys, LocalKeyProvider, Pkcs11KeyProvider, Vault, type KeyProvider } from '../src/vault/index.js';

const { values } = parseArgs({ options: { n: { type: 'string' } } });
const N = Number(values.n ?? 20_000);
const NOTE = 'Motif : suivi. '.repeat(70).slice(0, 1024);
const tmp = mkdtempSync(join(tmpdir(), 'medvault-bench-vault-'));

function rate(label: string, n: number, ms: number, ceiling?: number) {
  const perS = (n / ms) * 1000;
  console.log(`${label.padEnd(46)} ${Math.round(perS).toString().padStart(9)} /s${ceiling ? `   (${((perS / ceiling) * 100).toFixed(1)} % of raw AES-GCM)` : ''}`);
  return perS;
}

function rawGcm(): number {
  const key = randomBytes(32);
  const pt = Buffer.from(NOTE);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', key, iv);
    const ct = Buffer.concat([c.update(pt), c.final()]);
    const tag = c.getAuthTag();
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAuthTag(tag);
    Buffer.concat([d.update(ct), d.final()]);
  }
  return rate('raw AES-256-GCM seal+open (1 KiB, one key)', N, performance.now() - t0);
}

async function run(name: string, provider: KeyProvider, ceiling: number, n: number) {
  const practiceId = randomUUID();
  const patients = Array.from({ length: 200 }, () => randomUUID());
  const store = new MemoryPatientKeys();
  for (const cache of [true, false]) {
    const vault = new Vault(provider, store, { cacheEntries: cache ? 100_000 : 0, patientKeyCacheEntries: 10_000 });
    await vault.admin(practiceId).createPatientKeys(patients);
    const clinical = vault.clinical(practiceId);
    const sealed: Buffer[] = [];
    let t0 = performance.now();
    for (let i = 0; i < n; i++) sealed.push(await clinical.sealNote(patients[i % patients.length]!, `note-${i}`, NOTE));
    const sealMs = performance.now() - t0;
    t0 = performance.now();
    for (let i = 0; i < n; i++) await clinical.openNote(patients[i % patients.length]!, `note-${i}`, sealed[i]!);
    const coldMs = performance.now() - t0;
    t0 = performance.now();
    for (let i = 0; i < n; i++) await clinical.openNote(patients[i % patients.length]!, `note-${i}`, sealed[i]!);
    const warmMs = performance.now() - t0;
    const c = cache ? 'cache on' : 'cache off';
    rate(`${name}: seal (${c})`, n, sealMs, ceiling);
    rate(`${name}: open, first read (${c})`, n, coldMs, ceiling);
    rate(`${name}: open, repeated read (${c})`, n, warmMs, ceiling);
    rate(`${name}: seal+open pairs, repeated read (${c})`, n, sealMs + warmMs, ceiling);
    if (!cache) {
      await provider.createVersion(practiceId, 'clinical');
      const admin = vault.keyAdministration();
      t0 = performance.now();
      for (let i = 0; i < n; i++) await admin.rewrap(practiceId, 'clinical', sealed[i]!);
      rate(`${name}: rotation rewrap (unwrap + wrap, no body)`, n, performance.now() - t0);
    }
  }
}

console.log(`bench/vault: ${new Date().toISOString()}, node ${process.version}, ${cpus().length} × ${cpus()[0]?.model}, n = ${N}`);
const ceiling = rawGcm();
await run('local keyring', LocalKeyProvider.open({ path: join(tmp, 'keyring.json'), passphrase: null }), ceiling, N);
const module = '/usr/lib/softhsm/libsofthsm2.so';
if (existsSync(module)) {
  mkdirSync(join(tmp, 'tokens'));
  writeFileSync(join(tmp, 'softhsm2.conf'), `directories.tokendir = ${join(tmp, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = join(tmp, 'softhsm2.conf');
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', 'bench', '--pin', '1234', '--so-pin', '0000'], { stdio: 'ignore' });
  const hsm = Pkcs11KeyProvider.open({ modulePath: module, tokenLabel: 'bench', pin: '1234' });
  await run('SoftHSM2 (PKCS#11)', hsm, ceiling, Math.min(N, 10_000));
  await hsm.close();
} else {
  console.log('SoftHSM2 not installed: PKCS#11 figures skipped');
}
rmSync(tmp, { recursive: true, force: true });
