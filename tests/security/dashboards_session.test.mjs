// Login and session of `sremon dashboards` against the real binary: a wrong password takes as
// long for an unknown user as for a real one (no user enumeration by timing), the session
// cookie follows GF_SECURITY_COOKIE_SECURE / GF_SECURITY_COOKIE_SAMESITE, grafana.db is created
// 0600 even under umask 0, every answer carries the CSP, and Grafana's lockout still applies.
// Env: SREMON_BIN.
import fs from 'node:fs';
import path from 'node:path';
import { assert, requireBinary, Run, startDashboards } from './harness.mjs';

const TEST = 'dashboards_session';
requireBinary(TEST);
const run = new Run(TEST);
const prov = path.join(run.tmp, 'provisioning');
fs.mkdirSync(prov, { recursive: true });

const post = (base, user, password) =>
  fetch(base + '/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user, password }) });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// umask 0 for the service: the file's mode must come from the service, not from the umask.
const oldUmask = process.umask(0);
const secure = await startDashboards(run, { provisioning: prov, name: 'secure', env: { GF_SECURITY_COOKIE_SECURE: 'true', GF_SECURITY_COOKIE_SAMESITE: 'strict' } });
process.umask(oldUmask);
const plain = await startDashboards(run, { provisioning: prov, name: 'plain' });

try {
  await run.step('grafana.db and its WAL files are created 0600', async () => {
    for (const f of fs.readdirSync(secure.dataDir).filter((f) => f.startsWith('grafana.db'))) {
      const mode = fs.statSync(path.join(secure.dataDir, f)).mode & 0o777;
      assert(mode === 0o600, `${f}: mode ${mode.toString(8)}`);
    }
  });

  await run.step('cookie flags follow GF_SECURITY_COOKIE_SECURE and GF_SECURITY_COOKIE_SAMESITE', async () => {
    const s = (await post(secure.base, 'admin', 'admin')).headers.get('set-cookie');
    assert(/; Secure/.test(s) && /; SameSite=Strict/.test(s) && /; HttpOnly/.test(s), 'secure+strict: ' + s);
    const p = (await post(plain.base, 'admin', 'admin')).headers.get('set-cookie');
    assert(!/Secure/.test(p) && /; SameSite=Lax/.test(p) && /; HttpOnly/.test(p), 'defaults (lax, not Secure): ' + p);
  });

  await run.step('every answer carries the CSP and nosniff', async () => {
    for (const [method, p] of [['GET', '/'], ['GET', '/login'], ['GET', '/api/health'], ['GET', '/api/search'], ['POST', '/nope']]) {
      const r = await fetch(plain.base + p, { method });
      const csp = r.headers.get('content-security-policy') ?? '';
      assert(csp.includes("script-src 'self'") && csp.includes("object-src 'none'") && csp.includes("frame-ancestors 'none'") && csp.includes("base-uri 'self'"),
        `${method} ${p} (${r.status}): ${JSON.stringify(csp)}`);
      assert(r.headers.get('x-content-type-options') === 'nosniff', `${method} ${p}: nosniff`);
    }
  });

  await run.step('a wrong password takes as long for an unknown user as for a known one', async () => {
    // Interleaved, 4 each: under the per-user lockout of 5 and the per-address one of 20.
    const known = [];
    const unknown = [];
    for (let i = 0; i < 4; i++) {
      for (const [user, out] of [['admin', known], [`nobody${i}`, unknown]]) {
        const t0 = performance.now();
        const r = await post(plain.base, user, 'wrong-password');
        out.push(performance.now() - t0);
        assert(r.status === 401, `${user}: ${r.status}`);
        const body = await r.json();
        assert(body.message === 'Invalid username or password', 'same message for both: ' + JSON.stringify(body));
      }
    }
    const k = median(known);
    const u = median(unknown);
    console.log(`  figure: wrong password, median of 4: known user ${k.toFixed(1)} ms, unknown user ${u.toFixed(1)} ms`);
    assert(k > 20 && u > 20, `both verify a real Argon2id hash (> 20 ms): known ${k.toFixed(1)}, unknown ${u.toFixed(1)}`);
    assert(Math.max(k, u) / Math.min(k, u) < 3, `within a factor of 3: known ${k.toFixed(1)}, unknown ${u.toFixed(1)}`);
  });

  await run.step("Grafana's lockout: the 5th failure within 5 minutes blocks the user, known or not", async () => {
    // admin and nobody0 have 4 failures each from the step before.
    assert((await post(plain.base, 'admin', 'wrong-password')).status === 401, '5th failure still verified');
    const blocked = await post(plain.base, 'admin', 'admin');
    assert(blocked.status === 429 && !blocked.headers.get('set-cookie'), 'blocked even with the right password: ' + blocked.status);
    // nobody0 failed once: four more, then blocked like a real user.
    for (let i = 0; i < 4; i++) assert((await post(plain.base, 'nobody0', 'x')).status === 401, `nobody0 failure ${i + 2}`);
    assert((await post(plain.base, 'nobody0', 'x')).status === 429, 'unknown users are counted and blocked too');
  });
} finally {
  await run.finish();
}
