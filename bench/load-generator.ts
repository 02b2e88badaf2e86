/**
 * bench/load-generator — autocannon in a process of its own, for bench/read: the benchmark's main
 * process holds the seeded data (a heap of a gigabyte), and a load generator sharing that heap paid
 * for its garbage collections in proportion to the bytes it received — CPU taken from the server on
 * a two-core machine, more for the loads with larger answers (a page of vital signs) than for the
 * others. Alone it keeps a small heap. Reads its work from a JSON file, writes its result as JSON.
 *
 *   node dist-bench/bench/load-generator.js WORK.json
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { ReadRequest } from './read-loads.js';

interface Work { url: string; connections: number; seconds: number; requests: ReadRequest[] }

const work = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Work;
const { requests, connections } = work;
// Each connection cycles through its own segment of the rotation: together they cover it, and
// consecutive requests of a connection come from different sessions (the rotation interleaves the
// practitioners), as consecutive requests of one person do not. Not a rotated copy of the whole
// rotation per connection: autocannon builds every request of a connection's list when it is set,
// and 50 copies of a 5,500-request rotation cost the generator a second of CPU at the start of each
// load — more for a longer rotation, so more for some loads than for others. For the same reason
// autocannon is handed one request: it builds the list it is given for every connection it makes,
// before `setupClient` gives each its segment.
let client = 0;
const setupClient = (c: { setRequests(r: ReadRequest[]): void }) => {
  const i = client++ % connections;
  const from = Math.floor((i * requests.length) / connections);
  const to = Math.max(from + 1, Math.floor(((i + 1) * requests.length) / connections));
  c.setRequests(requests.slice(from, to));
};
const r = await autocannon({
  url: work.url, connections, duration: work.seconds, requests: requests.slice(0, 1), setupClient: setupClient as never,
});
const stats = (r as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
const cpu = process.cpuUsage();
process.stdout.write(JSON.stringify({
  requests: { average: r.requests.average, total: r.requests.total },
  latency: { p50: r.latency.p50, p99: r.latency.p99 },
  non2xx: r.non2xx, errors: r.errors, statusCodeStats: stats, cpuSeconds: (cpu.user + cpu.system) / 1e6,
}));
