import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { IncidentError, IncidentService, OPERATOR, SmtpMailer, type DocumentFormat, type DocumentKind, type IncidentRequest } from '../incident/index.js';
import { contactFromEnv } from '../server/services.js';
import { CliError } from './errors.js';
import { withMaintenance } from './maintenance.js';
import { parseOptions } from './options.js';

const list = (v: string | undefined) => (v === undefined ? [] : v.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

/**
 * medvault incident scope --accounts U1,U2 --from ISO --to ISO [--out DIR] [--sessions S1,…]
 *   [--addresses A1,…] [--count-care | --care-apart] [--kind database-copy --tables T1,…] [--keys-compromised] [--lang fr|en] [--data DIR]
 * Scopes the incident, enters it in the breach register, and writes the scope and every document
 * to DIR (default ./incident-<id>): they hold patient data — keep DIR where the law allows.
 */
export async function incidentScope(args: string[], say: (line: string) => void): Promise<number> {
  const o = parseOptions(args, {
    data: { type: 'string' }, accounts: { type: 'string' }, sessions: { type: 'string' }, addresses: { type: 'string' },
    from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' }, kind: { type: 'string' }, tables: { type: 'string' },
    'keys-compromised': { type: 'boolean' }, 'count-care': { type: 'boolean' }, 'care-apart': { type: 'boolean' }, lang: { type: 'string' }, notify: { type: 'boolean' },
  });
  if (o['count-care'] === true && o['care-apart'] === true) throw new CliError('--count-care and --care-apart exclude each other', 2);
  const kind = o.kind ?? 'account-abuse';
  if (kind !== 'account-abuse' && kind !== 'database-copy') throw new CliError('--kind is account-abuse or database-copy', 2);
  const lang = o.lang ?? 'fr';
  if (lang !== 'fr' && lang !== 'en') throw new CliError('--lang is fr or en', 2);
  if (kind === 'account-abuse' && (o.from === undefined || o.to === undefined)) throw new CliError('--from and --to are required (ISO 8601 date-times)', 2);
  const req: IncidentRequest = {
    kind, lang, accounts: list(o.accounts), sessions: list(o.sessions), addresses: list(o.addresses), tables: list(o.tables), keysCompromised: o['keys-compromised'] === true, ...(o['count-care'] === true ? { countCare: true } : o['care-apart'] === true ? { countCare: false } : {}),
    ...(o.from !== undefined ? { from: o.from } : {}), ...(o.to !== undefined ? { to: o.to } : {}),
  };
  return withMaintenance(o.data ?? './data', async (store, vault) => {
    const smtp = process.env.MEDVAULT_SMTP_URL;
    const mailer = o.notify && smtp ? new SmtpMailer(smtp, process.env.MEDVAULT_SMTP_FROM ?? 'medvault <noreply@localhost>') : null;
    if (o.notify && !mailer) throw new CliError('--notify needs MEDVAULT_SMTP_URL');
    const service = new IncidentService({ db: store.db, vault, clock: () => new Date(), contact: contactFromEnv(process.env), mailer });
    try {
      const started = Date.now();
      const i = await service.create(OPERATOR, req);
      const dir = resolve(o.out ?? `./incident-${i.id.slice(0, 8)}`);
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      writeFileSync(join(dir, 'scope.json'), JSON.stringify({ id: i.id, kind: i.kind, query: i.query, summary: i.summary, art34: i.art34, scope: i.scope, timeline: i.timeline }, null, 2), { mode: 0o600 });
      // The operator who runs this holds the database and the keys: the CLI's approval of the
      // notices is theirs, recorded in the timeline and audited (through the API, a second
      // security officer must approve them).
      if (i.kind === 'account-abuse') await service.approveNotices(OPERATOR, i.id);
      const wanted: [DocumentKind, DocumentFormat, string][] = [
        ['art33', 'json', 'art33.json'], ['art33', 'pdf', 'art33.pdf'], ['record', 'json', 'incident-record.json'],
        ...(i.kind === 'account-abuse' ? ([['art34', 'pdf', 'art34-letters.pdf'], ['art34', 'csv', 'art34-mailmerge.csv'], ['practitioners', 'pdf', 'practitioners.pdf']] as [DocumentKind, DocumentFormat, string][]) : []),
      ];
      for (const [k, f, name] of wanted) {
        const d = await service.document(OPERATOR, i.id, k, f, lang);
        const body = Buffer.isBuffer(d.body) ? d.body : typeof d.body === 'string' ? d.body : JSON.stringify(d.body, null, 2);
        writeFileSync(join(dir, name), body, { mode: 0o600 });
      }
      say(`incident ${i.id}: ${i.summary.patients} patients, ${i.summary.notes} clinical notes disclosed across ${i.summary.byPractice.length} practice(s); Art. 34 ${i.art34.required ? 'applies' : 'does not apply'}`);
      if (i.scope.kind === 'account-abuse') say(`  care accesses of the same accounts (not counted): ${i.scope.care.accesses}; refused attempts: ${i.scope.denied}`);
      say(`  scoped in ${Date.now() - started} ms; documents in ${dir} (they hold patient data)`);
      if (mailer) {
        const n = await service.notifyPatients(OPERATOR, i.id, lang);
        say(`  e-mailed ${n.emailed} patients (${n.withoutEmail} without an address: letters; ${n.failed} failed)`);
      }
      return 0;
    } catch (e) {
      if (e instanceof IncidentError) throw new CliError(`incident: ${e.detail}`, e.code === 'invalid' ? 2 : 1);
      if (e instanceof RangeError) throw new CliError(`incident: ${e.message}`, 2);
      throw e;
    } finally {
      mailer?.close();
    }
  });
}
