import type { KeyObject } from 'node:crypto';
import { chainHash, eventMac, GENESIS } from './chain.js';
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
  /** Events chained and verified. */
  readonly events: number;
  readonly heads: number;
  readonly problem: VerifyProblem | null;
  /** Events at the end not chained yet, each authenticated by its MAC (the chainer runs behind the requests). */
  readonly pending: number;
  /** Heads signed over a wrong root (the overlapping-checkpoint bug) and corrected by a signed correction. */
  readonly corrected: number;
}

/** A signed correction of a tree head whose root did not match its events (`medvault audit repair`). */
export interface HeadCorrection {
  readonly treeSize: number;
  readonly wrongRoot: Buffer;
  readonly rootHash: Buffer;
  readonly signedAt: Date;
  readonly keyId: string;
  readonly signature: Buffer;
}

/** How events are authenticated: the audit key, and from which sequence number every event must carry a MAC. */
export interface EventIntegrity {
  readonly key: Buffer | null;
  readonly sinceSeq: number | null;
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
  integrity: EventIntegrity = { key: null, sinceSeq: null },
  corrections: readonly HeadCorrection[] = [],
): Promise<VerifyResult> {
  const fail = (events: number, problem: VerifyProblem): VerifyResult => ({ ok: false, events, heads: heads.length, problem, pending: 0, corrected: 0 });
  const bySize = new Map<number, TreeHead[]>();
  for (const h of heads) bySize.set(h.treeSize, [...(bySize.get(h.treeSize) ?? []), h]);
  const correction = new Map<number, HeadCorrection>();
  for (const c of corrections) {
    if (!verifyTreeHead(publicKey, c.treeSize, c.rootHash, c.signedAt, c.signature)) return fail(0, { kind: 'head', treeSize: c.treeSize, source: 'database', detail: 'a head correction has a bad signature' });
    correction.set(c.treeSize, c);
  }
  for (const [size, hs] of bySize) {
    for (const h of hs) {
      if (!verifyTreeHead(publicKey, h.treeSize, h.rootHash, h.signedAt, h.signature)) return fail(0, { kind: 'head', treeSize: size, source: h.source, detail: 'bad signature' });
    }
    const roots = new Set(hs.map((h) => h.rootHash.toString('hex')));
    if (roots.size > 1) return fail(0, { kind: 'head', treeSize: size, source: 'database', detail: 'the database and the file disagree' });
  }
  const fileSizes = new Set(heads.filter((h) => h.source === 'file').map((h) => h.treeSize));
  const dbSizes = new Set(heads.filter((h) => h.source === 'database').map((h) => h.treeSize));
  for (const s of fileSizes) {
    if (!dbSizes.has(s)) return fail(0, { kind: 'head', treeSize: s, source: 'database', detail: 'a signed head is missing from the database' });
  }

  const tree = new MerkleFrontier();
  let prev: Buffer = GENESIS;
  let n = 0;
  let lastSeq = 0;
  let pending = 0;
  let corrected = 0;
  const check = (size: number): VerifyProblem | null => {
    const c = correction.get(size);
    for (const h of bySize.get(size) ?? []) {
      if (tree.root().equals(h.rootHash)) continue;
      // A head signed over a wrong root stands corrected only by a signed correction naming that
      // very root and carrying the root the events give.
      if (c && c.wrongRoot.equals(h.rootHash) && c.rootHash.equals(tree.root())) continue;
      return { kind: 'head', treeSize: size, source: h.source, detail: 'the events no longer hash to the signed root' };
    }
    if (c) {
      if (!c.rootHash.equals(tree.root())) return { kind: 'head', treeSize: size, source: 'database', detail: 'a head correction does not match the events' };
      corrected++;
    }
    return null;
  };
  for await (const row of rows) {
    const bad = (detail: string): VerifyResult => fail(n, { kind: 'chain', seq: row.seq, id: row.id, detail });
    if (row.seq <= lastSeq) return bad('out of sequence order');
    lastSeq = row.seq;
    // Authenticated when written: a row inserted behind the server's back has no valid MAC.
    if (integrity.key !== null && (row.mac !== null || (integrity.sinceSeq !== null && row.seq >= integrity.sinceSeq))) {
      if (row.mac === null) return bad('carries no MAC: it was not written by medvault');
      if (!eventMac(integrity.key, row).equals(row.mac)) return bad('its MAC does not verify: it was not written by medvault, or was edited');
    }
    if (row.prevHash === null || row.hash === null) {
      // Not chained yet: fine at the end of the log if it is authenticated (the chainer follows the
      // requests); anything unauthenticated, or followed by a chained row, is not.
      if (integrity.key === null) return bad('is not in the chain, and without the audit key it cannot be authenticated');
      pending++;
      continue;
    }
    if (pending > 0) return bad('is chained after events that are not (they were added after their place was passed)');
    if (!row.prevHash.equals(prev)) return bad('does not follow the previous event (a row before it was removed, inserted or moved)');
    if (!chainHash(prev, row).equals(row.hash)) return bad('its content does not match its hash (edited)');
    prev = row.hash;
    tree.push(row.hash);
    n++;
    const p = check(n);
    if (p) return fail(n, p);
    if (onProgress && n % 10_000 === 0) onProgress(n);
  }
  const beyond = [...bySize.keys()].filter((s) => s > n);
  if (beyond.length > 0) {
    return fail(n, { kind: 'head', treeSize: Math.min(...beyond), source: 'database', detail: `signed for ${Math.min(...beyond)} events, the log holds ${n}: events were removed at the end` });
  }
  if (liveHead && (liveHead.count !== n || !liveHead.hash.equals(prev))) {
    return fail(n, { kind: 'head', treeSize: liveHead.count, source: 'database', detail: `the chain's recorded end is ${liveHead.count} events, the log holds ${n}` });
  }
  onProgress?.(n);
  return { ok: true, events: n, heads: heads.length, problem: null, pending, corrected };
}

export function describeProblem(p: VerifyProblem): string {
  return p.kind === 'chain'
    ? `event #${p.seq} (${p.id}) ${p.detail}`
    : `tree head at ${p.treeSize} events (${p.source}): ${p.detail}`;
}
