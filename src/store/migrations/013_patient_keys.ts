/**
 * Patient erasure keys in the database (several instances for real). Each patient's
 * erasure key is stored wrapped under the practice's `patient` KEK, which the key provider holds
 * (keyring or HSM), never the database: a copy of this table opens nothing by itself. Every
 * instance reads the same rows, and a key row commits with the patient it belongs to.
 *
 * Shredding a patient deletes the row, then closes the practice's key epoch: every remaining row
 * is wrapped again under a new `patient` KEK version and the old version is destroyed in the key
 * provider — so the copy of the row kept by any earlier database backup can no longer be opened
 * (docs/encryption.md). The epoch's progress is a rotation job of purpose `patient`.
 */
export const sql = `
CREATE TABLE keys.patient_keys (
  practice_id  uuid NOT NULL REFERENCES admin.practices (id),
  patient_id   uuid NOT NULL,
  kek_version  integer NOT NULL CHECK (kek_version > 0),
  wrapped      bytea NOT NULL CHECK (length(wrapped) BETWEEN 32 AND 128),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (practice_id, patient_id)
);
CREATE INDEX patient_keys_by_version ON keys.patient_keys (practice_id, kek_version);

-- Created with the patient (admin), read where a sealed value is opened (admin, clinical),
-- rewrapped by a key epoch (platform), deleted by a shred (admin).
GRANT USAGE ON SCHEMA keys TO medvault_admin, medvault_clinical;
GRANT SELECT, INSERT, DELETE ON keys.patient_keys TO medvault_admin;
GRANT SELECT ON keys.patient_keys TO medvault_clinical;
GRANT SELECT, UPDATE ON keys.patient_keys TO medvault_platform;
ALTER TABLE keys.patient_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE keys.patient_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON keys.patient_keys TO medvault_admin, medvault_clinical, medvault_platform
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());

-- The oldest patient KEK version a key may still be wrapped under, per practice: raised when a key
-- epoch closes (its old versions destroyed). A key wrapped under an older version — a creation
-- that began before the epoch closed — is refused rather than stored unopenable; the request is
-- answered 503 and retried. Version numbers only: no key material.
CREATE TABLE keys.patient_kek_floor (
  practice_id  uuid PRIMARY KEY REFERENCES admin.practices (id),
  min_version  integer NOT NULL
);
GRANT SELECT ON keys.patient_kek_floor TO medvault_admin, medvault_platform;
GRANT INSERT, UPDATE ON keys.patient_kek_floor TO medvault_platform;
ALTER TABLE keys.patient_kek_floor ENABLE ROW LEVEL SECURITY;
ALTER TABLE keys.patient_kek_floor FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON keys.patient_kek_floor TO medvault_admin, medvault_platform
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());
CREATE FUNCTION keys.patient_key_above_floor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.kek_version < (SELECT f.min_version FROM keys.patient_kek_floor f WHERE f.practice_id = NEW.practice_id) THEN
    RAISE EXCEPTION 'a patient key wrapped under a destroyed key version' USING ERRCODE = '55P03';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER patient_key_above_floor BEFORE INSERT OR UPDATE ON keys.patient_keys
  FOR EACH ROW EXECUTE FUNCTION keys.patient_key_above_floor();
-- The floor only rises, and stays with its practice: lowering it would let keys under destroyed versions in.
CREATE FUNCTION keys.floor_only_rises() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.min_version < OLD.min_version OR NEW.practice_id <> OLD.practice_id THEN
    RAISE EXCEPTION 'the patient key floor only rises' USING ERRCODE = '42501';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER floor_only_rises BEFORE UPDATE ON keys.patient_kek_floor
  FOR EACH ROW EXECUTE FUNCTION keys.floor_only_rises();

-- A shred's epoch is a rotation of the patient purpose.
ALTER TABLE keys.rotations DROP CONSTRAINT rotations_purpose_check;
ALTER TABLE keys.rotations ADD CONSTRAINT rotations_purpose_check CHECK (purpose IN ('admin', 'clinical', 'patient'));
`;
