import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * A PostgreSQL server of the test's own (faults are injected into a database the test
 * starts, kills, freezes and restarts — never the shared one). Runs as the `postgres` user when
 * the test runs as root (PostgreSQL refuses root); a kill or a freeze takes the postmaster and
 * every backend at once.
 */
export interface OwnPostgres {
  readonly url: string;
  /** Starts (or restarts) the server on the same data directory and port; resolves once it accepts connections. */
  start(): Promise<void>;
  /** kill -9 of the postmaster and every backend. */
  kill9(): void;
  /** A fast shutdown (SIGINT): sessions end with 57P01. */
  stopFast(): Promise<void>;
  /** SIGSTOP / SIGCONT of the whole server: it accepts TCP connections and answers nothing. */
  freeze(): void;
  thaw(): void;
  /** Stops and removes everything. */
  destroy(): Promise<void>;
}

/** The newest PostgreSQL server's programs under /usr/lib/postgresql (Debian's layout), or null. */
export function postgresBinaries(): string | null {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a))
    : [];
  const bin = versions.length === 0 ? null : join(root, versions[0]!, 'bin');
  return bin !== null && existsSync(join(bin, 'initdb')) ? bin : null;
}

function binDir(): string {
  const bin = postgresBinaries();
  if (bin === null) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql (apt-get install postgresql)');
  return bin;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (a && typeof a === 'object' ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = binDir();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'medvault-pg-'));
  const data = join(dir, 'data');
  const asPostgres = (cmd: string, args: string[]) => (root ? { cmd: 'setpriv', args: ['--reuid=postgres', '--regid=postgres', '--init-groups', '--', cmd, ...args] } : { cmd, args });
  if (root) chownSync(dir, Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), Number(execFileSync('id', ['-g', 'postgres']).toString().trim()));
  const init = asPostgres(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
  execFileSync(init.cmd, init.args, { stdio: 'ignore' });
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | null = null;

  const ready = async (deadline: number) => {
    for (;;) {
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      try {
        await c.connect();
        await c.query('SELECT 1');
        await c.end();
        return;
      } catch {
        await c.end().catch(() => undefined);
        if (Date.now() > deadline) throw new Error('own PostgreSQL did not start');
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  // The postmaster's children each lead a process group of their own (PostgreSQL's
  // InitPostmasterChild calls setsid): signal the postmaster and each child, as a host crash or a
  // frozen VM would stop them all.
  const group = (signal: NodeJS.Signals) => {
    if (!child?.pid) return;
    let kids: number[] = [];
    try {
      kids = execFileSync('pgrep', ['-P', String(child.pid)]).toString().split('\n').filter(Boolean).map(Number);
    } catch {
      // no children (or pgrep found none)
    }
    for (const pid of [child.pid, ...kids]) {
      try {
        process.kill(pid, signal);
      } catch {
        // already gone
      }
    }
  };
  const exited = () =>
    new Promise<void>((resolve) => {
      if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
    });

  const pgServer: OwnPostgres = {
    url,
    async start() {
      await exited();
      const run = asPostgres(join(bin, 'postgres'), ['-D', data, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`, '-c', 'fsync=off', '-c', 'max_connections=120']);
      child = spawn(run.cmd, run.args, { stdio: 'ignore' });
      await ready(Date.now() + 30_000);
    },
    kill9() {
      group('SIGKILL');
    },
    async stopFast() {
      group('SIGINT');
      await exited();
    },
    freeze() {
      group('SIGSTOP');
    },
    thaw() {
      group('SIGCONT');
    },
    async destroy() {
      group('SIGCONT');
      group('SIGKILL');
      await exited();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await pgServer.start();
  return pgServer;
}
