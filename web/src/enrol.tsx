import { useEffect, useState } from 'preact/hooks';
import QRCode from 'qrcode';
import { ApiError, post } from './api.js';
import { T } from './i18n.js';

/**
 * How the otpauth URI becomes a QR code: an SVG (no canvas, no script), shown as a data: image,
 * which the page's Content-Security-Policy allows (img-src data:). Tests render the same options.
 */
export const QR_OPTIONS = { type: 'svg', errorCorrectionLevel: 'M', margin: 2, width: 220 } as const;

/** The authenticator's QR code for an otpauth URI, as an image URL. */
export async function qrImage(otpauthUri: string): Promise<string> {
  const svg = await QRCode.toString(otpauthUri, QR_OPTIONS);
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

/** The QR code of the new second factor (RFC 6238 TOTP in the otpauth URI format authenticator apps read). */
function TotpQr({ uri }: { uri: string }) {
  const [src, setSrc] = useState<string | null>(null);
  useEffect(() => {
    void qrImage(uri).then(setSrc, () => setSrc(null));
  }, [uri]);
  if (src === null) return null;
  return (
    <img class="qr" src={src} width={220} height={220} data-testid="totp-qr"
      alt={T('QR code à scanner avec votre application ' +
        'd’authentification', 'QR code to scan with your authenticator app')} />
  );
}

/** The enrolment link's token, when the page was opened from one (`#/enrol/<token>`). */
export function enrolmentToken(): string | null {
  const m = /^#\/enrol\/([A-Za-z0-9_-]{20,100})$/.exec(location.hash);
  return m ? m[1]! : null;
}

/**
 * The user's side of an enrolment link: the user, and only the user, sets the password
 * and the second factor. Step 1 shows the new TOTP secret for the authenticator app; step 2 takes
 * a password of their own and a first code; the recovery codes are shown once.
 */
export function Enrol({ token, done }: { token: string; done: () => void }) {
  const [secret, setSecret] = useState<{ username: string; totpSecret: string; otpauthUri: string } | null>(null);
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [code, setCode] = useState('');
  const [result, setResult] = useState<{ recoveryCodes: string[]; status: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const fail = (e: unknown) => setError(e instanceof ApiError ? e.message : T('Le serveur ne répond pas.', 'The ' +
    'server does not answer.'));

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      setSecret(await post('/auth/enrol', { token }));
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  };
  const complete = async (ev: Event) => {
    ev.preventDefault();
    if (password !== again) return setError(T('Les deux mots de passe diffèrent.', 'The two passwords differ.'));
    setBusy(true);
    setError(null);
    try {
      setResult(await post('/auth/enrol/complete', { token, password, code: code.trim() }));
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  };

  if (result) {
    return (
      <section class="card login" aria-labelledby="enrol-title">
        <h1 id="enrol-title">{T('Compte configuré', 'Account set up')}</h1>
        <p>
          {result.status === 'active'
            ? T('Vous pouvez vous connecter.', 'You can sign in.')
            : T('Un second responsable doit encore approuver votre compte avant votre première connexion.',
              'A second person must still approve your account before you can sign in.')}
        </p>
        <p>
          {T('Codes de secours, à garder hors ligne (chacun sert une fois) :',
            'Recovery codes, to keep offline (each works once):')}
        </p>
        <ul class="codes" data-testid="recovery-codes">
          {result.recoveryCodes.map((c) => <li key={c}><code>{c}</code></li>)}
        </ul>
        <button type="button" class="primary" onClick={() => { location.hash = '#/'; done(); }}>
          {T('Aller à la connexion', 'Go to sign in')}
        </button>
      </section>
    );
  }
  return (
    <section class="card login" aria-labelledby="enrol-title">
      <h1 id="enrol-title">{T('Configurer votre compte', 'Set up your account')}</h1>
      {secret === null ? (
        <>
          <p>
            {T('Ce lien personnel sert une fois. Vous allez choisir votre mot de passe et enregistrer medvault dans ' +
              'votre application d’authentification.',
            'This personal link works once. You will choose your password and add medvault to your authenticator app.')}
          </p>
          {error && <p class="error" role="alert">{error}</p>}
          <button type="button" class="primary" disabled={busy} onClick={start}>{T('Commencer', 'Start')}</button>
        </>
      ) : (
        <form onSubmit={complete}>
          <p>{T(`Identifiant : ${secret.username}.`, `Username: ${secret.username}.`)}</p>
          <p>
            {T('Scannez ce QR code avec votre application d’authentification (par exemple FreeOTP, ' +
              'Google Authenticator, Microsoft Authenticator) :',
            'Scan this QR code with your authenticator app (FreeOTP, Google Authenticator, Microsoft Authenticator…):')}
          </p>
          <TotpQr uri={secret.otpauthUri} />
          <p>
            {T('Ou, si vous ne pouvez pas le scanner, saisissez cette clé dans l’application :',
              'Or, if you cannot scan it, type this key in the app:')}
          </p>
          <p><code class="secret" data-testid="totp-secret">{secret.totpSecret}</code></p>
          <label for="new-password">
            {T('Nouveau mot de passe (12 caractères au moins)', 'New password (at least 12 characters)')}
          </label>
          <input id="new-password" type="password" autocomplete="new-password" minLength={12} required value={password}
            onInput={(e) => setPassword(e.currentTarget.value)} />
          <label for="new-password-again">{T('Le même, une seconde fois', 'The same, once more')}</label>
          <input id="new-password-again" type="password" autocomplete="new-password" minLength={12} required
            value={again} onInput={(e) => setAgain(e.currentTarget.value)} />
          <label for="first-code">{T('Code affiché par l’application', 'Code shown by the app')}</label>
          <input id="first-code" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required
            value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          {error && <p class="error" role="alert">{error}</p>}
          <button type="submit" class="primary" disabled={busy}>{T('Terminer', 'Finish')}</button>
        </form>
      )}
    </section>
  );
}
