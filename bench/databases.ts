import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { StoreLocation } from '../src/store/index.js';

/**
 * Runs a bench on the embedded database (a temporary folder) and on PostgreSQL (a database of its
 * own on MEDVAULT_BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test), unless
 * `only` names one of them; removes both afterwards.
 */
export async function onEachDatabase(only: string | undefined, run: (name: 'pglite' | 'postgres', location: StoreLocation) => Promise<void>): Promise<void> {
  if (only !== 'postgres') {
    const dir = mkdtempSync(join(tmpdir(), 'medvault-bench-'));
    try {
      await run('pglite', { kind: 'pglite', dir });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (only !== 'pglite') {
    const base = process.env.MEDVAULT_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const name = `medvault_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      await run('postgres', { kind: 'postgres', url: Object.assign(new URL(base), { pathname: `/${name}` }).toString() });
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  }
}
