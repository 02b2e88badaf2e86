/**
 * Padmé (Nikitin, Barman, Lueks, Underwood, Hubaux, Ford: "Reducing Metadata Leakage from Encrypted
 * Files and Communication with PURBs", PETS 2019, §4): the length a document is padded to before it
 * is sealed. A sealed value's length is in clear; padded, it shows a size class: the length's
 * exponent and its top bits, O(log log L) bits of it, for at most 12 % more bytes (3.1 % from a
 * mebibyte on). The true size is sealed with the document's description.
 */
export function padmeLength(length: number): number {
  if (!Number.isSafeInteger(length) || length < 0 || length >= 2 ** 31) throw new RangeError('a length from 0 to 2^31 - 1');
  if (length < 2) return length;
  const e = 31 - Math.clz32(length); // floor(log2 L)
  const s = 32 - Math.clz32(e); // floor(log2 E) + 1
  const step = 2 ** (e - s);
  return Math.ceil(length / step) * step;
}

/** The bytes followed by zeros up to their Padmé length. */
export function padded(bytes: Uint8Array): Buffer {
  const out = Buffer.alloc(padmeLength(bytes.length));
  out.set(bytes);
  return out;
}
