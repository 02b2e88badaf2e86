import { request as httpRequest } from 'node:http';
import { generate } from 'otplib';
import { clientOf, hashPassword, LoginThrottle, MemoryThrottleStore, generateTokenKeys } from '../../src/access/index.js';
import { buildServer, createServices, type Services } from '../../src/server/index.js';
import type { Thresholds } from '../../src/detect/index.js';
import { seedDemo, type DemoUser, type SeedResult } from '../../src/sim/seed.js';
import { composeNir } from '../../src/domain/index.js';
import { INS_NIR_SYSTEM, toFhirPatient } from '../../src/fhir/index.js';
import { AdminRepository, type OpenedStore, type StoredPatient } from '../../src/store/index.js';
import type { Backend } from '../helpers/backends.js';
import { makeVault, NOW } from '../helpers/fixtures.js';

/**
 * A real medvault server for the adversarial suite: listening on 127.0.0.1, detection and the
 * disclosure ledger at their production thresholds, on one backend, with seeded practices. The
 * clock starts on a Tuesday morning of the seeded calendar and moves only when a test moves it.
 */
export interface Server {
  readonly base: string;
  readonly services: Services;
  readonly store: OpenedStore;
  readonly seeded: SeedResult;
  now(): Date;
  advance(ms: number): void;
  /** Lifts every account's state (as a security officer's unlock does) before the next attack. */
  reset(): Promise<void>;
  /** The next attack: `days` later (daily windows empty), every account lifted. */
  fresh(days?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startServer(backend: Backend, o: { patients?: number; practices?: number; thresholds?: Partial<Thresholds> } = {}): Promise<Server> {
  const store = await backend.open();
  const keys = makeVault();
  const seeded = await seedDemo(store.db, { seed: 11, practices: o.practices ?? 2, patientsPerPractice: o.patients ?? 120, now: NOW, visitHistoryDays: 14, futureDays: 7, hashPassword, vault: keys.vault });
  let at = NOW.getTime();
  const clock = () => new Date(at);
  const services = await createServices({
    db: store.db, vault: keys.vault, keysDir: keys.dir, tokenKeys: generateTokenKeys(), clock, thresholds: o.thresholds ?? {},
    throttle: new LoginThrottle(new MemoryThrottleStore()),
    contact: { dpoName: 'DPO test', dpoEmail: 'dpo@medvault.test', operator: 'medvault test host' }, mailer: null,
  });
  // Every demo user has been working from their own workstation (the honest user agent, on this
  // network): that client is approved. A thief logs in from a client of his own.
  await approveWorkstations(store, seeded, NOW);
  const app = buildServer({ state: { services }, version: 'test', logLevel: 'silent', clock });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  services.publicUrl = `http://127.0.0.1:${address.port}`;
  const reset = async (): Promise<void> => {
    // The last attack's alerts and their side effects (sessions revoked) land before the lift.
    await services.detection.settle();
    const ids = await store.driver.transaction(async (q) => {
      await q.query(`UPDATE admin.users SET status = 'active' WHERE status = 'locked'`);
      return (await q.query<{ id: string }>('SELECT id FROM admin.users')).rows.map((r) => r.id);
    });
    for (const u of ids) {
      services.detection.detector.forget(u);
      await services.auth.secondFactorReset(u);
    }
    services.auth.forgetAccount();
  };
  return {
    base: `http://127.0.0.1:${address.port}`, services, store, seeded,
    now: clock,
    advance: (ms) => (at += ms),
    reset,
    async fresh(days = 2) {
      at += days * 86_400_000;
      await reset();
    },
    async close() {
      await app.close();
      await services.close();
      await store.cleanup();
      await keys.cleanup();
    },
  };
}

/** The user agent of the honest users' workstations (and of `call` by default). */
export const WORKSTATION_UA = 'Mozilla/5.0 (X11; Linux x86_64) medvault-adversary';

async function approveWorkstations(store: OpenedStore, seeded: SeedResult, at: Date): Promise<void> {
  const { key } = clientOf({ ip: '127.0.0.1', userAgent: WORKSTATION_UA });
  await store.driver.transaction(async (q) => {
    for (const u of seeded.users) {
      await q.query(
        `INSERT INTO admin.clients (practice_id, user_id, client, label, first_seen, last_seen, approved_at, approved_via)
         SELECT practice_id, id, $2, $3, $4, $4, $4, 'first' FROM admin.users WHERE username = $1`,
        [u.username, key, WORKSTATION_UA, at.toISOString()],
      );
    }
  });
}

export interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown> & { entry?: { resource: Record<string, unknown> }[] };
  readonly headers: Headers;
}

/**
 * One HTTP request from another source address (any 127.0.0.0/8 address is local on Linux): a person
 * on another network, as the server sees it (it trusts no proxy header by default).
 */
function callFrom(s: Server, from: string, method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(s.base + path, { method, headers, localAddress: from }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Reply['body'];
        try {
          parsed = text ? JSON.parse(text) : {};
        } catch {
          parsed = { text };
        }
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        resolve({ status: res.statusCode ?? 0, body: parsed, headers: h });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

/** One HTTP request to the server (from 127.0.0.1, or from `from`). */
export async function call(
  s: Server, method: string, path: string,
  o: { token?: string; body?: unknown; ua?: string; from?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  if (o.from !== undefined) {
    const headers: Record<string, string> = { 'user-agent': o.ua ?? WORKSTATION_UA };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.body !== undefined) headers['content-type'] = 'application/json';
    return callFrom(s, o.from, method, path, headers, o.body !== undefined ? JSON.stringify(o.body) : undefined);
  }
  const r = await fetch(s.base + path, {
    method,
    headers: {
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
      'user-agent': o.ua ?? WORKSTATION_UA,
      ...o.headers,
    },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  const text = await r.text();
  let body: Reply['body'];
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { text };
  }
  return { status: r.status, body, headers: r.headers };
}

/** Password, then the TOTP of the moment; null when the server refuses (locked, throttled). */
export async function login(s: Server, u: DemoUser, ua?: string, from?: string): Promise<string | null> {
  s.advance(31_000); // a TOTP step is good once
  const where = { ...(ua ? { ua } : {}), ...(from ? { from } : {}) };
  const l = await call(s, 'POST', '/auth/login', { body: { username: u.username, password: u.password }, ...where });
  if (l.status !== 200) return null;
  if (!l.body.mfa_required) return l.body.access_token as string;
  const code = await generate({ secret: u.totpSecret!, epoch: Math.floor(s.now().getTime() / 1000) });
  const m = await call(s, 'POST', '/auth/mfa', { body: { mfa_token: l.body.mfa_token, code }, ...where });
  return m.status === 200 ? (m.body.access_token as string) : null;
}

export function user(s: Server, role: DemoUser['role'], practice = 0, nth = 0): DemoUser {
  const practiceId = role === 'security-officer' ? null : s.seeded.practices[practice]!.id;
  const u = s.seeded.users.filter((x) => x.role === role && x.practiceId === practiceId)[nth];
  if (!u) throw new Error(`no ${role} #${nth} in practice ${practice}`);
  return u;
}

const SUBSETTED = (r: Record<string, unknown>) => ((r.meta as { tag?: { code: string }[] } | undefined)?.tag ?? []).some((t) => t.code === 'SUBSETTED');

/**
 * What responses actually carried, counted from their bodies (the suite's ground truth, not the
 * server's word): full identities (a Patient resource with everything), patients listed with
 * picker fields only, and clinical notes.
 */
export class Haul {
  readonly identities = new Set<string>();
  readonly listed = new Set<string>();
  readonly notes = new Set<string>();
  readonly notePatients = new Set<string>();

  add(body: Reply['body']): void {
    const resources = body.resourceType === 'Bundle' ? (body.entry ?? []).map((e) => e.resource) : [body];
    for (const r of resources) {
      if (r.resourceType === 'Patient') (SUBSETTED(r) ? this.listed : this.identities).add(r.id as string);
      if (r.resourceType === 'DocumentReference') {
        this.notes.add(r.id as string);
        this.notePatients.add(String((r.subject as { reference: string }).reference).slice('Patient/'.length));
      }
    }
  }
}

/**
 * The thief of the threat model: the victim's password and TOTP seed, logs in again whenever he
 * is thrown out (up to `relogins` times), and keeps what every 200 carried.
 */
export class Thief {
  token: string | null = null;
  readonly haul = new Haul();
  served = 0;
  refused = 0;
  logins = 0;

  constructor(
    private readonly s: Server,
    readonly victim: DemoUser,
    private readonly relogins = 5,
    readonly ua = 'Mozilla/5.0 (Windows NT 10.0) thief',
  ) {}

  /** A request as the victim; logs in again when thrown out. Returns the reply. */
  async request(method: string, path: string, body?: unknown): Promise<Reply> {
    for (let attempt = 0; ; attempt++) {
      if (this.token === null) {
        if (this.logins > this.relogins) return { status: 401, body: {}, headers: new Headers() };
        this.logins++;
        this.token = await login(this.s, this.victim, this.ua);
        if (this.token === null) return { status: 401, body: {}, headers: new Headers() };
      }
      const r = await call(this.s, method, path, { token: this.token, ...(body !== undefined ? { body } : {}), ua: this.ua });
      if (r.status === 200 || r.status === 201) {
        this.served++;
        this.haul.add(r.body);
        return r;
      }
      this.refused++;
      if (r.status === 401 && attempt === 0) {
        this.token = null;
        continue;
      }
      return r;
    }
  }

  get(path: string): Promise<Reply> {
    return this.request('GET', path);
  }
}

/** Patients of a practice that no care relationship ties to this practitioner (no treating declaration, no appointment). */
export async function strangers(s: Server, practitioner: DemoUser, limit = 200): Promise<string[]> {
  const r = await s.store.driver.transaction((q) =>
    q.query<{ id: string }>(
      `SELECT p.id FROM admin.patients p WHERE p.practice_id = $1
          AND NOT EXISTS (SELECT 1 FROM admin.care_relationships c WHERE c.patient_id = p.id AND c.practitioner_id = $2)
          AND NOT EXISTS (SELECT 1 FROM admin.appointments a WHERE a.patient_id = p.id AND a.practitioner_id = $2)
          AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) ORDER BY p.id LIMIT $3`,
      [practitioner.practiceId, practitioner.fhirId, limit],
    ),
  );
  return r.rows.map((x) => x.id);
}

/** The practitioner's own patients under standing care only: a treating declaration, no appointment near now. */
export async function ownPatients(s: Server, practitioner: DemoUser): Promise<string[]> {
  const r = await s.store.driver.transaction((q) =>
    q.query<{ id: string }>(
      `SELECT DISTINCT c.patient_id AS id FROM admin.care_relationships c WHERE c.practice_id = $1 AND c.practitioner_id = $2 AND c.ends_at IS NULL
          AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = c.patient_id) ORDER BY 1`,
      [practitioner.practiceId, practitioner.fhirId],
    ),
  );
  return r.rows.map((x) => x.id);
}

/** Appointments of the practice within a window, as a calendar shows them. */
export async function calendar(s: Server, practiceId: string, from: Date, to: Date): Promise<{ id: string; patientId: string; practitionerId: string; start: Date }[]> {
  const r = await s.store.driver.transaction((q) =>
    q.query<{ id: string; patient_id: string; practitioner_id: string; starts_at: Date }>(
      `SELECT id, patient_id, practitioner_id, starts_at FROM admin.appointments WHERE practice_id = $1 AND starts_at >= $2 AND starts_at < $3 AND status <> 'cancelled' ORDER BY starts_at`,
      [practiceId, from.toISOString(), to.toISOString()],
    ),
  );
  return r.rows.map((x) => ({ id: x.id, patientId: x.patient_id, practitionerId: x.practitioner_id, start: new Date(x.starts_at) }));
}

/**
 * The first `n` slots of `minutes` in the practitioner's agenda at or after `from`, `step` apart,
 * that no visit holding time (booked, arrived, seen) overlaps: where an honest desk books, as the
 * agenda refuses a slot already taken (src/records/agenda.ts). Read from the database, so the
 * slots found are free now; the caller books them in order.
 */
export async function freeSlots(
  s: Server, practitionerId: string, from: Date, n: number, o: { minutes?: number; step?: number } = {},
): Promise<Date[]> {
  const minutes = o.minutes ?? 20;
  const step = (o.step ?? 20) * 60_000;
  const taken = (await s.store.driver.transaction((q) =>
    q.query<{ starts_at: Date; ends_at: Date }>(
      `SELECT starts_at, ends_at FROM admin.appointments WHERE practitioner_id = $1 AND ends_at > $2
          AND status IN ('booked', 'arrived', 'fulfilled') ORDER BY starts_at`,
      [practitionerId, from.toISOString()],
    ))).rows.map((x) => ({ start: new Date(x.starts_at).getTime(), end: new Date(x.ends_at).getTime() }));
  const out: Date[] = [];
  for (let t = from.getTime(); out.length < n; t += step) {
    const end = t + minutes * 60_000;
    if (taken.some((x) => x.start < end && x.end > t)) continue;
    out.push(new Date(t));
    taken.push({ start: t, end });
  }
  return out;
}

/**
 * A practitioner with colleagues, and the colleagues' patients that have clinical notes and that no
 * care relationship ties to this practitioner: what a break-the-glass sweep goes after.
 */
export async function colleaguesNotes(s: Server, skip: readonly string[] = []): Promise<{ victim: DemoUser; patients: string[] }> {
  let best: { victim: DemoUser; patients: string[] } | null = null;
  for (const u of s.seeded.users.filter((x) => x.role === 'practitioner' && !skip.includes(x.username))) {
    const r = await s.store.driver.transaction((q) =>
      q.query<{ id: string }>(
        `SELECT DISTINCT n.patient_id AS id FROM clinical.notes n WHERE n.practice_id = $1 AND n.author_id <> $2
            AND NOT EXISTS (SELECT 1 FROM admin.care_relationships c WHERE c.patient_id = n.patient_id AND c.practitioner_id = $2)
            AND NOT EXISTS (SELECT 1 FROM admin.appointments a WHERE a.patient_id = n.patient_id AND a.practitioner_id = $2) ORDER BY 1`,
        [u.practiceId, u.fhirId],
      ),
    );
    const patients = r.rows.map((x) => x.id);
    if (!best || patients.length > best.patients.length) best = { victim: u, patients };
  }
  if (!best) throw new Error('no practitioner');
  return best;
}

/** An honest user's session: logs in once, refreshes its access token before it expires, as real clients do. */
export class Session {
  private access: string | null = null;
  private refresh: string | null = null;
  private issued = 0;

  constructor(
    private readonly s: Server,
    readonly user: DemoUser,
  ) {}

  /** A valid access token (logging in or refreshing as needed). */
  async tokens(): Promise<string> {
    if (this.access === null || this.refresh === null) {
      this.s.advance(31_000);
      const l = await call(this.s, 'POST', '/auth/login', { body: { username: this.user.username, password: this.user.password } });
      const code = async () => generate({ secret: this.user.totpSecret!, epoch: Math.floor(this.s.now().getTime() / 1000) });
      const m = l.body.mfa_required ? await call(this.s, 'POST', '/auth/mfa', { body: { mfa_token: l.body.mfa_token, code: await code() } }) : l;
      if (m.status !== 200) throw new Error(`honest login refused: ${m.status}`);
      this.access = m.body.access_token as string;
      this.refresh = m.body.refresh_token as string;
      this.issued = this.s.now().getTime();
    } else if (this.s.now().getTime() - this.issued > 10 * 60_000) {
      const r = await call(this.s, 'POST', '/auth/refresh', { body: { refresh_token: this.refresh } });
      if (r.status !== 200) {
        // The session ended (12 hours, say): a person logs in again the next morning.
        this.access = null;
        return this.tokens();
      }
      this.access = r.body.access_token as string;
      this.refresh = r.body.refresh_token as string;
      this.issued = this.s.now().getTime();
    }
    return this.access;
  }

  async request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply> {
    const token = await this.tokens();
    return call(this.s, method, path, { token, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
  }
}

/**
 * A practice admin mints an account (`POST /admin/accounts`), redeems its enrolment link himself,
 * and a security officer approves it: the account, on probation, as its holder knows it.
 */
export async function mint(s: Server, adminToken: string, role: 'practitioner' | 'assistant', name: string, practice: number): Promise<DemoUser> {
  const c = await call(s, 'POST', '/admin/accounts', { token: adminToken, body: { username: name, role, familyName: 'Minted', givenName: name } });
  if (c.status !== 201) throw new Error(`mint refused: ${c.status}`);
  const token = String(c.body.enrolmentUrl).split('/').pop()!;
  const secret = (await call(s, 'POST', '/auth/enrol', { body: { token } })).body.totpSecret as string;
  s.advance(31_000);
  const code = await generate({ secret, epoch: Math.floor(s.now().getTime() / 1000) });
  const done = await call(s, 'POST', '/auth/enrol/complete', { body: { token, password: `${name}-password!`, code } });
  if (done.status !== 200) throw new Error(`enrolment refused: ${done.status}`);
  const officer = await login(s, user(s, 'security-officer'));
  const ok = await call(s, 'POST', `/security/accounts/${c.body.id}/approve`, { token: officer! });
  if (ok.status !== 200) throw new Error(`approval refused: ${ok.status}`);
  return { username: name, password: `${name}-password!`, totpSecret: secret, role, practiceId: s.seeded.practices[practice]!.id, fhirId: c.body.id as string } as DemoUser;
}

// ─── FHIR Bundles: what the Bundle attacks build (bundles*.int.test.ts) ───────────────────────────

export const bundle = (type: 'batch' | 'transaction', entry: unknown[]) => ({ resourceType: 'Bundle', type, entry });

/** Patients of a practice with a NIR, opened as the practice's own tools open them (no decoys). */
export async function withNir(s: Server, practiceId: string): Promise<StoredPatient[]> {
  const ids = (await s.store.driver.transaction((q) => q.query<{ id: string }>(
    `SELECT id FROM admin.patients p WHERE practice_id = $1
        AND NOT EXISTS (SELECT 1 FROM audit.honeytokens h WHERE h.patient_id = p.id) ORDER BY id`, [practiceId],
  ))).rows.map((r) => r.id);
  return s.services.db.transaction({ role: 'admin', practiceId }, async (tx) => {
    const repo = new AdminRepository(tx, s.services.vault.admin(practiceId));
    const out: StoredPatient[] = [];
    for (const id of ids) {
      const p = await repo.patient(id);
      if (p?.nir) out.push(p);
    }
    return out;
  });
}

/** A patient as a client registers it: the stored one's FHIR form without its id. */
export function asNew(p: StoredPatient): Record<string, unknown> {
  const { id: _id, meta: _meta, ...rest } = toFhirPatient(p);
  return rest;
}

/** A new patient with a valid NIR of this serial. */
export const newPatient = (serial: number): Record<string, unknown> => ({
  resourceType: 'Patient', gender: 'female', birthDate: '1984-06-02',
  identifier: [{ system: INS_NIR_SYSTEM, value: composeNir({ sexDigit: 2, year: 84, month: 6, birthplace: '75056', serial }) }],
  name: [{ use: 'official', family: 'Lemaire', given: ['Claire'] }],
});
