// A community dashboard against three data sources: Node Exporter Full (grafana.com 1860, the
// shared fixture) provisioned into `sremon dashboards`, Debian's prometheus-node-exporter scraped
// every second by `sremon storage`, Debian's prometheus and Debian's victoria-metrics, and the
// dashboard rendered in Debian's chromium once per data source. Every panel that shows data on
// Prometheus must show data on sremon storage. Caught: all 125 panels showed "No data" on sremon
// storage because the app asked for variable values with POST on label/NAME/values, which
// storage answered 404 (Prometheus 405, VictoriaMetrics 200).
// Env: SREMON_BIN, WEB_DIR, NODE_EXPORTER_FULL (the fixture), TEST_OUTPUT_DIR (screenshots).
// Exits 77 (skipped) when the fixture or a program is absent.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, loadPlaywright, Processes, skip, sleep, waitOk } from './harness.mjs';

const TEST = 'Node Exporter Full on three data sources';
const SREMON_BIN = process.env.SREMON_BIN;
const WEB_DIR = process.env.WEB_DIR ?? path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../web');
const FIXTURE = process.env.NODE_EXPORTER_FULL ?? path.resolve(WEB_DIR, '../../shared/fixtures/grafana/node-exporter-full.json');
const OUT_DIR = process.env.TEST_OUTPUT_DIR ?? path.resolve('test-output/dashboards');
const BINS = {
  chromium: process.env.CHROMIUM ?? '/usr/bin/chromium',
  prometheus: process.env.PROMETHEUS ?? '/usr/bin/prometheus',
  'victoria-metrics': process.env.VICTORIA_METRICS ?? '/usr/bin/victoria-metrics',
  'prometheus-node-exporter': process.env.NODE_EXPORTER ?? '/usr/bin/prometheus-node-exporter',
};

if (!SREMON_BIN || !fs.existsSync(SREMON_BIN)) skip(TEST, 'SREMON_BIN is not set or missing');
if (!fs.existsSync(FIXTURE)) skip(TEST, `the fixture ${FIXTURE} is absent (it lives in ../shared beside the checkout)`);
for (const [pkg, bin] of Object.entries(BINS)) {
  if (!fs.existsSync(bin)) skip(TEST, `${bin} not installed (Debian package ${pkg}; scripts/deps.sh peers)`);
}
const { chromium } = loadPlaywright(WEB_DIR, TEST);

const SCRAPE_S = 1;
// Long enough for every rate() window ($__rate_interval = 4 x the 1 s scrape interval) and the
// dashboard's instant queries to have samples; short enough to keep the test quick.
const MIN_DATA_S = 15;
const RANGE = 'from=now-5m&to=now';

fs.mkdirSync(OUT_DIR, { recursive: true });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sremon-nef-'));
const procs = new Processes(tmp);
let ok = false;
let context;
let userDataDir;
const testStart = Date.now();
const elapsed = () => `${((Date.now() - testStart) / 1000).toFixed(1)} s`;

// Grafana keeps a collapsed row's panels inside it; expanding moves them below the row and
// pushes the rest down. Provisioning every row expanded renders all 125 panels at once.
function expandRows(dash) {
  const top = [...dash.panels].sort((a, b) => a.gridPos.y - b.gridPos.y);
  const out = [];
  let shift = 0;
  for (const p of top) {
    p.gridPos.y += shift;
    out.push(p);
    if (p.type !== 'row' || !p.collapsed) continue;
    const inner = p.panels ?? [];
    const minY = Math.min(...inner.map((q) => q.gridPos.y));
    let bottom = p.gridPos.y + 1;
    for (const q of inner) {
      q.gridPos.y = p.gridPos.y + 1 + (q.gridPos.y - minY);
      bottom = Math.max(bottom, q.gridPos.y + q.gridPos.h);
      out.push(q);
    }
    shift += bottom - (p.gridPos.y + 1);
    p.collapsed = false;
    p.panels = [];
  }
  dash.panels = out;
  return dash;
}

try {
  const port = {};
  for (const k of ['node', 'prometheus', 'vm', 'storage', 'dash']) port[k] = await freePort();
  const url = (k) => `http://127.0.0.1:${port[k]}`;

  // ---- node_exporter and its three scrapers ----
  procs.start('node-exporter', BINS['prometheus-node-exporter'], [`--web.listen-address=127.0.0.1:${port.node}`]);
  const scrape = path.join(tmp, 'scrape.yml');
  fs.writeFileSync(scrape, `global:\n  scrape_interval: ${SCRAPE_S}s\n  scrape_timeout: ${SCRAPE_S}s\nscrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:${port.node}']\n`);
  procs.start('prometheus', BINS.prometheus, [`--config.file=${scrape}`, `--storage.tsdb.path=${path.join(tmp, 'prometheus')}`, `--web.listen-address=127.0.0.1:${port.prometheus}`]);
  procs.start('victoria-metrics', BINS['victoria-metrics'], [`-promscrape.config=${scrape}`, `-storageDataPath=${path.join(tmp, 'vm')}`, `-httpListenAddr=127.0.0.1:${port.vm}`,
    '-search.latencyOffset=0s', '-search.disableCache', '-loggerLevel=ERROR']);
  procs.start('sremon-storage', SREMON_BIN, ['storage', `-promscrape.config=${scrape}`, `-storageDataPath=${path.join(tmp, 'storage')}`, `-httpListenAddr=127.0.0.1:${port.storage}`]);

  // ---- provisioning: one data source per backend, each with its own request method ----
  // Prometheus: httpMethod unset (queries POST, Grafana 9+'s default); VictoriaMetrics: GET;
  // sremon storage twice, POST and GET, so both ways of asking are rendered on ours.
  const sources = [
    { name: 'Prometheus', uid: 'prom', url: url('prometheus'), jsonData: {} },
    { name: 'VictoriaMetrics', uid: 'vm', url: url('vm'), jsonData: { httpMethod: 'GET' } },
    { name: 'sremon storage', uid: 'sremon', url: url('storage'), jsonData: { httpMethod: 'POST' } },
    { name: 'sremon storage GET', uid: 'sremon-get', url: url('storage'), jsonData: { httpMethod: 'GET' } },
  ];
  const prov = path.join(tmp, 'provisioning');
  fs.mkdirSync(path.join(prov, 'datasources'), { recursive: true });
  fs.mkdirSync(path.join(prov, 'dashboards', 'json'), { recursive: true });
  fs.writeFileSync(path.join(prov, 'datasources', 'datasources.yml'), 'apiVersion: 1\ndatasources:\n' + sources.map((s, i) =>
    `  - name: ${s.name}\n    uid: ${s.uid}\n    type: prometheus\n    access: proxy\n    url: ${s.url}\n    isDefault: ${i === 0}\n    jsonData:\n      timeInterval: ${SCRAPE_S}s\n` +
    Object.entries(s.jsonData).map(([k, v]) => `      ${k}: ${v}\n`).join('')).join(''));
  fs.writeFileSync(path.join(prov, 'dashboards', 'dashboards.yml'), `apiVersion: 1\nproviders:\n  - name: community\n    type: file\n    options:\n      path: ${path.join(prov, 'dashboards', 'json')}\n`);
  const dashboard = expandRows(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')));
  const panelCount = dashboard.panels.filter((p) => p.type !== 'row').length;
  fs.writeFileSync(path.join(prov, 'dashboards', 'json', 'node-exporter-full.json'), JSON.stringify(dashboard));
  const password = 'nef-' + Math.random().toString(36).slice(2);
  procs.start('dashboards', SREMON_BIN, ['dashboards', `-httpListenAddr=127.0.0.1:${port.dash}`, `--data=${path.join(tmp, 'dash-data')}`],
    { GF_PATHS_PROVISIONING: prov, GF_SECURITY_ADMIN_PASSWORD: password });

  for (const k of ['node', 'prometheus', 'vm', 'storage', 'dash']) {
    await waitOk(url(k) + (k === 'node' ? '/metrics' : k === 'dash' ? '/api/health' : k === 'prometheus' ? '/-/ready' : '/health'), 30000);
  }

  // ---- the browser logs in while the scrapers gather samples ----
  userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sremon-nef-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: BINS.chromium,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1600, height: 1000 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(15000);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // The method of every data source request, by data source uid and endpoint.
  const methods = {};
  page.on('request', (req) => {
    const m = /\/api\/datasources\/proxy\/uid\/([^/]+)\/api\/v1\/(query_range|query|label\/[^/]+\/values|series|labels)/.exec(new URL(req.url()).pathname);
    if (!m) return;
    const key = `${m[1]} ${m[2].startsWith('label/') ? 'label values' : m[2]}`;
    (methods[key] ??= new Set()).add(req.method());
  });
  await page.goto(url('dash') + '/login');
  await page.fill('[data-testid=login-user]', 'admin');
  await page.fill('[data-testid=login-password]', password);
  await page.click('[data-testid=login-submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));

  // ---- wait until every scraper holds MIN_DATA_S seconds of node_exporter samples ----
  const t0 = Date.now();
  const span = async (base) => {
    const r = await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent('count_over_time(node_uname_info{job="node"}[5m])')}`)).json();
    return Number(r.data?.result?.[0]?.value?.[1] ?? 0) * SCRAPE_S;
  };
  for (;;) {
    const spans = await Promise.all(['prometheus', 'vm', 'storage'].map((k) => span(url(k)).catch(() => 0)));
    if (spans.every((s) => s >= MIN_DATA_S)) break;
    if (Date.now() - t0 > 90000) throw new Error(`scrapers hold ${spans.join('/')} s of samples after 90 s (want ${MIN_DATA_S})`);
    await sleep(1000);
  }
  console.log(`every scraper holds ${MIN_DATA_S} s of node_exporter samples at ${elapsed()}`);

  // ---- render the dashboard once per data source ----
  const render = async (source) => {
    const started = Date.now();
    await page.goto(`${url('dash')}/d/${dashboard.uid}?${RANGE}&var-ds_prometheus=${encodeURIComponent(source.name)}`);
    await page.waitForFunction((n) => {
      const ps = [...document.querySelectorAll('[data-testid=panel]')];
      return ps.length >= n && ps.every((p) => ['done', 'nodata', 'error'].includes(p.dataset.state));
    }, panelCount, { timeout: 60000 });
    const vars = await page.$$eval('.var-item', (items) => items.map((i) => ({
      label: i.querySelector('.var-label')?.textContent, value: i.querySelector('select,input')?.value, error: i.querySelector('.var-error')?.title })));
    const panels = await page.$$eval('[data-testid=panel]', (ps) => ps.map((p) => ({
      id: p.dataset.panelId, title: p.querySelector('[data-testid=panel-title]')?.textContent, state: p.dataset.state,
      error: p.querySelector('[data-testid=panel-error]')?.textContent })));
    const ms = Date.now() - started;
    // The top of the page only: a full-page shot of 125 panels takes longer than the test.
    await page.screenshot({ path: path.join(OUT_DIR, `node-exporter-full-${source.uid}.png`), timeout: 30000 }).catch((e) => console.log('(no screenshot: ' + e.message.split('\n')[0] + ')'));
    return { source, vars, panels, ms, withData: new Set(panels.filter((p) => p.state === 'done').map((p) => p.id)) };
  };
  const results = [];
  for (const s of sources) results.push(await render(s));

  // ---- report and compare ----
  const failures = [];
  for (const r of results) {
    const count = (state) => r.panels.filter((p) => p.state === state).length;
    console.log(`${r.source.name.padEnd(20)} ${r.panels.length} panels: ${count('done')} with data, ${count('nodata')} no data, ${count('error')} errors ` +
      `(rendered in ${r.ms} ms); variables ${r.vars.map((v) => `${v.label}=${v.value ?? ''}${v.error ? ' ERROR ' + v.error : ''}`).join(', ')}`);
    if (r.panels.length !== panelCount) failures.push(`${r.source.name}: ${r.panels.length} panels rendered, want ${panelCount}`);
    for (const v of r.vars) {
      if (v.error || !v.value) failures.push(`${r.source.name}: variable ${v.label} has no value${v.error ? ': ' + v.error : ''}`);
    }
  }
  // Requests went out as Grafana's data source sends them (jsonData.httpMethod reached the app).
  const want = { prom: 'POST', vm: 'GET', sremon: 'POST', 'sremon-get': 'GET' };
  for (const [uid, method] of Object.entries(want)) {
    for (const [endpoint, m] of [['query_range', method], ['label values', 'GET']]) {
      const got = [...(methods[`${uid} ${endpoint}`] ?? [])].join(',');
      if (got !== m) failures.push(`${uid}: ${endpoint} sent with ${got || 'nothing'}, want ${m}`);
    }
  }
  console.log('request methods: ' + Object.entries(methods).map(([k, v]) => `${k} ${[...v].join('/')}`).join(', '));
  const [prom, , ...ours] = results;
  const byId = new Map(prom.panels.map((p) => [p.id, p]));
  // The oracle must itself show data, or "ours shows everything Prometheus shows" says nothing.
  if (prom.withData.size < panelCount / 2) failures.push(`Prometheus shows data on only ${prom.withData.size} of ${panelCount} panels`);
  for (const r of ours) {
    const missing = [...prom.withData].filter((id) => !r.withData.has(id));
    for (const id of missing) {
      const p = r.panels.find((x) => x.id === id);
      failures.push(`${r.source.name}: panel ${id} "${byId.get(id).title}" has data on Prometheus but is ${p?.state ?? 'missing'}${p?.error ? ': ' + p.error : ''}`);
    }
    const extra = [...r.withData].filter((id) => !prom.withData.has(id));
    if (extra.length) console.log(`${r.source.name}: data on ${extra.length} panel(s) where Prometheus has none: ${extra.map((id) => byId.get(id)?.title).join(', ')}`);
  }
  if (pageErrors.length) failures.push('page errors: ' + pageErrors.join('; '));
  for (const f of failures) console.log('FAIL ' + f);
  ok = failures.length === 0;
  console.log(ok ? `ok   ${TEST} (${elapsed()})` : `FAIL ${TEST}: ${failures.length} problem(s); screenshots in ${OUT_DIR}`);
} catch (e) {
  console.log(`FAIL ${TEST}: ${e.stack ?? e}`);
} finally {
  await context?.close().catch(() => {});
  await procs.stopAll();
  if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  if (ok) fs.rmSync(tmp, { recursive: true, force: true });
  else console.log('logs kept in ' + tmp);
}
process.exit(ok ? 0 : 1);
