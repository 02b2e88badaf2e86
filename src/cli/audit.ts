import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AuditChainer, auditRows, describeProblem, loadOrCreateAuditSigner, readDatabaseHeads, readHeadsFile, verifyAuditLog } from '../audit/index.js';
import { CliError } from './errors.js';
import { withMaintenance } from './maintenance.js';
import { parseOptions } from './options.js';
import { progress } from './progress.js';

export const headsFileOf = (dataDir: string) => join(dataDir, 'audit', 'tree-heads.jsonl');
export const auditKeyOf = (keysDir: string) => join(keysDir, 'audit-signing.pem');

/** medvault audit verify [--data DIR]: exit 0 if the whole log verifies, else 1 naming the first bad event. */
export async function auditVerify(args: string[], say: (line: string) => void): Promise<number> {
  const o = parseOptions(args, { data: { type: 'string' } });
  const dataDir = resolve(o.data ?? './data');
  const keyPath = auditKeyOf(join(dataDir, 'keys'));
  if (!existsSync(keyPath)) throw new CliError(`no audit signing key in ${join(dataDir, 'keys')} (see --data)`);
  return withMaintenance(dataDir, async ({ db }) => {
    const signer = loadOrCreateAuditSigner(keyPath);
    // Link what committed since the servers last did (holes left open longer than the grace are stepped over).
    await new AuditChainer(db).run();
    const heads = [...(await readDatabaseHeads(db)), ...readHeadsFile(headsFileOf(dataDir))];
    const total = await db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) =>
      tx.query<{ n: number; hash: Buffer; count: number }>('SELECT (SELECT count(*)::int FROM audit.events) n, h.hash, h.count FROM meta.audit_head h'),
    );
    const live = total.rows[0]!;
    const bar = progress('audit events');
    // One read-only transaction for the whole walk: a consistent snapshot of the log.
    const result = await db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) =>
      verifyAuditLog(auditRows(tx.query.bind(tx)), heads, signer.publicKey, (n) => bar.update(n, live.n), { count: Number(live.count), hash: live.hash }),
    );
    bar.stop();
    if (!result.ok) {
      process.stderr.write(`medvault: audit: verification FAILED at ${describeProblem(result.problem!)}\n`);
      return 1;
    }
    const sizes = new Set(heads.map((h) => h.treeSize)).size;
    say(`audit: ${result.events} events and ${sizes} signed tree heads verify (${heads.length} copies: database and file)`);
    return 0;
  });
}
