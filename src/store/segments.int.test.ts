import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../../test/helpers/backends.js';
import { openWithVault, seedTwoPractices } from '../../test/helpers/fixtures.js';
import type { Database, Driver } from './index.js';
import { DB_ROLES, type DbRole } from './roles.js';
import { migrate, MigrationError } from './migrate.js';
import { MIGRATIONS } from './migrations/index.js';

const SEGMENT_SCHEMAS = ['admin', 'clinical', 'audit', 'keys'];

interface TableInfo {
  schema: string;
  table: string;
  rls: boolean;
  forced: boolean;
  /** `identity`: written by the database (an identity or a generated column), never in an INSERT. */
  columns: { name: string; identity: boolean }[];
}

/** Every table of the segment schemas, read from the catalogue, so that a new table is covered at once. */
async function listTables(driver: Driver): Promise<TableInfo[]> {
  const r = await driver.transaction((sql) =>
    sql.query<{ schema: string; table: string; rls: boolean; forced: boolean; columns: { name: string; identity: boolean }[] }>(
      `SELECT n.nspname AS schema, c.relname AS "table", c.relrowsecurity AS rls, c.relforcerowsecurity AS forced,
              (SELECT json_agg(json_build_object('name', a.attname, 'identity', a.attidentity <> '' OR a.attgenerated <> '') ORDER BY a.attnum)
                 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = ANY($1) AND c.relkind IN ('r', 'p')
        ORDER BY 1, 2`,
      [SEGMENT_SCHEMAS],
    ),
  );
  return r.rows;
}

/**
 * Platform-wide tables hold no single practice's rows (the chain and tree heads: practice_id
 * constrained to NULL; the breach register: an incident may span practices). Row-level security
 * shows them only in platform scope, so the per-practice checks below become: from a practice
 * scope, no role sees any of their rows.
 */
const PLATFORM_WIDE = new Set(['audit.tree_heads', 'audit.head_corrections', 'audit.chain', 'audit.incidents', 'audit.incident_timeline']);

/** The column that says which practice a row belongs to. */
function tenantColumn(t: TableInfo): string | null {
  if (t.columns.some((c) => c.name === 'practice_id')) return 'practice_id';
  if (t.schema === 'admin' && t.table === 'practices') return 'id';
  return null;
}

async function errorCode(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code ?? 'no-code';
  }
}

/** What a role may do to a table; `u` is a column it may update (column grants count), or null. */
async function privileges(driver: Driver, role: string, table: string) {
  const r = await driver.transaction((sql) =>
    sql.query<{ s: boolean; i: boolean; u: string | null; d: boolean }>(
      `SELECT has_table_privilege($1, $2, 'SELECT') s, has_table_privilege($1, $2, 'INSERT') i,
              (SELECT a.attname FROM pg_attribute a WHERE a.attrelid = $2::regclass AND a.attnum > 0 AND NOT a.attisdropped
                  AND has_column_privilege($1, $2, a.attname, 'UPDATE') ORDER BY a.attname = 'practice_id' DESC, a.attnum LIMIT 1) u,
              has_table_privilege($1, $2, 'DELETE') d`,
      [role, table],
    ),
  );
  return r.rows[0]!;
}

describe.each(BACKENDS)('segmented storage on $name', (backend) => {
  let db: Database;
  let driver: Driver;
  let cleanup: () => Promise<void>;
  let A: string;
  let B: string;
  let tables: TableInfo[];

  beforeAll(async () => {
    const opened = await openWithVault(backend);
    const keys = opened.keys;
    ({ db, driver, cleanup } = opened);
    const seeded = await seedTwoPractices(db, keys.vault);
    [A, B] = seeded.practices.map((p) => p.id) as [string, string];
    tables = await listTables(driver);
  });
  afterAll(async () => cleanup?.());

  it('has the four segment schemas, each with tables', () => {
    for (const s of ['admin', 'clinical', 'audit']) expect(tables.some((t) => t.schema === s)).toBe(true);
  });

  it('applies migrations once: a second run changes nothing', async () => {
    expect(await migrate(driver)).toEqual([]);
    const r = await driver.transaction((sql) => sql.query<{ n: number }>('SELECT count(*)::int AS n FROM meta.migrations'));
    expect(r.rows[0]?.n).toBe(MIGRATIONS.length);
  });

  it('refuses a database whose applied migration was edited', async () => {
    const edited = MIGRATIONS.map((m) => ({ ...m, checksum: m.checksum.replace(/^./, (c) => (c === '0' ? '1' : '0')) }));
    await expect(migrate(driver, edited)).rejects.toBeInstanceOf(MigrationError);
  });

  it('denies every role but clinical any read of clinical tables', async () => {
    const clinical = tables.filter((t) => t.schema === 'clinical');
    expect(clinical.length).toBeGreaterThan(0);
    for (const t of clinical) {
      for (const role of ['admin', 'auditWriter', 'securityReader', 'platform'] as DbRole[]) {
        const code = await errorCode(
          db.transaction({ role, practiceId: A }, (tx) => tx.query(`SELECT * FROM ${t.schema}.${t.table} LIMIT 1`)),
        );
        expect(code, `${role} reading ${t.schema}.${t.table}`).toBe('42501');
      }
    }
    // …while the clinical role, in its practice, does read them.
    const notes = await db.transaction({ role: 'clinical', practiceId: A }, (tx) => tx.query('SELECT id FROM clinical.notes'));
    expect(notes.rows.length).toBeGreaterThan(0);
  });

  it('lets the audit writer append, and nothing else', async () => {
    for (const stmt of ['UPDATE audit.events SET reason = NULL', 'DELETE FROM audit.events', 'TRUNCATE audit.events', 'SELECT * FROM audit.events']) {
      const code = await errorCode(db.transaction({ role: 'auditWriter', practiceId: A }, (tx) => tx.query(stmt)));
      expect(code, stmt).toBe('42501');
    }
    // Even the owner cannot edit or delete rows while the append-only triggers stand.
    for (const stmt of ['UPDATE audit.events SET reason = NULL', 'DELETE FROM audit.events', 'TRUNCATE audit.events']) {
      const code = await errorCode(driver.transaction((sql) => sql.query(stmt)));
      expect(code, `owner: ${stmt}`).toBe('42501');
    }
  });

  it('puts every table of the segments under forced row-level security with a practice column', () => {
    for (const t of tables) {
      expect(t.rls, `${t.schema}.${t.table} has row-level security`).toBe(true);
      expect(t.forced, `${t.schema}.${t.table} forces row-level security`).toBe(true);
      expect(tenantColumn(t) !== null || PLATFORM_WIDE.has(`${t.schema}.${t.table}`), `${t.schema}.${t.table} says which practice a row belongs to`).toBe(true);
    }
  });

  it('with practice A set, shows and lets write no row of practice B, in any table, for any role', async () => {
    // A register entry, so that the platform-wide check below has a row to hide.
    await driver.transaction(async (sql) => {
      const id = '00000000-0000-4000-8000-00000000000a';
      await sql.query(`INSERT INTO audit.incidents (id, created_at, kind, query, summary, scope) VALUES ($1, now(), 'account-abuse', '{}', '{}', '{}') ON CONFLICT DO NOTHING`, [id]);
      await sql.query(`INSERT INTO audit.incident_timeline (incident_id, at, event) VALUES ($1, now(), 'scoped')`, [id]);
      // A client of an account in each practice (known clients: admin.clients).
      await sql.query(`INSERT INTO admin.clients (practice_id, user_id, client, first_seen, last_seen) SELECT practice_id, id, 'agent:000000000000@10.0.0.0/24', now(), now() FROM admin.users WHERE practice_id IN ($1, $2) ON CONFLICT DO NOTHING`, [A, B]);
      // A key epoch's floor in each practice (keys.patient_kek_floor).
      await sql.query(`INSERT INTO keys.patient_kek_floor (practice_id, min_version) VALUES ($1, 1), ($2, 1) ON CONFLICT DO NOTHING`, [A, B]);
      // A request to approve a client, waiting for a second admin, in each practice.
      await sql.query(
        `INSERT INTO admin.client_requests (practice_id, user_id, client, asked_by, asked_at, expires_at)
           SELECT practice_id, id, 'agent:000000000000@10.0.0.0/24', id, now(), now() + interval '1 day'
             FROM admin.users WHERE practice_id IN ($1, $2) ON CONFLICT DO NOTHING`,
        [A, B],
      );
      // The agenda's settings in each practice: a visit type, opening hours, a practitioner's absence.
      await sql.query(
        `INSERT INTO admin.visit_types (practice_id, id, label, minutes, colour, kind)
           SELECT p, gen_random_uuid(), 'Consultation', 20, '#2f6fb0', 'consultation' FROM unnest($1::uuid[]) p`,
        [[A, B]],
      );
      await sql.query(
        `INSERT INTO admin.opening_hours (practice_id, practitioner_id, weekday, opens, closes)
           SELECT p, NULL, 1, '08:00', '12:00' FROM unnest($1::uuid[]) p`,
        [[A, B]],
      );
      await sql.query(
        `INSERT INTO admin.absences (practice_id, id, practitioner_id, starts_at, ends_at, created_by)
           SELECT DISTINCT ON (practice_id) practice_id, gen_random_uuid(), id, now(), now() + interval '1 day', id
             FROM admin.users WHERE practice_id IN ($1, $2) AND role = 'practitioner' ORDER BY practice_id, id`,
        [A, B],
      );
    });
    let checked = 0;
    for (const t of tables) {
      const col = tenantColumn(t)!;
      const name = `${t.schema}.${t.table}`;
      if (PLATFORM_WIDE.has(name)) {
        for (const role of Object.keys(DB_ROLES) as DbRole[]) {
          const can = await privileges(driver, DB_ROLES[role], name);
          if (!can.s) continue;
          const seen = await db.transaction({ role, practiceId: A }, (tx) => tx.query<{ n: number }>(`SELECT count(*)::int n FROM ${name}`));
          expect(seen.rows[0]!.n, `${role} sees platform-wide ${name} from a practice scope`).toBe(0);
        }
        checked++;
        continue;
      }
      const counts = await driver.transaction((sql) =>
        sql.query<{ a: number; b: number }>(`SELECT count(*) FILTER (WHERE ${col} = $1)::int a, count(*) FILTER (WHERE ${col} = $2)::int b FROM ${name}`, [A, B]),
      );
      const { a, b } = counts.rows[0]!;
      expect(b, `${name} has rows of practice B to hide`).toBeGreaterThan(0);
      const bRow = await driver.transaction((sql) => sql.query<{ j: Record<string, unknown> }>(`SELECT row_to_json(t) j FROM ${name} t WHERE ${col} = $1 LIMIT 1`, [B]));

      for (const role of Object.keys(DB_ROLES) as DbRole[]) {
        const can = await privileges(driver, DB_ROLES[role], name);
        const scope = { role, practiceId: A };
        if (can.s) {
          const seen = await db.transaction(scope, (tx) =>
            tx.query<{ all: number; b: number }>(`SELECT count(*)::int AS all, count(*) FILTER (WHERE ${col} = $1)::int AS b FROM ${name}`, [B]),
          );
          expect(seen.rows[0]!.b, `${role} sees B rows of ${name}`).toBe(0);
          expect(seen.rows[0]!.all, `${role} sees more than A's rows of ${name}`).toBeLessThanOrEqual(a);
          // With no practice set at all, a tenant role sees nothing (fail closed).
          if (role !== 'securityReader' && role !== 'platform') {
            const none = await db.transaction({ role, practiceId: null }, (tx) => tx.query<{ n: number }>(`SELECT count(*)::int n FROM ${name}`));
            expect(none.rows[0]!.n, `${role} without a practice sees rows of ${name}`).toBe(0);
          }
          checked++;
        }
        if (can.u !== null) {
          const upd = await db.transaction(scope, (tx) => tx.query(`UPDATE ${name} SET ${can.u} = ${can.u} WHERE ${col} = $1`, [B]));
          expect(upd.rowCount, `${role} updates B rows of ${name}`).toBe(0);
          if (col === 'practice_id' && can.u === 'practice_id') {
            const moved = await errorCode(
              db.transaction(scope, (tx) => tx.query(`UPDATE ${name} SET practice_id = $1 WHERE ctid = (SELECT ctid FROM ${name} LIMIT 1)`, [B])),
            );
            if (a > 0) expect(moved, `${role} moves an A row of ${name} into B`).toBe('42501');
          }
        }
        if (can.d) {
          const del = await db.transaction(scope, (tx) => tx.query(`DELETE FROM ${name} WHERE ${col} = $1`, [B]));
          expect(del.rowCount, `${role} deletes B rows of ${name}`).toBe(0);
        }
        if (can.i) {
          const row = { ...bRow.rows[0]!.j };
          if ('id' in row && col !== 'id') row.id = randomUUID();
          const cols = t.columns.filter((c) => !c.identity).map((c) => c.name);
          const code = await errorCode(
            db.transaction(scope, (tx) =>
              tx.query(`INSERT INTO ${name} (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM json_populate_record(NULL::${name}, $1)`, [
                JSON.stringify(row),
              ]),
            ),
          );
          expect(code, `${role} inserts a B row into ${name}`).toBe('42501');
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(tables.length);
  });

  it('keeps a practice out of another practice even through composite keys', async () => {
    // A note of practice A pointing at a patient of practice B fails on the composite foreign key.
    const other = await driver.transaction((sql) => sql.query<{ id: string }>('SELECT id FROM admin.patients WHERE practice_id = $1 LIMIT 1', [B]));
    const author = await driver.transaction((sql) =>
      sql.query<{ id: string }>("SELECT id FROM admin.users WHERE practice_id = $1 AND role = 'practitioner' LIMIT 1", [A]),
    );
    const code = await errorCode(
      db.transaction({ role: 'clinical', practiceId: A }, (tx) =>
        tx.query('INSERT INTO clinical.notes (id, practice_id, patient_id, author_id, written_at, body_sealed) VALUES ($1, $2, $3, $4, now(), $5)', [
          randomUUID(), A, other.rows[0]!.id, author.rows[0]!.id, Buffer.from('x'),
        ]),
      ),
    );
    expect(code).toBe('23503');
  });

  it('reports the row count of a SELECT as node-postgres does (regression: PGlite said 0)', async () => {
    const r = await db.transaction({ role: 'admin', practiceId: A }, (tx) => tx.query('SELECT id FROM admin.patients LIMIT 3'));
    expect(r.rowCount).toBe(3);
    const none = await db.transaction({ role: 'admin', practiceId: A }, (tx) => tx.query("UPDATE admin.patients SET version = version WHERE id = '00000000-0000-4000-8000-000000000000'"));
    expect(none.rowCount).toBe(0);
  });

  it('lets the security reader cross practices only in platform scope', async () => {
    const scoped = await db.transaction({ role: 'securityReader', practiceId: A }, (tx) =>
      tx.query<{ p: string }>('SELECT DISTINCT practice_id p FROM audit.events'),
    );
    expect(scoped.rows.map((r) => r.p)).toEqual([A]);
    const platform = await db.transaction({ role: 'securityReader', practiceId: null, platform: true }, (tx) =>
      tx.query<{ p: string }>('SELECT DISTINCT practice_id p FROM audit.events'),
    );
    expect(platform.rows.map((r) => r.p).sort()).toEqual([A, B].sort());
    await expect(db.transaction({ role: 'admin', practiceId: null, platform: true }, async () => 1)).rejects.toThrow(/across practices/);
    await expect(db.transaction({ role: 'clinical', practiceId: null, platform: true }, async () => 1)).rejects.toThrow(/across practices/);
  });
});
