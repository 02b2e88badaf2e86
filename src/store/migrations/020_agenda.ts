/**
 * The agenda a practice runs: visit types (a name, a length, a colour, set by the practice admin),
 * opening hours (the practice's, or one practitioner's), absences, and appointments that say which
 * visit type they are and why they were cancelled (a code of HL7's appointment-cancellation-reason:
 * never free text, which would put words about a patient outside the vault). Every version of an
 * appointment is kept by the database itself (a trigger, not the application): who moved or
 * cancelled what, and when, is answerable after the fact whatever the client did.
 */
export const sql = `
CREATE TABLE admin.visit_types (
  practice_id uuid NOT NULL REFERENCES admin.practices (id),
  id          uuid NOT NULL,
  label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 60),
  minutes     integer NOT NULL CHECK (minutes BETWEEN 5 AND 240),
  colour      text NOT NULL CHECK (colour ~ '^#[0-9a-f]{6}$'),
  kind        text NOT NULL CHECK (kind IN ('consultation', 'home-visit', 'teleconsultation')),
  active      boolean NOT NULL DEFAULT true,
  position    integer NOT NULL DEFAULT 0,
  PRIMARY KEY (practice_id, id)
);

-- Opening hours by weekday (1 = Monday … 7 = Sunday, ISO 8601), in the practice's local time:
-- the practice's (practitioner_id null) or one practitioner's own, which then replace the practice's.
CREATE TABLE admin.opening_hours (
  practice_id     uuid NOT NULL REFERENCES admin.practices (id),
  practitioner_id uuid,
  weekday         smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
  opens           time NOT NULL,
  closes          time NOT NULL,
  CHECK (closes > opens)
);
CREATE INDEX opening_hours_of ON admin.opening_hours (practice_id, practitioner_id);

CREATE TABLE admin.absences (
  practice_id     uuid NOT NULL REFERENCES admin.practices (id),
  id              uuid NOT NULL,
  practitioner_id uuid NOT NULL,
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz NOT NULL,
  created_by      uuid NOT NULL,
  PRIMARY KEY (practice_id, id),
  FOREIGN KEY (practice_id, practitioner_id) REFERENCES admin.users (practice_id, id),
  CHECK (ends_at > starts_at)
);
CREATE INDEX absences_of ON admin.absences (practice_id, practitioner_id, starts_at);

ALTER TABLE admin.appointments ADD COLUMN visit_type_id uuid;
ALTER TABLE admin.appointments ADD COLUMN cancel_reason text
  CHECK (cancel_reason IS NULL OR cancel_reason ~ '^[a-z][a-z-]{1,20}$');
ALTER TABLE admin.appointments ADD COLUMN changed_by uuid;
ALTER TABLE admin.appointments ADD COLUMN changed_at timestamptz;

CREATE TABLE admin.appointment_versions (
  practice_id     uuid NOT NULL,
  id              uuid NOT NULL,
  version         integer NOT NULL,
  patient_id      uuid NOT NULL,
  practitioner_id uuid NOT NULL,
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz NOT NULL,
  status          text NOT NULL,
  kind            text NOT NULL,
  visit_type_id   uuid,
  cancel_reason   text,
  changed_by      uuid,
  changed_at      timestamptz NOT NULL,
  PRIMARY KEY (practice_id, id, version)
);

CREATE FUNCTION admin.appointment_version() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
  SET search_path = pg_catalog, admin AS $$
BEGIN
  INSERT INTO admin.appointment_versions (practice_id, id, version, patient_id, practitioner_id, starts_at, ends_at,
      status, kind, visit_type_id, cancel_reason, changed_by, changed_at)
    VALUES (NEW.practice_id, NEW.id, NEW.version, NEW.patient_id, NEW.practitioner_id, NEW.starts_at, NEW.ends_at,
      NEW.status, NEW.kind, NEW.visit_type_id, NEW.cancel_reason, COALESCE(NEW.changed_by, NEW.booked_by),
      COALESCE(NEW.changed_at, NEW.booked_at, NEW.created_at))
    ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
CREATE TRIGGER appointments_versioned AFTER INSERT OR UPDATE ON admin.appointments
  FOR EACH ROW EXECUTE FUNCTION admin.appointment_version();

GRANT SELECT, INSERT, UPDATE, DELETE ON admin.visit_types, admin.opening_hours, admin.absences TO medvault_admin;
GRANT SELECT ON admin.visit_types, admin.opening_hours, admin.absences TO medvault_clinical;
GRANT SELECT ON admin.appointment_versions TO medvault_admin, medvault_security_reader;
GRANT UPDATE (visit_type_id, cancel_reason, changed_by, changed_at) ON admin.appointments TO medvault_admin;

ALTER TABLE admin.visit_types ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.visit_types FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.visit_types TO medvault_admin, medvault_clinical
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());
ALTER TABLE admin.opening_hours ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.opening_hours FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.opening_hours TO medvault_admin, medvault_clinical
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());
ALTER TABLE admin.absences ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.absences FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.absences TO medvault_admin, medvault_clinical
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());
ALTER TABLE admin.appointment_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.appointment_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.appointment_versions TO medvault_admin, medvault_security_reader
  USING (practice_id = meta.current_practice());
CREATE POLICY platform ON admin.appointment_versions TO medvault_security_reader
  USING (meta.platform_scope());
`;
