/**
 * bench/detect — the detector replaying audit events (events/s on one core) and the gate's
 * cost per request (the state lookup the request path does), in one process.
 *
 *   npm run bench:detect [-- --events 1000000]
 */
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Detector, type AccessEvent } from '../src/detect/index.js';

const { values } = parseArgs({ options: { events: { type: 'string' } } });
const N = Number(values.events ?? 1_000_000);
const ACCOUNTS = 2_000;
const PATIENTS_PER_ACCOUNT = 1_600;

// A day of honest-looking traffic: each event an account (5 per practice, 400 practices) opening one of its own patients.
const events: AccessEvent[] = [];
const t0 = Date.UTC(2026, 2, 9, 7, 0);
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
for (let i = 0; i < N; i++) {
  const a = Math.floor(rand() * ACCOUNTS);
  events.push({
    at: new Date(t0 + Math.floor((i / N) * 11 * 3600_000)), userId: `u${a}`, sessionId: `s${a}`, practiceId: `p${a % 400}`, device: `d${a}`, role: 'practitioner', action: 'read', outcome: 'success',
    patientId: `p${a}-${Math.floor(rand() * PATIENTS_PER_ACCOUNT)}`, returned: [], labels: [], reason: 'care relationship', sourceIp: '10.0.0.1',
  });
}

console.log(`bench/detect: ${new Date().toISOString()}, node ${process.version}, ${cpus()[0]?.model}, ${N} events over ${ACCOUNTS} accounts`);
const d = new Detector();
let start = performance.now();
for (const e of events) d.observe(e);
const ms = performance.now() - start;
console.log(`replay: ${Math.round(N / (ms / 1000))} events/s (${(ms / 1000).toFixed(2)} s)`);

const samples: number[] = [];
const now = new Date(t0 + 11 * 3600_000);
for (let i = 0; i < 200_000; i++) {
  start = performance.now();
  d.state(`u${i % ACCOUNTS}`, now);
  samples.push(performance.now() - start);
}
samples.sort((x, y) => x - y);
const us = (q: number) => (samples[Math.floor(q * samples.length)]! * 1000).toFixed(2);
console.log(`gate state lookup: p50 ${us(0.5)} µs, p99 ${us(0.99)} µs`);
