/**
 * A practice admin's hand on the practice's clients: a client of an account is approved by two
 * admins of the practice (one asks, another confirms: one stolen admin account must not hand a
 * thief's client to a stolen doctor), or refused (its sessions end, and it leaves the list of
 * clients waiting). Requests expire; the admin role updates only the approval and refusal columns.
 */
export const sql = `
ALTER TABLE admin.clients DROP CONSTRAINT clients_approved_via_check;
ALTER TABLE admin.clients ADD CONSTRAINT clients_approved_via_check
  CHECK (approved_via IN ('first', 'user', 'officer', 'admin'));
ALTER TABLE admin.clients ADD COLUMN refused_at timestamptz;
ALTER TABLE admin.clients ADD COLUMN refused_by uuid;
GRANT UPDATE (approved_at, approved_by, approved_via, refused_at, refused_by) ON admin.clients TO medvault_admin;

CREATE TABLE admin.client_requests (
  practice_id uuid NOT NULL REFERENCES admin.practices (id),
  user_id     uuid NOT NULL REFERENCES admin.users (id),
  client      text NOT NULL CHECK (length(client) BETWEEN 1 AND 120),
  asked_by    uuid NOT NULL,
  asked_at    timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  PRIMARY KEY (user_id, client)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON admin.client_requests TO medvault_admin;
GRANT SELECT ON admin.client_requests TO medvault_security_reader;
ALTER TABLE admin.client_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.client_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.client_requests TO medvault_admin, medvault_security_reader
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());
CREATE POLICY platform ON admin.client_requests TO medvault_security_reader
  USING (meta.platform_scope());
`;
