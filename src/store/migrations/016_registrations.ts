/**
 * Who registered a patient, and when. A practitioner who registers a walk-in writes that visit's
 * notes without break-the-glass (src/store/care.ts, `visitOpenedSql`): the registration opens a
 * visit for 12 hours, for the notes she writes from then on. The server writes both columns when
 * the patient is created (its clock, its principal); imported and seeded patients have none. They
 * describe the insert and nothing after it: an update keeps them, whatever it sets, so no later
 * write can make an old record look newly registered by someone.
 */
export const sql = `
ALTER TABLE admin.patients ADD COLUMN registered_by uuid;
ALTER TABLE admin.patients ADD COLUMN registered_at timestamptz;

CREATE FUNCTION admin.registration_kept() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.registered_by := OLD.registered_by;
  NEW.registered_at := OLD.registered_at;
  RETURN NEW;
END $$;
CREATE TRIGGER patients_registration_kept BEFORE UPDATE ON admin.patients
  FOR EACH ROW EXECUTE FUNCTION admin.registration_kept();
`;
