import { LADDER, type Response } from './rules.js';

/**
 * Why, in French: one sentence per detector rule, for the person refused (in the OperationOutcome)
 * and for the security officer (in the console) alike. The rules keep their English reasons (logs,
 * alerts, webhooks, tests read them); this is the one place that words them for people.
 *
 * A sentence names counts and windows, never a patient, a record or an account id. The limit is
 * read from the English reason ("more than N", "budget of N"), where the rule wrote it.
 */

/** What explain reads of a finding (an alert's stored findings have these too). */
export interface Explainable {
  readonly rule: string;
  readonly reason: string;
  readonly evidence: { readonly count: number; readonly window: string };
}

/** What a sentence is made from. */
interface Facts {
  /** The rule's limit, or the evidence's count when the reason names none. */
  readonly limit: string;
  /** Refused at a budget's limit (the ledger), rather than found over a rule's limit. */
  readonly budget: boolean;
  readonly count: number;
  /** "Over N× the usual": the factor, when the reason names one. */
  readonly factor: string | null;
  /** A shared budget's alert names what this account spent of it: [spent, total]. */
  readonly share: readonly [string, string] | null;
}

type Say = (x: Facts) => string;

/** A rule counted over one account: "ce compte a …", or the budget it reached. */
const account = (over: (l: string) => string, budget: (l: string) => string = over): Say => (x) =>
  x.budget ? `Ce compte a atteint son plafond de ${budget(x.limit)}.` : `Ce compte ${over(x.limit)}.`;

/** A practice's budget, shared by its accounts (and what this account spent of it, when named). */
const practice = (who: string, what: (l: string) => string): Say => (x) =>
  `${who}, ensemble, ont atteint leur plafond de ${what(x.limit)}.`
  + (x.share ? ` Ce compte en a consommé ${x.share[0]} sur ${x.share[1]}.` : '');

const PRACTICE = 'Les comptes du cabinet';
const PROBATION = 'Les comptes du cabinet en période probatoire (nouvellement approuvés)';

/**
 * Every rule id the detector, the ledger and the services raise. The mapped type makes the
 * compiler refuse a table that forgets one; explain.test.ts finds the ids in the code and checks
 * that each is here.
 */
const WORDING = {
  // rules.ts (over a limit) and ledger.ts (at a budget), same ids.
  'patients-hour': account(
    (l) => `a ouvert plus de ${l} patients distincts en une heure en dehors de son agenda`,
    (l) => `${l} patients distincts en une heure en dehors de son agenda`),
  'patients-day': account((l) => `a ouvert plus de ${l} patients distincts en une journée`, (l) => `${l} patients distincts en une journée`),
  'patients-week': account((l) => `a ouvert plus de ${l} patients distincts en une semaine`, (l) => `${l} patients distincts en une semaine`),
  'no-care-hour': account(
    (l) => `a ouvert plus de ${l} patients sans relation de soins en une heure`,
    (l) => `${l} patients sans relation de soins en une heure`),
  'no-care-day': account(
    (l) => `a ouvert plus de ${l} patients sans relation de soins en une journée`,
    (l) => `${l} patients sans relation de soins en une journée`),
  'no-care-week': account(
    (l) => `a ouvert plus de ${l} patients sans relation de soins en une semaine`,
    (l) => `${l} patients sans relation de soins en une semaine`),
  'search-finds': account(
    (l) => `a trouvé plus de ${l} patients par des recherches nominatives en une heure`,
    (l) => `${l} patients trouvés par des recherches en une heure`),
  'search-finds-day': account(
    (l) => `a trouvé plus de ${l} patients par des recherches nominatives en une journée`,
    (l) => `${l} patients trouvés par des recherches en une journée`),
  'search-rate': account((l) => `a fait plus de ${l} recherches de patients en une heure`, (l) => `${l} recherches de patients en une heure`),
  'search-breadth': account(
    (l) => `a affiché plus de ${l} identités par des recherches larges en dix minutes`,
    (l) => `${l} identités affichées par des recherches larges en dix minutes`),
  'standing-day': account(
    (l) => `a ouvert plus de ${l} patients en une journée sans rendez-vous proche`,
    (l) => `${l} patients ouverts en une journée sans rendez-vous proche`),
  'identities-day': account(
    (l) => `a lu l'identité complète de plus de ${l} patients en une journée`,
    (l) => `${l} identités complètes lues en une journée en dehors de son agenda`),
  'identities-week': account(
    (l) => `a lu l'identité complète de plus de ${l} patients en une semaine`,
    (l) => `${l} identités complètes lues en une semaine en dehors de son agenda`),
  'no-care-notes-day': account(
    (l) => `a lu plus de ${l} notes cliniques sans relation de soins en une journée`,
    (l) => `${l} notes cliniques lues sans relation de soins en une journée`),
  'no-care-notes-week': account(
    (l) => `a lu plus de ${l} notes cliniques sans relation de soins en une semaine`,
    (l) => `${l} notes cliniques lues sans relation de soins en une semaine`),
  sensitive: account(
    (l) => `a lu des notes sensibles de plus de ${l} patients en une journée`,
    (l) => `${l} patients aux notes sensibles en une journée`),
  'no-care': account((l) => `s'est vu refuser plus de ${l} fois un accès faute de relation de soins en une heure`),
  'off-hours': account((l) => `a ouvert plus de ${l} patients en dehors des heures habituelles en une journée`),
  'bulk-create': account((l) => `a créé ou déplacé plus de ${l} patients et rendez-vous en une heure`),
  'bulk-create-suspend': account((l) => `a créé ou déplacé plus de ${l} patients et rendez-vous en une heure`),
  'bulk-create-day': account((l) => `a créé ou déplacé plus de ${l} patients et rendez-vous en une journée`),
  'chart-writes': account((l) => `a écrit plus de ${l} éléments de dossiers médicaux (clinique) en une heure`),
  'chart-writes-suspend': account((l) => `a écrit plus de ${l} éléments de dossiers médicaux (clinique) en une heure`),
  addresses: account((l) => `a utilisé plus de ${l} adresses réseau en une journée`),
  devices: account((l) => `a utilisé plus de ${l} navigateurs ou logiciels différents en une journée`),
  sessions: account((l) => `a eu plus de ${l} sessions actives en une heure`),
  // ledger.ts: appointment listings beyond the near calendar.
  'calendar-day': account(
    (l) => `a vu nommer plus de ${l} patients par des listes de rendez-vous au-delà de son agenda proche en une journée`,
    (l) => `${l} patients nommés par des listes de rendez-vous au-delà de son agenda proche en une journée`),
  'calendar-week': account(
    (l) => `a vu nommer plus de ${l} patients par des listes de rendez-vous au-delà de son agenda proche en une semaine`,
    (l) => `${l} patients nommés par des listes de rendez-vous au-delà de son agenda proche en une semaine`),
  'calendar-others-day': account(
    (l) => `a vu nommer plus de ${l} patients par les agendas d'autres médecins en une journée`,
    (l) => `${l} patients nommés par les agendas d'autres médecins en une journée`),
  'calendar-others-week': account(
    (l) => `a vu nommer plus de ${l} patients par les agendas d'autres médecins en une semaine`,
    (l) => `${l} patients nommés par les agendas d'autres médecins en une semaine`),
  // ledger.ts: the practice's budgets, shared by its accounts.
  'practice-no-care-day': practice(PRACTICE, (l) => `${l} patients ouverts sans relation de soins en une journée`),
  'practice-no-care-notes-day': practice(PRACTICE, (l) => `${l} notes cliniques lues sans relation de soins en une journée`),
  'practice-listed': practice(PRACTICE, (l) => `${l} identités affichées par des recherches larges en dix minutes`),
  'practice-probation-calendar': practice(PROBATION, (l) => `${l} patients de leur agenda en une journée`),
  'practice-probation-pool': practice(PROBATION, (l) => `${l} patients en une journée`),
  // rules.ts: findings without a table row.
  honeytoken: () => 'Ce compte a ouvert un patient leurre, qu\'aucune relation de soins ne peut atteindre.',
  vip: () => 'Ce compte a tenté d\'ouvrir le dossier d\'une personnalité sans relation de soins.',
  'session-device': () => 'Une même session de ce compte a été utilisée depuis deux navigateurs différents : son jeton a pu être copié.',
  baseline: (x) => `Ce compte a ouvert plus de ${x.limit} patients distincts en une journée, `
    + `soit plus de ${x.factor ?? 'trois'} fois ses journées habituelles les plus chargées.`,
  // engine.ts.
  'practice-day': (x) => `Les comptes du cabinet, ensemble, ont ouvert plus de ${x.limit} patients distincts en une journée, `
    + `soit plus de ${x.factor ?? 'trois'} fois sa journée habituelle la plus chargée.`,
  'wave-new-address': (x) => `Plusieurs comptes (${x.count}) viennent d'être suspendus ou verrouillés en quelques minutes, `
    + 'et ce compte se connecte depuis une adresse réseau qu\'il n\'avait pas utilisée cette semaine.',
  // service.ts: account events and an officer's lock.
  'account-created': () => 'Un compte a été créé (en attente d\'activation par son titulaire et d\'approbation).',
  'account-approved': () => 'Un nouveau compte a été approuvé (période probatoire : plafonds réduits de moitié pendant 14 jours).',
  'account-reset': () => 'Le second facteur de ce compte a été réinitialisé (nouveau lien d\'activation).',
  'account-dpop-relaxed': () => 'Un administrateur du cabinet a cessé d\'exiger des sessions liées à la clé de l\'appareil (DPoP).',
  'account-client-new': () => 'Ce compte s\'est connecté depuis un navigateur ou un logiciel qu\'il n\'avait jamais utilisé (pas encore approuvé).',
  'account-session-moved': () =>
    'Une session de ce compte a été utilisée depuis un autre réseau et y a été déplacée après un second facteur (jeton copié, ou poste déplacé).',
  officer: () => 'Ce compte a été verrouillé par un responsable sécurité.',
  // server/services.ts: second-factor guessing.
  'second-factor': (x) => `${x.count} codes de second facteur erronés ont été saisis pour ce compte en 24 heures : `
    + 'quelqu\'un qui connaît le mot de passe essaie de deviner le code.',
  // records/records.ts: a sealed value failed its integrity check.
  'record-damaged': () => 'Un dossier a échoué à son contrôle d\'intégrité (altéré ou endommagé dans la base de données).',
} satisfies Record<string, Say>;

export type RuleId = keyof typeof WORDING;

/** Every rule id with a French explanation. */
export const RULE_IDS: readonly RuleId[] = Object.keys(WORDING) as RuleId[];

export function isRuleId(rule: string): rule is RuleId {
  return Object.hasOwn(WORDING, rule);
}

const WINDOWS: Readonly<Record<string, string>> = {
  '1 h': 'en une heure', '24 h': 'en une journée', '7 days': 'en une semaine', '10 min': 'en dix minutes',
  session: 'dans une même session', now: 'à l\'instant', ever: 'jusqu\'ici',
};

function factsOf(f: Explainable): Facts {
  const limit = /(?:more than|budget of) (\d+)/.exec(f.reason)?.[1] ?? String(f.evidence.count);
  const budget = /reached (?:its|their) budget of/.test(f.reason);
  const factor = /over (\d+(?:\.\d+)?)×/.exec(f.reason)?.[1] ?? null;
  const spent = /this account spent (\d+) of (\d+)/.exec(f.reason);
  return { limit, budget, count: f.evidence.count, factor, share: spent ? [spent[1]!, spent[2]!] : null };
}

/** A finding in one French sentence (or two, for a shared budget whose alert names this account's share). */
export function explain(f: Explainable): string {
  if (isRuleId(f.rule)) return WORDING[f.rule](factsOf(f));
  // A rule added without its sentence: still French, with its evidence (the test above fails first).
  const where = WINDOWS[f.evidence.window] ?? `sur ${f.evidence.window}`;
  return `Une règle de détection (${f.rule}) s'est déclenchée : ${f.evidence.count} constaté(s) ${where}.`;
}

/**
 * The finding that decided a state (the first of the rung the account is on, else the worst), in
 * French; null when there is none to tell (a state imposed without findings).
 */
export function explainState(findings: readonly (Explainable & { readonly response?: Response })[], response: Response): string | null {
  const rank = (r: Response | undefined) => (r === undefined ? -1 : LADDER.indexOf(r));
  const decided = findings.find((x) => x.response === response) ?? [...findings].sort((a, b) => rank(b.response) - rank(a.response))[0];
  return decided ? explain(decided) : null;
}
