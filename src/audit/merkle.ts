import * as crypto from 'node:crypto';

/**
 * SHA-256 of the concatenation of parts: the one-shot crypto.hash where Node has it (20.12+,
 * several times cheaper for small inputs than a Hash object), createHash otherwise.
 */
type OneShot = (algorithm: string, data: Buffer, encoding: 'buffer') => Buffer;
const oneShot = (crypto as unknown as { hash?: OneShot }).hash;
export function sha256(...parts: Buffer[]): Buffer {
  if (oneShot) return oneShot('sha256', parts.length === 1 ? parts[0]! : Buffer.concat(parts), 'buffer');
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}

const LEAF = Buffer.from([0]);
const NODE = Buffer.from([1]);

/**
 * RFC 9162 Merkle tree hashes: leaf = SHA-256(0x00 ‖ d), node = SHA-256(0x01 ‖ left ‖ right);
 * the tree over n leaves splits at the largest power of two smaller than n (§2.1.1).
 */
export function leafHash(data: Buffer): Buffer {
  return sha256(LEAF, data);
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return sha256(NODE, left, right);
}

/** The empty tree's hash: SHA-256 of the empty string (RFC 9162 §2.1.1). */
export const EMPTY_ROOT = crypto.createHash('sha256').digest();

/**
 * An append-only tree kept as its frontier: the roots of its complete subtrees, largest first.
 * Appending is O(log n); the root is the frontier folded from the right, which equals the
 * RFC 9162 tree hash for any size.
 */
export class MerkleFrontier {
  private readonly nodes: { size: number; hash: Buffer }[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(data: Buffer): void {
    let node = { size: 1, hash: leafHash(data) };
    while (this.nodes.length > 0 && this.nodes[this.nodes.length - 1]!.size === node.size) {
      const left = this.nodes.pop()!;
      node = { size: left.size * 2, hash: nodeHash(left.hash, node.hash) };
    }
    this.nodes.push(node);
    this.count++;
  }

  root(): Buffer {
    if (this.nodes.length === 0) return EMPTY_ROOT;
    let acc = this.nodes[this.nodes.length - 1]!.hash;
    for (let i = this.nodes.length - 2; i >= 0; i--) acc = nodeHash(this.nodes[i]!.hash, acc);
    return acc;
  }
}

/** The tree hash of a whole list, by the RFC's recursive definition (for tests). */
export function merkleRoot(leaves: readonly Buffer[]): Buffer {
  if (leaves.length === 0) return EMPTY_ROOT;
  if (leaves.length === 1) return leafHash(leaves[0]!);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(merkleRoot(leaves.slice(0, k)), merkleRoot(leaves.slice(k)));
}
