/**
 * Known clients: the clients an account has used, and which of them the user (from a
 * client already approved, with a fresh second factor) or a security officer approved. A thief
 * holding the password and the second factor logs in from a client of his own: until it is
 * approved, the calendar does not explain what it reads. A client is its DPoP key's thumbprint
 * (the web app: a non-extractable key) or, for bearer clients, its user agent's fingerprint and
 * the network it logged in from. A practice may require DPoP, except for the bearer clients an
 * account has approved.
 */
export const sql = `
CREATE TABLE admin.clients (
  practice_id  uuid REFERENCES admin.practices (id),
  user_id      uuid NOT NULL REFERENCES admin.users (id),
  client       text NOT NULL CHECK (length(client) BETWEEN 1 AND 120),
  label        text,
  first_seen   timestamptz NOT NULL,
  last_seen    timestamptz NOT NULL,
  approved_at  timestamptz,
  approved_by  uuid,
  approved_via text CHECK (approved_via IN ('first', 'user', 'officer')),
  PRIMARY KEY (user_id, client)
);
ALTER TABLE admin.sessions ADD COLUMN client text;
ALTER TABLE admin.practices ADD COLUMN dpop_required boolean NOT NULL DEFAULT false;

GRANT SELECT, INSERT, UPDATE ON admin.clients TO medvault_platform;
GRANT SELECT ON admin.clients TO medvault_security_reader, medvault_admin;
ALTER TABLE admin.clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.clients FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.clients TO medvault_admin, medvault_platform, medvault_security_reader
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());
CREATE POLICY platform ON admin.clients TO medvault_platform, medvault_security_reader
  USING (meta.platform_scope()) WITH CHECK (meta.platform_scope());
`;
