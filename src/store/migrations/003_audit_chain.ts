/**
 * Tamper evidence for the audit log. Requests insert events without waiting for one another;
 * a chainer then links them, in sequence order, into a hash chain kept in audit.chain (one
 * chain for the platform), and signed tree heads checkpoint the chain.
 */
export const sql = `
-- The chain's end: the last sequence number chained, its hash, and how many events are chained.
CREATE TABLE meta.audit_head (
  id    boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq   bigint NOT NULL,
  count bigint NOT NULL,
  hash  bytea NOT NULL
);
INSERT INTO meta.audit_head (seq, count, hash) VALUES (0, 0, '\\x0000000000000000000000000000000000000000000000000000000000000000');
GRANT SELECT, UPDATE ON meta.audit_head TO medvault_audit_writer;
GRANT SELECT ON meta.audit_head TO medvault_security_reader;

-- One row per chained event: hash = SHA-256("medvault-audit/v1" ‖ previous hash ‖ canonical(event)).
-- Platform-wide (no practice's data): written by the audit writer, read in platform scope only.
CREATE TABLE audit.chain (
  seq         bigint PRIMARY KEY,
  practice_id uuid CHECK (practice_id IS NULL),
  prev_hash   bytea NOT NULL,
  hash        bytea NOT NULL
);

-- Signed checkpoints (RFC 9162 tree heads over the chain hashes).
CREATE TABLE audit.tree_heads (
  tree_size   bigint PRIMARY KEY,
  practice_id uuid CHECK (practice_id IS NULL),
  root_hash   bytea NOT NULL,
  signed_at   timestamptz NOT NULL,
  key_id      text NOT NULL,
  signature   bytea NOT NULL
);

GRANT SELECT, INSERT ON audit.chain, audit.tree_heads TO medvault_audit_writer;
GRANT SELECT ON audit.chain, audit.tree_heads TO medvault_security_reader;
ALTER TABLE audit.chain ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.chain FORCE ROW LEVEL SECURITY;
CREATE POLICY platform ON audit.chain TO medvault_audit_writer, medvault_security_reader
  USING (practice_id IS NULL AND meta.platform_scope()) WITH CHECK (practice_id IS NULL AND meta.platform_scope());
ALTER TABLE audit.tree_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.tree_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY platform ON audit.tree_heads TO medvault_audit_writer, medvault_security_reader
  USING (practice_id IS NULL AND meta.platform_scope()) WITH CHECK (practice_id IS NULL AND meta.platform_scope());
CREATE TRIGGER chain_append_only BEFORE UPDATE OR DELETE ON audit.chain
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER tree_heads_append_only BEFORE UPDATE OR DELETE ON audit.tree_heads
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
`;
