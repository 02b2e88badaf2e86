import type { SensitivityLabel } from '../domain/index.js';
import type { Database, Tx } from '../store/index.js';
import type { Art34 } from './documents.js';
import type { Category, PracticeSummary } from './scope.js';

/**
 * A "database copy" incident: someone copied tables (a dump, a stolen backup). Every row of
 * those tables is concerned, but what it disclosed depends on what is stored in clear: sealed
 * columns are AES-256-GCM ciphertext under keys that never sit in the database, so without the
 * key-encryption keys (kept by the keyring or the HSM) they are unintelligible (Art. 34(3)(a)).
 * This catalogue says, per table, what is in clear and what is sealed.
 */
export const COPYABLE = {
  'admin.patients': {
    clear: ['identity'] as Category[],
    sealed: ['nir', 'contacts'] as Category[],
    clearText: { fr: 'noms, prénoms, sexe, date et lieu de naissance', en: 'names, sex, date and place of birth' },
  },
  'admin.appointments': {
    clear: ['appointments'] as Category[],
    sealed: [] as Category[],
    clearText: { fr: 'dates de rendez-vous et praticien, liés à un identifiant de patient', en: 'appointment times and practitioner, linked to a patient identifier' },
  },
  'clinical.notes': {
    clear: [] as Category[],
    sealed: ['notes'] as Category[],
    clearText: { fr: 'étiquettes de sensibilité (VIH, psychiatrie…) et dates des notes, liées à un identifiant de patient', en: 'sensitivity labels (HIV, psychiatry…) and note dates, linked to a patient identifier' },
  },
} as const;
export type CopyableTable = keyof typeof COPYABLE;

export function isCopyableTable(t: string): t is CopyableTable {
  return Object.prototype.hasOwnProperty.call(COPYABLE, t);
}

export interface CopyScope {
  readonly kind: 'database-copy';
  readonly tables: CopyableTable[];
  readonly keysCompromised: boolean;
  readonly byTable: { readonly table: CopyableTable; readonly rows: number; readonly clear: string; readonly sealed: Category[] }[];
  readonly patients: number;
  readonly notes: number;
  readonly categories: Record<Category, number>;
  readonly labels: Partial<Record<SensitivityLabel, number>>;
  readonly byPractice: PracticeSummary[];
  /** Whether anything that identifies a person was readable in the copy. */
  readonly plaintext: boolean;
  readonly art34: Art34;
}

/** Counts, practice by practice (each as its own roles, under row-level security). */
export async function scopeCopy(db: Database, practiceIds: readonly string[], tables: readonly CopyableTable[], keysCompromised: boolean, lang: 'fr' | 'en' = 'fr'): Promise<CopyScope> {
  if (tables.length === 0) throw new RangeError('name at least one copied table');
  const has = (t: CopyableTable) => tables.includes(t);
  // Identity is readable if the patients table was copied; the rest only with the keys.
  const readable = (c: Category) => keysCompromised || tables.some((t) => (COPYABLE[t].clear as readonly Category[]).includes(c));
  const byPractice: PracticeSummary[] = [];
  const rows = new Map<CopyableTable, number>();
  const total = { identity: 0, contacts: 0, nir: 0, appointments: 0, notes: 0 } as Record<Category, number>;
  const labels: Partial<Record<SensitivityLabel, number>> = {};
  let patients = 0;
  let notes = 0;
  const linked = has('admin.patients') || keysCompromised;
  for (const practiceId of practiceIds) {
    const count = (tx: Tx, sql: string) => tx.query<{ n: number }>(sql, [practiceId]).then((r) => Number(r.rows[0]?.n ?? 0));
    const adm = await db.transaction({ role: 'admin', practiceId }, async (tx) => ({
      p: await count(tx, 'SELECT count(*)::int AS n FROM admin.patients WHERE practice_id = $1'),
      a: await count(tx, 'SELECT count(*)::int AS n FROM admin.appointments WHERE practice_id = $1'),
      withAppts: await count(tx, 'SELECT count(DISTINCT patient_id)::int AS n FROM admin.appointments WHERE practice_id = $1'),
    }));
    const cli = await db.transaction({ role: 'clinical', practiceId }, async (tx) => ({
      n: await count(tx, 'SELECT count(*)::int AS n FROM clinical.notes WHERE practice_id = $1'),
      withNotes: await count(tx, 'SELECT count(DISTINCT patient_id)::int AS n FROM clinical.notes WHERE practice_id = $1'),
      l: (await tx.query<{ label: SensitivityLabel; n: number }>(
        'SELECT label, count(DISTINCT patient_id)::int AS n FROM clinical.notes, unnest(labels) AS label WHERE practice_id = $1 GROUP BY label', [practiceId],
      )).rows,
    }));
    const c = { ...adm, ...cli };
    const cats = { identity: 0, contacts: 0, nir: 0, appointments: 0, notes: 0 } as Record<Category, number>;
    if (has('admin.patients')) {
      rows.set('admin.patients', (rows.get('admin.patients') ?? 0) + c.p);
      for (const k of ['identity', 'contacts', 'nir'] as Category[]) if (readable(k)) cats[k] = c.p;
    }
    if (has('admin.appointments')) {
      rows.set('admin.appointments', (rows.get('admin.appointments') ?? 0) + c.a);
      if (linked) cats.appointments = c.withAppts;
    }
    let practiceNotes = 0;
    const practiceLabels: Partial<Record<SensitivityLabel, number>> = {};
    if (has('clinical.notes')) {
      rows.set('clinical.notes', (rows.get('clinical.notes') ?? 0) + c.n);
      if (keysCompromised) {
        cats.notes = c.withNotes;
        practiceNotes = c.n;
      }
      // Labels are stored in clear: tied to a person as soon as identities are readable too.
      if (linked) for (const r of c.l) practiceLabels[r.label] = r.n;
    }
    const persons = Math.max(cats.identity, cats.contacts, cats.nir, cats.appointments, cats.notes);
    for (const k of Object.keys(cats) as Category[]) total[k] += cats[k];
    for (const [k, v] of Object.entries(practiceLabels) as [SensitivityLabel, number][]) labels[k] = (labels[k] ?? 0) + v;
    patients += persons;
    notes += practiceNotes;
    if (persons > 0) byPractice.push({ practiceId, patients: persons, notes: practiceNotes, categories: cats, labels: practiceLabels });
  }
  const plaintext = patients > 0;
  const fr = lang === 'fr';
  const art34: Art34 = keysCompromised
    ? { required: true, reason: fr ? 'Les clés de chiffrement ont aussi été compromises : les données sont intelligibles.' : 'The encryption keys were compromised too: the data are intelligible.' }
    : plaintext
      ? {
        required: true,
        reason: fr
          ? `Les champs chiffrés (NIR, coordonnées, texte des notes) sont inintelligibles sans les clés, restées hors de la base (article 34(3)(a)) ; mais ${tables.map((t) => COPYABLE[t].clearText.fr).join(' ; ')} sont stockés en clair et ont été divulgués.`
          : `The sealed fields (NIR, contact details, note text) are unintelligible without the keys, which stayed outside the database (Article 34(3)(a)); but ${tables.map((t) => COPYABLE[t].clearText.en).join('; ')} are stored in clear and were disclosed.`,
      }
      : {
        required: false,
        reason: fr
          ? 'Article 34(3)(a) : les données copiées sont chiffrées (AES-256-GCM) sous des clés restées hors de la base, ou ne sont liées qu’à des identifiants pseudonymes sans la table des identités ; elles sont inintelligibles pour qui les détient.'
          : 'Article 34(3)(a): the copied data are encrypted (AES-256-GCM) under keys that stayed outside the database, or linked only to pseudonymous identifiers without the identity table; they are unintelligible to whoever holds them.',
      };
  return {
    kind: 'database-copy', tables: [...tables], keysCompromised,
    byTable: tables.map((t) => ({ table: t, rows: rows.get(t) ?? 0, clear: COPYABLE[t].clearText[lang], sealed: [...COPYABLE[t].sealed] })),
    patients, notes, categories: total, labels, byPractice, plaintext, art34,
  };
}
