import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
import { demoSeeder } from './demo.js';
import { intOption, parseOptions } from './options.js';
import { keysRotate, keysStatus, keysCheck, keysSeal, patientShred } from './operator.js';
import { auditRepair, auditVerify } from './audit.js';
import { simulateCommand } from './simulate.js';
import { incidentScope } from './incident.js';
import { packageVersion, runServer } from './run.js';

const USAGE = `medvault — patient records that stolen credentials cannot drain

Usage:
  medvault demo  [--data DIR] [--port N] [--host ADDR] [--practices N] [--patients-per-practice N]
                 [--history-days N] [--seed N]
      Seeds demo data when the database is empty, writes DIR/demo-credentials.json, and serves.
  medvault serve [--data DIR] [--port N] [--host ADDR]
      Serves. DATABASE_URL=postgres://… selects PostgreSQL instead of the embedded database in DIR.
  medvault simulate [--days N] [--practices N] [--scenario NAME|all] [--report FILE]
      Honest traffic and attack scenarios through the detector on a simulated clock; a JSON report.
  medvault audit verify [--data DIR]
      Checks the audit log's hash chain, event MACs and signed tree heads, read-only; exit 1 names the
      first bad event. Events not chained yet are reported as pending when their MACs hold.
  medvault audit repair [--data DIR]
      Records signed corrections for tree heads signed over a wrong root; never rewrites anything.
  medvault keys rotate [--data DIR] [--practice ID] [--purpose admin|clinical] [--batch-size N]
      New key-encryption-key versions; rewraps every data key in batches (resumes if interrupted).
  medvault keys status [--data DIR]
      Key versions per practice and purpose, and rotation progress.
  medvault keys seal [--data DIR] [--practice ID] [--batch-size N] [--beacon-bits N] [--no-vacuum]
      Seals the clear identities and note labels of an older database, with their search beacons, in
      batches (resumes if interrupted; the server may serve meanwhile); then rewrites the tables so that
      no clear copy stays in them (VACUUM FULL).
  medvault keys check [--data DIR]
      Key files open to others, damaged, or missing for an initialised database; exit 1 names each.
  medvault patient shred --practice ID --patient ID --reason TEXT [--force] [--data DIR]
      Destroys a patient's erasure key (crypto-shredding). Refused while the legal retention runs.
  medvault incident scope --accounts U1,U2 --from ISO --to ISO [--out DIR] [--sessions S1,…] [--addresses A1,…] [--count-care]
                 [--kind account-abuse|database-copy] [--tables T1,…] [--keys-compromised] [--lang fr|en] [--notify] [--data DIR]
      Exactly which patients and data the accounts (sessions, addresses) disclosed in the window; enters the
      incident in the breach register and writes the scope, the Art. 33 notification, the Art. 34 letters and
      mail-merge list, the practitioners' notices and the incident record to DIR. --notify e-mails the patients.
  medvault --version

Defaults: --data ./data, --port 8080, --host 127.0.0.1.
Environment: DATABASE_URL, MEDVAULT_MODE=production (refuses demo data and unprotected keys),
  MEDVAULT_KEY_PROVIDER=local|pkcs11, MEDVAULT_KEY_PASSPHRASE, MEDVAULT_PKCS11_MODULE,
  MEDVAULT_PKCS11_TOKEN, MEDVAULT_PKCS11_PIN, MEDVAULT_LOG_LEVEL, LOG_FORMAT=json (JSON log lines),
  MEDVAULT_REDIS_URL, MEDVAULT_SMTP_URL, MEDVAULT_SMTP_FROM, MEDVAULT_DPO_NAME, MEDVAULT_DPO_EMAIL, MEDVAULT_OPERATOR_NAME,
  MEDVAULT_PG_STATEMENT_TIMEOUT_MS (15000), MEDVAULT_PG_CONNECT_TIMEOUT_MS (5000), MEDVAULT_PG_POOL_SIZE (30).
`;

const SERVER_OPTIONS = {
  data: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
} as const;

const say = (line: string) => process.stdout.write(line + '\n');

async function demo(args: string[]): Promise<number> {
  const o = parseOptions(args, {
    ...SERVER_OPTIONS,
    practices: { type: 'string' },
    'patients-per-practice': { type: 'string' },
    'history-days': { type: 'string' },
    seed: { type: 'string' },
  });
  if (o.help) return help();
  if (process.env.MEDVAULT_MODE === 'production') {
    throw new CliError('demo data is refused in production mode (MEDVAULT_MODE=production); use medvault serve');
  }
  const practices = intOption('practices', o.practices, 3, 2, 2000);
  const patientsPerPractice =
    o['patients-per-practice'] === undefined ? undefined : intOption('patients-per-practice', o['patients-per-practice'], 0, 1, 100_000);
  const historyDays = intOption('history-days', o['history-days'], 30, 0, 3650);
  const seed = intOption('seed', o.seed, 20251027, 0, 2 ** 31 - 1);
  return runServer({ ...serverOptions(o), beforeReady: demoSeeder({ practices, patientsPerPractice, historyDays, seed, now: new Date(), say }) });
}

async function serve(args: string[]): Promise<number> {
  const o = parseOptions(args, SERVER_OPTIONS);
  if (o.help) return help();
  return runServer(serverOptions(o));
}

/** Where and how to serve: the options demo and serve share, with their defaults (CONTRACTS.md). */
function serverOptions(o: { data?: string; port?: string; host?: string }) {
  return {
    dataDir: o.data ?? './data',
    port: intOption('port', o.port, 8080, 0, 65535),
    host: o.host ?? '127.0.0.1',
    databaseUrl: process.env.DATABASE_URL,
    say,
  };
}

function help(): number {
  process.stdout.write(USAGE);
  return 0;
}

function subcommands(name: string, table: Record<string, (args: string[], say: (l: string) => void) => Promise<number>>) {
  return async (args: string[]): Promise<number> => {
    const [sub, ...rest] = args;
    if (sub === undefined || sub === '--help' || sub === '-h') return help();
    const run = table[sub];
    if (run === undefined) throw new CliError(`unknown command "${name} ${sub.slice(0, 40)}" (see medvault --help)`, EXIT_USAGE);
    return run(rest, say);
  };
}

const COMMANDS: Record<string, (args: string[]) => Promise<number>> = {
  demo,
  serve,
  keys: subcommands('keys', { rotate: keysRotate, status: keysStatus, check: keysCheck, seal: keysSeal }),
  patient: subcommands('patient', { shred: patientShred }),
  audit: subcommands('audit', { verify: auditVerify, repair: auditRepair }),
  incident: subcommands('incident', { scope: incidentScope }),
  simulate: (args: string[]) => simulateCommand(args, say),
};

/** The `medvault` command. Returns the exit code; errors become one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') return help();
    if (command === '--version' || command === '-v') {
      say(packageVersion());
      return 0;
    }
    const run = COMMANDS[command];
    if (run === undefined) throw new CliError(`unknown command "${command.slice(0, 40)}" (see medvault --help)`, EXIT_USAGE);
    return await run(rest);
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`medvault: ${e.message}\n`);
      return e.exitCode;
    }
    // Unexpected: say what kind, not the message (it may quote data); the stack only on request.
    const err = e as Error & { code?: string };
    process.stderr.write(`medvault: unexpected ${err.name ?? 'error'}${err.code ? ` (${err.code})` : ''}; set MEDVAULT_DEBUG=1 for details\n`);
    if (process.env.MEDVAULT_DEBUG === '1') process.stderr.write(`${err.stack ?? String(e)}\n`);
    return EXIT_FAILURE;
  }
}
