import type { KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTokenKeys, MemoryEphemeralStore } from '../../src/access/index.js';
import { DEFAULT_THRESHOLDS } from '../../src/detect/index.js';
import { MAX_COUNT } from '../../src/fhir/index.js';
import { CursorStore, cursorKey } from '../../src/server/cursors.js';
import { AdminRepository } from '../../src/store/index.js';
import type { DemoUser } from '../../src/sim/seed.js';
import { BACKENDS } from '../helpers/backends.js';
import { writeClinical } from '../helpers/clinical.js';
import { patientsOf } from '../helpers/app.js';
import {
  call, ownPatients, Session, startServer, strangers, Thief, user, WORKSTATION_UA, type Reply, type Server,
} from './harness.js';

/**
 * The page links of FHIR searches (`?_cursor=…`), attacked: a cursor now carries its search sealed
 * under the installation's cursor key (HKDF of the token-signing key), or, for criteria too long for
 * a link, names a sealed entry of the shared store. What must hold:
 *  - a link says nothing of the search (not its words, not their length);
 *  - it serves only its user, its route and ten minutes;
 *  - it cannot widen the search, and every page followed is a search again (ledger, audit);
 *  - anything malformed or forged is a 400 OperationOutcome that writes nothing;
 *  - a cursor is no token and a token no cursor;
 *  - an honest client following `next` gets every entry once.
 *
 *   npx vitest run --project server test/adversary/page-cursors.int.test.ts
 *
 * On the embedded database only: nothing here depends on the database's engine.
 */
const DAY = 86_400_000;
const MINUTE = 60_000;

type Link = { relation: string; url: string };
const linkOf = (r: Reply, relation: string): string | null => {
  const l = ((r.body.link ?? []) as Link[]).find((x) => x.relation === relation);
  return l ? l.url.replace(/^https?:\/\/[^/]+/, '') : null;
};
const cursorOf = (path: string): string => decodeURIComponent(path.split('_cursor=')[1]!);
const idsOf = (r: Reply): string[] => (r.body.entry ?? []).map((e) => e.resource.id as string);
const isOutcome = (r: Reply) => r.body.resourceType === 'OperationOutcome';

describe.each([BACKENDS[0]!])('page cursors under attack ($name)', (backend) => {
  let s: Server;
  let doc: DemoUser;
  let colleague: DemoUser;
  let elsewhere: DemoUser;

  beforeAll(async () => {
    s = await startServer(backend, { practices: 2, patients: 120 });
    doc = user(s, 'practitioner', 0);
    colleague = user(s, 'practitioner', 0, 1);
    elsewhere = user(s, 'practitioner', 1);
  });
  afterAll(async () => {
    await s?.close();
  });

  const userId = async (u: DemoUser): Promise<string> => (await s.store.driver.transaction((q) =>
    q.query<{ id: string }>('SELECT id FROM admin.users WHERE username = $1', [u.username]))).rows[0]!.id;
  const auditRows = async (): Promise<number> => Number((await s.store.driver.transaction((q) =>
    q.query<{ n: number }>('SELECT count(*)::int AS n FROM audit.events'))).rows[0]!.n);
  const searches = async (uid: string, type: string): Promise<number> => Number((await s.store.driver.transaction((q) =>
    q.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit.events WHERE user_id = $1 AND action = 'search' AND resource_type = $2`, [uid, type]))).rows[0]!.n);
  const held = () => (s.services.ephemeral as unknown as { entries: Map<string, unknown> }).entries.size;
  // The installation's cursor key, as the store holds it (a key object), in its bytes.
  const installationKey = () => (s.services.cursors as unknown as { key: KeyObject }).key.export();

  /** Follows `next` links from `first`, as an unmodified FHIR client does; every page must be a 200. */
  async function walk(who: Session, first: string, body?: unknown): Promise<{ ids: string[]; pages: Reply[] }> {
    const ids: string[] = [];
    const pages: Reply[] = [];
    let r = await who.request(body === undefined ? 'GET' : 'POST', first, body);
    for (;;) {
      expect(r.status, JSON.stringify(r.body).slice(0, 300)).toBe(200);
      expect(JSON.stringify(r.body)).not.toContain('Liste coupée');
      pages.push(r);
      ids.push(...idsOf(r));
      const next = linkOf(r, 'next');
      if (next === null) return { ids, pages };
      r = await who.request('GET', next);
    }
  }

  // ─── the honest path ────────────────────────────────────────────────────────────────────────
  it('an honest client following next links gets every patient of a name search once, in order', async () => {
    await s.fresh();
    const practiceId = doc.practiceId!;
    const byName = (name: string) => s.services.db.transaction({ role: 'admin', practiceId }, (tx) =>
      new AdminRepository(tx, s.services.vault.admin(practiceId)).searchPatients({ name, limit: 1000 }));
    // A three-letter start of names that finds 7 to 25 patients: several pages of 2.
    const prefixes = new Set<string>();
    for (const p of await patientsOf(s, practiceId)) {
      for (const n of [p.birthFamilyName, ...p.givenNames]) if (/^[A-Za-z]{3}/.test(n)) prefixes.add(n.slice(0, 3).toLowerCase());
    }
    let term: string | null = null;
    let expected: string[] = [];
    for (const x of [...prefixes].sort()) {
      const found = (await byName(x)).map((p) => p.id);
      if (found.length >= 7 && found.length <= 25 && found.length > expected.length) {
        term = x;
        expected = found;
      }
    }
    expect(term, 'a name start that finds 7 to 25 patients').not.toBeNull();
    const honest = new Session(s, doc);
    const got = await walk(honest, `/fhir/Patient?name=${term}&_count=2`);
    expect(got.pages.length).toBe(Math.ceil(expected.length / 2));
    expect(new Set(got.ids).size).toBe(got.ids.length);
    expect(got.ids).toEqual(expected);
    // The same search sent as a body (POST _search) pages the same way.
    const posted = await walk(honest, '/fhir/Patient/_search', { name: term, _count: '3' });
    expect(posted.ids).toEqual(expected);
  });

  it("an honest client following next links gets every Observation of one patient once, short and long searches alike", async () => {
    await s.fresh();
    const p = (await ownPatients(s, doc))[0]!;
    const at = s.now().getTime() - 30 * DAY;
    const written = await writeClinical(s.services.db, s.services.vault, doc.practiceId!, Array.from({ length: 56 }, (_, i) => ({
      practiceId: doc.practiceId!, patientId: p, authorId: doc.fhirId!, type: 'Observation', at: new Date(at + i * 3_600_000),
    })));
    const all = (await s.store.driver.transaction((q) => q.query<{ id: string }>(
      `SELECT id FROM clinical.resources WHERE patient_id = $1 AND type = 'Observation' AND current`, [p]))).rows.map((r) => r.id);
    const honest = new Session(s, doc);
    // A date range (a repeated parameter) rides in the link too.
    const short = await walk(honest, `/fhir/Observation?patient=${p}&date=ge2000-01-01&date=le2100-01-01&_count=5`);
    expect(short.pages.length).toBe(Math.ceil(all.length / 5));
    expect(new Set(short.ids).size).toBe(short.ids.length);
    expect(new Set(short.ids)).toEqual(new Set(all));
    // A page size past the limit is the limit, on the first page and on the pages its links lead to.
    const clamped = await walk(honest, `/fhir/Observation?patient=${p}&_count=9999`);
    expect(clamped.pages.map((x) => idsOf(x).length)).toEqual([MAX_COUNT, all.length - MAX_COUNT]);
    expect(new Set(clamped.ids)).toEqual(new Set(all));
    // Criteria too long for a link (20 codes): the stored form, every entry once as well.
    const codes = ['85354-9', ...Array.from({ length: 19 }, (_, i) => `http://example.org/not-a-code-system|${'z'.repeat(40)}${i}`)];
    const long = await walk(honest, '/fhir/Observation/_search', { patient: p, code: codes.join(','), _count: '10' });
    expect(linkOf(long.pages[0]!, 'self')).toMatch(/_cursor=[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{43}$/);
    expect(new Set(long.ids).size).toBe(long.ids.length);
    for (const w of written) expect(long.ids).toContain(w.id);
    expect(long.pages.length).toBe(Math.ceil(long.ids.length / 10));
  });

  // ─── 1. what a link tells ───────────────────────────────────────────────────────────────────
  it('a link tells neither the words searched for nor their length', async () => {
    await s.fresh();
    const t = new Session(s, doc);
    const searches = [
      '/fhir/Patient?family=Zyx', '/fhir/Patient?family=Zyxwvutsrqponmlkjihgfedcbazyxwvuts',
      '/fhir/Patient?email=secret.person%40example.org', '/fhir/Patient?phone=0612345678',
      '/fhir/Patient?name=Zyxwvut%20Qponml&birthdate=1970-01-01',
    ];
    const lengths = new Set<number>();
    for (const q of searches) {
      const r = await t.request('GET', q);
      expect(r.status).toBe(200);
      const link = cursorOf(linkOf(r, 'self')!);
      expect(link).toMatch(/^[A-Za-z0-9_-]+$/);
      const opened = Buffer.from(link, 'base64url').toString('latin1');
      for (const word of ['Zyx', 'zyx', 'secret', 'example.org', '0612345678', '1970']) {
        expect(link).not.toContain(word);
        expect(opened).not.toContain(word);
      }
      lengths.add(link.length);
    }
    // A three-letter name and a thirty-letter one, an email, a phone: links of one length (a
    // link's length would otherwise say how long the name searched for was).
    expect([...lengths]).toHaveLength(1);
  });

  // ─── 2. whose, where, how long ──────────────────────────────────────────────────────────────
  it("serves only its own user, its own route and ten minutes; stands alone", async () => {
    await s.fresh();
    const mine = new Session(s, doc);
    const p = (await ownPatients(s, doc))[1]!;
    const at = new Date(s.now().getTime() - 10 * DAY);
    const [a, b] = await writeClinical(s.services.db, s.services.vault, doc.practiceId!, [0, 1].map(() => ({
      practiceId: doc.practiceId!, patientId: p, authorId: doc.fhirId!, type: 'Observation', at,
    })));
    const patients = await mine.request('GET', '/fhir/Patient?_count=2');
    const obs = await mine.request('GET', `/fhir/Observation?patient=${p}&_count=1`);
    const hist = await mine.request('GET', `/fhir/Observation/${a!.id}/_history`);
    const longQ = await mine.request('POST', '/fhir/Patient/_search', { family: `Zyx${'q'.repeat(800)}` });
    for (const r of [patients, obs, hist, longQ]) expect(r.status).toBe(200);
    const pNext = cursorOf(linkOf(patients, 'next')!);
    const oNext = cursorOf(linkOf(obs, 'next')!);
    const hSelf = cursorOf(linkOf(hist, 'self')!);
    const stored = cursorOf(linkOf(longQ, 'self')!);
    expect(stored).toMatch(/^[A-Za-z0-9_-]{24}\.[A-Za-z0-9_-]{43}$/);

    const st: Record<string, number> = {};
    const as = async (k: string, who: Session, path: string) => {
      const r = await who.request('GET', path);
      st[k] = r.status;
      if (r.status >= 400) expect(isOutcome(r), k).toBe(true);
    };
    const theirs = new Session(s, colleague);
    const far = new Session(s, elsewhere);
    await as('own Patient cursor', mine, `/fhir/Patient?_cursor=${pNext}`);
    await as('own Observation cursor', mine, `/fhir/Observation?_cursor=${oNext}`);
    await as('own history cursor', mine, `/fhir/Observation/${a!.id}/_history?_cursor=${hSelf}`);
    await as('own stored cursor', mine, `/fhir/Patient?_cursor=${stored}`);
    await as("colleague's use of the Patient cursor", theirs, `/fhir/Patient?_cursor=${pNext}`);
    await as("colleague's use of the Observation cursor", theirs, `/fhir/Observation?_cursor=${oNext}`);
    await as("colleague's use of the stored cursor", theirs, `/fhir/Patient?_cursor=${stored}`);
    await as("other practice's use of the Patient cursor", far, `/fhir/Patient?_cursor=${pNext}`);
    await as('Patient cursor on AuditEvent', mine, `/fhir/AuditEvent?_cursor=${pNext}`);
    await as('Patient cursor on Practitioner', mine, `/fhir/Practitioner?_cursor=${pNext}`);
    await as('Patient cursor on Observation', mine, `/fhir/Observation?_cursor=${pNext}`);
    await as('Observation cursor on Condition', mine, `/fhir/Condition?_cursor=${oNext}`);
    await as('Observation cursor on Patient', mine, `/fhir/Patient?_cursor=${oNext}`);
    await as('stored Patient cursor on Observation', mine, `/fhir/Observation?_cursor=${stored}`);
    await as("history cursor on another resource's history", mine, `/fhir/Observation/${b!.id}/_history?_cursor=${hSelf}`);
    await as('history cursor on the search', mine, `/fhir/Observation?_cursor=${hSelf}`);
    await as('cursor with a patient beside it', mine, `/fhir/Observation?_cursor=${oNext}&patient=${p}`);
    await as('cursor with a _count beside it', mine, `/fhir/Patient?_cursor=${pNext}&_count=50`);
    await as('cursor given twice', mine, `/fhir/Patient?_cursor=${pNext}&_cursor=${pNext}`);
    expect(st).toEqual({
      'own Patient cursor': 200, 'own Observation cursor': 200, 'own history cursor': 200, 'own stored cursor': 200,
      "colleague's use of the Patient cursor": 400, "colleague's use of the Observation cursor": 400,
      "colleague's use of the stored cursor": 400, "other practice's use of the Patient cursor": 400,
      'Patient cursor on AuditEvent': 400, 'Patient cursor on Practitioner': 400, 'Patient cursor on Observation': 400,
      'Observation cursor on Condition': 400, 'Observation cursor on Patient': 400, 'stored Patient cursor on Observation': 400,
      "history cursor on another resource's history": 400, 'history cursor on the search': 400,
      'cursor with a patient beside it': 400, 'cursor with a _count beside it': 400, 'cursor given twice': 400,
    });

    // Ten minutes from when it was made: good at 9, gone past 10 (sealed and stored alike).
    const fresh = await mine.request('GET', '/fhir/Patient?_count=2');
    const sealed = cursorOf(linkOf(fresh, 'next')!);
    const kept = cursorOf(linkOf(await mine.request('POST', '/fhir/Patient/_search', { family: `Zyx${'q'.repeat(800)}` }), 'self')!);
    s.advance(9 * MINUTE);
    expect((await mine.request('GET', `/fhir/Patient?_cursor=${sealed}`)).status).toBe(200);
    expect((await mine.request('GET', `/fhir/Patient?_cursor=${kept}`)).status).toBe(200);
    s.advance(MINUTE + 1000);
    const late = await mine.request('GET', `/fhir/Patient?_cursor=${sealed}`);
    expect(late.status).toBe(400);
    expect(isOutcome(late)).toBe(true);
    expect((await mine.request('GET', `/fhir/Patient?_cursor=${kept}`)).status).toBe(400);
  });

  // ─── 3. no widening, every page a search ────────────────────────────────────────────────────
  it('a thief paging and replaying cursors is counted and audited at every page, and held to the broad-listing budget', async () => {
    await s.fresh();
    const victim = user(s, 'practitioner', 0, 2);
    const uid = await userId(victim);
    // On the victim's own workstation (an approved client: the larger budgets).
    const t = new Thief(s, victim, 3, WORKSTATION_UA);
    // No way to name an offset or a page size past the limit himself.
    for (const q of ['_offset=40', '_getpagesoffset=40', '_page=3', '_count=99999', '_count=-1', '_count=0']) {
      const r = await t.get(`/fhir/Patient?${q}`);
      expect(r.status, q).toBe(400);
      expect(isOutcome(r)).toBe(true);
    }
    const before = await searches(uid, 'Patient');
    const statuses: number[] = [];
    // The listing page by page, each next link followed three times.
    let r = await t.get('/fhir/Patient?_count=3');
    statuses.push(r.status);
    let served = r.status === 200 ? 1 : 0;
    const listed = new Set<string>(r.status === 200 ? idsOf(r) : []);
    for (let page = 0; page < 20 && r.status === 200; page++) {
      const next = linkOf(r, 'next');
      if (next === null) break;
      for (let replay = 0; replay < 3; replay++) {
        r = await t.get(next);
        statuses.push(r.status);
        if (r.status !== 200) break;
        served++;
        for (const id of idsOf(r)) listed.add(id);
        expect(idsOf(r).length).toBeLessThanOrEqual(3);
      }
    }
    await s.services.detection.settle();
    expect(served).toBeGreaterThan(3);
    // Every page served, replays included, is one audited search.
    expect(await searches(uid, 'Patient') - before).toBeGreaterThanOrEqual(served);
    // The ledger still binds across pages: the practice's identities listed stay within the budget,
    // and the listing ends cut or refused, not at the end of the practice.
    expect(listed.size).toBeLessThanOrEqual(DEFAULT_THRESHOLDS.disclosedPer10Min);
    expect(statuses.at(-1) !== 200 || JSON.stringify(r.body).includes('Liste coupée')).toBe(true);
    console.log(`[cursors] broad listing by cursors: ${served} pages served, ${listed.size} identities, statuses ${statuses.join(' ')}`);
  });

  it('every page followed is audited as a search: replaying one next link three times writes three events', async () => {
    await s.fresh();
    const uid = await userId(doc);
    const honest = new Session(s, doc);
    const p = (await ownPatients(s, doc))[2]!;
    const first = await honest.request('GET', `/fhir/Observation?patient=${p}&_count=1`);
    expect(first.status).toBe(200);
    const next = linkOf(first, 'next');
    expect(next).not.toBeNull();
    const before = await searches(uid, 'Observation');
    for (let i = 0; i < 3; i++) expect((await honest.request('GET', next!)).status).toBe(200);
    expect(await searches(uid, 'Observation') - before).toBe(3);
  });

  // ─── 4. malformed and forged: 400, nothing written ──────────────────────────────────────────
  it('malformed, truncated, huge and forged cursors are a 400 OperationOutcome and write nothing', async () => {
    await s.fresh();
    const mine = new Session(s, doc);
    const uid = await userId(doc);
    const target = (await strangers(s, doc, 1))[0]!;
    const good = await mine.request('GET', '/fhir/Patient?_count=2');
    const sealed = cursorOf(linkOf(good, 'next')!);
    const stored = cursorOf(linkOf(await mine.request('POST', '/fhir/Patient/_search', { family: `Zyx${'q'.repeat(800)}` }), 'self')!);
    const [id] = stored.split('.');
    const flip = (c: string, at: number) => `${c.slice(0, at)}${c[at] === 'A' ? 'B' : 'A'}${c.slice(at + 1)}`;
    // A well-formed cursor of this user and route, made under another installation's key, widened.
    const foreign = new CursorStore(new MemoryEphemeralStore(() => s.now().getTime()), cursorKey(generateTokenKeys().privateKey), s.now);
    const widened = await foreign.put({ userId: uid, kind: 'Patient', params: {}, offset: 0, count: 10_000 });
    const otherPatient = await foreign.put({ userId: uid, kind: 'Observation', params: { patient: target }, offset: 0, count: 50 });
    const token = await mine.tokens();
    const bad: [string, string][] = [
      ['empty', ''], ['one char', 'x'], ['punctuation', '!!!'], ['39 chars', 'A'.repeat(39)], ['40 zeros', 'A'.repeat(40)],
      ['1062 chars', 'A'.repeat(1062)], ['1401 chars', 'A'.repeat(1401)], ['6000 chars', 'A'.repeat(6000)],
      ['truncated', sealed.slice(0, -1)], ['truncated by 4', sealed.slice(0, -4)], ['cut in half', sealed.slice(0, sealed.length >> 1)],
      ['first char flipped', flip(sealed, 0)], ['middle char flipped', flip(sealed, sealed.length >> 1)], ['last char flipped', flip(sealed, sealed.length - 1)],
      ['padded', `${sealed}==`], ['with a dot', `${sealed}.`], ['base64 not base64url', sealed.replace(/-/g, '+').replace(/_/g, '/')],
      ['unicode', 'é'.repeat(50)], ['NUL', `${sealed.slice(0, 50)}\u0000${sealed.slice(51)}`],
      ['stored shape, nothing stored', `${'a'.repeat(24)}.${'b'.repeat(43)}`], ['stored id, wrong key', `${id}.${'A'.repeat(43)}`],
      ['stored, key truncated', stored.slice(0, -1)], ['stored, key flipped', flip(stored, stored.length - 3)],
      ["another installation's widened cursor", widened], ["another installation's cursor naming a stranger", otherPatient],
      ['the access token', token],
    ];
    // Everything a session needs is in place before counting.
    const rows = await auditRows();
    const entries = held();
    const st: Record<string, number> = {};
    for (const [name, c] of bad) {
      const kind = name.includes('stranger') ? 'Observation' : 'Patient';
      for (const [how, r] of [
        ['GET', await mine.request('GET', `/fhir/${kind}?_cursor=${encodeURIComponent(c)}`)],
        ['POST', await mine.request('POST', `/fhir/${kind}/_search`, { _cursor: c })],
      ] as const) {
        st[`${how} ${name}`] = r.status;
        expect(isOutcome(r), `${how} ${name}`).toBe(true);
      }
    }
    // A form body of 60 KB, a JSON body of 600 KB, a number, a list, an object.
    const form = await fetch(`${s.base}/fhir/Patient/_search`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'user-agent': WORKSTATION_UA, 'content-type': 'application/x-www-form-urlencoded' },
      body: `_cursor=${'A'.repeat(60_000)}`,
    });
    st['form 60 KB'] = form.status;
    expect((await form.json() as { resourceType: string }).resourceType).toBe('OperationOutcome');
    for (const [name, body] of [['JSON 600 KB', { _cursor: 'A'.repeat(600_000) }], ['number', { _cursor: 12 }], ['list', { _cursor: [sealed] }], ['object', { _cursor: { a: 1 } }]] as const) {
      const r = await mine.request('POST', '/fhir/Patient/_search', body);
      st[name] = r.status;
      expect(isOutcome(r), name).toBe(true);
    }
    for (const [k, v] of Object.entries(st)) expect(v, k).toBe(400);
    expect(await auditRows()).toBe(rows);
    expect(held()).toBe(entries);
  });

  // ─── 5. a cursor is no token, a token no cursor ─────────────────────────────────────────────
  it('a cursor is no bearer token, and the cursor key signs no token', async () => {
    await s.fresh();
    const mine = new Session(s, doc);
    const uid = await userId(doc);
    const r = await mine.request('GET', '/fhir/Patient?_count=2');
    const sealed = cursorOf(linkOf(r, 'next')!);
    const stored = cursorOf(linkOf(await mine.request('POST', '/fhir/Patient/_search', { family: `Zyx${'q'.repeat(800)}` }), 'self')!);
    for (const c of [sealed, stored]) {
      const asToken = await call(s, 'GET', '/fhir/Patient', { token: c });
      expect(asToken.status).toBe(401);
    }
    // A token MACed with the cursor key (were it ever confused with a signing secret): refused.
    const now = Math.floor(s.now().getTime() / 1000);
    const forged = await new SignJWT({ sub: uid, sid: 'x', role: 'practitioner', pid: doc.practiceId, pat: null, scope: 'user/*.*', auth_time: now, acr: 'mfa', amr: ['pwd', 'otp'] })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).setIssuer('medvault').setIssuedAt(now).setExpirationTime(now + 600)
      .sign(installationKey());
    expect((await call(s, 'GET', '/fhir/Patient', { token: forged })).status).toBe(401);
    // The cursor key is the token key's, for this purpose only: not the key itself, not another installation's.
    expect(installationKey()).toHaveLength(32);
    expect(installationKey().equals(cursorKey(generateTokenKeys().privateKey))).toBe(false);
  });
});
