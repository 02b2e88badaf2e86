/**
 * The clinical resources (problems, allergies, treatments, results, vaccinations, consultations),
 * one table for every type the registry serves (src/resources/): each version of a resource is a
 * row, its whole FHIR body sealed under the patient's erasure key and its sensitivity labels sealed
 * apart (opened to decide, before the body). Only what lists and searches need stays in clear: the
 * type, patient, author, dates and version; codes and statuses are searched through keyed beacons
 * (`tokens`: 32-bit HMACs under the practice's index key, useless without it). The current version
 * is the one with `current`; earlier ones are kept (history, amendments) and never rewritten but by
 * key rotation's rewrap. Same practice boundary and segment as notes: the clinical role only.
 *
 * Its text is checksummed once applied (migrate.ts): a long line is continued with a backslash,
 * which a template literal drops, so the text, and its checksum, stay what was applied.
 */
export const sql = `
CREATE TABLE clinical.resources (
  practice_id   uuid NOT NULL REFERENCES admin.practices (id),
  id            uuid NOT NULL,
  version       integer NOT NULL CHECK (version >= 1),
  type          text NOT NULL,
  patient_id    uuid NOT NULL,
  author_id     uuid NOT NULL,
  written_at    timestamptz NOT NULL,
  effective_at  timestamptz,
  current       boolean NOT NULL,
  tokens        integer[] NOT NULL DEFAULT '{}',
  labels_sealed bytea NOT NULL,
  body_sealed   bytea NOT NULL,
  -- One key per version, for key rotation's keyset walk (rows are rewrapped one version at a time).
  vid           text GENERATED ALWAYS AS (id::text || '/' || version::text) STORED UNIQUE,
  PRIMARY KEY (practice_id, id, version),
  FOREIGN KEY (practice_id, patient_id) REFERENCES admin.patients (practice_id, id),
  FOREIGN KEY (practice_id, author_id) REFERENCES admin.users (practice_id, id)
);
CREATE UNIQUE INDEX resources_one_current ON clinical.resources (practice_id, id) WHERE current;
CREATE INDEX resources_by_patient ON clinical.resources (practice_id, patient_id, type, effective_at DESC, id) \
WHERE current;

GRANT SELECT, INSERT ON clinical.resources TO medvault_clinical;
-- A new version retires the one before; rotation rewraps data keys in place; shredding clears beacons.
GRANT UPDATE (current, labels_sealed, body_sealed, tokens) ON clinical.resources TO medvault_clinical;

ALTER TABLE clinical.resources ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinical.resources FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON clinical.resources TO medvault_clinical
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());

-- A version, once written, keeps what it says: who, when, about whom, which version.
CREATE FUNCTION clinical.resource_version_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.id <> OLD.id OR NEW.version <> OLD.version OR NEW.type <> OLD.type OR NEW.patient_id <> OLD.patient_id
     OR NEW.author_id <> OLD.author_id OR NEW.written_at <> OLD.written_at \
OR (OLD.current = false AND NEW.current = true) THEN
    RAISE EXCEPTION 'a resource version is not rewritten' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER resources_version_kept BEFORE UPDATE ON clinical.resources
  FOR EACH ROW EXECUTE FUNCTION clinical.resource_version_kept();
`;
