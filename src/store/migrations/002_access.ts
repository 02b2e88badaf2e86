/**
 * Access: server-side sessions (every access token is bound to one and dies with it), second
 * factor recovery codes, TOTP replay protection, and break-the-glass grants.
 */
export const sql = `
ALTER TABLE admin.users ADD COLUMN totp_last_step bigint;
ALTER TABLE admin.users ADD COLUMN must_reset_credentials boolean NOT NULL DEFAULT false;

CREATE TABLE admin.sessions (
  id                 uuid PRIMARY KEY,
  practice_id        uuid REFERENCES admin.practices (id),
  user_id            uuid NOT NULL REFERENCES admin.users (id),
  created_at         timestamptz NOT NULL,
  auth_time          timestamptz NOT NULL,
  amr                text[] NOT NULL,
  acr                text NOT NULL,
  scopes             text[] NOT NULL,
  expires_at         timestamptz NOT NULL,
  revoked_at         timestamptz,
  revoked_reason     text,
  refresh_hash       bytea NOT NULL,
  refresh_generation integer NOT NULL DEFAULT 0,
  source_ip          text,
  user_agent         text
);
CREATE INDEX sessions_by_user ON admin.sessions (user_id, created_at);

CREATE TABLE admin.recovery_codes (
  id          uuid PRIMARY KEY,
  practice_id uuid REFERENCES admin.practices (id),
  user_id     uuid NOT NULL REFERENCES admin.users (id),
  code_hash   bytea NOT NULL,
  used_at     timestamptz
);
CREATE INDEX recovery_by_user ON admin.recovery_codes (user_id);

-- A practitioner opening a patient without a care relationship, with a stated reason: granted
-- for a short time, flagged for review by the security officer.
CREATE TABLE admin.break_glass (
  id          uuid PRIMARY KEY,
  practice_id uuid NOT NULL REFERENCES admin.practices (id),
  user_id     uuid NOT NULL,
  patient_id  uuid NOT NULL,
  session_id  uuid NOT NULL,
  reason      text NOT NULL CHECK (length(reason) BETWEEN 10 AND 500),
  granted_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  reviewed_at timestamptz,
  reviewed_by uuid,
  FOREIGN KEY (practice_id, user_id) REFERENCES admin.users (practice_id, id),
  FOREIGN KEY (practice_id, patient_id) REFERENCES admin.patients (practice_id, id)
);
CREATE INDEX break_glass_active ON admin.break_glass (practice_id, user_id, patient_id, expires_at);

-- The login door (platform role, platform scope) reads accounts and keeps sessions; practice
-- admins see their practice's sessions to revoke them; security officers read everything here.
GRANT SELECT, INSERT, UPDATE ON admin.sessions, admin.recovery_codes TO medvault_platform;
GRANT SELECT, UPDATE ON admin.sessions TO medvault_admin;
GRANT SELECT, INSERT, DELETE ON admin.recovery_codes TO medvault_admin;
GRANT SELECT ON admin.sessions, admin.break_glass TO medvault_security_reader;
GRANT SELECT, INSERT ON admin.break_glass TO medvault_clinical;
GRANT UPDATE (reviewed_at, reviewed_by) ON admin.break_glass TO medvault_platform;
GRANT SELECT ON admin.break_glass TO medvault_platform;

ALTER TABLE admin.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.sessions TO medvault_admin, medvault_platform, medvault_security_reader
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());
CREATE POLICY platform ON admin.sessions TO medvault_platform, medvault_security_reader
  USING (meta.platform_scope()) WITH CHECK (meta.platform_scope());

ALTER TABLE admin.recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.recovery_codes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.recovery_codes TO medvault_admin, medvault_platform
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());
CREATE POLICY platform ON admin.recovery_codes TO medvault_platform
  USING (meta.platform_scope()) WITH CHECK (meta.platform_scope());

ALTER TABLE admin.break_glass ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.break_glass FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.break_glass TO medvault_clinical, medvault_platform, medvault_security_reader
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());
CREATE POLICY platform ON admin.break_glass TO medvault_platform, medvault_security_reader
  USING (meta.platform_scope()) WITH CHECK (meta.platform_scope());
`;
