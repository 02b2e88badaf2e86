import type { KeyObject } from 'node:crypto';
import { chainHash, GENESIS } from './chain.js';
import { MerkleFrontier } from './merkle.js';
import type { AuditRow } from './rows.js';
import { verifyTreeHead } from './signing.js';

export interface TreeHead {
  readonly treeSize: number;
  readonly rootHash: Buffer;
  readonly signedAt: Date;
  readonly keyId: string;
  readonly signature: Buffer;
  /** Where it was read from: the database, or the file kept outside it. */
  readonly source: 'database' | 'file';
}

export type VerifyProblem =
  | { kind: 'chain'; seq: number; id: string; detail: string }
  | { kind: 'head'; treeSize: number; source: TreeHead['source']; detail: string };

export interface VerifyResult {
  readonly ok: boolean;
  readonly events: number;
  readonly heads: number;
  readonly problem: VerifyProblem | null;
}

/**
 * Checks the whole log: every event's hash recomputed from its content and its predecessor's
 * hash (an edited, deleted, inserted or reordered row breaks it at that row), then every signed
 * tree head — from the database and from the file outside it — against the tree recomputed over
 * the events, and its Ed25519 signature. A head the database lost, or one that differs between
 * the two places, is reported too.
 */
export async function verifyAuditLog(
  rows: AsyncIterable<AuditRow> | Iterable<AuditRow>,
  heads: readonly TreeHead[],
  publicKey: KeyObject,
  onProgress?: (events: number) => void,
  /** The chain's recorded end (meta.audit_head): catches events removed after the last head. */
  liveHead?: { count: number; hash: Buffer },
): Promise<VerifyResult> {
  const bySize = new Map<number, TreeHead[]>();
  for (const h of heads) bySize.set(h.treeSize, [...(bySize.get(h.treeSize) ?? []), h]);
  for (const [size, hs] of bySize) {
    for (const h of hs) {
      if (!verifyTreeHead(publicKey, h.treeSize, h.rootHash, h.signedAt, h.signature)) {
        return { ok: false, events: 0, heads: heads.length, problem: { kind: 'head', treeSize: size, source: h.source, detail: 'bad signature' } };
      }
    }
    const roots = new Set(hs.map((h) => h.rootHash.toString('hex')));
    if (roots.size > 1) return { ok: false, events: 0, heads: heads.length, problem: { kind: 'head', treeSize: size, source: 'database', detail: 'the database and the file disagree' } };
  }
  const fileSizes = new Set(heads.filter((h) => h.source === 'file').map((h) => h.treeSize));
  const dbSizes = new Set(heads.filter((h) => h.source === 'database').map((h) => h.treeSize));
  for (const s of fileSizes) {
    if (!dbSizes.has(s)) return { ok: false, events: 0, heads: heads.length, problem: { kind: 'head', treeSize: s, source: 'database', detail: 'a signed head is missing from the database' } };
  }

  const tree = new MerkleFrontier();
  let prev: Buffer = GENESIS;
  let n = 0;
  let lastSeq = 0;
  const check = (size: number): VerifyProblem | null => {
    for (const h of bySize.get(size) ?? []) {
      if (!tree.root().equals(h.rootHash)) return { kind: 'head', treeSize: size, source: h.source, detail: 'the events no longer hash to the signed root' };
    }
    return null;
  };
  for await (const row of rows) {
    const bad = (detail: string): VerifyResult => ({ ok: false, events: n, heads: heads.length, problem: { kind: 'chain', seq: row.seq, id: row.id, detail } });
    if (row.seq <= lastSeq) return bad('out of sequence order');
    if (row.prevHash === null || row.hash === null) return bad('is not in the chain (added after its place was passed, or never chained)');
    if (!row.prevHash.equals(prev)) return bad('does not follow the previous event (a row before it was removed, inserted or moved)');
    if (!chainHash(prev, row).equals(row.hash)) return bad('its content does not match its hash (edited)');
    prev = row.hash;
    lastSeq = row.seq;
    tree.push(row.hash);
    n++;
    const p = check(n);
    if (p) return { ok: false, events: n, heads: heads.length, problem: p };
    if (onProgress && n % 10_000 === 0) onProgress(n);
  }
  const beyond = [...bySize.keys()].filter((s) => s > n);
  if (beyond.length > 0) {
    return { ok: false, events: n, heads: heads.length, problem: { kind: 'head', treeSize: Math.min(...beyond), source: 'database', detail: `signed for ${Math.min(...beyond)} events, the log holds ${n}: events were removed at the end` } };
  }
  if (liveHead && (liveHead.count !== n || !liveHead.hash.equals(prev))) {
    return { ok: false, events: n, heads: heads.length, problem: { kind: 'head', treeSize: liveHead.count, source: 'database', detail: `the chain's recorded end is ${liveHead.count} events, the log holds ${n}` } };
  }
  onProgress?.(n);
  return { ok: true, events: n, heads: heads.length, problem: null };
}

export function describeProblem(p: VerifyProblem): string {
  return p.kind === 'chain'
    ? `event #${p.seq} (${p.id}) ${p.detail}`
    : `tree head at ${p.treeSize} events (${p.source}): ${p.detail}`;
}
