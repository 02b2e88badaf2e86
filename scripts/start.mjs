// `npm start`: builds medvault only when its sources changed since the last build
// (scripts/build-stamp.mjs), then runs `medvault demo`, passing signals on.
import { spawn, spawnSync } from 'node:child_process';
import { upToDate } from './build-stamp.mjs';

if (!upToDate()) {
  process.stdout.write('medvault: building (the sources changed since the last build)…\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

const child = spawn(process.execPath, ['bin/medvault.js', 'demo', ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
