import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  AccountService, AuthService, EnrolmentService, LoginThrottle, loadOrCreateTokenKeys, MemoryEphemeralStore, MemoryThrottleStore, OidcLogin, RedisEphemeralStore, RedisThrottleStore,
  type Approvers, type EphemeralStore, type OidcConfig, type TokenKeys,
} from '../access/index.js';
import { AuditBatcher, type AuditStatus } from '../audit/index.js';
import { IncidentService, type Contact, type Mailer } from '../incident/index.js';
import { DetectionService, RedisEventBus, type EventBus, type Thresholds } from '../detect/index.js';
import type { Database } from '../store/index.js';
import type { Vault } from '../vault/index.js';
import { CursorStore, cursorKey } from './cursors.js';

/** What the routes work with, available once the database and the keys are open. */
export interface Services {
  readonly db: Database;
  readonly vault: Vault;
  readonly auth: AuthService;
  readonly accounts: AccountService;
  /** The user's side of enrolment links. */
  readonly enrolment: EnrolmentService;
  /**
   * Where users reach medvault (MEDVAULT_PUBLIC_URL, else the address it listens on): links are
   * built from it, never from a request's Host. Set once the server listens.
   */
  publicUrl: string;
  readonly oidc: OidcLogin | null;
  readonly detection: DetectionService;
  /** Group commit of the reads' audit events. */
  readonly auditBatch: AuditBatcher;
  /** Second-factor challenges and long paging cursors (Redis when instances share the load). */
  readonly ephemeral: EphemeralStore;
  /** The searches' page links (sealed under the installation's cursor key). */
  readonly cursors: CursorStore;
  /** The audit log's last signed head and verification on request (null where no signing key is at hand). */
  readonly auditStatus: AuditStatus | null;
  /** Whether Redis (shared login state, challenges, cursors) answers; true when there is none. */
  sharedStateReady(): boolean;
  /**
   * Whether this instance serves patient data now: always with no Redis (it is the only one) or
   * while Redis answers; during an outage, only the instance that claims the database.
   */
  servesPatientData(): boolean;
  /** Incident response: scope, register, containment, documents. */
  readonly incidents: IncidentService;
  /** Closes what the services opened (Redis connections, the bus). */
  close(): Promise<void>;
}

export class NotReadyError extends Error {
  override readonly name = 'NotReadyError';
  readonly statusCode = 503;
}

export interface ServiceOptions {
  readonly db: Database;
  readonly vault: Vault;
  /** The token-signing key pair; by default kept in keysDir/token-signing.pem. */
  readonly tokenKeys?: TokenKeys;
  readonly keysDir: string;
  readonly oidc?: OidcConfig | null;
  readonly clock?: () => Date;
  readonly throttle?: LoginThrottle;
  /** Detection thresholds (operators tune them; tests of other features loosen them). */
  readonly thresholds?: Partial<Thresholds>;
  /** How instances share access events (Redis with MEDVAULT_REDIS_URL); one instance by default. */
  readonly bus?: EventBus;
  /** MEDVAULT_ALERT_WEBHOOK_URL: alerts are also POSTed there. */
  readonly alertWebhook?: string | null;
  /**
   * MEDVAULT_REDIS_URL: every instance then shares the detector's events, the login-failure
   * counts, the second-factor challenges and the paging cursors through it.
   */
  readonly redisUrl?: string | null;
  /**
   * Without Redis, this instance claims the database for itself (a second one refuses to start: its
   * budgets would be counted apart). False only where a test builds a second set of services over a
   * database on purpose (a restart while the first still runs).
   */
  readonly soleInstance?: boolean;
  /** Prefix of every Redis key and channel (several deployments may share one Redis); default "medvault:". */
  readonly redisPrefix?: string;
  /** Who the breach documents name (MEDVAULT_DPO_NAME, MEDVAULT_DPO_EMAIL, MEDVAULT_OPERATOR_NAME). */
  readonly contact?: Contact;
  /** Where Art. 34 e-mails go out (MEDVAULT_SMTP_URL); none by default. */
  readonly mailer?: Mailer | null;
  readonly auditStatus?: AuditStatus | null;
  /** MEDVAULT_PUBLIC_URL: the address users reach; links (enrolment, FHIR paging) are built from it. */
  readonly publicUrl?: string;
  /** MEDVAULT_ACCOUNT_APPROVERS: who approves a new account besides its creator; default either. */
  readonly approvers?: Approvers;
}

/** The breach documents' contact, from the environment (demo values are marked as such). */
export function contactFromEnv(env: NodeJS.ProcessEnv): Contact {
  return {
    dpoName: env.MEDVAULT_DPO_NAME ?? 'Délégué à la protection des données (à configurer : MEDVAULT_DPO_NAME)',
    dpoEmail: env.MEDVAULT_DPO_EMAIL ?? 'dpo@example.invalid',
    operator: env.MEDVAULT_OPERATOR_NAME ?? 'medvault (hébergeur de données de santé)',
  };
}

/** The database claim of the instance that serves patient data alone (no Redis, or Redis away). */
const SOLE_INSTANCE = 'medvault:ledger:sole-instance';

/** Patient data is not served here now: Redis is away and another instance serves it (503, try again). */
export class SharedStateUnavailableError extends Error {
  override readonly name = 'SharedStateUnavailableError';
  constructor() {
    super('shared state unavailable: another instance serves patient data until Redis returns');
  }
}

/** Builds the services of a running medvault (in the CLI, and in tests through inject). */
export async function createServices(o: ServiceOptions): Promise<Services> {
  const clock = o.clock ?? (() => new Date());
  // Commands fail at once while Redis is away (no offline queue, one retry): a login then gets a
  // clear 503 in milliseconds, not a 500 after 9–15 s.
  const redis = o.redisUrl ? new Redis(o.redisUrl, { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 3000 }) : null;
  redis?.on('error', () => undefined);
  if (redis && redis.status !== 'ready') {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('Redis (MEDVAULT_REDIS_URL) did not answer within 5 s')), 5000);
      redis.once('ready', () => {
        clearTimeout(t);
        resolve();
      });
    }).catch((e: unknown) => {
      redis.disconnect();
      throw e;
    });
  }
  const prefix = o.redisPrefix ?? 'medvault:';
  const throttle = o.throttle ?? new LoginThrottle(redis ? new RedisThrottleStore(redis, `${prefix}login-failures:`) : new MemoryThrottleStore());
  const ephemeral: EphemeralStore = redis ? new RedisEphemeralStore(redis, `${prefix}ephemeral:`) : new MemoryEphemeralStore(() => clock().getTime());
  const tokenKeys = o.tokenKeys ?? loadOrCreateTokenKeys(join(o.keysDir, 'token-signing.pem'));
  const auth = new AuthService({
    db: o.db,
    vault: o.vault,
    keys: tokenKeys,
    throttle,
    clock,
    ephemeral,
  });
  const oidc = o.oidc ? await OidcLogin.discover(o.oidc, auth, o.db) : null;
  const bus = o.bus ?? (o.redisUrl ? new RedisEventBus(o.redisUrl, `${prefix}access-events`) : undefined);
  const detection = new DetectionService(o.db, auth, clock, o.thresholds, bus, o.alertWebhook ?? null);
  await detection.load();
  // A patient shredded by another process: this one forgets the key it may hold in memory.
  detection.onShred((practiceId, patientId) => o.vault.keyAdministration().forgetPatient(practiceId, patientId));
  // On a shared PostgreSQL, other instances may write: the audit log is read back every few
  // seconds, so that nothing they contained is missed if the bus loses it.
  if (o.db.kind === 'postgres') detection.startSync(Number(process.env.MEDVAULT_DETECTION_SYNC_MS ?? 2000));
  auth.onSecondFactorLock = (userId, practiceId, wrong) =>
    detection.flag(userId, practiceId, { rule: 'second-factor', response: 'lock', reason: `entered ${wrong} wrong second-factor codes in 24 hours: someone who knows the password is guessing`, evidence: { count: wrong, window: '24 h', examples: [] } });
  auth.onNewClient = (userId, practiceId) => detection.accountEvent(userId, practiceId, 'client-new');
  auth.onOfficerApproval = (userId) => detection.detector.clearWave(userId, clock());
  auth.onSessionMoved = (userId, practiceId, sessionId) => detection.sessionMoved(userId, practiceId, sessionId);
  auth.onSession = (userId, practiceId, role, ip) => detection.detector.sawAddress(userId, practiceId, role, ip, clock());
  const publicUrl = (o.publicUrl ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const accounts = new AccountService(o.db, o.vault, auth, clock, {
    publicUrl, approvers: o.approvers ?? 'either',
    onEvent: (userId, practiceId, what) => detection.accountEvent(userId, practiceId, what),
  });
  // The disclosure ledger is exact within one process. Without a store the instances share
  // (Redis), a second instance on the same database would count its own budgets apart — one
  // thief, twice the patients — so it refuses to start and says why.
  const claims = !o.redisUrl && o.soleInstance !== false;
  const sole = claims ? await o.db.claim(SOLE_INSTANCE) : null;
  if (claims && sole === null) {
    await detection.close().catch(() => undefined);
    redis?.disconnect();
    throw new Error(
      'another medvault instance serves this database without a shared store: its disclosure budgets would not be ' +
      'exact across instances. Set MEDVAULT_REDIS_URL on every instance, or run one instance.',
    );
  }
  // A Redis outage must not multiply budgets: the instances no longer hear each other's admissions
  // at once (the database catch-up takes seconds), so the first that claims the database serves
  // patient data for all and the others answer 503 until Redis returns.
  let outageClaim: (() => Promise<void>) | null = null;
  let claiming = false;
  const onOutage = (): void => {
    if (outageClaim !== null || claiming || redis === null || redis.status === 'ready') return;
    claiming = true;
    void o.db.claim(SOLE_INSTANCE).then((r) => {
      if (redis.status === 'ready') void r?.();
      else outageClaim = r;
    }).catch(() => undefined).finally(() => (claiming = false));
  };
  redis?.on('close', onOutage);
  redis?.on('reconnecting', onOutage);
  redis?.on('ready', () => {
    const r = outageClaim;
    outageClaim = null;
    void r?.();
  });
  return {
    db: o.db, vault: o.vault, auth, accounts, enrolment: new EnrolmentService(o.db, o.vault, throttle, clock), publicUrl, oidc, detection, auditBatch: new AuditBatcher(o.db), ephemeral,
    cursors: new CursorStore(ephemeral, cursorKey(tokenKeys.privateKey), clock),
    auditStatus: o.auditStatus ?? null,
    sharedStateReady: () => redis === null || redis.status === 'ready',
    servesPatientData: () => redis === null || redis.status === 'ready' || outageClaim !== null,
    incidents: new IncidentService({ db: o.db, vault: o.vault, clock, contact: o.contact ?? contactFromEnv(process.env), auth, mailer: o.mailer ?? null }),
    async close() {
      await detection.close().catch(() => undefined);
      o.mailer?.close();
      redis?.disconnect();
      await sole?.();
      await outageClaim?.();
    },
  };
}

/** MEDVAULT_PUBLIC_URL (an http(s) origin, perhaps with a path), else the address the server listens on. */
export function publicUrlFromEnv(env: NodeJS.ProcessEnv, listening: string): string {
  const v = env.MEDVAULT_PUBLIC_URL;
  if (v === undefined || v === '') return listening;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new Error('MEDVAULT_PUBLIC_URL must be an http(s) URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error('MEDVAULT_PUBLIC_URL must be an http(s) URL');
  return u.toString().replace(/\/$/, '');
}

/** MEDVAULT_TRUST_PROXY: unset or "false" for none, "true" for any, else proxies' addresses/CIDRs (comma-separated). */
export function trustProxyFromEnv(env: NodeJS.ProcessEnv): boolean | string {
  const v = (env.MEDVAULT_TRUST_PROXY ?? '').trim();
  if (v === '' || v === 'false') return false;
  if (v === 'true') return true;
  if (!/^[0-9a-fA-F:.,/ ]+$/.test(v)) throw new Error('MEDVAULT_TRUST_PROXY must be true, false, or proxy addresses/CIDRs separated by commas');
  return v;
}

/** MEDVAULT_ACCOUNT_APPROVERS: security-officer, practice-admin or either (default). */
export function approversFromEnv(env: NodeJS.ProcessEnv): Approvers {
  const v = env.MEDVAULT_ACCOUNT_APPROVERS ?? 'either';
  if (v !== 'security-officer' && v !== 'practice-admin' && v !== 'either') throw new Error('MEDVAULT_ACCOUNT_APPROVERS must be security-officer, practice-admin or either');
  return v;
}

/** MEDVAULT_OIDC_ISSUER, _CLIENT_ID, _CLIENT_SECRET, _REDIRECT_URI; all four or none. */
export function oidcConfigFromEnv(env: NodeJS.ProcessEnv): OidcConfig | null {
  const issuer = env.MEDVAULT_OIDC_ISSUER;
  if (!issuer) return null;
  const clientId = env.MEDVAULT_OIDC_CLIENT_ID;
  const clientSecret = env.MEDVAULT_OIDC_CLIENT_SECRET;
  const redirectUri = env.MEDVAULT_OIDC_REDIRECT_URI;
  if (!clientId || !clientSecret || !redirectUri) throw new Error('MEDVAULT_OIDC_CLIENT_ID, MEDVAULT_OIDC_CLIENT_SECRET and MEDVAULT_OIDC_REDIRECT_URI are required with MEDVAULT_OIDC_ISSUER');
  return { issuer, clientId, clientSecret, redirectUri, allowInsecure: issuer.startsWith('http://127.0.0.1') || issuer.startsWith('http://localhost') };
}
