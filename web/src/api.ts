import { dpopProof, selectDpopKey } from './dpop.js';

/**
 * The browser's way to the medvault API: same origin, the access token held in this tab's session
 * storage only and bound to this browser's DPoP key (dpop.ts) when WebCrypto is available. Errors carry the server's OperationOutcome message (written for people), the
 * Retry-After of a throttle, and whether a fresh second factor is asked for (RFC 9470).
 */
export interface Tokens {
  readonly access_token: string;
  readonly token_type?: 'Bearer' | 'DPoP';
  readonly refresh_token?: string;
}

export interface Me {
  readonly userId: string;
  readonly role: 'practitioner' | 'assistant' | 'practice-admin' | 'security-officer' | 'patient';
  readonly practiceId: string | null;
  readonly patientId: string | null;
  /** Whether the account approved this browser (its first one, or approved from another). */
  readonly clientApproved?: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter: number | null = null,
    readonly stepUp = false,
    /** The server's stable error code (its access error catalogue), when it gave one. */
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

/** The catalogue codes that end a session: the person is told why, then returns to the login page. */
const ENDS_SESSION: Readonly<Record<string, number>> = {
  // The more a code says, the higher: a suspension's reason is not replaced by the "session ended"
  // of the requests that were in flight when the sessions were revoked.
  session_revoked: 1, token_invalid: 1, refresh_invalid: 1, dpop_invalid: 1, account_disabled: 2,
  session_suspended: 3, account_locked: 3,
};

let token: string | null = sessionStorage.getItem('medvault.token');
let tokenType: 'Bearer' | 'DPoP' = sessionStorage.getItem('medvault.token-type') === 'DPoP' ? 'DPoP' : 'Bearer';
const expiredListeners = new Set<(e: ApiError) => void>();
/** The token whose end was announced, and how much that announcement said. */
let ended: { token: string; rank: number } | null = null;

/** Keeps the session's access token (DPoP-bound when the server bound it to this browser's key). */
export function setToken(t: string | null, type: 'Bearer' | 'DPoP' = 'Bearer'): void {
  token = t;
  tokenType = type;
  if (t) {
    sessionStorage.setItem('medvault.token', t);
    sessionStorage.setItem('medvault.token-type', type);
  } else {
    sessionStorage.removeItem('medvault.token');
    sessionStorage.removeItem('medvault.token-type');
  }
}

/** Paths whose tokens the server binds to the key that signs the proof (RFC 9449 §5). */
const BINDS = new Set(['/auth/login', '/auth/mfa', '/auth/refresh']);

export function hasToken(): boolean {
  return token !== null;
}

/**
 * Called when the server ends the session (suspended, revoked, locked), with its refusal (the
 * reason, in the server's words): the app says why, then returns to login.
 */
export function onSessionEnd(f: (e: ApiError) => void): () => void {
  expiredListeners.add(f);
  return () => expiredListeners.delete(f);
}

async function failure(r: Response): Promise<ApiError> {
  let message = `HTTP ${r.status}`;
  let code: string | null = null;
  try {
    const b = await r.json();
    message = b?.issue?.[0]?.diagnostics ?? b?.error_description ?? b?.message ?? message;
    code = b?.issue?.[0]?.details?.coding?.find((c: { system?: string }) => c.system === 'urn:medvault:access-error')?.code ?? null;
  } catch {
    // not JSON
  }
  const retry = r.headers.get('retry-after');
  const stepUp = r.status === 401 && (r.headers.get('www-authenticate') ?? '').includes('insufficient_user_authentication');
  return new ApiError(r.status, message, retry ? Number(retry) : null, stepUp, code);
}

let stepUpHandler: ((refusal: ApiError) => Promise<boolean>) | null = null;

/**
 * Who asks the person for a fresh second factor when the server wants one (the app's dialog), with
 * the server's words for why (a wave of suspensions, a token used from another network…).
 */
export function onStepUp(f: ((refusal: ApiError) => Promise<boolean>) | null): void {
  stepUpHandler = f;
}

export async function request(
  method: string, path: string, body?: unknown, accept = 'application/json', retried = false,
  extra: Readonly<Record<string, string>> = {},
): Promise<Response> {
  const headers: Record<string, string> = { ...extra, accept };
  const sent = token;
  if (token) headers.authorization = `${tokenType} ${token}`;
  // A proof on the login steps binds the session to this browser's key; then one on every request.
  if (BINDS.has(path) || (token && tokenType === 'DPoP')) {
    if (path === '/auth/login') await selectDpopKey(String((body as { username?: string } | undefined)?.username ?? ''));
    const proof = await dpopProof(method, path, token && tokenType === 'DPoP' && !BINDS.has(path) ? token : undefined);
    if (proof) headers.dpop = proof;
  }
  if (body !== undefined) {
    headers['content-type'] ??= path.startsWith('/fhir/') ? 'application/fhir+json' : 'application/json';
  }
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
  if (!r.ok) {
    const e = await failure(r);
    // RFC 9470: a fresh second factor, then the same request once more.
    if (e.stepUp && !retried && stepUpHandler && (await stepUpHandler(e))) return request(method, path, body, accept, true, extra);
    const rank = e.code !== null ? (ENDS_SESSION[e.code] ?? 0) : r.status === 401 && !e.stepUp ? 1 : 0;
    // Announced once per session, unless a later refusal says more (a suspension's reason).
    if (sent !== null && rank > 0 && (ended === null || ended.token !== sent || rank > ended.rank)) {
      ended = { token: sent, rank };
      for (const f of expiredListeners) f(e);
    }
    throw e;
  }
  return r;
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await request(method, path, body);
  if (r.status === 204) return undefined as T;
  return (await r.json()) as T;
}

export const get = <T = any>(path: string) => api<T>('GET', path);
export const post = <T = any>(path: string, body?: unknown) => api<T>('POST', path, body ?? {});

/**
 * A FHIR update of the version that was read (`If-Match: W/"<versionId>"`): the server refuses it
 * (412) when someone wrote a newer version meanwhile, instead of overwriting what it did not show.
 */
export async function put<T = any>(path: string, body: unknown, versionId: string): Promise<T> {
  const r = await request('PUT', path, body, 'application/json', false, { 'if-match': `W/"${versionId}"` });
  return (await r.json()) as T;
}

/**
 * A FHIR patch (JSON Patch, RFC 6902): the one change a note accepts is its withdrawal, its status
 * replaced by `entered-in-error` after a test that it is still `current`.
 */
export async function patch<T = any>(path: string, ops: readonly unknown[]): Promise<T> {
  const type = { 'content-type': 'application/json-patch+json' };
  const r = await request('PATCH', path, ops, 'application/json', false, type);
  return (await r.json()) as T;
}

/** Hands a blob to the browser as a download. */
function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads a file the API serves (with the bearer token), as the browser's own download. */
export async function download(path: string, filename: string, accept = '*/*'): Promise<void> {
  const r = await request('GET', path, undefined, accept);
  saveBlob(await r.blob(), filename);
}

export function saveJson(value: unknown, filename: string): void {
  saveBlob(new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' }), filename);
}

/** A FHIR Bundle's resources (its matches: not the OperationOutcome that warns about the search). */
export function entries<T = any>(bundle: { entry?: { resource: T; search?: { mode?: string } }[] }): T[] {
  return (bundle.entry ?? []).filter((e) => e.search?.mode !== 'outcome').map((e) => e.resource);
}

/**
 * The warning a search Bundle carries (FHIR R4 §3.1.1.5.6, an OperationOutcome with search mode
 * "outcome"): a listing the server cut, and why, in its words.
 */
export function bundleWarning(bundle: { entry?: { resource: any; search?: { mode?: string } }[] }): string | null {
  const o = (bundle.entry ?? []).find((e) => e.search?.mode === 'outcome')?.resource;
  return o?.issue?.[0]?.diagnostics ?? null;
}

export function patientName(p: any): string {
  const usual = (p.name ?? []).find((n: any) => n.use === 'usual') ?? p.name?.[0];
  if (!usual) return '—';
  return `${(usual.given ?? []).join(' ')} ${String(usual.family ?? '').toUpperCase()}`.trim();
}

export function nirOf(p: any): string | null {
  return (p.identifier ?? []).find((i: any) => i.system === 'urn:oid:1.2.250.1.213.1.4.8')?.value ?? null;
}
