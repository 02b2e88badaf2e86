import { CatalogError } from '../errors.js';

/**
 * The access error catalogue: a stable code, the HTTP status it becomes at the edge, and a
 * message in French for the person at the keyboard — what happened and what to do — kept
 * deliberately vague where detail would help an attacker (a failed login never says whether the
 * username or the password was wrong; a refused token never says why it no longer holds).
 *
 * Refusals that come with a reason (a detector rule, detect/explain.ts) are said as
 * `lead : reason todo` (AccessError.text): "Compte suspendu : ce compte a … Appelez …". `todo`
 * may name the wait (the Retry-After, RFC 9110 §10.2.3) in minutes.
 */
export const ACCESS_ERRORS = {
  invalid_credentials: { status: 401, message: 'Identifiant ou mot de passe incorrect.' },
  mfa_invalid: { status: 401, message: 'Code de vérification incorrect ou expiré : saisissez le code que votre application affiche maintenant.' },
  // The right code, already used in its 30-second step (RFC 6238 §5.2): not a guess, and the person
  // at the keyboard is told what to do. 400, not 401: the web app reads a 401 as a wrong code (or,
  // on a session, as the session's end); it shows a 400's message as it is.
  totp_replayed: { status: 400, message: 'code déjà utilisé — attendez le suivant' },
  throttled: {
    status: 429, message: 'Trop de tentatives ou d\'accès en peu de temps : réessayez dans quelques minutes.',
    lead: 'Accès ralenti', todo: (wait: string) => `Réessayez dans ${wait}.`,
    waiting: (wait: string) => `Trop de tentatives ou d'accès en peu de temps : réessayez dans ${wait}.`,
  },
  practice_budget: {
    status: 429,
    message: 'Le cabinet, tous comptes confondus, a atteint l\'un de ses plafonds partagés : réessayez plus tard. Votre compte n\'est pas en cause ; le responsable sécurité a été prévenu.',
    lead: 'Plafond partagé du cabinet atteint',
    todo: (wait: string) => `Votre compte n'est pas en cause : réessayez dans ${wait}. Le responsable sécurité a été prévenu.`,
    waiting: (wait: string) => 'Le cabinet, tous comptes confondus, a atteint l\'un de ses plafonds partagés. '
      + `Votre compte n'est pas en cause : réessayez dans ${wait}. Le responsable sécurité a été prévenu.`,
  },
  account_locked: {
    status: 403, message: 'Compte verrouillé. Appelez le responsable sécurité de la plateforme : lui seul peut le déverrouiller.',
    lead: 'Compte verrouillé', todo: 'Appelez le responsable sécurité de la plateforme : lui seul peut le déverrouiller.',
  },
  account_disabled: { status: 403, message: 'Ce compte est désactivé. Adressez-vous à l\'administrateur de votre cabinet.' },
  account_pending: { status: 403, message: 'Ce compte n\'est pas encore actif : son titulaire doit l\'activer, puis une seconde personne l\'approuver.' },
  enrolment_invalid: { status: 400, message: 'Ce lien d\'activation est invalide, expiré ou déjà utilisé : demandez-en un nouveau à l\'administrateur de votre cabinet.' },
  weak_password: { status: 400, message: 'Choisissez un mot de passe d\'au moins 12 caractères.' },
  token_missing: { status: 401, message: 'Connectez-vous : un jeton d\'accès est requis.' },
  token_invalid: { status: 401, message: 'Votre jeton d\'accès n\'est plus valable : reconnectez-vous.' },
  dpop_invalid: { status: 401, message: 'La preuve de possession de clé (DPoP) est absente, invalide ou rejouée : reconnectez-vous.' },
  dpop_required: { status: 401, message: 'Ce cabinet exige des sessions liées à la clé de l\'appareil (DPoP) : utilisez un logiciel qui signe ces preuves, ou faites d\'abord approuver celui-ci depuis un appareil que vous utilisez déjà.' },
  client_not_approved: { status: 403, message: 'Seul un appareil que ce compte utilise déjà, avec un second facteur récent, peut en approuver un autre.' },
  client_refused: { status: 403, message: 'Cet appareil a été refusé par l\'administrateur du cabinet : connectez-vous depuis un appareil approuvé, ou demandez-lui de revoir sa décision.' },
  client_unknown: { status: 404, message: 'Aucun appareil de ce compte n\'attend d\'approbation sous ce nom.' },
  session_revoked: { status: 401, message: 'Votre session a pris fin : reconnectez-vous.' },
  session_suspended: {
    status: 401, message: 'Compte suspendu par la détection des accès inhabituels. Appelez le responsable sécurité de la plateforme pour le rétablir.',
    lead: 'Compte suspendu', todo: 'Appelez le responsable sécurité de la plateforme pour le rétablir.',
  },
  refresh_invalid: { status: 401, message: 'Votre session ne peut plus être prolongée : reconnectez-vous.' },
  step_up_required: {
    status: 401, message: 'Confirmez votre second facteur : un code récent est exigé pour cette action.',
    lead: 'Confirmez votre second facteur', todo: 'Saisissez un nouveau code de votre application d\'authentification, ou reconnectez-vous.',
  },
  device_approval_required: {
    status: 403, message: 'Appareil à faire approuver : demandez au responsable sécurité de la plateforme d\'approuver ce poste.',
    lead: 'Appareil à faire approuver', todo: 'Ce compte n\'a pas de second facteur : demandez au responsable sécurité de la plateforme d\'approuver ce poste, puis réessayez.',
  },
  forbidden: { status: 403, message: 'Cette action n\'est pas permise à votre compte.' },
  oidc_failed: { status: 401, message: 'La connexion par le fournisseur d\'identité n\'a pas abouti : réessayez.' },
  oidc_unknown_professional: { status: 403, message: 'Aucun compte medvault n\'est lié à cette identité professionnelle.' },
  oidc_disabled: { status: 404, message: 'Aucun fournisseur d\'identité n\'est configuré.' },
} as const;

/** How an entry of the catalogue is said: alone, with a reason, with a wait. */
interface Wording {
  readonly message: string;
  readonly lead?: string;
  readonly todo?: string | ((wait: string) => string);
  readonly waiting?: (wait: string) => string;
}

export type AccessErrorCode = keyof typeof ACCESS_ERRORS;

export class AccessError extends CatalogError<AccessErrorCode> {
  override readonly name = 'AccessError';
  constructor(
    code: AccessErrorCode,
    /** Seconds, for 429 Retry-After. */
    readonly retryAfter?: number,
    /** Why, for the user and the officer alike (a rule's reason: no patient data). */
    readonly why?: string,
  ) {
    super(code, ACCESS_ERRORS);
  }

  /** The text for the client: the reason, when there is one, between what happened and what to do. */
  text(): string {
    const e: Wording = ACCESS_ERRORS[this.code];
    const wait = this.retryAfter === undefined ? null : waitText(this.retryAfter);
    const todo = typeof e.todo === 'function' ? (wait === null ? null : e.todo(wait)) : (e.todo ?? null);
    if (this.why && e.lead !== undefined) {
      const why = this.why.charAt(0).toLowerCase() + this.why.slice(1);
      return `${e.lead} : ${why}${todo === null ? '' : ` ${todo}`}`;
    }
    if (this.why) return `${this.message} ${this.why}`;
    if (wait !== null && e.waiting !== undefined) return e.waiting(wait);
    return this.message;
  }
}

/** A Retry-After (seconds) in words: seconds under a minute, then minutes, then hours. */
export function waitText(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return s === 1 ? '1 seconde' : `${s} secondes`;
  const min = Math.ceil(s / 60);
  if (min < 120) return min === 1 ? '1 minute' : `${min} minutes`;
  return `environ ${Math.round(min / 60)} heures`;
}
