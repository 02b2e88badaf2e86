import { hkdfSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derive } from './envelope.js';

/** The record key and its commitment are HKDF-SHA-256 outputs (RFC 5869): values sealed before must still open. */
describe('envelope key derivation', () => {
  it('gives byte for byte what HKDF-SHA-256 gives, with and without an erasure key', () => {
    const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n }).map((u) => Buffer.from(u));
    fc.assert(
      fc.property(bytes(32), fc.option(bytes(32), { nil: null }), bytes(32), (dataKey, patientKey, messageId) => {
        const ikm = patientKey === null ? dataKey : Buffer.concat([dataKey, patientKey]);
        const d = derive(dataKey, patientKey, messageId);
        expect(d.key).toEqual(Buffer.from(hkdfSync('sha256', ikm, messageId, 'medvault/v1/derive-key', 32)));
        expect(d.commitment).toEqual(Buffer.from(hkdfSync('sha256', ikm, messageId, 'medvault/v1/commit-key', 32)));
        expect(d.key.equals(d.commitment)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
