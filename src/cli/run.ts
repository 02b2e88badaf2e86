import { join } from 'node:path';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { approversFromEnv, buildServer, createServices, oidcConfigFromEnv, publicUrlFromEnv, trustProxyFromEnv, type ServerState } from '../server/index.js';
import { PlatformRepository, type OpenedStore } from '../store/index.js';
import { openStoreForCli, storeLocation } from './database.js';
import { lockDataDir, prepareDataDir } from './datadir.js';
import { keysDir, openVaultForCli } from './keys.js';
import { checkKeyFiles, databaseInitialised, describeFinding, missingKeys, signedWith } from './keycheck.js';
import { auditKey, AuditChainer, AuditCheckpointer, AuditStatus, enableAuditMacs, loadOrCreateAuditSigner, macRecordKeyId } from '../audit/index.js';
import { SmtpMailer } from '../incident/index.js';
import { auditKeyOf, headsFileOf, macRecordOf } from './audit.js';
import { movePatientKeyFilesIntoDatabase, resumeRotations, type Vault } from '../vault/index.js';
import { CliError } from './errors.js';
import { readableLog } from '../server/log-format.js';
import { loadOrCreateTokenKeys } from '../access/index.js';

export interface RunOptions {
  readonly dataDir: string;
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string | undefined;
  /** Runs after the database is open and before the server reports ready (demo seeding). */
  readonly beforeReady?: (store: OpenedStore, vault: Vault, baseUrl: string, dataDir: string) => Promise<void>;
  readonly say: (line: string) => void;
}

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * Starts medvault: data folder, port, database, then ready. Each step that can fail for a
 * reason the operator can fix fails with one line, before anything later is written.
 */
export async function runServer(opts: RunOptions): Promise<number> {
  const location = storeLocation(opts.dataDir, opts.databaseUrl);
  const existed = (() => {
    try {
      return readdirSync(opts.dataDir);
    } catch {
      return null;
    }
  })();
  const dataDir = prepareDataDir(opts.dataDir);
  const unlock = location.kind === 'pglite' ? lockDataDir(dataDir) : () => undefined;
  // If this start fails before writing data, leave the folder as it was found.
  const undoFolder = () => {
    unlock();
    if (existed === null) rmSync(dataDir, { recursive: true, force: true });
  };
  // The keys first: a wrong passphrase or PIN stops the start before anything is written; a key
  // file open to others, damaged, or missing for a database that was initialised with it, stops
  // it too — medvault creates keys only for a new database.
  let vault: Vault;
  try {
    const provider = process.env.MEDVAULT_KEY_PROVIDER === 'pkcs11' ? 'pkcs11' : 'local';
    const findings = [...checkKeyFiles(keysDir(dataDir), provider), ...((await databaseInitialised(location)) ? missingKeys(keysDir(dataDir), provider) : [])];
    if (findings.length > 0) throw new CliError(`keys: ${describeFinding(findings[0]!)}${findings.length > 1 ? ` (and ${findings.length - 1} more: medvault keys check)` : ''}`);
    vault = openVaultForCli(dataDir);
    // Every key a new database is initialised with exists before the database does: a first start
    // stopped at any later point leaves keys and database that start again together.
    loadOrCreateAuditSigner(auditKeyOf(keysDir(dataDir)));
    loadOrCreateTokenKeys(join(keysDir(dataDir), 'token-signing.pem'));
  } catch (e) {
    undoFolder();
    throw e;
  }

  const state: ServerState = { services: null };
  let trustProxy: boolean | string;
  try {
    trustProxy = trustProxyFromEnv(process.env);
  } catch (e) {
    undoFolder();
    await vault.provider.close();
    throw new CliError((e as Error).message);
  }
  const slow = process.env.MEDVAULT_SLOW_REQUEST_MS;
  const slowRequestMs = slow === undefined || slow === '' ? undefined : Number(slow);
  if (slowRequestMs !== undefined && !(Number.isInteger(slowRequestMs) && slowRequestMs >= 0)) {
    undoFolder();
    await vault.provider.close();
    throw new CliError('MEDVAULT_SLOW_REQUEST_MS must be a whole number of milliseconds');
  }
  const app = buildServer({
    state, version: packageVersion(), logLevel: process.env.MEDVAULT_LOG_LEVEL ?? 'info',
    // One readable line per request on a terminal; JSON when an operator's collector asks for it.
    ...(process.env.LOG_FORMAT === 'json' ? {} : { logStream: readableLog(process.stdout) as NodeJS.WritableStream }),
    metricsToken: process.env.MEDVAULT_METRICS_TOKEN || null, trustProxy,
    ...(slowRequestMs === undefined ? {} : { slowRequestMs }),
  });
  let baseUrl: string;
  try {
    await app.listen({ port: opts.port, host: opts.host });
    const addr = app.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : opts.port;
    baseUrl = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
  } catch (e) {
    undoFolder();
    await vault.provider.close();
    const code = (e as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new CliError(`port ${opts.port} on ${opts.host} is already in use`);
    if (code === 'EACCES') throw new CliError(`not allowed to listen on port ${opts.port}`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new CliError(`cannot listen on address ${opts.host}`);
    throw new CliError(`cannot listen on ${opts.host}:${opts.port} (${code ?? 'error'})`);
  }

  let store: OpenedStore | null = null;
  let stopping = false;
  const timers: { checkpoint?: NodeJS.Timeout; chain?: NodeJS.Timeout } = {};
  const stop = async (signal: string) => {
    if (stopping) {
      process.exit(1);
    }
    stopping = true;
    if (state.services === null) {
      // Interrupted while starting: the seeding transaction never commits, so nothing is half-written.
      opts.say(`medvault: ${signal} while starting; stopped before serving`);
      unlock();
      process.exit(130);
    }
    opts.say(`medvault: ${signal} received, shutting down`);
    await app.close();
    await state.services?.close().catch(() => undefined);
    clearInterval(timers.checkpoint);
    clearInterval(timers.chain);
    // A last signed tree head, so that the log up to the stop is checkpointed.
    await checkpointer?.checkpoint().catch((e: unknown) => app.log.error({ err: e }, 'final audit checkpoint failed'));
    await store?.db.close();
    await vault.provider.close();
    unlock();
  };
  const closed = new Promise<void>((resolveClosed) => {
    const onSignal = (signal: string) => {
      void stop(signal).then(resolveClosed, () => resolveClosed());
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });

  try {
    store = await openStoreForCli(location);
    // Patient key files of an older medvault move into the database, where every instance reads
    // them; the files are removed once their keys are in.
    const moved = await movePatientKeyFilesIntoDatabase(store.db, keysDir(dataDir));
    if (moved > 0) opts.say(`medvault: moved ${moved} patient keys from ${join(keysDir(dataDir), 'patients')} into the database`);
    // Every audit event this server writes is authenticated as written; when that began
    // is also signed in a file outside the database, which the database's record must match.
    const signer = loadOrCreateAuditSigner(auditKeyOf(keysDir(dataDir)));
    // The key that signed the log (its last head, or the record of MACs) must be this one.
    const signedBy = (await signedWith(store.db)) ?? macRecordKeyId(macRecordOf(dataDir));
    if (signedBy !== null && signedBy !== signer.keyId) {
      throw new CliError(`keys: ${auditKeyOf(keysDir(dataDir))} is not the key that signed the audit log (key id ${signedBy}, this one ${signer.keyId}): restore it from the backup`);
    }
    try {
      await enableAuditMacs(store, (await auditKey(vault.provider, true))!, new Date(), { file: macRecordOf(dataDir), signer });
    } catch (e) {
      throw new CliError(`audit: ${(e as Error).message}`);
    }
    if (opts.beforeReady) {
      state.step = 'seeding';
      await opts.beforeReady(store, vault, baseUrl, dataDir);
    }
  } catch (e) {
    await app.close().catch(() => undefined);
    await store?.db.close().catch(() => undefined);
    await vault.provider.close().catch(() => undefined);
    if (store === null) undoFolder();
    else unlock();
    throw e;
  }
  const practices = await store.db.transaction({ role: 'platform', practiceId: null, platform: true }, (tx) =>
    new PlatformRepository(tx).practiceCount(),
  );
  let oidc;
  let checkpointer: AuditCheckpointer | null = null;
  try {
    oidc = oidcConfigFromEnv(process.env);
    const redis = process.env.MEDVAULT_REDIS_URL;
    const auditSigner = loadOrCreateAuditSigner(auditKeyOf(keysDir(dataDir)));
    // The key that signed the last head must be this one: a replaced key would sign heads that
    // never verify against the earlier ones.
    const lastKeyId = await signedWith(store.db);
    if (lastKeyId !== null && lastKeyId !== auditSigner.keyId) {
      throw new Error(`keys: ${auditKeyOf(keysDir(dataDir))} is not the key that signed the audit log (key id ${lastKeyId}, this one ${auditSigner.keyId}): restore it from the backup`);
    }
    const smtp = process.env.MEDVAULT_SMTP_URL;
    state.services = await createServices({
      db: store.db, vault, keysDir: keysDir(dataDir), oidc, redisUrl: redis ?? null,
      auditStatus: new AuditStatus(store.db, auditSigner.publicKey, headsFileOf(dataDir)),
      mailer: smtp ? new SmtpMailer(smtp, process.env.MEDVAULT_SMTP_FROM ?? 'medvault <noreply@localhost>') : null,
      alertWebhook: process.env.MEDVAULT_ALERT_WEBHOOK_URL ?? null,
      publicUrl: publicUrlFromEnv(process.env, baseUrl),
      approvers: approversFromEnv(process.env),
    });
    checkpointer = new AuditCheckpointer(store.db, auditSigner, headsFileOf(dataDir));
  } catch (e) {
    await app.close().catch(() => undefined);
    await store.db.close().catch(() => undefined);
    await vault.provider.close().catch(() => undefined);
    unlock();
    throw new CliError(`cannot start: ${(e as Error).message}`);
  }
  // Link committed audit events into the hash chain a few times a second.
  const chainer = new AuditChainer(store.db);
  let chaining = false;
  timers.chain = setInterval(() => {
    if (chaining) return;
    chaining = true;
    void chainer.run().catch((e: unknown) => app.log.error({ err: e }, 'audit chaining failed')).finally(() => (chaining = false));
  }, 250);
  timers.chain.unref();
  const every = Number(process.env.MEDVAULT_CHECKPOINT_INTERVAL_S ?? 60) * 1000;
  timers.checkpoint = setInterval(() => {
    void checkpointer?.checkpoint().catch((e: unknown) => app.log.error({ err: e }, 'audit checkpoint failed'));
  }, every);
  timers.checkpoint.unref();
  // A key rotation left running by a crash finishes in the background while the server serves.
  const db = store.db;
  void resumeRotations(db, vault)
    .then((n) => n > 0 && app.log.info({ resumed: n }, 'key rotations resumed and finished'))
    .catch((e: unknown) => app.log.error({ err: e }, 'resuming key rotation failed'));
  opts.say(`medvault is serving ${practices} practice${practices === 1 ? '' : 's'} at ${baseUrl} (open it in a browser)`);
  await closed;
  return 0;
}
