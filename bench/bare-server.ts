/**
 * The baseline: bare Fastify + pg answering a one-row primary-key select, nothing else. The
 * columns are ones every build fills the same way: the clear identity columns it read until
 * session 7 are empty since issue 14, which made the baseline itself 15 % faster on that build
 * and its ratios 15 % worse (BENCHMARKS.md, bench/read session 7).
 */
import Fastify from 'fastify';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const app = Fastify({ logger: false });
app.get<{ Params: { id: string } }>('/patient/:id', async (req, reply) => {
  const r = await pool.query('SELECT id, practice_id, version, created_at, updated_at FROM admin.patients WHERE id = $1', [req.params.id]);
  if (r.rows.length === 0) return reply.code(404).send({});
  return r.rows[0];
});
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
process.stdout.write(`listening ${(app.server.address() as { port: number }).port}\n`);
