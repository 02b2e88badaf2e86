// The data files the compiled server reads at run time (code lists, with their sources) are not
// TypeScript: tsc does not copy them. This copies every src/**/*.json to the same place in dist/
// (or in the folder given: the benchmarks' build puts src/ under dist-bench/src).
import { cpSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const walk = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]));
const out = join(root, process.argv[2] ?? 'dist');
for (const file of walk(src).filter((f) => f.endsWith('.json'))) cpSync(file, join(out, relative(src, file)));
