import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/**
 * What a page does with blobs, seen from a test: every blob it makes a URL for and every URL it
 * revokes, kept by a script that runs before the page's own (Page.addInitScript). What a viewer was
 * given (an <iframe>'s or an <img>'s blob: URL) is then read from the blob itself — the page's
 * Content-Security-Policy (connect-src 'self') lets no fetch reach a blob: URL, and it should not be
 * loosened for a test. In-page code is plain JavaScript: it runs in the browser, not here.
 */
export const WATCH_BLOBS = `(() => {
  const made = new Map();
  const revoked = [];
  const create = URL.createObjectURL.bind(URL);
  const revoke = URL.revokeObjectURL.bind(URL);
  URL.createObjectURL = (o) => {
    const u = create(o);
    if (o instanceof Blob) made.set(u, o);
    return u;
  };
  URL.revokeObjectURL = (u) => {
    revoked.push(u);
    revoke(u);
  };
  Object.defineProperty(window, '__blobs', { value: { made, revoked } });
})()`;

export interface SeenBlob {
  readonly type: string;
  readonly size: number;
  /** SHA-256 of its bytes, hex. */
  readonly sha256: string;
  readonly revoked: boolean;
}

/** The blob behind a URL the page made: its type, size and SHA-256, and whether it was revoked. */
export async function blobAt(page: Page, url: string): Promise<SeenBlob> {
  return page.evaluate(`(async (u) => {
    const b = window.__blobs.made.get(u);
    if (!b) throw new Error('no blob made for ' + u);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await b.arrayBuffer()));
    const hex = [...digest].map((x) => x.toString(16).padStart(2, '0')).join('');
    return { type: b.type, size: b.size, sha256: hex, revoked: window.__blobs.revoked.includes(u) };
  })(${JSON.stringify(url)})`);
}

/** Whether the page revoked a blob URL it made. */
export async function revoked(page: Page, url: string): Promise<boolean> {
  return (await page.evaluate(`window.__blobs.revoked.includes(${JSON.stringify(url)})`)) as boolean;
}

/**
 * A dialog as the person sees it: the viewport only (a page-long capture leaves a fixed backdrop at
 * the height of the window). Kept, and copied to docs/screens, as browser.ts's shot() does.
 */
export async function viewportShot(page: Page, name: string): Promise<void> {
  const dir = join(process.cwd(), 'test-results', 'screens');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  await page.screenshot({ path: file });
  if (process.env.MEDVAULT_UPDATE_SCREENS === '1') {
    copyFileSync(file, join(process.cwd(), 'docs', 'screens', `${name}.png`));
  }
}
