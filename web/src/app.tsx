import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get, hasToken, onSessionEnd, onStepUp, post, setToken, type Me, type Tokens } from './api.js';
import { lang, onLang, setLang, T } from './i18n.js';
import { Portal } from './portal.js';
import { StepUp } from './dialogs.js';
import { endTitle, refusalText } from './refusals.js';
import { Dialog } from './ui.js';
import { Practice } from './practice.js';
import { Security } from './security.js';
import { Enrol, enrolmentToken } from './enrol.js';
import { Clients, NewClientBanner } from './clients.js';
import { Router, useHashLocation } from './router.js';
import { Admin } from './admin/index.js';

/** The shell: login, then the face the account's role opens — the server's policy decides the rest. */
export function App() {
  const [, redraw] = useState(0);
  const [me, setMe] = useState<Me | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [checking, setChecking] = useState(hasToken());
  const [stepUp, setStepUp] = useState<{ resolve: (ok: boolean) => void; why: ApiError } | null>(null);
  /** The refusal that ended the session, shown before the login page (a suspension says why). */
  const [ended, setEnded] = useState<ApiError | null>(null);
  const meRef = useRef<Me | null>(null);
  meRef.current = me;
  const [enrol, setEnrol] = useState<string | null>(enrolmentToken());
  const [devices, setDevices] = useState(false);
  useEffect(() => {
    const f = () => setEnrol(enrolmentToken());
    addEventListener('hashchange', f);
    return () => removeEventListener('hashchange', f);
  }, []);
  useEffect(() => {
    onStepUp((why) => new Promise<boolean>((resolve) => setStepUp({ resolve, why })));
    return () => onStepUp(null);
  }, []);

  useEffect(() => onLang(() => redraw((n) => n + 1)), []);
  useEffect(
    () =>
      onSessionEnd((e) => {
        setToken(null);
        // At the login page (the account's first request after signing in), the form says it.
        if (meRef.current === null) return;
        setEnded(e);
      }),
    [],
  );
  useEffect(() => {
    if (!hasToken()) return;
    get<Me>('/me')
      .then(setMe)
      .catch(() => setToken(null))
      .finally(() => setChecking(false));
  }, []);

  const logout = async () => {
    await post('/auth/logout').catch(() => undefined);
    setToken(null);
    setMe(null);
  };

  return (
    <Router hook={useHashLocation}>
    <div class="shell">
      <header class="top">
        <a class="brand" href="#/">medvault</a>
        {me && <span class="who">{roleName(me.role)}</span>}
        <nav class="tools" aria-label={T('Réglages', 'Settings')}>
          <button type="button" class="link" onClick={() => setLang(lang() === 'fr' ? 'en' : 'fr')} aria-label={T('Switch to English', 'Passer en français')}>
            {lang() === 'fr' ? 'English' : 'Français'}
          </button>
          {me && me.role !== 'patient' && (
            <button type="button" class="link" onClick={() => setDevices(true)}>
              {T('Appareils', 'Devices')}
            </button>
          )}
          {me && (
            <button type="button" class="link" onClick={logout}>
              {T('Se déconnecter', 'Sign out')}
            </button>
          )}
        </nav>
      </header>
      <main id="main">
        {me && <NewClientBanner me={me} />}
        {enrol !== null && me === null ? (
          <Enrol token={enrol} done={() => setEnrol(null)} />
        ) : checking ? (
          <p class="muted">{T('Chargement…', 'Loading…')}</p>
        ) : me === null ? (
          <Login notice={notice} onIn={(m) => { setNotice(null); setMe(m); }} />
        ) : me.role === 'security-officer' ? (
          <Security me={me} />
        ) : me.role === 'patient' ? (
          <Portal me={me} />
        ) : me.role === 'practice-admin' ? (
          <Admin me={me} />
        ) : (
          <Practice me={me} />
        )}
      </main>
      {devices && me && <Clients me={me} close={() => setDevices(false)} />}
      {stepUp && (
        <StepUp
          why={refusalText(stepUp.why)}
          close={() => { stepUp.resolve(false); setStepUp(null); }}
          done={async () => { stepUp.resolve(true); setStepUp(null); }}
        />
      )}
      {ended && (
        <Dialog id="ended-title" title={endTitle(ended, T)}>
          <p class="warn" role="alert" data-testid="ended-why">{refusalText(ended)}</p>
          <div class="actions">
            <button
              type="button" class="primary" autoFocus
              onClick={() => { setNotice(refusalText(ended)); setMe(null); setEnded(null); }}
            >
              {T('Retour à la connexion', 'Back to sign in')}
            </button>
          </div>
        </Dialog>
      )}
    </div>
    </Router>
  );
}

export function roleName(r: Me['role']): string {
  switch (r) {
    case 'practitioner': return T('Médecin', 'Practitioner');
    case 'assistant': return T('Assistant·e', 'Assistant');
    case 'practice-admin': return T('Administrateur du cabinet', 'Practice administrator');
    case 'security-officer': return T('Responsable sécurité', 'Security officer');
    case 'patient': return T('Patient', 'Patient');
  }
}

/**
 * Why a login failed, in words for the person at the keyboard: the server's (throttled and for how
 * long, locked, suspended and why, a code already used), and one vague line for wrong credentials.
 */
function loginMessage(e: unknown): string {
  if (e instanceof ApiError) {
    if (e.code === 'invalid_credentials' || e.code === 'mfa_invalid' || (e.code === null && e.status === 401)) {
      return T('Identifiant, mot de passe ou code incorrect.', 'Wrong username, password or code.');
    }
    return refusalText(e);
  }
  return T('Le serveur ne répond pas.', 'The server does not answer.');
}

function Login({ onIn, notice }: { onIn: (m: Me) => void; notice: string | null }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [mfaToken, setMfaToken] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [oidc, setOidc] = useState(false);
  useEffect(() => {
    get<{ oidc: boolean }>('/auth/config').then((c) => setOidc(c.oidc)).catch(() => undefined);
  }, []);

  const finish = async (t: Tokens) => {
    setToken(t.access_token, t.token_type === 'DPoP' ? 'DPoP' : 'Bearer');
    onIn(await get<Me>('/me'));
  };
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mfaToken === null) {
        const r = await post<{ mfa_required?: boolean; mfa_token?: string } & Tokens>('/auth/login', { username, password });
        if (r.mfa_required && r.mfa_token) setMfaToken(r.mfa_token);
        else await finish(r);
      } else {
        await finish(await post<Tokens>('/auth/mfa', { mfa_token: mfaToken, code: code.trim() }));
      }
    } catch (e) {
      setError(loginMessage(e));
      if (e instanceof ApiError && e.status === 401 && mfaToken !== null) setCode('');
      // Suspended or locked once signed in: the next attempt starts again from the password.
      if (e instanceof ApiError && (e.code === 'session_suspended' || e.code === 'account_locked')) setMfaToken(null);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card login" aria-labelledby="login-title">
      <h1 id="login-title">{T('Connexion', 'Sign in')}</h1>
      {notice && <p class="warn" role="alert">{notice}</p>}
      <form onSubmit={submit}>
        {mfaToken === null ? (
          <>
            <label for="username">{T('Identifiant', 'Username')}</label>
            <input id="username" name="username" autocomplete="username" required value={username} onInput={(e) => setUsername(e.currentTarget.value)} />
            <label for="password">{T('Mot de passe', 'Password')}</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
          </>
        ) : (
          <>
            <p>{T('Saisissez le code à 6 chiffres de votre application d’authentification.', 'Enter the 6-digit code from your authenticator app.')}</p>
            <label for="code">{T('Code de vérification', 'Verification code')}</label>
            <input id="code" name="code" inputMode="numeric" autocomplete="one-time-code" pattern="[0-9A-Za-z\-]{6,32}" required autoFocus value={code} onInput={(e) => setCode(e.currentTarget.value)} />
          </>
        )}
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" class="primary" disabled={busy}>
          {mfaToken === null ? T('Continuer', 'Continue') : T('Valider', 'Verify')}
        </button>
      </form>
      {oidc && mfaToken === null && (
        <p class="alt">
          <a class="button" href="/auth/oidc/start">{T('Se connecter avec Pro Santé Connect', 'Sign in with Pro Santé Connect')}</a>
        </p>
      )}
    </section>
  );
}
