/**
 * Tamper evidence for the audit log: each event carries the hash of the one before it (one chain
 * for the platform, in commit order), and signed tree heads checkpoint the log.
 */
export const sql = `
ALTER TABLE audit.events ADD COLUMN prev_hash bytea;
ALTER TABLE audit.events ADD COLUMN hash bytea;

-- The chain's current end. Appending takes this row's lock, so events chain in commit order.
CREATE TABLE meta.audit_head (
  id   boolean PRIMARY KEY DEFAULT true CHECK (id),
  seq  bigint NOT NULL,
  hash bytea NOT NULL
);
INSERT INTO meta.audit_head (seq, hash) VALUES (0, '\\x0000000000000000000000000000000000000000000000000000000000000000');
GRANT SELECT, UPDATE ON meta.audit_head TO medvault_audit_writer;
GRANT SELECT ON meta.audit_head TO medvault_security_reader;

-- Signed checkpoints (RFC 9162 tree heads over the events' chain hashes). Platform-wide: no
-- practice's data, so readable by the security reader in platform scope only.
CREATE TABLE audit.tree_heads (
  tree_size   bigint PRIMARY KEY,
  practice_id uuid CHECK (practice_id IS NULL),
  root_hash   bytea NOT NULL,
  signed_at   timestamptz NOT NULL,
  key_id      text NOT NULL,
  signature   bytea NOT NULL
);
GRANT SELECT, INSERT ON audit.tree_heads TO medvault_audit_writer;
GRANT SELECT ON audit.tree_heads TO medvault_security_reader;
ALTER TABLE audit.tree_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.tree_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY platform ON audit.tree_heads TO medvault_audit_writer, medvault_security_reader
  USING (practice_id IS NULL AND meta.platform_scope()) WITH CHECK (practice_id IS NULL AND meta.platform_scope());
CREATE TRIGGER tree_heads_append_only BEFORE UPDATE OR DELETE ON audit.tree_heads
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
`;
