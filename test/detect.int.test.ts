import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, login, startTestApp, userOf, type TestApp } from './helpers/app.js';

/** Detection in the request path, with the default thresholds. */
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ patients: 200, thresholds: {} });
});
afterAll(async () => t?.close());

const get = (token: string, url: string) => t.app.inject({ method: 'GET', url, headers: bearer(token) });

describe('detection and containment', () => {
  it('locks the account on the request after a honeytoken read; a security officer sees why and unlocks', async () => {
    const docUser = userOf(t.seeded, 'practitioner');
    const doc = await login(t, docUser);
    const decoy = (await t.store.driver.transaction((s) => s.query<{ patient_id: string }>('SELECT patient_id FROM audit.honeytokens WHERE practice_id = $1 LIMIT 1', [docUser.practiceId]))).rows[0]!.patient_id;
    // The decoy looks like any patient through the API.
    const read = await get(doc.access_token, `/fhir/Patient/${decoy}`);
    expect(read.statusCode).toBe(200);
    expect(read.body).not.toMatch(/decoy|honeytoken/i);
    await t.services.detection.settle();
    const next = await get(doc.access_token, '/fhir/Patient?_count=1');
    expect(next.statusCode).toBe(403);
    expect(next.json().issue[0].diagnostics).toMatch(/locked/);
    // Logging in again does not help: the state is the account's.
    const again = await t.app.inject({ method: 'POST', url: '/auth/login', payload: { username: docUser.username, password: docUser.password } });
    expect(again.statusCode).toBe(403);

    const officer = await login(t, userOf(t.seeded, 'security-officer'));
    const alerts = (await get(officer.access_token, '/security/alerts')).json().alerts as { userId: string; username: string; severity: string; action: string; reasons: string[] }[];
    const mine = alerts.find((a) => a.userId === docUser.fhirId);
    expect(mine).toMatchObject({ username: docUser.username, severity: 'critical', action: 'lock' });
    expect(mine!.reasons[0]).toMatch(/decoy patient/);
    expect((await get(doc.access_token, '/security/alerts')).statusCode).toBe(403);

    const unlock = await t.app.inject({ method: 'POST', url: `/security/accounts/${docUser.fhirId}/unlock`, headers: bearer(officer.access_token) });
    expect(unlock.statusCode).toBe(204);
    const back = await login(t, docUser);
    expect((await get(back.access_token, '/fhir/Patient?_count=1')).statusCode).toBe(200);
  });

  it('stops an account paging through patient searches within a few pages', async () => {
    const docUser = userOf(t.seeded, 'practitioner', 1);
    const doc = await login(t, docUser);
    const seen = new Set<string>();
    let url: string | null = '/fhir/Patient?_count=20';
    let status = 200;
    for (let i = 0; i < 50 && url; i++) {
      const r = await get(doc.access_token, url);
      status = r.statusCode;
      if (status !== 200) break;
      const b = r.json() as { entry?: { resource: { id: string } }[]; link: { relation: string; url: string }[] };
      for (const e of b.entry ?? []) seen.add(e.resource.id);
      const next = b.link.find((l) => l.relation === 'next');
      url = next ? new URL(next.url).pathname + new URL(next.url).search : null;
    }
    expect(status).toBe(429);
    expect(seen.size).toBeLessThanOrEqual(60);
    const officer = await login(t, userOf(t.seeded, 'security-officer'));
    const alerts = (await get(officer.access_token, '/security/alerts')).json().alerts as { userId: string; reasons: string[] }[];
    expect(alerts.find((a) => a.userId === docUser.fhirId)?.reasons.join(' ')).toMatch(/distinct patients in an hour/);
  });
});
