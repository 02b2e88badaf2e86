import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AdminRepository, ClinicalRepository, openStore } from '../src/store/index.js';
import { LocalKeyProvider, Vault } from '../src/vault/index.js';
import { BIN, runCli, startCli } from './helpers/cli.js';

/**
 * `medvault keys seal` seals the clear identities and note labels of a database an
 * older medvault wrote — batched, resumable after kill -9 — and rewrites the tables, so that no
 * clear value stays in them.
 */
const tmp = mkdtempSync(join(tmpdir(), 'medvault-seal-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe('medvault keys seal', () => {
  it('seals an older database in batches, resumes after kill -9, and leaves no clear value in the tables', async () => {
    const dir = join(tmp, 'old');
    const s = await startCli(['demo', '--data', dir, '--practices', '2', '--patients-per-practice', '150', '--history-days', '20', '--port', '0']);
    await s.stop();
    const vault = () => new Vault(LocalKeyProvider.open({ path: join(dir, 'keys', 'keyring.json'), passphrase: null }));

    // Make it what an older medvault left: identities and labels in clear, no beacons.
    const before = new Map<string, { family: string; birthDate: string; practiceId: string }>();
    const labels = new Map<string, string[]>();
    let staff = '';
    let portalAccounts = 0;
    {
      const v = vault();
      const { db, driver } = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
      const practices = (await driver.transaction((q) => q.query<{ id: string }>('SELECT id FROM admin.practices'))).rows.map((r) => r.id);
      for (const practiceId of practices) {
        const patients = await db.transaction({ role: 'admin', practiceId }, async (tx) => {
          const repo = new AdminRepository(tx, v.admin(practiceId));
          const ids = (await tx.query<{ id: string }>('SELECT id FROM admin.patients WHERE practice_id = $1 AND shredded_at IS NULL', [practiceId])).rows;
          return Promise.all(ids.map((r) => repo.patient(r.id).then((p) => p!)));
        });
        const notes = await db.transaction({ role: 'clinical', practiceId }, async (tx) => {
          const repo = new ClinicalRepository(tx, v.clinical(practiceId));
          const ids = (await tx.query<{ id: string }>('SELECT id FROM clinical.notes WHERE practice_id = $1', [practiceId])).rows;
          return Promise.all(ids.map((r) => repo.note(r.id).then((n) => n!)));
        });
        await driver.transaction(async (q) => {
          for (const p of patients) {
            before.set(p.id, { family: p.birthFamilyName, birthDate: p.birthDate, practiceId });
            await q.query(
              `UPDATE admin.patients SET identity_sealed = NULL, birth_family_name = $2, used_family_name = $3, given_names = $4, used_given_name = $5, sex = $6,
                      birth_date = $7, birthplace_insee = $8, identity_status = $9, vip = $10, deceased_date = $11 WHERE id = $1`,
              [p.id, p.birthFamilyName, p.usedFamilyName, p.givenNames, p.usedGivenName, p.sex, p.birthDate, p.birthplaceInsee, p.identityStatus, p.vip, p.deceasedDate],
            );
          }
          // About 1 % of the demo's notes carry a label; every seventh note gets one here, so that
          // labelled notes are always there whatever the day the demo's history ends on.
          for (const [i, n] of notes.entries()) {
            const l = n.labels.length > 0 || i % 7 !== 0 ? [...n.labels] : ['HIV', 'PSY'];
            labels.set(n.id, l);
            await q.query('UPDATE clinical.notes SET labels_sealed = NULL, labels = $2 WHERE id = $1', [n.id, l]);
          }
          await q.query('DELETE FROM admin.patient_beacons');
          // An older medvault also copied the patient's name into the patient's portal account.
          const portal = await q.query(
            `UPDATE admin.users u SET family_name = p.birth_family_name, given_name = p.given_names[1] FROM admin.patients p
              WHERE u.role = 'patient' AND u.patient_id = p.id AND u.practice_id = $1 RETURNING u.id`, [practiceId]);
          portalAccounts += portal.rows.length;
          // Staff and practices are stored in clear (not patients): their names are not looked for below.
          staff = (await q.query<{ s: string }>("SELECT (SELECT string_agg(family_name || ' ' || given_name, ' ') FROM admin.users WHERE role <> 'patient') || ' ' || (SELECT string_agg(name || ' ' || city, ' ') FROM admin.practices) AS s")).rows[0]!.s.toLowerCase();
          await q.query('UPDATE admin.practices SET beacon_bits = NULL');
        });
      }
      await db.close();
      await v.provider.close();
    }
    expect(before.size).toBeGreaterThanOrEqual(300); // and the decoys
    expect(portalAccounts).toBeGreaterThan(0);
    expect([...labels.values()].some((l) => l.length > 0)).toBe(true);

    // A beacon length one practice already has otherwise is refused before anything is sealed.
    {
      const { driver, db } = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
      await driver.transaction((q) => q.query('UPDATE admin.practices SET beacon_bits = 12 WHERE id = (SELECT max(id::text)::uuid FROM admin.practices)'));
      await db.close();
    }
    const refused = await runCli(['keys', 'seal', '--data', dir, '--beacon-bits', '16'], {}, 120_000);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/already has 12-bit beacons/);
    {
      const { driver, db } = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
      const sealed = await driver.transaction((q) => q.query<{ n: number }>('SELECT count(*)::int AS n FROM admin.patients WHERE identity_sealed IS NOT NULL'));
      expect(sealed.rows[0]!.n).toBe(0);
      await driver.transaction((q) => q.query('UPDATE admin.practices SET beacon_bits = NULL'));
      await db.close();
    }

    // The first run is killed (-9) once it is under way (its first progress line: one batch committed).
    const first = spawn(process.execPath, [BIN, 'keys', 'seal', '--data', dir, '--batch-size', '7'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((r) => first.on('exit', r));
    let out = '';
    await new Promise<void>((resolve) => {
      const on = (d: Buffer) => {
        out += d;
        if (/keys: sealing/.test(out)) {
          first.kill('SIGKILL');
          resolve();
        }
      };
      first.stdout.on('data', on);
      first.stderr.on('data', on);
      first.on('exit', () => resolve());
    });
    await exited;
    const count = async () => {
      const { driver, db } = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
      try {
        return await driver.transaction(async (q) => ({
          clear: (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM admin.patients WHERE birth_family_name IS NOT NULL OR (identity_sealed IS NULL AND shredded_at IS NULL)')).rows[0]!.n,
          clearLabels: (await q.query<{ n: number }>('SELECT count(*)::int AS n FROM clinical.notes WHERE labels_sealed IS NULL OR labels <> \'{}\'')).rows[0]!.n,
          portalNames: (await q.query<{ n: number }>("SELECT count(*)::int AS n FROM admin.users WHERE role = 'patient' AND (family_name <> '' OR given_name <> '')")).rows[0]!.n,
        }));
      } finally {
        await db.close();
      }
    };
    const half = await count();
    expect(half.clear).toBeGreaterThan(0);
    expect(half.clear).toBeLessThan(before.size);

    // Run again: it goes on from what is committed.
    const second = await runCli(['keys', 'seal', '--data', dir], {}, 120_000);
    expect(second.stderr).toBe('');
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/keys: sealed \d+ patient identities and \d+ note label lists in 2 practices/);
    expect(second.stdout).toMatch(/tables rewritten \(VACUUM FULL\)/);
    expect(await count()).toEqual({ clear: 0, clearLabels: 0, portalNames: 0 });

    // A practice's beacon length is fixed by its first beacons: another one asked is refused, in one line.
    const other = await runCli(['keys', 'seal', '--data', dir, '--beacon-bits', '16'], {}, 120_000);
    expect(other.code).toBe(1);
    expect(other.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(other.stderr).toMatch(/already has 10-bit beacons/);

    // Everything opens as before, and names are found again through the new beacons.
    const v = vault();
    const { db } = await openStore({ kind: 'pglite', dir: join(dir, 'pgdata') });
    try {
      for (const [id, p] of [...before].slice(0, 40)) {
        const found = await db.transaction({ role: 'admin', practiceId: p.practiceId }, (tx) => new AdminRepository(tx, v.admin(p.practiceId)).searchPatients({ family: p.family.slice(0, 4), birthDate: p.birthDate, limit: 100 }));
        expect(found.map((x) => x.id)).toContain(id);
      }
      const practiceId = [...before.values()][0]!.practiceId;
      const notes = await db.transaction({ role: 'clinical', practiceId }, async (tx) => {
        const repo = new ClinicalRepository(tx, v.clinical(practiceId));
        const ids = (await tx.query<{ id: string }>('SELECT id FROM clinical.notes WHERE practice_id = $1', [practiceId])).rows;
        return Promise.all(ids.map((r) => repo.note(r.id).then((n) => n!)));
      });
      for (const n of notes) expect(n.labels).toEqual(labels.get(n.id));
    } finally {
      await db.close();
      await v.provider.close();
    }

    // The table files hold no clear name any more (older WAL segments still may: docs/encryption.md).
    const names = [...new Set([...before.values()].map((p) => p.family))].filter((n) => n.length >= 5 && !staff.includes(n.toLowerCase()));
    expect(names.length).toBeGreaterThan(30);
    const tables = filesUnder(join(dir, 'pgdata', 'base'));
    const hits = tables.flatMap((f) => {
      const b = readFileSync(f);
      return names.filter((n) => b.includes(Buffer.from(n))).map((n) => `${n} in ${f.slice(dir.length)}`);
    });
    expect(hits).toEqual([]);
  }, 240_000);

  it('refuses bad options in one line', async () => {
    const r = await runCli(['keys', 'seal', '--beacon-bits', '99', '--data', tmp]);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--beacon-bits/);
  });
});
