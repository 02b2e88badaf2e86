import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { keyIdOf, macRecordKeyId } from '../audit/index.js';
import { readAuditPublicKey } from '../audit/signing.js';
import { storeLocation } from './database.js';
import { checkKeyFiles, databaseInitialised, describeFinding, KEY_FILES, missingKeys, signedWith } from './keycheck.js';
import { keysDir } from './keys.js';
import { isId } from '../domain/index.js';
import { BeaconLengthError, keyStatus, rotateKeys, sealClearIdentities, shredPatient, ShredRefused, type SealPurpose } from '../vault/index.js';
import { BEACON_BITS_MAX, BEACON_BITS_MIN } from '../store/index.js';
import { CliError, EXIT_USAGE } from './errors.js';
import { withMaintenance } from './maintenance.js';
import { intOption, parseOptions } from './options.js';

type Say = (line: string) => void;

function idOption(name: string, value: string | undefined, required: boolean): string | undefined {
  if (value === undefined) {
    if (required) throw new CliError(`--${name} is required`, EXIT_USAGE);
    return undefined;
  }
  if (!isId(value)) throw new CliError(`--${name} must be an id (a UUID)`, EXIT_USAGE);
  return value;
}

/** medvault keys rotate [--data DIR] [--practice ID] [--purpose admin|clinical] [--batch-size N] */
export async function keysRotate(args: string[], say: Say): Promise<number> {
  const o = parseOptions(args, {
    data: { type: 'string' },
    practice: { type: 'string' },
    purpose: { type: 'string' },
    'batch-size': { type: 'string' },
  });
  if (o.purpose !== undefined && o.purpose !== 'admin' && o.purpose !== 'clinical') {
    throw new CliError('--purpose must be admin or clinical', EXIT_USAGE);
  }
  const practice = idOption('practice', o.practice, false);
  const batchSize = intOption('batch-size', o['batch-size'], 500, 1, 100_000);
  return withMaintenance(o.data ?? './data', async ({ db }, vault) => {
    let last = '';
    const results = await rotateKeys(db, vault, {
      ...(practice ? { practiceIds: [practice] } : {}),
      ...(o.purpose ? { purposes: [o.purpose as SealPurpose] } : {}),
      batchSize,
      onProgress: (p) => {
        const head = `${p.practiceId} ${p.purpose}`;
        if (head !== last) say(`keys: ${p.resumed ? 'resuming' : 'rotating'} ${head} to version ${p.toVersion}`);
        last = head;
        say(`keys: ${head}: ${p.rewrapped} data keys rewrapped`);
      },
    });
    say(`keys: rotation done (${results.length} key${results.length === 1 ? '' : 's'}, ${results.reduce((n, r) => n + r.rewrapped, 0)} data keys rewrapped)`);
    return 0;
  });
}

/**
 * medvault keys seal [--data DIR] [--practice ID] [--batch-size N] [--beacon-bits N] [--no-vacuum]:
 * seals what an older medvault stored in clear, then rewrites the tables.
 */
export async function keysSeal(args: string[], say: Say): Promise<number> {
  const o = parseOptions(args, {
    data: { type: 'string' },
    practice: { type: 'string' },
    'batch-size': { type: 'string' },
    'beacon-bits': { type: 'string' },
    'no-vacuum': { type: 'boolean' },
  });
  const practice = idOption('practice', o.practice, false);
  const batchSize = intOption('batch-size', o['batch-size'], 500, 1, 100_000);
  const bits = o['beacon-bits'] === undefined ? undefined : intOption('beacon-bits', o['beacon-bits'], 16, BEACON_BITS_MIN, BEACON_BITS_MAX);
  return withMaintenance(o.data ?? './data', async ({ db, driver }, vault) => {
    const t0 = Date.now();
    let last = 0;
    const results = await sealClearIdentities(db, vault, {
      ...(practice ? { practiceIds: [practice] } : {}),
      batchSize,
      ...(bits !== undefined ? { beaconBits: bits } : {}),
      onProgress: (p) => {
        if (Date.now() - last < 1000) return;
        last = Date.now();
        say(`keys: sealing ${p.practiceId}: ${p.patients} patients, ${p.notes} notes`);
      },
    }).catch((e: unknown) => {
      if (e instanceof BeaconLengthError) throw new CliError(`keys: --beacon-bits ${bits}: ${e.message}`);
      throw e;
    });
    const patients = results.reduce((n, r) => n + r.patients, 0);
    const notes = results.reduce((n, r) => n + r.notes, 0);
    say(`keys: sealed ${patients} patient identities and ${notes} note label lists in ${results.length} practice${results.length === 1 ? '' : 's'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    if (o['no-vacuum'] !== true) {
      // PostgreSQL keeps the old row versions in the table's pages until they are rewritten.
      // ANALYZE too: the planner's statistics (pg_statistic) held the clear columns' most common values.
      await driver.maintenance('VACUUM (FULL, ANALYZE) admin.patients, clinical.notes, admin.patient_beacons, admin.users');
      await driver.maintenance('CHECKPOINT');
      say('keys: tables rewritten (VACUUM FULL): no clear copy is left in them; older WAL segments and backups still hold one (docs/encryption.md)');
    }
    return 0;
  });
}

/**
 * medvault keys check [--data DIR]: the key files' permissions and state, keys missing for an
 * initialised database, and the audit key against the signed log — without starting. Exit 0 if all
 * is well, 1 with a line per problem (and the command that fixes it) otherwise.
 */
export async function keysCheck(args: string[], say: Say): Promise<number> {
  const o = parseOptions(args, { data: { type: 'string' } });
  const dataDir = resolve(o.data ?? './data');
  const provider = process.env.MEDVAULT_KEY_PROVIDER === 'pkcs11' ? 'pkcs11' : 'local';
  const dir = keysDir(dataDir);
  if (!existsSync(dir)) throw new CliError(`no medvault keys in ${dataDir} (see --data)`);
  const location = storeLocation(dataDir, process.env.DATABASE_URL);
  const findings = [...checkKeyFiles(dir, provider), ...((await databaseInitialised(location)) ? missingKeys(dir, provider) : [])];
  if (findings.length === 0) {
    const audit = join(dir, KEY_FILES.audit);
    const mismatch = await withMaintenance(dataDir, async ({ db }) => {
      const last = (await signedWith(db)) ?? macRecordKeyId(join(dataDir, 'audit', 'audit-mac.json'));
      const mine = existsSync(audit) ? keyIdOf(readAuditPublicKey(audit)) : null;
      return last !== null && last !== mine ? { file: audit, problem: `is not the key that signed the audit log (key id ${last}, this one ${mine ?? 'none'}): restore it from the backup` } : null;
    });
    if (mismatch) findings.push(mismatch);
  }
  for (const f of findings) process.stderr.write(`medvault: keys: ${describeFinding(f)}\n`);
  if (findings.length > 0) return 1;
  say(`keys: ${dir} holds every key this medvault uses, none open to others, none damaged`);
  return 0;
}

/** medvault keys status [--data DIR] */
export async function keysStatus(args: string[], say: Say): Promise<number> {
  const o = parseOptions(args, { data: { type: 'string' } });
  return withMaintenance(o.data ?? './data', async ({ db }, vault) => {
    say(`key provider: ${vault.provider.kind}`);
    for (const l of await keyStatus(db, vault)) {
      const job = l.rotation
        ? l.rotation.status === 'running'
          ? `rotation to v${l.rotation.toVersion} running (${l.rotation.rewrapped} rewrapped)`
          : `last rotation to v${l.rotation.toVersion} done ${l.rotation.finishedAt?.toISOString() ?? ''}`
        : 'never rotated';
      say(`${l.practiceId} ${l.purpose.padEnd(8)} active v${l.activeVersion}  ${l.total - l.behind}/${l.total} sealed values on it  ${job}`);
    }
    return 0;
  });
}

/** medvault patient shred --practice ID --patient ID --reason TEXT [--force] [--data DIR] */
export async function patientShred(args: string[], say: Say): Promise<number> {
  const o = parseOptions(args, {
    data: { type: 'string' },
    practice: { type: 'string' },
    patient: { type: 'string' },
    reason: { type: 'string' },
    force: { type: 'boolean' },
  });
  const practiceId = idOption('practice', o.practice, true) as string;
  const patientId = idOption('patient', o.patient, true) as string;
  if (!o.reason || o.reason.trim().length < 3) throw new CliError('--reason is required (it is recorded in the audit log)', EXIT_USAGE);
  return withMaintenance(o.data ?? './data', async ({ db }, vault) => {
    try {
      const r = await shredPatient(db, vault, {
        practiceId, patientId, reason: o.reason as string, force: o.force === true, actor: userInfo().username, now: new Date(),
      });
      say(`patient ${patientId} shredded${r.forced ? ` (forced: retention ran until ${r.retentionEnds})` : ''}; audited`);
      say(`key epoch closed: ${r.epoch.rewrapped} patient keys of the practice now under key version ${r.epoch.toVersion}; destroyed version${r.epoch.destroyed.length === 1 ? '' : 's'} ${r.epoch.destroyed.join(', ') || '(none)'} — no database backup can open the shredded key`);
      return 0;
    } catch (e) {
      if (e instanceof ShredRefused) throw new CliError(`shred refused: ${e.message}`);
      throw e;
    }
  });
}
