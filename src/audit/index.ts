export { canonicalEvent, chainHash, GENESIS, type ChainedEvent } from './chain.js';
export { leafHash, nodeHash, merkleRoot, MerkleFrontier, EMPTY_ROOT } from './merkle.js';
export { loadOrCreateAuditSigner, newAuditSigner, keyIdOf, verifyTreeHead, type AuditSigner } from './signing.js';
export { auditRows, toAuditRow, type AuditRow } from './rows.js';
export { verifyAuditLog, describeProblem, type TreeHead, type VerifyResult, type VerifyProblem } from './verify.js';
export { AuditCheckpointer, readHeadsFile, readDatabaseHeads } from './checkpoint.js';
export { AuditChainer } from './chainer.js';
export { AuditBatcher } from './batcher.js';
export { AuditStatus, type VerificationRecord } from './status.js';
