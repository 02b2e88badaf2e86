/**
 * Notes and documents a practitioner shares with the patient (the portal shows them): a mark on the
 * note, set and unset by its author while she cares for the patient (access/policy.ts decides; the
 * records audit each change). Which notes are shared says nothing of what they say: it stays clear.
 *
 * A patient's own transactions name her in `medvault.patient_reader` (records/patients.ts sets it
 * first thing in every transaction of a patient's session). Then, in the database too, the only
 * notes visible are her own, shared and current — a withdrawn or replaced note is not hers to read
 * — and no note may be written or changed. A policy AS RESTRICTIVE is ANDed with the practice's
 * (PostgreSQL 15, §5.8 "Row Security Policies"): it narrows, never widens.
 */
export const sql = `
ALTER TABLE clinical.notes ADD COLUMN shared_with_patient boolean NOT NULL DEFAULT false;
GRANT UPDATE (shared_with_patient) ON clinical.notes TO medvault_clinical;

CREATE FUNCTION meta.patient_reader() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('medvault.patient_reader', true), '')::uuid $$;
REVOKE EXECUTE ON FUNCTION meta.patient_reader() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION meta.patient_reader() TO medvault_clinical, medvault_admin;

CREATE POLICY patient_reader ON clinical.notes AS RESTRICTIVE TO medvault_clinical
  USING (meta.patient_reader() IS NULL
    OR (patient_id = meta.patient_reader() AND shared_with_patient AND status = 'current'))
  WITH CHECK (meta.patient_reader() IS NULL);
`;
