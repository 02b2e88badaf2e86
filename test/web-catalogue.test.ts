import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Every word the web app shows comes through its catalogue, `T(french, english)`: a text written
 * straight into the markup (`<p>Loading…</p>`, `aria-label="Close"`) would show as it is whatever
 * the language, and in English to a French practice. The rendered screens are checked by the
 * browser tests (frenchOnly); this reads the sources, so a screen no browser test opens is checked too.
 */

/** Names and acronyms that are the same in both languages. */
const SAME_IN_BOTH = new Set(['medvault', 'ATC', '— ATC', 'NIR']);
/** The attributes a person reads (or hears from a screen reader). */
const READ_ATTRIBUTES = new Set(['aria-label', 'title', 'placeholder', 'alt', 'label', 'aria-description']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sources(p) : p.endsWith('.tsx') ? [p] : [];
  });
}

/** The texts of a .tsx file written outside the catalogue: markup text and read attributes with words. */
function outside(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TSX);
  const found: string[] = [];
  const at = (n: ts.Node) => `${file}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}`;
  const visit = (n: ts.Node): void => {
    if (ts.isJsxText(n) && /\p{L}{2,}/u.test(n.text) && !SAME_IN_BOTH.has(n.text.trim())) {
      found.push(`${at(n)} ${n.text.trim()}`);
    }
    if (ts.isJsxAttribute(n) && READ_ATTRIBUTES.has(n.name.getText()) && n.initializer
      && ts.isStringLiteral(n.initializer) && /\p{L}{2,}/u.test(n.initializer.text)) {
      found.push(`${at(n)} ${n.name.getText()}="${n.initializer.text}"`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe('the web app\'s words', () => {
  it('are all in the catalogue: no text in the markup, no read attribute outside T()', () => {
    const files = sources(join(process.cwd(), 'web', 'src'));
    expect(files.length).toBeGreaterThan(30);
    expect(files.flatMap((f) => outside(f, readFileSync(f, 'utf8')))).toEqual([]);
  });

  it('finds a text written straight into the markup, and one in an attribute', () => {
    const screen = `export const X = () => <div aria-label="Fermer"><p>Chargement…</p>{T('Oui', 'Yes')}<b>NIR</b></div>;`;
    expect(outside('x.tsx', screen)).toEqual(['x.tsx:1 aria-label="Fermer"', 'x.tsx:1 Chargement…']);
  });
});
