#!/usr/bin/env node
// After `vitest run`: no seeded patient's name, NIR or e-mail in any server log of the whole run.
// Every in-process server of the suite logs to test-results/logs; every seeding test records the
// patient data it made in test-results/phi (test/helpers/phi-log.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const logDir = join('test-results', 'logs');
const phiDir = join('test-results', 'phi');
if (!existsSync(logDir) || !existsSync(phiDir)) {
  console.error('log check: no logs or no recorded patient data: did the suite run?');
  process.exit(1);
}
const secrets = new Set();
for (const f of readdirSync(phiDir)) for (const v of JSON.parse(readFileSync(join(phiDir, f), 'utf8'))) if (v.length >= 5) secrets.add(v);
const logs = readdirSync(logDir).map((f) => ({ f, text: readFileSync(join(logDir, f), 'utf8') }));
const bytes = logs.reduce((n, l) => n + l.text.length, 0);
if (secrets.size < 50 || bytes < 10_000) {
  console.error(`log check: saw too little to mean anything (${secrets.size} values, ${bytes} log bytes)`);
  process.exit(1);
}
const found = [];
for (const { f, text } of logs) for (const s of secrets) if (text.includes(s)) found.push(`${f}: a value of ${s.length} characters`);
if (found.length > 0) {
  console.error(`log check: patient data in the logs of the test run:\n${found.slice(0, 20).join('\n')}`);
  process.exit(1);
}
console.log(`log check: ${logs.length} log files (${bytes} bytes) hold none of ${secrets.size} seeded names, NIRs and e-mail addresses`);
