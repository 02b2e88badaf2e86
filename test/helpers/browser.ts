import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { totp } from './app.js';

/**
 * A person at a browser for the end-to-end tests: Debian's chromium driven by playwright-core, one
 * fresh profile each, with the flags this environment asks for; every response body and request
 * URL the page meets is kept, and its console errors. Screenshots go to test-results/screens (CI
 * artefacts); MEDVAULT_UPDATE_SCREENS=1 also copies them to docs/screens.
 */
/** FHIR and API answers are untyped JSON here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type J = any;

export const CHROMIUM = process.env.MEDVAULT_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);

export interface DemoAccount {
  username: string;
  password: string;
  totpSecret: string | null;
  role: string;
  practiceId: string | null;
  fhirId: string | null;
}

export interface Person {
  readonly context: BrowserContext;
  readonly page: Page;
  /** Each response as its URL, a line break, and its body. */
  readonly responses: string[];
  /** Each request as its method and URL. */
  readonly requests: string[];
  /** The page's console errors and uncaught exceptions. */
  readonly errors: string[];
}

const SCREENS = join(process.cwd(), 'test-results', 'screens');
const profiles: string[] = [];

export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENS, { recursive: true });
  const file = join(SCREENS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (process.env.MEDVAULT_UPDATE_SCREENS === '1') {
    mkdirSync(join(process.cwd(), 'docs', 'screens'), { recursive: true });
    copyFileSync(file, join(process.cwd(), 'docs', 'screens', `${name}.png`));
  }
  return file;
}

export async function person(): Promise<Person> {
  const profile = mkdtempSync(join(tmpdir(), 'medvault-chromium-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 900 }, acceptDownloads: true,
    locale: 'fr-FR',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const responses: string[] = [];
  const requests: string[] = [];
  const errors: string[] = [];
  // Every page of the context: a PDF opened in a new tab is a response the person received too.
  const watch = (p: Page) => {
    p.on('request', (r) => requests.push(`${r.method()} ${r.url()}`));
    p.on('response', async (r) => {
      try {
        responses.push(`${r.url()}\n${await r.text()}`);
      } catch {
        // redirects and aborted requests have no body
      }
    });
  };
  watch(page);
  context.on('page', watch);
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, responses, requests, errors };
}

/** Removes the profiles the tests made. */
export function removeProfiles(): void {
  for (const p of profiles.splice(0)) rmSync(p, { recursive: true, force: true });
}

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's WCAG 2.1 A/AA rules on the page as it stands: no serious or critical violation. */
export async function accessible(page: Page): Promise<void> {
  const found = (await page.evaluate(`${AXE};
    axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
      .then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => v.id + ': ' + v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')))`)) as string[];
  expect(found).toEqual([]);
}

export async function login(page: Page, baseUrl: string, u: DemoAccount): Promise<void> {
  await page.goto(baseUrl);
  await page.getByLabel('Identifiant').fill(u.username);
  await page.getByLabel('Mot de passe').fill(u.password);
  await page.getByRole('button', { name: 'Continuer' }).click();
  if (u.totpSecret) {
    await page.getByLabel('Code de vérification').fill(await totp(u.totpSecret));
    await page.getByRole('button', { name: 'Valider' }).click();
  }
  await page.getByRole('button', { name: 'Se déconnecter' }).waitFor();
}

/**
 * Calls the API from inside a page, as the web app does: its token and a DPoP proof signed with
 * the page's non-extractable key (read from the app's IndexedDB store; usable, never exportable).
 */
export async function pageApi(
  page: Page, method: 'GET' | 'POST', path: string, body?: unknown,
): Promise<{ status: number; body: J }> {
  const args = [method, path, body ?? null].map((x) => JSON.stringify(x)).join(', ');
  return page.evaluate(`(${PAGE_FETCH})(${args})`) as Promise<{ status: number; body: J }>;
}

/** The in-page half of pageApi (plain JavaScript: it runs in the browser, not here). */
const PAGE_FETCH = `async (method, p, body) => {
  const ask = (req) => new Promise((res, rej) => {
    req.onsuccess = () => res(req.result);
    req.onerror = () => rej(req.error);
  });
  const db = await ask(indexedDB.open('medvault', 1));
  const slot = sessionStorage.getItem('medvault.dpop-slot') ?? 'dpop';
  const k = await ask(db.transaction('keys').objectStore('keys').get(slot));
  const token = sessionStorage.getItem('medvault.token');
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/[+]/g, '-').replace(/[/]/g, '_').replace(/=+$/, '');
  const bytes = (s) => new TextEncoder().encode(s);
  const enc = (o) => b64(bytes(JSON.stringify(o)));
  const ath = b64(await crypto.subtle.digest('SHA-256', bytes(token)));
  const htu = location.origin + p.split('?')[0];
  const claims = { htm: method, htu, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000), ath };
  const input = enc({ typ: 'dpop+jwt', alg: 'ES256', jwk: k.jwk }) + '.' + enc(claims);
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, k.privateKey, bytes(input));
  const headers = { authorization: 'DPoP ' + token, dpop: input + '.' + b64(sig) };
  if (body !== null) headers['content-type'] = 'application/fhir+json';
  const r = await fetch(p, { method, headers, body: body === null ? undefined : JSON.stringify(body) });
  return { status: r.status, body: r.status < 300 ? await r.json() : await r.text() };
}`;

/**
 * The English side of the web app's catalogue: the second text of every `T(fr, en)` in web/src
 * that differs from its French, of two words or more (a lone "Patient" or "Consultation" is both).
 */
function englishCatalogue(): string[] {
  const out = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.tsx?$/.test(e.name)) {
        const text = readFileSync(p, 'utf8');
        for (const m of text.matchAll(/\bT\(\s*'((?:[^'\\]|\\.)*)',\s*'((?:[^'\\]|\\.)*)'\s*\)/g)) {
          const [fr, en] = [m[1]!, m[2]!.replace(/\\'/g, "'")];
          if (fr !== en && /\s/.test(en.trim()) && !/[{}$]/.test(en)) out.add(en.trim());
        }
      }
    }
  };
  walk(join(process.cwd(), 'web', 'src'));
  return [...out];
}
let english: string[] | null = null;
/** Common English words that no French sentence of the app uses on their own. */
// Whole words only, letters of any script bounding them: `\b` sees "é" as a boundary, and the
// patient "Andéol" read as "And".
const ENGLISH = 'the|and|your|with|this|that|not|are|were|has|have|sign in|loading|please|cancel|save|search|close';
const ENGLISH_WORDS = new RegExp(`(?<!\\p{L})(${ENGLISH})(?!\\p{L})`, 'iu');

/**
 * The page as a French reader sees it holds no English: no text of the catalogue's English side
 * and no common English word (what a string written outside the catalogue would show).
 */
export async function frenchOnly(page: Page): Promise<void> {
  english ??= englishCatalogue();
  const shown = (await page.evaluate(`[document.body.innerText,
    ...[...document.querySelectorAll('[aria-label], [title], [placeholder], input[type=submit]')]
      .map((e) => [e.getAttribute('aria-label'), e.getAttribute('title'), e.getAttribute('placeholder')].join(' '))]
    .join('\\n')`)) as string;
  const found = english.filter((en) => shown.includes(en));
  const words = shown.split('\n').filter((line) => ENGLISH_WORDS.test(line)).slice(0, 5);
  expect({ catalogue: found, words }).toEqual({ catalogue: [], words: [] });
}

/** Signs in through the API as a demo account (password, then a TOTP code): its access token. */
export async function demoLogin(baseUrl: string, u: DemoAccount): Promise<string> {
  const post = (path: string, body: object) => fetch(`${baseUrl}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const l: J = await (await post('/auth/login', { username: u.username, password: u.password })).json();
  if (!l.mfa_required) return l.access_token;
  const m: J = await (await post('/auth/mfa', { mfa_token: l.mfa_token, code: await totp(u.totpSecret!) })).json();
  return m.access_token;
}

/** The accounts `medvault demo --data <data>` wrote (demo-credentials.json). */
export function demoAccounts(data: string): DemoAccount[] {
  return (JSON.parse(readFileSync(join(data, 'demo-credentials.json'), 'utf8')) as { users: DemoAccount[] }).users;
}
