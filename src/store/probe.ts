import pg from 'pg';

/**
 * Whether the PostgreSQL database at `url` already holds a medvault (migrated before: the audit
 * log's head table exists). One short-lived connection of its own, before any store is opened;
 * an unreachable database answers false (the start fails later with its own message).
 */
export async function holdsMedvault(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    const r = await c.query<{ ok: boolean }>("SELECT to_regclass('meta.audit_head') IS NOT NULL AS ok");
    return r.rows[0]?.ok === true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}
