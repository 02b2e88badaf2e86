// The stamp of medvault's sources: every source file's path, size and modification time, hashed.
// Run as a script (the end of `npm run build`), it records the stamp of what was just built;
// `npm start` (scripts/start.mjs) builds again only when the sources' stamp differs.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const INPUTS = [
  'src', 'web/src', 'web/index.html', 'web/vite.config.ts', 'web/tsconfig.json', 'scripts/copy-assets.mjs',
  'package-lock.json', 'tsconfig.json', 'tsconfig.build.json',
];
const OUTPUTS = ['dist/cli/main.js', 'web/dist/index.html'];
const STAMP = 'dist/.sources';

function files(path, out) {
  if (!existsSync(path)) return out;
  const s = statSync(path);
  if (s.isDirectory()) {
    for (const name of readdirSync(path).sort()) files(join(path, name), out);
  } else {
    out.push(`${path}\t${s.size}\t${Math.trunc(s.mtimeMs)}`);
  }
  return out;
}

export function sourcesStamp() {
  return createHash('sha256').update(INPUTS.flatMap((p) => files(p, [])).join('\n')).digest('hex');
}

/** Whether dist/ and web/dist/ were built from the sources as they are now. */
export function upToDate() {
  return OUTPUTS.every((p) => existsSync(p)) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === sourcesStamp();
}

export function recordStamp() {
  writeFileSync(STAMP, sourcesStamp());
}

if (process.argv[1] === fileURLToPath(import.meta.url)) recordStamp();
