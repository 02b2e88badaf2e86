/**
 * An audit log that never lies. Every event carries a MAC computed when it is written,
 * under a key derived from the key provider (never in the database): a row inserted behind the
 * server's back is named by `audit verify`, chained or not. `meta.audit_mac` records from which
 * sequence number on every event must carry one (events written before the upgrade have none).
 * Tree heads signed over wrong roots (the overlapping-checkpoint bug) are corrected by signed,
 * append-only corrections, never by rewriting.
 */
export const sql = `
ALTER TABLE audit.events ADD COLUMN mac bytea;

CREATE TABLE meta.audit_mac (
  id         boolean PRIMARY KEY DEFAULT true CHECK (id),
  since_seq  bigint NOT NULL,
  enabled_at timestamptz NOT NULL
);
GRANT SELECT ON meta.audit_mac TO medvault_audit_writer, medvault_security_reader, medvault_platform;
GRANT INSERT ON meta.audit_mac TO medvault_platform;
-- Set once; what it says is also signed in a file outside the database (DIR/audit/audit-mac.json),
-- which verification trusts over the row.
CREATE TRIGGER audit_mac_append_only BEFORE UPDATE OR DELETE ON meta.audit_mac
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();

CREATE TABLE audit.head_corrections (
  tree_size   bigint PRIMARY KEY,
  practice_id uuid CHECK (practice_id IS NULL),
  wrong_root  bytea NOT NULL,
  root_hash   bytea NOT NULL,
  signed_at   timestamptz NOT NULL,
  key_id      text NOT NULL,
  signature   bytea NOT NULL,
  reason      text NOT NULL
);
GRANT SELECT, INSERT ON audit.head_corrections TO medvault_audit_writer;
GRANT SELECT ON audit.head_corrections TO medvault_security_reader;
ALTER TABLE audit.head_corrections ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.head_corrections FORCE ROW LEVEL SECURITY;
CREATE POLICY platform ON audit.head_corrections TO medvault_audit_writer, medvault_security_reader
  USING (practice_id IS NULL AND meta.platform_scope()) WITH CHECK (practice_id IS NULL AND meta.platform_scope());
CREATE TRIGGER head_corrections_append_only BEFORE UPDATE OR DELETE ON audit.head_corrections
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
`;
