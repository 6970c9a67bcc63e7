// Starts a real `jianfu serve` on a fresh SQLite database and a headless Debian chromium.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = join(here, '..', '..');
/** Screenshots for the user guide land next to its pages. */
export const shots = join(repo, 'docs', 'guide', 'img');

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

async function waitForHealth(base, child, ms = 30000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`jianfu exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('jianfu did not become healthy');
}

const bin = () => process.env.JIANFU_BIN || join(repo, 'target', 'debug', 'jianfu');
const env = { ...process.env, JIANFU_DATABASE_URL: '', JIANFU_LOG: 'warn' };

/**
 * Starts `jianfu serve` on a fresh data folder. `users` are opened first with `jianfu user add`
 * ({username, role, region, password}, plus department for a department officer); the three
 * administrators' one-time passwords, which the first start prints once, are returned as `admins`.
 */
export async function startServer({ users = [] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'jianfu-e2e-'));
  for (const u of users) {
    const dept = u.department ? ['--department', u.department] : [];
    const r = spawnSync(bin(), ['user', 'add', '--username', u.username, '--role', u.role,
      '--region', u.region, ...dept, '--password-stdin', '--data-dir', dataDir], { env, input: `${u.password}\n` });
    if (r.status !== 0) throw new Error(`user add ${u.username}: ${r.stderr}`);
  }
  const port = await freePort();
  const child = spawn(bin(), ['serve', '--data-dir', dataDir, '--addr', `127.0.0.1:${port}`], {
    env, stdio: ['ignore', 'pipe', 'inherit'],
  });
  const admins = {};
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
    for (const m of out.matchAll(/^ {2}(\w+)\t(\S+)$/gm)) admins[m[1]] = m[2];
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHealth(base, child);
  return { base, admins, stop: () => child.kill('SIGTERM') };
}

export async function startBrowser() {
  mkdirSync(shots, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    ],
  });
}
