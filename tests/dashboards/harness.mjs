// Helpers for the browser tests of `sremon dashboards`: free ports, child processes that are
// stopped at the end (by their own pid only), waiting for a URL, and skipping (exit 77, ctest's
// SKIP_RETURN_CODE) when a program the test needs is absent.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';

export function skip(test, reason) {
  console.log(`SKIPPED: ${test}: ${reason}`);
  process.exit(77);
}

// playwright-core from the web app's node_modules (installed by the build's `npm ci`).
export function loadPlaywright(webDir, test) {
  try {
    return createRequire(path.join(webDir, 'package.json'))('playwright-core');
  } catch (e) {
    skip(test, `playwright-core not installed in ${webDir}/node_modules (run npm ci there): ${e.message}`);
  }
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

// Child processes with their output in logDir/NAME.log; stopAll() ends them (SIGTERM, then SIGKILL).
export class Processes {
  constructor(logDir) {
    this.logDir = logDir;
    this.children = [];
  }

  start(name, bin, args, env = {}) {
    const log = fs.openSync(path.join(this.logDir, name + '.log'), 'a');
    const child = spawn(bin, args, { env: { ...process.env, ...env }, stdio: ['ignore', log, log] });
    child.testName = name;
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

  async stopAll() {
    for (const c of this.children) await this.stop(c);
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

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
