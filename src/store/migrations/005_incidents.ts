/**
 * The breach register (GDPR Art. 33(5)): every incident scoped, with what was asked, what was
 * found, and its timeline (detection, containment, notifications). Append-only: an incident and
 * its timeline entries are inserted, never updated or deleted, by the audit writer; the security
 * reader reads them. Incidents span practices: platform scope only.
 */
export const sql = `
CREATE TABLE audit.incidents (
  id          uuid PRIMARY KEY,
  created_at  timestamptz NOT NULL,
  created_by  uuid,
  kind        text NOT NULL CHECK (kind IN ('account-abuse', 'database-copy')),
  query       jsonb NOT NULL,
  summary     jsonb NOT NULL,
  scope       jsonb NOT NULL
);
CREATE TABLE audit.incident_timeline (
  incident_id uuid NOT NULL REFERENCES audit.incidents (id),
  seq         bigint GENERATED ALWAYS AS IDENTITY,
  at          timestamptz NOT NULL,
  event       text NOT NULL CHECK (event IN ('detected', 'scoped', 'contained', 'cnil-notified', 'patients-notified', 'practitioners-notified', 'closed', 'note')),
  by_user     uuid,
  detail      jsonb NOT NULL DEFAULT '{}'::jsonb,
  PRIMARY KEY (incident_id, seq)
);
CREATE INDEX incidents_by_time ON audit.incidents (created_at DESC);
-- Scoping by session (a stolen token) reads one range of this index.
CREATE INDEX audit_by_session ON audit.events (session_id, at) WHERE session_id IS NOT NULL;
GRANT SELECT, INSERT ON audit.incidents, audit.incident_timeline TO medvault_audit_writer;
GRANT SELECT ON audit.incidents, audit.incident_timeline TO medvault_security_reader;
ALTER TABLE audit.incidents ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.incidents FORCE ROW LEVEL SECURITY;
CREATE POLICY platform ON audit.incidents TO medvault_audit_writer, medvault_security_reader USING (meta.platform_scope()) WITH CHECK (meta.platform_scope());
ALTER TABLE audit.incident_timeline ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.incident_timeline FORCE ROW LEVEL SECURITY;
CREATE POLICY platform ON audit.incident_timeline TO medvault_audit_writer, medvault_security_reader USING (meta.platform_scope()) WITH CHECK (meta.platform_scope());
`;
