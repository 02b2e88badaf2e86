import { userInfo } from 'node:os';
import { isId } from '../domain/index.js';
import { keyStatus, rotateKeys, shredPatient, ShredRefused, type SealPurpose } from '../vault/index.js';
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
      return 0;
    } catch (e) {
      if (e instanceof ShredRefused) throw new CliError(`shred refused: ${e.message}`);
      throw e;
    }
  });
}
