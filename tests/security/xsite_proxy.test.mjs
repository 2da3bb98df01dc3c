// Issue 12 section 1, the browser variant: a page on another site that only sets `location.href`
// made a logged-in user's Chromium send the smuggling URLs through the dashboards proxies (a GET
// needs no CSRF token and the `SameSite=Lax` session cookie rides on top-level navigations), and
// storage deleted a series / the Alertmanager created a silence matching every alert.
// Real `sremon storage`, `alertmanager` and `dashboards`, a real login in Debian's chromium, and
// an attacker server on http://localhost:<port> while the app is on http://127.0.0.1:<port>: the
// hosts differ, so the two are different sites (ports never make a site), which the test checks
// through the `Sec-Fetch-Site: cross-site` header Chromium sends with each navigation.
// Env: SREMON_BIN, WEB_DIR, CHROMIUM.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { assert, freePort, launchChromium, requireBinary, Run, SREMON_BIN, startDashboards, waitOk } from './harness.mjs';

const TEST = 'xsite_proxy';
requireBinary(TEST);
const run = new Run(TEST);

// ---- storage with the victims, a minimal alertmanager, dashboards with storage as `victoriametrics` ----
const storagePort = await freePort();
run.start('storage', SREMON_BIN, ['storage', `-httpListenAddr=127.0.0.1:${storagePort}`, `-storageDataPath=${path.join(run.tmp, 'storage')}`]);
const STORAGE = `http://127.0.0.1:${storagePort}`;

const amPort = await freePort();
const closedPort = await freePort(); // nothing listens there: the receiver is never reached anyway
fs.writeFileSync(path.join(run.tmp, 'am.yml'),
  `route:\n  receiver: default\nreceivers:\n  - name: default\n    webhook_configs:\n      - url: http://127.0.0.1:${closedPort}/hook\n`);
run.start('alertmanager', SREMON_BIN, ['alertmanager', `--web.listen-address=127.0.0.1:${amPort}`,
  `--config.file=${path.join(run.tmp, 'am.yml')}`, `--storage.path=${path.join(run.tmp, 'am')}`]);
const AM = `http://127.0.0.1:${amPort}`;
await waitOk(`${STORAGE}/health`);
await waitOk(`${AM}/-/healthy`);

const VICTIMS = ['xsite_victim_ds', 'xsite_victim_control'];
{
  const r = await fetch(`${STORAGE}/api/v1/import/prometheus`, { method: 'POST', body: VICTIMS.map((v) => `${v}{job="victim"} 1\n`).join('') });
  assert(r.ok, 'import: ' + (await r.text()));
}
async function seriesCount(name) {
  const j = await (await fetch(`${STORAGE}/api/v1/series?match[]=${name}`)).json();
  return j.data.length;
}
for (const end = Date.now() + 10000; (await seriesCount(VICTIMS[0])) !== 1 && Date.now() < end;) await new Promise((r) => setTimeout(r, 100));
async function silences() {
  return (await fetch(`${AM}/api/v2/silences`)).json();
}

const prov = path.join(run.tmp, 'provisioning');
fs.mkdirSync(path.join(prov, 'datasources'), { recursive: true });
fs.writeFileSync(path.join(prov, 'datasources', 'ds.yml'),
  `apiVersion: 1\ndatasources:\n  - name: victoriametrics\n    uid: victoriametrics\n    type: prometheus\n    access: proxy\n    url: ${STORAGE}\n    isDefault: true\n`);
const { base: BASE } = await startDashboards(run, { provisioning: prov, args: [`--alertmanager.url=${AM}`] });

// ---- the attack URLs (as in proxy_security_test.cc) ----
const DS = '/api/datasources/proxy/uid/victoriametrics';
const dsAttack = `${DS}/api/v1/query%3fquery=1%20HTTP/1.1%0d%0aHost:%20127.0.0.1%0d%0a%0d%0a` +
  `POST%20/api/v1/admin/tsdb/delete_series%3fmatch%5B%5D=${VICTIMS[0]}`;
const silence = JSON.stringify({ matchers: [{ name: 'alertname', value: '.+', isRegex: true }],
  startsAt: '2025-01-01T00:00:00Z', endsAt: '2030-01-01T00:00:00Z', createdBy: 'attacker', comment: 'smuggled' });
const amAttack = '/api/sremon/alertmanager/api/v2/alerts%20HTTP/1.1%0d%0aHost:%20x%0d%0a%0d%0a' +
  'POST%20/api/v2/silences%20HTTP/1.1%0d%0aHost:%20x%0d%0aContent-Type:%20application/json' +
  `%0d%0aContent-Length:%20${silence.length}%0d%0a%0d%0a` + encodeURIComponent(silence);
// A plain read the proxy must allow: shows that the cookie rode along and the page can reach the app.
const control = `${DS}/api/v1/query?query=${VICTIMS[1]}`;

// ---- the attacker's site: each page only sets location.href ----
const pages = { '/ds': dsAttack, '/am': amAttack, '/control': control };
const attacker = http.createServer((req, res) => {
  const target = pages[req.url];
  if (!target) return res.writeHead(404).end();
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end(`<!doctype html><title>cute cats</title><script>location.href = ${JSON.stringify(BASE + target)};</script>`);
});
await new Promise((r) => attacker.listen(0, '127.0.0.1', r));
const ATTACKER = `http://localhost:${attacker.address().port}`;

const context = await launchChromium(run, TEST);
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(15000);

// Opens the attacker's page and returns the app's answer to the navigation its script starts.
async function visit(attackerPath, target) {
  const answer = page.waitForResponse((r) => r.url().startsWith(BASE + target.slice(0, 30)) && r.request().isNavigationRequest());
  await page.goto(ATTACKER + attackerPath);
  const r = await answer;
  const h = await r.request().allHeaders();
  assert(h['sec-fetch-site'] === 'cross-site', `the navigation is cross-site: Sec-Fetch-Site ${h['sec-fetch-site']}`);
  assert((h.cookie ?? '').includes('grafana_session='), `the session cookie rode along: ${JSON.stringify(h.cookie)}`);
  console.log(`  ${attackerPath}: ${ATTACKER} -> ${r.status()} ${(await r.text()).slice(0, 120)}`);
  return r;
}

try {
  await run.step('log in as admin in chromium (with the first-login password change)', async () => {
    await page.goto(BASE + '/login');
    await page.fill('[data-testid=login-user]', 'admin');
    await page.fill('[data-testid=login-password]', 'admin');
    await page.click('[data-testid=login-submit]');
    const changed = await Promise.race([
      page.waitForSelector('[data-testid=change-password-form]').then(() => true),
      page.waitForURL((u) => !u.pathname.startsWith('/login')).then(() => false),
    ]);
    if (changed) {
      await page.fill('[data-testid=new-password]', 'xsite-S3cret');
      await page.fill('[data-testid=confirm-password]', 'xsite-S3cret');
      await page.click('[data-testid=change-password-submit]');
      await page.waitForURL((u) => !u.pathname.startsWith('/login'));
    }
    const c = (await context.cookies(BASE)).find((c) => c.name === 'grafana_session');
    assert(c, 'a session cookie for ' + BASE);
    assert(c.sameSite === 'Lax', 'the premise of the attack: a SameSite=Lax session cookie, got ' + c.sameSite);
  });

  await run.step('control: a read through the data source proxy from the other site answers 200', async () => {
    const r = await visit('/control', control);
    assert(r.status() === 200, `status ${r.status()}: ${await r.text()}`);
    assert((await r.text()).includes(VICTIMS[1]), 'the query result names the series: ' + (await r.text()));
  });

  await run.step('smuggling through the data source proxy deletes no series', async () => {
    assert((await seriesCount(VICTIMS[0])) === 1, 'the victim series exists before the attack');
    const r = await visit('/ds', dsAttack);
    await new Promise((res) => setTimeout(res, 500)); // a smuggled request would be served by now
    const n = await seriesCount(VICTIMS[0]);
    assert(n === 1, `the smuggled delete_series went through: ${VICTIMS[0]} has ${n} series (proxy answered ${r.status()})`);
    assert([400, 403].includes(r.status()), `the proxy refuses the smuggling URL: status ${r.status()}: ${await r.text()}`);
  });

  await run.step('smuggling through /api/sremon/alertmanager creates no silence', async () => {
    const r = await visit('/am', amAttack);
    await new Promise((res) => setTimeout(res, 500));
    const s = await silences();
    assert(Array.isArray(s) && s.length === 0, `a smuggled silence was created (proxy answered ${r.status()}): ${JSON.stringify(s)}`);
    assert([400, 403].includes(r.status()), `the proxy refuses the smuggling URL: status ${r.status()}: ${await r.text()}`);
  });
} finally {
  await context.close().catch(() => {});
  attacker.close();
}
await run.finish();
