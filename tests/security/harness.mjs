// Shared pieces of the node-driven security tests: free ports, child processes that are always
// stopped, named steps with a pass/fail count, and Debian's chromium through playwright-core.
// Env: SREMON_BIN, WEB_DIR (for node_modules), CHROMIUM.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// The process, port and URL helpers are the dashboards tests' (one copy of each).
import { Processes, freePort, loadPlaywright, skip, waitOk } from '../dashboards/harness.mjs';

export { freePort, skip, waitOk };

export const SREMON_BIN = process.env.SREMON_BIN;
export const WEB_DIR = process.env.WEB_DIR ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../web');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export function requireBinary(test) {
  if (!SREMON_BIN || !fs.existsSync(SREMON_BIN)) skip(test, 'SREMON_BIN is not set or missing');
}

export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// One run of a test file: a temp directory, the processes it started and the steps' results.
export class Run extends Processes {
  constructor(name) {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `sremon-${name}-`));
    super(tmp);
    this.name = name;
    this.tmp = tmp;
    this.passed = 0;
    this.failed = 0;
    this.onFailure = async () => {};
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
    await this.stopAll();
    if (this.failed === 0) fs.rmSync(this.tmp, { recursive: true, force: true });
    else console.log('logs kept in ' + this.tmp);
    console.log(`${this.passed} passed, ${this.failed} failed`);
    process.exit(this.failed ? 1 : 0);
  }
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
  const { chromium } = loadPlaywright(WEB_DIR, test);
  const userDataDir = path.join(run.tmp, 'chromium-profile');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1400, height: 900 },
  });
  return context;
}
