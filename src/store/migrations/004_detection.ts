/**
 * Detection: honeytoken (decoy) patients are ordinary patient rows; which ones are decoys is kept
 * here, outside the administrative segment, so that nothing the API reads can tell them apart.
 * Alerts persist with their reasons and evidence for the security console.
 */
export const sql = `
-- Patients the detector watches: decoys (honeytokens) and notable people (VIP).
CREATE TABLE audit.honeytokens (
  patient_id  uuid PRIMARY KEY,
  practice_id uuid NOT NULL REFERENCES admin.practices (id),
  kind        text NOT NULL DEFAULT 'decoy' CHECK (kind IN ('decoy', 'vip'))
);
CREATE TABLE audit.alerts (
  id          uuid PRIMARY KEY,
  practice_id uuid REFERENCES admin.practices (id),
  at          timestamptz NOT NULL,
  user_id     uuid NOT NULL,
  response    text NOT NULL CHECK (response IN ('alert', 'step-up', 'throttle', 'suspend', 'lock')),
  findings    jsonb NOT NULL
);
CREATE INDEX alerts_by_time ON audit.alerts (at DESC);
GRANT SELECT, INSERT ON audit.honeytokens, audit.alerts TO medvault_audit_writer;
GRANT SELECT ON audit.honeytokens, audit.alerts TO medvault_security_reader;
ALTER TABLE audit.honeytokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.honeytokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON audit.honeytokens TO medvault_audit_writer, medvault_security_reader
  USING (practice_id = meta.current_practice() OR meta.platform_scope()) WITH CHECK (practice_id = meta.current_practice() OR meta.platform_scope());
ALTER TABLE audit.alerts ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.alerts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON audit.alerts TO medvault_audit_writer, medvault_security_reader
  USING (practice_id = meta.current_practice() OR meta.platform_scope()) WITH CHECK (practice_id IS NOT DISTINCT FROM meta.current_practice() OR meta.platform_scope());
`;
