import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_ROOT, leafHash, merkleRoot, MerkleFrontier, nodeHash } from './merkle.js';

describe('RFC 9162 tree hashes', () => {
  it('matches the definition on small trees', () => {
    const [a, b, c] = ['a', 'b', 'c'].map((s) => Buffer.from(s));
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe(createHash('sha256').update(Buffer.from([0])).digest('hex'));
    expect(merkleRoot([a!, b!, c!]).equals(nodeHash(nodeHash(leafHash(a!), leafHash(b!)), leafHash(c!)))).toBe(true);
  });

  it('gives the same root incrementally as by the recursive definition, for every size', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 8 }), { maxLength: 70 }), (items) => {
        const f = new MerkleFrontier();
        const leaves = items.map((x) => Buffer.from(x));
        leaves.forEach((l, i) => {
          f.push(l);
          expect(f.root().equals(merkleRoot(leaves.slice(0, i + 1)))).toBe(true);
        });
        expect(f.size).toBe(leaves.length);
      }),
      { numRuns: 200 },
    );
  });
});
