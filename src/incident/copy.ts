import type { SensitivityLabel } from '../domain/index.js';
import type { Database } from '../store/index.js';
import { accountCount, adminCensus, auditCensus, clinicalCensus, resourcesByType } from '../store/copy-census.js';
import type { Art34 } from './documents.js';
import { CLINICAL_CATEGORIES, type Category, type PracticeSummary } from './scope.js';
import { REGISTRY } from '../resources/index.js';

/**
 * A "database copy" incident: someone copied tables (a dump, a stolen backup). Every row of
 * those tables is concerned, but what it disclosed depends on what is stored in clear: sealed
 * columns are AES-256-GCM ciphertext under keys that never sit in the database, so without the
 * key-encryption keys (kept by the keyring or the HSM) they are unintelligible (Art. 34(3)(a)).
 * Every identifying or describing field is sealed; rows of an older database that
 * `medvault keys seal` has not reached yet are counted as clear. This catalogue says, per table,
 * what stays in clear and what is sealed (docs/encryption.md, "What a copy of the database reveals").
 */
export const COPYABLE = {
  'admin.patients': {
    sealed: ['identity', 'nir', 'contacts'] as Category[],
    clearText: {
      fr: 'identifiants techniques, cabinet, dates de création et de mise à jour, version, date d’effacement ; '
        + 'index de recherche tronqués et chiffrés par clé (égalité probable à l’intérieur d’un cabinet, '
        + 'sans la valeur)',
      en: 'record identifiers, practice, creation and update times, version, erasure time; keyed, '
        + 'truncated search beacons (probable equality within a practice, never the value)',
    },
  },
  'admin.appointments': {
    sealed: [] as Category[],
    clearText: {
      fr: 'heures, statut, type et praticien des rendez-vous, liés à un identifiant de patient pseudonyme',
      en: 'appointment times, status, kind and practitioner, linked to a pseudonymous patient identifier',
    },
  },
  'clinical.notes': {
    sealed: ['notes'] as Category[],
    clearText: {
      fr: 'dates, auteurs et statut des notes (en vigueur, remplacée, retirée), présence d’un document '
        + 'joint et sa classe de taille, liés à un identifiant de patient pseudonyme',
      en: 'note times, authors and status (current, superseded, withdrawn), whether a document is attached '
        + 'and its size class, linked to a pseudonymous patient identifier',
    },
  },
  'clinical.resources': {
    // Every type of the resource registry (problems, treatments, results…): their categories.
    sealed: CLINICAL_CATEGORIES.map((c) => c.code) as Category[],
    clearText: {
      fr: 'type de chaque ressource clinique (problème, allergie, prescription, résultat, vaccination, '
        + 'consultation), dates cliniques et d’écriture, auteur et version, liés à un identifiant de '
        + 'patient pseudonyme ; index de recherche des codes chiffrés par clé (égalité probable à '
        + 'l’intérieur d’un cabinet, sans la valeur)',
      en: 'the type of each clinical resource (problem, allergy, prescription, result, vaccination, '
        + 'consultation), clinical and writing times, author and version, linked to a pseudonymous patient '
        + 'identifier; keyed search beacons of codes (probable equality within a practice, never the value)',
    },
  },
  'admin.users': {
    sealed: [] as Category[],
    clearText: {
      fr: 'noms, identifiants, rôles et RPPS des soignants et du personnel ; comptes patients du portail '
        + 'sans nom, liés à un identifiant de patient pseudonyme ; empreintes Argon2id des mots de passe',
      en: 'staff names, usernames, roles and RPPS numbers; patient portal accounts without a name, linked '
        + 'to a pseudonymous patient identifier; Argon2id password hashes',
    },
  },
  'admin.break_glass': {
    sealed: [] as Category[],
    clearText: {
      fr: 'accès « bris de glace » : praticien, identifiant de patient pseudonyme, heure, et le motif '
        + 'saisi librement par le praticien',
      en: 'break-the-glass grants: practitioner, pseudonymous patient identifier, time, and the reason the '
        + 'practitioner typed',
    },
  },
  'audit.events': {
    sealed: [] as Category[],
    clearText: {
      fr: 'journal d’accès : qui, quand, quelle action, identifiants de patients et de documents '
        + 'pseudonymes, codes de sensibilité des notes lues (par exemple VIH), motifs saisis pour les bris '
        + 'de glace',
      en: 'access log: who, when, which action, pseudonymous patient and document identifiers, sensitivity '
        + 'codes of the notes read (HIV for instance), reasons typed for break-the-glass',
    },
  },
} as const;
export type CopyableTable = keyof typeof COPYABLE;

export function isCopyableTable(t: string): t is CopyableTable {
  return Object.prototype.hasOwnProperty.call(COPYABLE, t);
}

/** One copied table: its rows, what of it stays in clear, and the categories it seals. */
export interface CopiedTable {
  readonly table: CopyableTable;
  readonly rows: number;
  readonly clear: string;
  readonly sealed: Category[];
}

export interface CopyScope {
  readonly kind: 'database-copy';
  readonly tables: CopyableTable[];
  readonly keysCompromised: boolean;
  readonly byTable: CopiedTable[];
  readonly patients: number;
  readonly notes: number;
  readonly categories: Record<Category, number>;
  readonly labels: Partial<Record<SensitivityLabel, number>>;
  readonly byPractice: PracticeSummary[];
  /** Whether anything that identifies a person was readable in the copy. */
  readonly plaintext: boolean;
  readonly art34: Art34;
  /** Clinical resources (the registry's types) readable in the copy: only with the keys. */
  readonly resources: number;
}

/** Counts, practice by practice (each as its own roles, under row-level security). */
export async function scopeCopy(
  db: Database,
  practiceIds: readonly string[],
  tables: readonly CopyableTable[],
  keysCompromised: boolean,
  lang: 'fr' | 'en' = 'fr',
): Promise<CopyScope> {
  if (tables.length === 0) throw new RangeError('name at least one copied table');
  const has = (t: CopyableTable) => tables.includes(t);
  const byPractice: PracticeSummary[] = [];
  const rows = new Map<CopyableTable, number>();
  const total = { identity: 0, contacts: 0, nir: 0, appointments: 0, notes: 0 } as Record<Category, number>;
  let clinicalResources = 0;
  const labels: Partial<Record<SensitivityLabel, number>> = {};
  let patients = 0;
  let notes = 0;
  let clearRows = 0;
  let typedReasons = 0;
  for (const practiceId of practiceIds) {
    let auditLabels: { label: SensitivityLabel; n: number }[] = [];
    // Rows not sealed yet (an older database during `medvault keys seal`) hold their identity in clear.
    // So do portal accounts an older medvault gave the patient's name.
    const copied = { patients: has('admin.patients'), users: has('admin.users') };
    const adm = await db.transaction({ role: 'admin', practiceId }, (tx) => adminCensus(tx, practiceId, copied));
    // The reasons typed for break-the-glass (kept in admin.break_glass and in the audit log) are free text.
    // Labels in clear: only notes not sealed yet, of patients whose identity is in clear too.
    const cli = await db.transaction({ role: 'clinical', practiceId }, (tx) =>
      clinicalCensus(tx, practiceId, keysCompromised));
    const c = { ...adm, ...cli };
    const cats = { identity: 0, contacts: 0, nir: 0, appointments: 0, notes: 0 } as Record<Category, number>;
    if (has('admin.patients')) {
      rows.set('admin.patients', (rows.get('admin.patients') ?? 0) + c.p);
      if (keysCompromised) cats.contacts = cats.nir = c.p;
    }
    if (has('admin.users')) {
      const users = await db.transaction({ role: 'admin', practiceId }, (tx) => accountCount(tx, practiceId));
      rows.set('admin.users', (rows.get('admin.users') ?? 0) + users);
    }
    if (has('admin.break_glass')) rows.set('admin.break_glass', (rows.get('admin.break_glass') ?? 0) + c.reasons);
    if (has('admin.break_glass') || has('audit.events')) typedReasons += c.reasons;
    if (has('audit.events')) {
      // The audit log's rows, and the reasons an operator typed for a shred (with the patient id).
      // The log pairs pseudonymous patient ids with the sensitivity labels of what was read of them.
      const scope = { role: 'securityReader', practiceId: null, platform: true } as const;
      const audit = await db.transaction(scope, (tx) => auditCensus(tx, practiceId));
      rows.set('audit.events', (rows.get('audit.events') ?? 0) + audit.n);
      typedReasons += audit.shreds;
      auditLabels = audit.labelled;
    }
    if (has('admin.patients') || has('admin.users')) {
      cats.identity = keysCompromised && has('admin.patients') ? c.p : c.pClear;
      clearRows += c.pClear;
    }
    if (has('admin.appointments')) {
      rows.set('admin.appointments', (rows.get('admin.appointments') ?? 0) + c.a);
      // Appointments name no one by themselves: linked to a person only through a readable identity.
      cats.appointments = keysCompromised ? c.withAppts : has('admin.patients') ? c.withApptsClear : 0;
    }
    let practiceNotes = 0;
    const practiceLabels: Partial<Record<SensitivityLabel, number>> = {};
    // Patients the copied audit log labels (pseudonymous ids: counted, not named).
    for (const r of auditLabels) practiceLabels[r.label] = Math.max(practiceLabels[r.label] ?? 0, r.n);
    if (has('clinical.notes')) {
      rows.set('clinical.notes', (rows.get('clinical.notes') ?? 0) + c.n);
      if (keysCompromised) {
        cats.notes = c.withNotes;
        practiceNotes = c.n;
      }
      if (keysCompromised || has('admin.patients')) {
        for (const r of c.l) practiceLabels[r.label] = Math.max(practiceLabels[r.label] ?? 0, r.n);
      }
    }
    if (has('clinical.resources')) {
      // The registry's types: rows per type, and with the keys, each category's patients.
      const byType = await db.transaction({ role: 'clinical', practiceId }, (tx) => resourcesByType(tx, practiceId));
      for (const r of byType) {
        rows.set('clinical.resources', (rows.get('clinical.resources') ?? 0) + r.n);
        const category = REGISTRY.module(r.type)?.category.code;
        if (!keysCompromised || !category) continue;
        cats[category] = Math.max(cats[category] ?? 0, r.patients);
        clinicalResources += r.n;
      }
    }
    const persons = Math.max(...Object.values(cats));
    for (const k of Object.keys(cats) as Category[]) total[k] = (total[k] ?? 0) + (cats[k] ?? 0);
    const labelCounts = Object.entries(practiceLabels) as [SensitivityLabel, number][];
    for (const [k, v] of labelCounts) labels[k] = (labels[k] ?? 0) + v;
    patients += persons;
    notes += practiceNotes;
    const summary = { practiceId, patients: persons, notes: practiceNotes, categories: cats, labels: practiceLabels };
    if (persons > 0) byPractice.push(summary);
  }
  const plaintext = patients > 0;
  const fr = lang === 'fr';
  const remains = tables.map((t) => `${t} : ${COPYABLE[t].clearText[lang]}`).join(fr ? ' ; ' : '; ');
  // Free text typed by practitioners may name or describe a patient: medvault cannot tell,
  // a person must read it.
  const review = typedReasons === 0 ? '' : fr
    ? ` À vérifier : ${typedReasons} motifs saisis librement (bris de glace, effacements) sont en `
      + 'clair dans la copie ; lisez-les (console sécurité, « bris de glace » ; '
      + 'GET /security/break-glass ; medvault audit) '
      + 'et notifiez tout patient qu’un motif permettrait d’identifier.'
    : ` To check: ${typedReasons} reasons typed as free text (break-the-glass, erasures) are in clear `
      + 'in the copy; read them (security console, break-the-glass; GET /security/break-glass; medvault audit) '
      + 'and notify any patient a reason would identify.';
  // With the keys, what was sealed in the copied tables is readable; tables that hold nothing sealed
  // about patients change nothing.
  const sealedCopied = has('admin.patients') || has('clinical.notes') || has('clinical.resources');
  const keysLost = fr
    ? 'Les clés de chiffrement ont aussi été compromises : les données sont intelligibles.'
    : 'The encryption keys were compromised too: the data are intelligible.';
  const art34: Art34 = keysCompromised && sealedCopied
    ? { required: true, reason: keysLost + review }
    : plaintext
      ? {
        required: true,
        reason: fr
          ? `${clearRows} identités de patients n’étaient pas encore scellées `
            + '(base antérieure, « medvault keys seal » inachevé) et ont été divulguées en clair ; '
            + 'le reste est chiffré sous des clés '
            + `restées hors de la base (article 34(3)(a)).${review}`
          : `${clearRows} patient identities were not sealed yet (an older database, "medvault keys seal" `
            + 'unfinished) and were disclosed in clear; the rest is encrypted under keys that stayed outside '
            + `the database (Article 34(3)(a)).${review}`,
      }
      : {
        required: false,
        reason: fr
          ? 'Article 34(3)(a) : tout ce qui identifie ou décrit un patient (noms, sexe, naissance, NIR, '
            + 'coordonnées, adresse, étiquettes et texte des notes) est chiffré (AES-256-GCM) sous des clés '
            + 'restées hors de la base ; la copie est inintelligible pour qui la détient. Restent en clair — '
            + `${remains}.${review}`
          : 'Article 34(3)(a): everything that identifies or describes a patient (names, sex, birth, NIR, '
            + 'contact details, address, note labels and text) is encrypted (AES-256-GCM) under keys that '
            + 'stayed outside the database; the copy is unintelligible to whoever holds it. What remains in '
            + `clear — ${remains}.${review}`,
      };
  return {
    kind: 'database-copy', tables: [...tables], keysCompromised,
    byTable: tables.map((t): CopiedTable => ({
      table: t, rows: rows.get(t) ?? 0, clear: COPYABLE[t].clearText[lang], sealed: [...COPYABLE[t].sealed],
    })),
    patients, notes, categories: total, labels, byPractice, plaintext, art34, resources: clinicalResources,
  };
}
