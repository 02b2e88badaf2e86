/**
 * Exports that name patients (Art. 34 letters, mail-merge CSV, e-mails, practitioners' lists)
 * need a second security officer's approval, recorded in the incident's timeline (the
 * security officer is watched too).
 */
export const sql = `
ALTER TABLE audit.incident_timeline DROP CONSTRAINT incident_timeline_event_check;
ALTER TABLE audit.incident_timeline ADD CONSTRAINT incident_timeline_event_check
  CHECK (event IN ('detected', 'scoped', 'contained', 'cnil-notified', 'patients-notified', 'practitioners-notified', 'closed', 'note', 'notices-approved'));
`;
