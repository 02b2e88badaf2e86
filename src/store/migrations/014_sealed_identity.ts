/**
 * A copied database names no one. Everything that identifies or describes a patient —
 * names, sex, birth date and place, identity status, notable-person flag, date of death — moves
 * into one sealed value per patient (`identity_sealed`, the admin purpose, bound to the patient's
 * erasure key), and notes' sensitivity labels into `labels_sealed` (the clinical purpose). Names
 * and birth dates are found through keyed beacons (admin.patient_beacons): truncated HMACs under
 * the practice's index key, never the values.
 *
 * The clear columns stay, emptied, until `medvault keys seal` has sealed every row of an existing
 * database (batched, resumable, while the server serves); new rows are written sealed only.
 */
export const sql = `
ALTER TABLE admin.patients ADD COLUMN identity_sealed bytea;
ALTER TABLE admin.patients ALTER COLUMN birth_family_name DROP NOT NULL;
ALTER TABLE admin.patients ALTER COLUMN given_names DROP NOT NULL;
ALTER TABLE admin.patients ALTER COLUMN sex DROP NOT NULL;
ALTER TABLE admin.patients ALTER COLUMN birth_date DROP NOT NULL;
ALTER TABLE admin.patients ALTER COLUMN identity_status DROP NOT NULL;
ALTER TABLE admin.patients ALTER COLUMN vip DROP NOT NULL;
ALTER TABLE admin.patients ALTER COLUMN identity_status DROP DEFAULT;
ALTER TABLE admin.patients ALTER COLUMN vip DROP DEFAULT;
-- A row is sealed, or still waits for the migration with its clear identity, or was shredded.
ALTER TABLE admin.patients ADD CONSTRAINT identity_present CHECK (identity_sealed IS NOT NULL OR shredded_at IS NOT NULL OR (birth_family_name IS NOT NULL AND given_names IS NOT NULL AND sex IS NOT NULL AND birth_date IS NOT NULL));
-- The clear indexes would keep names in their pages: gone.
DROP INDEX admin.patients_family_name;
DROP INDEX admin.patients_used_name;
DROP INDEX admin.patients_birth_date;

-- The beacon length of each practice (bits; store/beacons.ts). Set when its beacons are first
-- computed, from its size then; changing it means computing every beacon again.
ALTER TABLE admin.practices ADD COLUMN beacon_bits smallint CHECK (beacon_bits BETWEEN 8 AND 24);

CREATE TABLE admin.patient_beacons (
  practice_id uuid NOT NULL,
  beacon      integer NOT NULL,
  patient_id  uuid NOT NULL,
  PRIMARY KEY (practice_id, beacon, patient_id),
  FOREIGN KEY (practice_id, patient_id) REFERENCES admin.patients (practice_id, id)
);
CREATE INDEX patient_beacons_by_patient ON admin.patient_beacons (practice_id, patient_id);
CREATE INDEX patients_unsealed ON admin.patients (practice_id) WHERE identity_sealed IS NULL;
GRANT SELECT, INSERT, DELETE ON admin.patient_beacons TO medvault_admin;
ALTER TABLE admin.patient_beacons ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.patient_beacons FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.patient_beacons TO medvault_admin
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());
GRANT UPDATE (beacon_bits) ON admin.practices TO medvault_admin;

ALTER TABLE clinical.notes ADD COLUMN labels_sealed bytea;
GRANT UPDATE (labels_sealed, labels) ON clinical.notes TO medvault_clinical;
`;
