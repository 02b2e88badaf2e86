import { randomUUID } from 'node:crypto';
import { appendFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { auditKey, auditRows, chainHash, describeProblem, eventIntegrity, eventMac, GENESIS, MerkleFrontier, readCorrections, readDatabaseHeads, readHeadsFile, verifyAuditLog } from '../audit/index.js';
import { loadAuditSigner, readAuditPublicKey, treeHeadMessage } from '../audit/signing.js';
import { appendAuditEvents } from '../store/index.js';
import { AuditLog } from '../store/audit-log.js';
import { CliError } from './errors.js';
import { withMaintenance } from './maintenance.js';
import { parseOptions } from './options.js';
import { progress } from './progress.js';

export const headsFileOf = (dataDir: string) => join(dataDir, 'audit', 'tree-heads.jsonl');
export const auditKeyOf = (keysDir: string) => join(keysDir, 'audit-signing.pem');
export const correctionsFileOf = (dataDir: string) => join(dataDir, 'audit', 'tree-head-corrections.jsonl');
/** The signed record of when event MACs began (outside the database). */
export const macRecordOf = (dataDir: string) => join(dataDir, 'audit', 'audit-mac.json');

/** The data folder and its audit signing key of an audit command (`--data DIR`), or a one-line error. */
function auditFolder(args: string[]): { dataDir: string; keyPath: string } {
  const o = parseOptions(args, { data: { type: 'string' } });
  const dataDir = resolve(o.data ?? './data');
  const keyPath = auditKeyOf(join(dataDir, 'keys'));
  if (!existsSync(keyPath)) throw new CliError(`no audit signing key in ${join(dataDir, 'keys')} (see --data)`);
  return { dataDir, keyPath };
}

/**
 * medvault audit verify [--data DIR]: exit 0 if the whole log verifies, else 1 naming the first bad
 * event. Read-only: it never links, writes or repairs. Events at the end that the
 * chainer has not linked yet are reported as pending when their MACs hold; a row without a valid
 * MAC is named, chained or not.
 */
export async function auditVerify(args: string[], say: (line: string) => void): Promise<number> {
  const { dataDir, keyPath } = auditFolder(args);
  return withMaintenance(dataDir, async ({ db }, vault) => {
    const publicKey = readAuditPublicKey(keyPath);
    const heads = [...(await readDatabaseHeads(db)), ...readHeadsFile(headsFileOf(dataDir))];
    const corrections = await readCorrections(db);
    let integrity;
    try {
      integrity = await eventIntegrity(db, await auditKey(vault.provider, false), { file: macRecordOf(dataDir), publicKey });
    } catch (e) {
      process.stderr.write(`medvault: audit: verification FAILED: ${(e as Error).message}\n`);
      return 1;
    }
    const scope = { role: 'securityReader', practiceId: null, platform: true } as const;
    const live = await db.transaction(scope, (tx) => new AuditLog(tx).totals());
    const bar = progress('audit events');
    // One read-only transaction for the whole walk: a consistent snapshot of the log.
    const result = await db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) =>
      verifyAuditLog(auditRows(tx.query.bind(tx)), heads, publicKey, (n) => bar.update(n, live.n), { count: Number(live.count), hash: live.hash }, integrity, corrections),
    );
    bar.stop();
    if (!result.ok) {
      process.stderr.write(`medvault: audit: verification FAILED at ${describeProblem(result.problem!)}\n`);
      return 1;
    }
    const sizes = new Set(heads.map((h) => h.treeSize)).size;
    const extra = [
      result.pending > 0 ? `${result.pending} newer events not chained yet, each authenticated by its MAC` : '',
      result.corrected > 0 ? `${result.corrected} heads corrected by signed corrections` : '',
    ].filter(Boolean);
    say(`audit: ${result.events} events and ${sizes} signed tree heads verify (${heads.length} copies: database and file)${extra.length > 0 ? `; ${extra.join('; ')}` : ''}`);
    return 0;
  });
}

/**
 * medvault audit repair [--data DIR]: for tree heads signed over a wrong root (the overlapping
 * checkpoint bug), re-derives the root from the chain — whose every event still verifies — and
 * records a signed correction (database and file), audited. Nothing is rewritten; a log whose chain
 * does not verify is not repaired.
 */
export async function auditRepair(args: string[], say: (line: string) => void): Promise<number> {
  const { dataDir, keyPath } = auditFolder(args);
  return withMaintenance(dataDir, async ({ db }, vault) => {
    const signer = loadAuditSigner(keyPath);
    const heads = [...(await readDatabaseHeads(db)), ...readHeadsFile(headsFileOf(dataDir))];
    const done = new Set((await readCorrections(db)).map((c) => c.treeSize));
    const integrity = await eventIntegrity(db, await auditKey(vault.provider, false), { file: macRecordOf(dataDir), publicKey: signer.publicKey }).catch((e: unknown) => {
      throw new CliError(`audit: ${(e as Error).message}`);
    });
    const bySize = new Map<number, Buffer[]>();
    for (const h of heads) bySize.set(h.treeSize, [...(bySize.get(h.treeSize) ?? []), h.rootHash]);
    const fixes = await db.transaction({ role: 'securityReader', practiceId: null, platform: true }, async (tx) => {
      const tree = new MerkleFrontier();
      let prev: Buffer = GENESIS;
      const out: { size: number; wrong: Buffer; root: Buffer }[] = [];
      for await (const row of auditRows(tx.query.bind(tx))) {
        if (row.prevHash === null || row.hash === null) break;
        if (!row.prevHash.equals(prev) || !chainHash(prev, row).equals(row.hash)) throw new CliError(`audit: event #${row.seq} does not verify in the chain: the log is not repaired (run medvault audit verify)`);
        if (integrity.key !== null && row.mac !== null && !eventMac(integrity.key, row).equals(row.mac)) throw new CliError(`audit: event #${row.seq} has a MAC that does not verify: the log is not repaired`);
        prev = row.hash;
        tree.push(row.hash);
        for (const wrong of bySize.get(tree.size) ?? []) {
          if (!wrong.equals(tree.root()) && !done.has(tree.size) && !out.some((x) => x.size === tree.size)) out.push({ size: tree.size, wrong, root: tree.root() });
        }
      }
      return out;
    });
    if (fixes.length === 0) {
      say('audit: every signed tree head matches its events; nothing to repair');
      return 0;
    }
    const at = new Date();
    await db.transaction({ role: 'auditWriter', practiceId: null, platform: true }, async (tx) => {
      for (const f of fixes) {
        const signature = signer.sign(treeHeadMessage(f.size, f.root, at));
        await new AuditLog(tx).addHeadCorrection(
          { treeSize: f.size, wrongRoot: f.wrong, rootHash: f.root, signedAt: at, keyId: signer.keyId, signature },
          'signed over a wrong root (overlapping checkpoints): root re-derived from the chain',
        );
        appendFileSync(correctionsFileOf(dataDir), JSON.stringify({ treeSize: f.size, wrongRoot: f.wrong.toString('hex'), rootHash: f.root.toString('hex'), signedAt: at.toISOString(), keyId: signer.keyId, signature: signature.toString('base64') }) + '\n', { mode: 0o600 });
      }
      await appendAuditEvents(tx, [{
        id: randomUUID(), at, practiceId: null, userId: null, role: 'operator', sessionId: null, sourceIp: null, action: 'audit.repair', resourceType: null, resourceId: null,
        patientId: null, segment: 'audit', labels: [], purpose: 'security', outcome: 'success', reason: `${fixes.length} tree heads corrected`, detail: { treeSizes: fixes.map((f) => f.size) },
      }]);
    });
    say(`audit: ${fixes.length} tree head${fixes.length === 1 ? '' : 's'} corrected (${fixes.map((f) => f.size).join(', ')} events); signed corrections recorded in the database and ${correctionsFileOf(dataDir)}`);
    return 0;
  });
}
