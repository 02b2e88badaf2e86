import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runs } from './needs.js';

export const SOFTHSM_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

/** Whether Debian's softhsm2 is installed. CI installs it; a developer's machine may not have it. */
export const softhsmAvailable = runs('the PKCS#11 key provider', {
  files: [{ path: SOFTHSM_MODULE, install: 'apt-get install softhsm2' }],
});

/**
 * A fresh SoftHSM2 token in a folder of its own. SOFTHSM2_CONF must be set before the module
 * is loaded, so the returned env is for the process that loads it (this one, or a child).
 */
export function createToken(label = 'medvault-test', pin = '123456'): { env: Record<string, string>; pin: string; label: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'softhsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { SOFTHSM2_CONF: conf };
  execFileSync('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', '0000000'], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  return { env, pin, label, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
