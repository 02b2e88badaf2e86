/**
 * Schemas, roles, tables and row-level security. One schema per data segment:
 * admin (identity, accounts, appointments), clinical (notes), audit (access log), keys (vault).
 */
const ROLE_NAMES = ['medvault_admin', 'medvault_clinical', 'medvault_audit_writer', 'medvault_security_reader', 'medvault_platform'];

// Roles are cluster-wide in PostgreSQL: create each once, tolerating a concurrent creator.
const roles = ROLE_NAMES.map(
  (r) => `
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${r}') THEN
    CREATE ROLE ${r} NOLOGIN NOINHERIT;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;
GRANT ${r} TO CURRENT_USER;`,
).join('\n');

export const sql = `
${roles}

CREATE SCHEMA admin;
CREATE SCHEMA clinical;
CREATE SCHEMA audit;
CREATE SCHEMA keys;

-- The practice of the current transaction, from SELECT set_config('medvault.practice_id', …, true).
-- Unset or empty means no practice: every tenant policy then matches nothing (fail closed).
CREATE FUNCTION meta.current_practice() RETURNS uuid LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT nullif(current_setting('medvault.practice_id', true), '')::uuid $$;
CREATE FUNCTION meta.platform_scope() RETURNS boolean LANGUAGE sql STABLE PARALLEL SAFE AS
$$ SELECT coalesce(current_setting('medvault.platform', true), '') = 'on' $$;

REVOKE ALL ON SCHEMA admin, clinical, audit, keys FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION meta.current_practice(), meta.platform_scope() FROM PUBLIC;
GRANT USAGE ON SCHEMA meta TO ${ROLE_NAMES.join(', ')};
GRANT EXECUTE ON FUNCTION meta.current_practice(), meta.platform_scope() TO ${ROLE_NAMES.join(', ')};

-- ─── admin ───────────────────────────────────────────────────────────────────────────────
CREATE TABLE admin.practices (
  id          uuid PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  finess      text CHECK (finess ~ '^([0-9]{2}|2[AB])[0-9]{7}$'),
  city        text NOT NULL,
  postal_code text NOT NULL CHECK (postal_code ~ '^[0-9]{5}$'),
  phone       text,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE admin.users (
  id            uuid PRIMARY KEY,
  practice_id   uuid REFERENCES admin.practices (id),
  username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._-]{2,63}$'),
  role          text NOT NULL CHECK (role IN ('practitioner', 'assistant', 'practice-admin', 'security-officer', 'patient')),
  family_name   text NOT NULL,
  given_name    text NOT NULL,
  rpps          text UNIQUE CHECK (rpps ~ '^[0-9]{11}$'),
  patient_id    uuid,
  password_hash text NOT NULL,
  totp_sealed   bytea,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'locked')),
  created_at    timestamptz NOT NULL DEFAULT now(),
  UNIQUE (practice_id, id),
  -- Platform security officers belong to no practice; everyone else to exactly one.
  CHECK ((role = 'security-officer') = (practice_id IS NULL)),
  CHECK ((role = 'patient') = (patient_id IS NOT NULL))
);

-- Identity secrets are sealed by the vault (bytea envelopes, docs/encryption.md); the ones
-- searched by exact match also carry a keyed blind index. Names and birth date stay in clear:
-- the practice searches on them and they are not secret to it.
CREATE TABLE admin.patients (
  id                uuid PRIMARY KEY,
  practice_id       uuid NOT NULL REFERENCES admin.practices (id),
  birth_family_name text NOT NULL CHECK (length(birth_family_name) BETWEEN 1 AND 100),
  used_family_name  text CHECK (length(used_family_name) BETWEEN 1 AND 100),
  given_names       text[] NOT NULL CHECK (cardinality(given_names) BETWEEN 1 AND 10),
  used_given_name   text,
  sex               text NOT NULL CHECK (sex IN ('female', 'male', 'other', 'unknown')),
  birth_date        date NOT NULL,
  birthplace_insee  text CHECK (birthplace_insee ~ '^([0-9]{2}|2[AB])[0-9]{3}$'),
  identity_status   text NOT NULL DEFAULT 'PROV' CHECK (identity_status IN ('PROV', 'VALI', 'QUAL')),
  nir_sealed        bytea,
  nir_bidx          bytea,
  email_sealed      bytea,
  email_bidx        bytea,
  phone_sealed      bytea,
  phone_bidx        bytea,
  mobile_sealed     bytea,
  mobile_bidx       bytea,
  address_sealed    bytea,
  vip               boolean NOT NULL DEFAULT false,
  deceased_date     date,
  shredded_at       timestamptz,
  version           integer NOT NULL DEFAULT 1,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (practice_id, id)
);
CREATE INDEX patients_family_name ON admin.patients (practice_id, lower(birth_family_name));
CREATE INDEX patients_used_name ON admin.patients (practice_id, lower(used_family_name));
CREATE INDEX patients_birth_date ON admin.patients (practice_id, birth_date);
CREATE UNIQUE INDEX patients_nir ON admin.patients (practice_id, nir_bidx) WHERE nir_bidx IS NOT NULL;
CREATE INDEX patients_email ON admin.patients (practice_id, email_bidx) WHERE email_bidx IS NOT NULL;
CREATE INDEX patients_phone ON admin.patients (practice_id, phone_bidx) WHERE phone_bidx IS NOT NULL;
CREATE INDEX patients_mobile ON admin.patients (practice_id, mobile_bidx) WHERE mobile_bidx IS NOT NULL;

ALTER TABLE admin.users ADD FOREIGN KEY (practice_id, patient_id) REFERENCES admin.patients (practice_id, id);

CREATE TABLE admin.care_relationships (
  id              uuid PRIMARY KEY,
  practice_id     uuid NOT NULL REFERENCES admin.practices (id),
  patient_id      uuid NOT NULL,
  practitioner_id uuid NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('treating', 'appointment')),
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz,
  appointment_id  uuid,
  created_at      timestamptz NOT NULL DEFAULT now(),
  -- The composite keys make a relationship across practices impossible, whatever the code does.
  FOREIGN KEY (practice_id, patient_id) REFERENCES admin.patients (practice_id, id),
  FOREIGN KEY (practice_id, practitioner_id) REFERENCES admin.users (practice_id, id),
  CHECK (ends_at IS NULL OR ends_at > starts_at)
);
CREATE INDEX care_by_practitioner ON admin.care_relationships (practice_id, practitioner_id, patient_id);
CREATE INDEX care_by_patient ON admin.care_relationships (practice_id, patient_id);

CREATE TABLE admin.appointments (
  id              uuid PRIMARY KEY,
  practice_id     uuid NOT NULL REFERENCES admin.practices (id),
  patient_id      uuid NOT NULL,
  practitioner_id uuid NOT NULL,
  starts_at       timestamptz NOT NULL,
  ends_at         timestamptz NOT NULL,
  status          text NOT NULL CHECK (status IN ('booked', 'arrived', 'fulfilled', 'cancelled', 'noshow')),
  kind            text NOT NULL CHECK (kind IN ('consultation', 'home-visit', 'teleconsultation')),
  version         integer NOT NULL DEFAULT 1,
  created_at      timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (practice_id, patient_id) REFERENCES admin.patients (practice_id, id),
  FOREIGN KEY (practice_id, practitioner_id) REFERENCES admin.users (practice_id, id),
  CHECK (ends_at > starts_at)
);
CREATE INDEX appointments_by_practitioner ON admin.appointments (practice_id, practitioner_id, starts_at);
CREATE INDEX appointments_by_patient ON admin.appointments (practice_id, patient_id, starts_at);

-- ─── clinical ────────────────────────────────────────────────────────────────────────────
CREATE TABLE clinical.notes (
  id          uuid PRIMARY KEY,
  practice_id uuid NOT NULL REFERENCES admin.practices (id),
  patient_id  uuid NOT NULL,
  author_id   uuid NOT NULL,
  written_at  timestamptz NOT NULL,
  labels      text[] NOT NULL DEFAULT '{}',
  body_sealed bytea NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  FOREIGN KEY (practice_id, patient_id) REFERENCES admin.patients (practice_id, id),
  FOREIGN KEY (practice_id, author_id) REFERENCES admin.users (practice_id, id)
);
CREATE INDEX notes_by_patient ON clinical.notes (practice_id, patient_id, written_at);

-- ─── keys ──────────────────────────────────────────────────────────────────────────────
-- Key rotation jobs: which KEK version replaces which, and how far the rewrap has gone, so that
-- a rotation killed half-way resumes where it stopped. No key material is ever stored here.
CREATE TABLE keys.rotations (
  id           uuid PRIMARY KEY,
  practice_id  uuid NOT NULL REFERENCES admin.practices (id),
  purpose      text NOT NULL CHECK (purpose IN ('admin', 'clinical')),
  from_version integer NOT NULL,
  to_version   integer NOT NULL,
  cursor       jsonb NOT NULL DEFAULT '{}',
  rewrapped    bigint NOT NULL DEFAULT 0,
  status       text NOT NULL CHECK (status IN ('running', 'done')),
  started_at   timestamptz NOT NULL,
  finished_at  timestamptz
);
CREATE UNIQUE INDEX one_running_rotation ON keys.rotations (practice_id, purpose) WHERE status = 'running';

-- ─── audit ───────────────────────────────────────────────────────────────────────────────
CREATE TABLE audit.events (
  seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id            uuid NOT NULL UNIQUE,
  at            timestamptz NOT NULL,
  practice_id   uuid,
  user_id       uuid,
  role          text,
  session_id    text,
  source_ip     text,
  action        text NOT NULL,
  resource_type text,
  resource_id   text,
  patient_id    uuid,
  segment       text CHECK (segment IN ('admin', 'clinical', 'audit', 'security', 'auth', 'keys')),
  labels        text[] NOT NULL DEFAULT '{}',
  purpose       text CHECK (purpose IN ('care', 'break-the-glass', 'admin', 'patient', 'security', 'system')),
  outcome       text NOT NULL CHECK (outcome IN ('success', 'denied', 'error')),
  reason        text,
  detail        jsonb
);
CREATE INDEX audit_by_patient ON audit.events (practice_id, patient_id, at);
CREATE INDEX audit_by_user ON audit.events (user_id, at);

-- The log is append-only, also for whoever owns the table: edits need a deliberate
-- DISABLE TRIGGER, which the hash chain then exposes.
CREATE FUNCTION audit.refuse_change() RETURNS trigger LANGUAGE plpgsql AS
$$ BEGIN RAISE EXCEPTION 'audit.events is append-only' USING ERRCODE = 'insufficient_privilege'; END $$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON audit.events
  FOR EACH ROW EXECUTE FUNCTION audit.refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON audit.events
  FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_change();

-- ─── privileges (least privilege per role) ─────────────────────────────────────────────────
GRANT USAGE ON SCHEMA admin TO medvault_admin, medvault_clinical, medvault_security_reader, medvault_platform;
GRANT SELECT, UPDATE ON admin.practices TO medvault_admin;
GRANT SELECT, INSERT, UPDATE ON admin.practices TO medvault_platform;
GRANT SELECT ON admin.practices TO medvault_clinical, medvault_security_reader;
GRANT SELECT, INSERT, UPDATE ON admin.users TO medvault_admin, medvault_platform;
GRANT SELECT ON admin.users TO medvault_clinical, medvault_security_reader;
GRANT SELECT, INSERT, UPDATE ON admin.patients, admin.care_relationships, admin.appointments TO medvault_admin;
GRANT SELECT ON admin.patients, admin.care_relationships, admin.appointments TO medvault_clinical;

GRANT USAGE ON SCHEMA clinical TO medvault_clinical;
GRANT SELECT, INSERT ON clinical.notes TO medvault_clinical;
-- Rotation rewraps a note's data key in place: only that column, never the rest of the note.
GRANT UPDATE (body_sealed) ON clinical.notes TO medvault_clinical;

GRANT USAGE ON SCHEMA keys TO medvault_platform;
GRANT SELECT, INSERT, UPDATE ON keys.rotations TO medvault_platform;

GRANT USAGE ON SCHEMA audit TO medvault_audit_writer, medvault_security_reader;
GRANT INSERT ON audit.events TO medvault_audit_writer;
GRANT SELECT ON audit.events TO medvault_security_reader;

-- ─── row-level security: the practice boundary, again in the database ─────────────────────
ALTER TABLE admin.practices ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.practices FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.practices TO medvault_admin, medvault_clinical, medvault_security_reader, medvault_platform
  USING (id = meta.current_practice()) WITH CHECK (id = meta.current_practice());
CREATE POLICY platform ON admin.practices TO medvault_platform, medvault_security_reader
  USING (meta.platform_scope()) WITH CHECK (meta.platform_scope());

ALTER TABLE admin.users ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.users TO medvault_admin, medvault_clinical, medvault_security_reader, medvault_platform
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());
CREATE POLICY platform ON admin.users TO medvault_platform, medvault_security_reader
  USING (meta.platform_scope()) WITH CHECK (meta.platform_scope());

ALTER TABLE admin.patients ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.patients FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.patients TO medvault_admin, medvault_clinical
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());

ALTER TABLE admin.care_relationships ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.care_relationships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.care_relationships TO medvault_admin, medvault_clinical
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());

ALTER TABLE admin.appointments ENABLE ROW LEVEL SECURITY;
ALTER TABLE admin.appointments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON admin.appointments TO medvault_admin, medvault_clinical
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());

ALTER TABLE clinical.notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE clinical.notes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON clinical.notes TO medvault_clinical
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());

ALTER TABLE keys.rotations ENABLE ROW LEVEL SECURITY;
ALTER TABLE keys.rotations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON keys.rotations TO medvault_platform
  USING (practice_id = meta.current_practice()) WITH CHECK (practice_id = meta.current_practice());

ALTER TABLE audit.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit.events FORCE ROW LEVEL SECURITY;
-- A writer records events of the practice it acts in, or platform events (no practice) when none is set.
CREATE POLICY append ON audit.events FOR INSERT TO medvault_audit_writer
  WITH CHECK (practice_id IS NOT DISTINCT FROM meta.current_practice());
CREATE POLICY read ON audit.events FOR SELECT TO medvault_security_reader
  USING (practice_id = meta.current_practice() OR meta.platform_scope());
`;
