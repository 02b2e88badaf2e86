/**
 * Clinical documents and the life of a note. A note may carry a document (PDF, image) instead of
 * typed text: its bytes are sealed in `attachment_sealed` (field `note.attachment`), its
 * description — kind, title, format, size, SHA-1, the note it amends — in `meta_sealed` (field
 * `note.meta`), both under the patient's erasure key and bound to the note, like its body. The
 * bytes are padded before sealing (Padmé), so a copy shows a size class, not the size.
 *
 * A note has a status: `current`, then `superseded` (an amendment replaced it) or
 * `entered-in-error` (its author withdrew it). The clinical role may move a note out of `current`
 * and nothing else: what a note says, about whom, by whom and when is never rewritten; only key
 * rotation rewraps its sealed values (the trigger below applies to every role, the owner too).
 */
export const sql = `
ALTER TABLE clinical.notes
  ADD COLUMN status text NOT NULL DEFAULT 'current' CHECK (status IN ('current', 'superseded', 'entered-in-error')),
  ADD COLUMN meta_sealed bytea,
  ADD COLUMN attachment_sealed bytea;

-- Statuses move on; rotation rewraps the new sealed values in place.
GRANT UPDATE (status, meta_sealed, attachment_sealed) ON clinical.notes TO medvault_clinical;

CREATE FUNCTION clinical.note_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.status <> 'current' THEN
      RAISE EXCEPTION 'a note is written current' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  END IF;
  IF NEW.id IS DISTINCT FROM OLD.id OR NEW.practice_id IS DISTINCT FROM OLD.practice_id
     OR NEW.patient_id IS DISTINCT FROM OLD.patient_id OR NEW.author_id IS DISTINCT FROM OLD.author_id
     OR NEW.written_at IS DISTINCT FROM OLD.written_at OR NEW.created_at IS DISTINCT FROM OLD.created_at
     OR (NEW.status <> OLD.status AND (OLD.status <> 'current' OR NEW.status = 'current'))
     OR (NEW.meta_sealed IS NULL) <> (OLD.meta_sealed IS NULL)
     OR (NEW.attachment_sealed IS NULL) <> (OLD.attachment_sealed IS NULL) THEN
    RAISE EXCEPTION 'a note is not rewritten' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER notes_kept BEFORE INSERT OR UPDATE ON clinical.notes
  FOR EACH ROW EXECUTE FUNCTION clinical.note_kept();
`;
