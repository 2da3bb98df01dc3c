// Shared pieces of the node-driven security tests: free ports, child processes that are always
// stopped, named steps with a pass/fail count, and Debian's chromium through playwright-core.
// Env: SREMON_BIN, WEB_DIR (for node_modules), CHROMIUM.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

export const SREMON_BIN = process.env.SREMON_BIN;
export const WEB_DIR = process.env.WEB_DIR ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../web');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

// Exits 77 (ctest SKIP_RETURN_CODE).
export function skip(test, reason) {
  console.log(`SKIPPED: ${test}: ${reason}`);
  process.exit(77);
}

export function requireBinary(test) {
  if (!SREMON_BIN || !fs.existsSync(SREMON_BIN)) skip(test, 'SREMON_BIN is not set or missing');
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// One run of a test file: a temp directory, the processes it started and the steps' results.
export class Run {
  constructor(name) {
    this.name = name;
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), `sremon-${name}-`));
    this.children = [];
    this.passed = 0;
    this.failed = 0;
    this.onFailure = async () => {};
  }

  start(name, bin, args, env = {}) {
    const log = fs.openSync(path.join(this.tmp, name + '.log'), 'a');
    const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
    this.children.push(child);
    return child;
  }

  async stop(child) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(t);
  }

  async step(name, fn) {
    const t0 = Date.now();
    try {
      await fn();
      this.passed++;
      console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      this.failed++;
      console.log(`FAIL ${name}: ${e.stack ?? e}`);
      await this.onFailure(name).catch(() => {});
    }
  }

  // Stops everything, keeps the logs when a step failed, and exits with the result.
  async finish() {
    for (const c of this.children) await this.stop(c);
    if (this.failed === 0) fs.rmSync(this.tmp, { recursive: true, force: true });
    else console.log('logs kept in ' + this.tmp);
    console.log(`${this.passed} passed, ${this.failed} failed`);
    process.exit(this.failed ? 1 : 0);
  }
}

export async function waitOk(url, ms = 15000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer 200 within ${ms} ms`);
}

// `sremon dashboards` on a free port with the given provisioning directory (data sources only
// unless the caller adds dashboards), extra environment and extra flags.
export async function startDashboards(run, { provisioning, env = {}, args = [], name = 'dashboards' }) {
  const port = await freePort();
  const dataDir = path.join(run.tmp, name + '-data');
  const child = run.start(name, SREMON_BIN, ['dashboards', `-httpListenAddr=127.0.0.1:${port}`, `--data=${dataDir}`, ...args],
    { GF_PATHS_PROVISIONING: provisioning, ...env });
  const base = `http://127.0.0.1:${port}`;
  await waitOk(`${base}/api/health`);
  return { base, dataDir, child };
}

// A session cookie ("grafana_session=...") for user/password, by the real login API.
export async function login(base, user, password) {
  const r = await fetch(base + '/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user, password }) });
  assert(r.status === 200, `login ${user}: ${r.status} ${await r.text()}`);
  return r.headers.get('set-cookie').split(';')[0];
}

// Headless chromium (Debian's) with a fresh profile; exits 77 when it or playwright-core is absent.
export async function launchChromium(run, test) {
  if (!fs.existsSync(CHROMIUM)) skip(test, `${CHROMIUM} not installed (Debian package chromium)`);
  let chromium;
  try {
    ({ chromium } = createRequire(path.join(WEB_DIR, 'package.json'))('playwright-core'));
  } catch (e) {
    skip(test, `playwright-core not installed in ${WEB_DIR}/node_modules (run npm ci there): ${e.message}`);
  }
  const userDataDir = path.join(run.tmp, 'chromium-profile');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
  });
  return context;
}
