import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { integrityError } from './errors.js';

/**
 * The sealed-value envelope, format 1 (docs/encryption.md):
 *
 *   "MV" | format=1 | suite=1 | purpose | kekVersion u32 | wrappedLen u16 | wrappedKey
 *   | messageId[32] | commitment[32] | iv[12] | tag[16] | ciphertext
 *
 * Suite 1: AES-256-GCM, keys derived with HKDF-SHA-256 from the record's data key and the
 * patient's erasure key, with a key commitment in the manner of the AWS Encryption SDK's
 * committing suites: a second HKDF output is stored and compared before decryption, so one
 * ciphertext can never open to two plaintexts under two keys.
 *
 * The body's associated data binds it to its place (practice, patient, record, field) and to
 * the envelope's own fixed fields; the wrapped key and its KEK version are outside it, so that
 * rotation can rewrap without touching the body, and are protected by the wrapping itself.
 */
export const FORMAT = 1;
export const SUITE_AES256GCM_HKDF_COMMIT = 1;
const MAGIC = Buffer.from('MV', 'ascii');
const HEADER = 2 + 1 + 1 + 1 + 4 + 2;

export type SealPurpose = 'admin' | 'clinical';
const PURPOSE_CODE: Record<SealPurpose, number> = { admin: 1, clinical: 2 };
const PURPOSE_BY_CODE = new Map(Object.entries(PURPOSE_CODE).map(([k, v]) => [v, k as SealPurpose]));

/** Where a sealed value lives. Identifiers only: the context must never hold personal data. */
export interface SealContext {
  readonly practiceId: string;
  readonly patientId: string | null;
  readonly recordId: string;
  readonly field: string;
}

export interface Envelope {
  readonly purpose: SealPurpose;
  readonly kekVersion: number;
  readonly wrappedKey: Buffer;
  readonly messageId: Buffer;
  readonly commitment: Buffer;
  readonly iv: Buffer;
  readonly tag: Buffer;
  readonly ciphertext: Buffer;
}

export function encodeEnvelope(e: Envelope): Buffer {
  const head = Buffer.alloc(HEADER);
  MAGIC.copy(head, 0);
  head[2] = FORMAT;
  head[3] = SUITE_AES256GCM_HKDF_COMMIT;
  head[4] = PURPOSE_CODE[e.purpose];
  head.writeUInt32BE(e.kekVersion, 5);
  head.writeUInt16BE(e.wrappedKey.length, 9);
  return Buffer.concat([head, e.wrappedKey, e.messageId, e.commitment, e.iv, e.tag, e.ciphertext]);
}

export function decodeEnvelope(buf: Buffer): Envelope {
  if (buf.length < HEADER + 32 + 32 + 12 + 16) throw integrityError();
  if (!buf.subarray(0, 2).equals(MAGIC) || buf[2] !== FORMAT || buf[3] !== SUITE_AES256GCM_HKDF_COMMIT) throw integrityError();
  const purpose = PURPOSE_BY_CODE.get(buf[4] as number);
  if (purpose === undefined) throw integrityError();
  const kekVersion = buf.readUInt32BE(5);
  const wl = buf.readUInt16BE(9);
  let o = HEADER;
  const take = (n: number) => {
    if (o + n > buf.length) throw integrityError();
    const s = buf.subarray(o, o + n);
    o += n;
    return s;
  };
  const wrappedKey = take(wl);
  const messageId = take(32);
  const commitment = take(32);
  const iv = take(12);
  const tag = take(16);
  return { purpose, kekVersion, wrappedKey, messageId, commitment, iv, tag, ciphertext: buf.subarray(o) };
}

/** Reads the KEK version of a sealed value without opening it (rotation, status). */
export function envelopeKekVersion(buf: Buffer): number {
  return decodeEnvelope(buf).kekVersion;
}

/** Length-prefixed concatenation: no two contexts serialise to the same bytes. */
function lp(...parts: (string | Buffer)[]): Buffer {
  const out: Buffer[] = [];
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p, 'utf8') : p;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    out.push(len, b);
  }
  return Buffer.concat(out);
}

function aad(purpose: SealPurpose, ctx: SealContext, messageId: Buffer, commitment: Buffer): Buffer {
  const fixed = Buffer.from([MAGIC[0] as number, MAGIC[1] as number, FORMAT, SUITE_AES256GCM_HKDF_COMMIT, PURPOSE_CODE[purpose]]);
  return Buffer.concat([fixed, lp(ctx.practiceId, ctx.patientId ?? '', ctx.recordId, ctx.field), messageId, commitment]);
}

/**
 * The record key and its commitment. The input key material is the record's data key followed
 * by the patient's erasure key: without the latter (shredded), neither can be derived.
 */
export function derive(dataKey: Buffer, patientKey: Buffer | null, messageId: Buffer): { key: Buffer; commitment: Buffer } {
  const ikm = patientKey === null ? dataKey : Buffer.concat([dataKey, patientKey]);
  // HKDF-SHA-256 (RFC 5869) with salt = messageId, for two 32-byte outputs: the extract step is the
  // same for both, so it runs once; an output of one hash length is expand's first block,
  // HMAC(PRK, info ‖ 0x01). Byte for byte what two hkdfSync calls give (envelope.test.ts), at a
  // third of their cost (each hkdfSync builds key objects and extracts again): two of these per
  // value opened, on every read.
  const prk = createHmac('sha256', messageId).update(ikm).digest();
  const key = createHmac('sha256', prk).update(DERIVE_INFO).digest();
  const commitment = createHmac('sha256', prk).update(COMMIT_INFO).digest();
  return { key, commitment };
}
const DERIVE_INFO = Buffer.from('medvault/v1/derive-key\x01', 'latin1');
const COMMIT_INFO = Buffer.from('medvault/v1/commit-key\x01', 'latin1');

/** Encrypts `plaintext` under a fresh data key's derived key; the caller wraps the data key. */
export function sealBody(
  purpose: SealPurpose,
  ctx: SealContext,
  dataKey: Buffer,
  patientKey: Buffer | null,
  plaintext: Buffer,
): Omit<Envelope, 'kekVersion' | 'wrappedKey'> {
  const messageId = randomBytes(32);
  const { key, commitment } = derive(dataKey, patientKey, messageId);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad(purpose, ctx, messageId, commitment));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { purpose, messageId, commitment, iv, tag: cipher.getAuthTag(), ciphertext };
}

/** Checks the commitment, then decrypts; any mismatch is an integrity error, never wrong plaintext. */
export function openBody(e: Envelope, ctx: SealContext, dataKey: Buffer, patientKey: Buffer | null): Buffer {
  const { key, commitment } = derive(dataKey, patientKey, e.messageId);
  if (!timingSafeEqual(commitment, e.commitment)) throw integrityError();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, e.iv, { authTagLength: 16 });
    decipher.setAAD(aad(e.purpose, ctx, e.messageId, e.commitment));
    decipher.setAuthTag(e.tag);
    return Buffer.concat([decipher.update(e.ciphertext), decipher.final()]);
  } catch {
    throw integrityError();
  }
}
