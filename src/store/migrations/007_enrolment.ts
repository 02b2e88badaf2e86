/**
 * Enrolment: nobody but the user sees the user's password or second-factor secret. A
 * practice admin creates an account `pending`, with a one-time, expiring enrolment link; the user
 * redeems it (sets the password, sets up the TOTP); a second person approves the account before
 * it can log in. Second-factor resets go through the same link. The link's token is kept hashed.
 */
export const sql = `
ALTER TABLE admin.users DROP CONSTRAINT users_status_check;
ALTER TABLE admin.users ADD CONSTRAINT users_status_check CHECK (status IN ('active', 'disabled', 'locked', 'pending'));
ALTER TABLE admin.users ADD COLUMN created_by uuid;
ALTER TABLE admin.users ADD COLUMN enrolled_at timestamptz;
ALTER TABLE admin.users ADD COLUMN approved_at timestamptz;
ALTER TABLE admin.users ADD COLUMN approved_by uuid;

CREATE TABLE admin.enrolments (
  id            uuid PRIMARY KEY,
  practice_id   uuid NOT NULL REFERENCES admin.practices (id),
  user_id       uuid NOT NULL,
  token_hash    bytea NOT NULL UNIQUE,
  purpose       text NOT NULL CHECK (purpose IN ('create', 'reset')),
  created_by    uuid NOT NULL,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  totp_sealed   bytea,
  redeemed_at   timestamptz,
  FOREIGN KEY (practice_id, user_id) REFERENCES admin.users (practice_id, id)
);
CREATE INDEX enrolments_by_user ON admin.enrolments (practice_id, user_id);

GRANT SELECT, INSERT, UPDATE ON admin.enrolments TO medvault_admin, medvault_platform;
GRANT SELECT ON admin.enrolments TO medvault_security_reader;
ALTER TABLE admin.enrolments ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.enrolments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.enrolments TO medvault_admin, medvault_platform, medvault_security_reader
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());
CREATE POLICY platform ON admin.enrolments TO medvault_platform, medvault_security_reader
  USING (meta.platform_scope()) WITH CHECK (meta.platform_scope());
`;
