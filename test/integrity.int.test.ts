import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, startTestApp, userOf, type TestApp } from './helpers/app.js';

/**
 * Integrity errors are security events: a sealed value altered in the database is
 * refused — never wrong plaintext — with a 500 that says the record is damaged, an audit event
 * with the record's id, and an alert with its place (regression: a generic 500, no audit, no alert).
 */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ patients: 20 });
});
afterAll(async () => t?.close());

async function flipLastByte(table: string, column: string, id: string): Promise<void> {
  await t.store.driver.transaction((q) => q.query(`UPDATE ${table} SET ${column} = overlay(${column} placing decode(lpad(to_hex(get_byte(${column}, length(${column}) - 1) # 1), 2, '0'), 'hex') from length(${column}) for 1) WHERE id = $1`, [id]));
}

describe('a sealed value altered in the database', () => {
  it.each([
    { what: 'a patient\'s NIR', table: 'admin.patients', column: 'nir_sealed', url: (id: string) => `/fhir/Patient/${id}`, field: /nir/ },
    { what: 'a clinical note', table: 'clinical.notes', column: 'body_sealed', url: (id: string) => `/fhir/DocumentReference/${id}`, field: /note|body/ },
  ])('$what: 500 "damaged", audited with the record id, alerted with its place; the rest still reads', async ({ table, column, url, field }) => {
    const doctor = userOf(t.seeded, 'practitioner');
    const token = (await login(t, doctor)).access_token;
    // A record the doctor may read (treating doctor), and another one untouched.
    const rows = await t.store.driver.transaction((q) =>
      q.query<{ id: string }>(
        table === 'admin.patients'
          ? `SELECT p.id FROM admin.patients p JOIN admin.care_relationships c ON c.patient_id = p.id WHERE c.practitioner_id = $1 AND p.nir_sealed IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) ORDER BY p.id LIMIT 2`
          : `SELECT n.id FROM clinical.notes n JOIN admin.care_relationships c ON c.patient_id = n.patient_id WHERE c.practitioner_id = $1
               AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = n.patient_id) ORDER BY n.id LIMIT 2`,
        [doctor.fhirId],
      ),
    );
    const [damaged, intact] = rows.rows.map((r) => r.id) as [string, string];
    expect((await t.app.inject({ method: 'GET', url: url(damaged), headers: bearer(token) })).statusCode).toBe(200);
    await flipLastByte(table, column, damaged);

    const r = await t.app.inject({ method: 'GET', url: url(damaged), headers: bearer(token) });
    expect(r.statusCode).toBe(500);
    expect(r.json().resourceType).toBe('OperationOutcome');
    expect(r.json().issue[0].diagnostics).toMatch(/damaged/);
    await t.services.detection.settle();
    const audited = await t.store.driver.transaction((q) => q.query<{ detail: { field: string } }>("SELECT detail FROM audit.events WHERE action = 'integrity-check' AND resource_id::text = $1 AND outcome = 'error'", [damaged]));
    expect(audited.rows).toHaveLength(1);
    expect(audited.rows[0]!.detail.field).toMatch(field);
    const alerts = await t.store.driver.transaction((q) => q.query<{ findings: { rule: string; reason: string }[] }>('SELECT findings FROM audit.alerts'));
    const found = alerts.rows.flatMap((a) => a.findings).filter((f) => f.rule === 'record-damaged' && f.reason.includes(damaged));
    expect(found.length).toBeGreaterThan(0);
    // The damage is the record's, not the service's: the next record reads.
    expect((await t.app.inject({ method: 'GET', url: url(intact), headers: bearer(token) })).statusCode).toBe(200);
  });
});
