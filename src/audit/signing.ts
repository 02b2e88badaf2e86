import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../vault/files.js';

/** The Ed25519 key that signs tree heads, kept with the other keys (DIR/keys/audit-signing.pem, 0600). */
export interface AuditSigner {
  readonly keyId: string;
  readonly publicKey: KeyObject;
  sign(message: Buffer): Buffer;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ format: 'der', type: 'spki' })).digest('base64url').slice(0, 16);
}

function signerFrom(privateKey: KeyObject): AuditSigner {
  const publicKey = createPublicKey(privateKey);
  return { keyId: keyIdOf(publicKey), publicKey, sign: (m) => sign(null, m, privateKey) };
}

/** Loads the signing key; a missing or unreadable file is an error naming it (never replaced). */
export function loadAuditSigner(path: string): AuditSigner {
  if (!existsSync(path)) throw new Error(`the audit signing key ${path} is missing`);
  try {
    return signerFrom(createPrivateKey(readFileSync(path, 'utf8')));
  } catch {
    throw new Error(`the audit signing key ${path} cannot be read (not an Ed25519 private key in PEM)`);
  }
}

/** The public half, for verification. */
export function readAuditPublicKey(path: string): KeyObject {
  return loadAuditSigner(path).publicKey;
}

export function loadOrCreateAuditSigner(path: string): AuditSigner {
  if (existsSync(path)) return signerFrom(createPrivateKey(readFileSync(path, 'utf8')));
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileAtomicSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }) as string);
  return signerFrom(privateKey);
}

export function newAuditSigner(): AuditSigner {
  return signerFrom(generateKeyPairSync('ed25519').privateKey);
}

/** What a tree head signs: "medvault-tree-head/v1|size|root hex|signed-at ISO". */
export function treeHeadMessage(size: number, root: Buffer, signedAt: Date): Buffer {
  return Buffer.from(`medvault-tree-head/v1|${size}|${root.toString('hex')}|${signedAt.toISOString()}`);
}

export function verifyTreeHead(publicKey: KeyObject, size: number, root: Buffer, signedAt: Date, signature: Buffer): boolean {
  try {
    return verify(null, treeHeadMessage(size, root, signedAt), publicKey, signature);
  } catch {
    return false;
  }
}
