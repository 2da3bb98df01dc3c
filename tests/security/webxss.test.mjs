// Stored XSS in the dashboards app, performed as an attacker would: a dashboard full of markup
// and script in every field a dashboard model has (colours, titles, legends, links, units, text
// panel content, variable values, series labels) is imported through the real API, opened in
// Debian's chromium, hovered and clicked. Nothing may execute, no element may be injected, no
// href may be javascript:, and the Content-Security-Policy must be enforced by the browser while
// the app itself causes no violation. Also: stat and gauge values of small panels (Node Exporter
// Full's h=2 stats and h=4 gauges) fit inside their panels, on Grafana's grid geometry.
// Env: SREMON_BIN, WEB_DIR, CHROMIUM, TEST_OUTPUT_DIR (screenshots).
import fs from 'node:fs';
import path from 'node:path';
import { assert, launchChromium, login, requireBinary, Run, SREMON_BIN, startDashboards, waitOk, WEB_DIR, freePort } from './harness.mjs';

const TEST = 'webxss';
requireBinary(TEST);
const OUT_DIR = process.env.TEST_OUTPUT_DIR ?? path.resolve('test-output/security');
fs.mkdirSync(OUT_DIR, { recursive: true });
const run = new Run(TEST);

// ---- data in our own storage service ----
const storagePort = await freePort();
run.start('storage', SREMON_BIN, ['storage', `-httpListenAddr=127.0.0.1:${storagePort}`, `-storageDataPath=${path.join(run.tmp, 'storage')}`]);
const STORAGE = `http://127.0.0.1:${storagePort}`;
await waitOk(`${STORAGE}/health`);
{
  const now = Math.floor(Date.now() / 15000) * 15000;
  const lines = [];
  for (let t = now - 30 * 60 * 1000; t <= now; t += 15000) {
    lines.push(`cpu_cores{instance="n1"} 16 ${t}`);
    lines.push(`ram_total_bytes{instance="n1"} 72264314880 ${t}`);
    lines.push(`swap_total_bytes{instance="n1"} 8589934592 ${t}`);
    lines.push(`rootfs_bytes{instance="n1"} 1200000000000 ${t}`);
    lines.push(`uptime_seconds{instance="n1"} ${1936000 + (t - now) / 1000} ${t}`);
    lines.push(`cpu_busy_pct{instance="n1"} ${37.5 + Math.sin(t / 60000)} ${t}`);
    // Label values are attacker-controlled too (any scraped target chooses them).
    lines.push(`hostile{evil="\\"/><img src=x onerror=window.__xss=40>",instance="<script>window.__xss=41</script>"} ${1 + Math.cos(t / 90000)} ${t}`);
  }
  const r = await fetch(`${STORAGE}/api/v1/import/prometheus`, { method: 'POST', body: lines.join('\n') + '\n' });
  assert(r.ok, 'import: ' + (await r.text()));
}

const prov = path.join(run.tmp, 'provisioning');
fs.mkdirSync(path.join(prov, 'datasources'), { recursive: true });
fs.writeFileSync(path.join(prov, 'datasources', 'ds.yml'),
  `apiVersion: 1\ndatasources:\n  - name: sremon\n    uid: sremon\n    type: prometheus\n    url: ${STORAGE}\n    isDefault: true\n`);
const { base: BASE } = await startDashboards(run, { provisioning: prov });
const cookie = await login(BASE, 'admin', 'admin');

// Markup that runs script when it reaches innerHTML (both as an attribute break-out and as
// element content), and a colour that breaks out of an SVG attribute.
const X = (n) => `"/><img src=x onerror="window.__xss=${n};alert(${n})"><script>window.__xss=${n}</script>`;
const COL = (n) => `red"/><img src=x onerror=window.__xss=${n}>`;
const ds = { type: 'prometheus', uid: 'sremon' };
const hostile = {
  uid: 'hostile', title: X(1), time: { from: 'now-30m', to: 'now' },
  links: [
    { type: 'link', title: 'evil ' + X(2), url: 'javascript:window.__xss=3;alert(3)' },
    { type: 'link', title: 'ok link', url: 'https://grafana.com/?v=$v', tooltip: X(4) },
    { type: 'link', title: 'tab link', url: 'java\tscript:window.__xss=5' },
  ],
  templating: { list: [
    { name: 'v', type: 'custom', label: X(6), query: `a,<img src=x onerror=window.__xss=7>`, current: { text: X(8), value: X(8) } },
    { name: 'tb', type: 'textbox', label: X(9), query: X(10) },
  ] },
  panels: [
    { id: 1, type: 'stat', title: X(11) + ' $v', description: X(12), datasource: ds, gridPos: { x: 0, y: 0, w: 6, h: 6 },
      links: [{ title: 'panel link ' + X(13), url: 'javascript:window.__xss=14' }],
      targets: [{ refId: 'A', datasource: ds, expr: 'cpu_cores', legendFormat: X(15) }],
      fieldConfig: { defaults: { unit: X(16), thresholds: { mode: 'absolute', steps: [{ value: null, color: COL(17) }, { value: 1, color: COL(18) }] },
        mappings: [{ type: 'value', options: { '16': { text: X(19), color: COL(20) } } }] }, overrides: [] },
      options: { colorMode: 'background', graphMode: 'area', textMode: 'value_and_name', reduceOptions: { calcs: ['lastNotNull'] } } },
    { id: 2, type: 'gauge', title: 'gauge', datasource: ds, gridPos: { x: 6, y: 0, w: 6, h: 6 }, targets: [{ refId: 'A', datasource: ds, expr: 'cpu_busy_pct' }],
      fieldConfig: { defaults: { unit: 'percent', thresholds: { mode: 'absolute', steps: [{ value: null, color: 'green' }, { value: 10, color: COL(21) }] } }, overrides: [] } },
    { id: 3, type: 'bargauge', title: 'bars', datasource: ds, gridPos: { x: 12, y: 0, w: 6, h: 6 }, targets: [{ refId: 'A', datasource: ds, expr: 'cpu_busy_pct', legendFormat: X(22) }],
      fieldConfig: { defaults: { thresholds: { mode: 'absolute', steps: [{ value: null, color: COL(23) }] } }, overrides: [] } },
    { id: 4, type: 'timeseries', title: 'series', datasource: ds, gridPos: { x: 0, y: 6, w: 12, h: 8 },
      targets: [{ refId: 'A', datasource: ds, expr: 'hostile', legendFormat: '{{evil}} {{instance}} ' + X(24) }],
      fieldConfig: { defaults: { unit: X(25), color: { mode: 'fixed', fixedColor: COL(26) }, custom: { thresholdsStyle: { mode: 'line' } },
        thresholds: { steps: [{ value: null, color: 'green' }, { value: 1, color: COL(27) }] } },
      overrides: [{ matcher: { id: 'byName', options: 'x' }, properties: [{ id: 'color', value: { fixedColor: COL(28) } }] }] } },
    { id: 5, type: 'table', title: 'table', datasource: ds, gridPos: { x: 12, y: 6, w: 12, h: 8 }, targets: [{ refId: 'A', datasource: ds, expr: 'hostile', instant: true }] },
    { id: 6, type: 'text', title: 'markdown', gridPos: { x: 0, y: 14, w: 12, h: 6 },
      options: { mode: 'markdown', content: `# ${X(29)}\n[click me](javascript:window.__xss=30)\n**${X(31)}** var $v and $tb\n- ${X(32)}\n\`\`\`\n${X(33)}\n\`\`\`` } },
    { id: 7, type: 'text', title: 'html', gridPos: { x: 12, y: 14, w: 12, h: 6 }, options: { mode: 'html', content: X(34) } },
    { id: 8, type: 'row', title: X(35), collapsed: false, gridPos: { x: 0, y: 20, w: 24, h: 1 }, panels: [] },
  ],
};

// Node Exporter Full's small stats and gauges (gridPos, units and options as in grafana.com
// dashboard 1860), fed by simple series.
const fit = {
  uid: 'fit', title: 'Small stats', time: { from: 'now-30m', to: 'now' },
  panels: [
    ['gauge', 'CPU Busy', { h: 4, w: 3, x: 3, y: 1 }, 'cpu_busy_pct', 'percent'],
    ['stat', 'CPU Cores', { h: 2, w: 2, x: 18, y: 1 }, 'cpu_cores', 'short'],
    ['stat', 'RAM Total', { h: 2, w: 2, x: 20, y: 1 }, 'ram_total_bytes', 'bytes'],
    ['stat', 'SWAP Total', { h: 2, w: 2, x: 22, y: 1 }, 'swap_total_bytes', 'bytes'],
    ['stat', 'RootFS Total', { h: 2, w: 2, x: 18, y: 3 }, 'rootfs_bytes', 'bytes'],
    ['stat', 'Uptime', { h: 2, w: 4, x: 20, y: 3 }, 'uptime_seconds', 's'],
  ].map(([type, title, gridPos, expr, unit], i) => ({
    id: i + 1, type, title, gridPos, datasource: ds, targets: [{ refId: 'A', datasource: ds, expr, instant: type === 'stat' }],
    fieldConfig: { defaults: { unit, decimals: type === 'stat' && unit !== 's' ? 0 : undefined, thresholds: { mode: 'absolute', steps: [{ value: null, color: 'green' }] } }, overrides: [] },
    options: { colorMode: 'none', graphMode: 'none', reduceOptions: { calcs: ['lastNotNull'] } },
  })),
};

for (const d of [hostile, fit]) {
  const r = await fetch(BASE + '/api/dashboards/import', { method: 'POST', headers: { Cookie: cookie, 'X-Grafana-Org-Id': '1', 'Content-Type': 'application/json' },
    body: JSON.stringify({ dashboard: d, overwrite: true, inputs: [], folderUid: '' }) });
  assert(r.ok, `import ${d.uid}: ${r.status} ${await r.text()}`);
}

const context = await launchChromium(run, TEST);
await context.addCookies([{ name: 'grafana_session', value: cookie.split('=')[1], url: BASE }]);
// Counted in every page before any of its scripts run (init scripts are not subject to CSP).
await context.addInitScript(() => {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
});
const page = context.pages()[0] ?? (await context.newPage());
page.setDefaultTimeout(15000);
const dialogs = [];
page.on('dialog', (d) => {
  dialogs.push(d.message());
  void d.dismiss();
});
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));
run.onFailure = (name) => page.screenshot({ path: path.join(OUT_DIR, 'failure-' + name.replace(/\W+/g, '_') + '.png'), fullPage: true });

async function panelsDone(n) {
  await page.waitForFunction((n) => {
    const ps = [...document.querySelectorAll('[data-testid=panel]')];
    return ps.length >= n && ps.every((p) => ['done', 'nodata', 'error'].includes(p.dataset.state));
  }, n);
}

try {
  await run.step('the built app has no inline script', async () => {
    const html = fs.readFileSync(path.join(WEB_DIR, 'dist', 'index.html'), 'utf8');
    const scripts = html.match(/<script\b[^>]*>/g) ?? [];
    assert(scripts.length > 0 && scripts.every((s) => /\ssrc=/.test(s)), 'every script has a src: ' + scripts);
    assert(!/\son[a-z]+=/i.test(html), 'no inline event handler attribute in index.html');
  });

  await run.step('every page answer carries the CSP', async () => {
    for (const p of ['/', '/d/hostile', '/login', '/api/health', '/api/search', '/assets/none.js']) {
      const r = await fetch(BASE + p);
      const csp = r.headers.get('content-security-policy') ?? '';
      for (const d of ["script-src 'self'", "object-src 'none'", "base-uri 'self'", "frame-ancestors 'none'"]) assert(csp.includes(d), `${p}: ${d} missing in ${JSON.stringify(csp)}`);
      assert(r.headers.get('x-content-type-options') === 'nosniff', `${p}: nosniff`);
    }
  });

  await run.step('hostile dashboard: nothing executes, nothing is injected', async () => {
    await page.goto(BASE + '/d/hostile');
    await panelsDone(7);
    // Hover the time series (tooltip), open the variable, click every link-looking element.
    const over = await page.$('[data-panel-id="4"] .u-over');
    assert(over, 'the time series drew a plot');
    const b = await over.boundingBox();
    for (const f of [0.2, 0.5, 0.8]) await page.mouse.move(b.x + b.width * f, b.y + b.height / 2);
    const tooltip = await page.textContent('[data-panel-id="4"] .uplot-tooltip');
    assert(tooltip.includes('<img src=x onerror=window.__xss=40>'), 'tooltip shows the series name as text: ' + tooltip);
    for (const el of await page.$$('[data-testid=model-link]')) {
      if ((await el.evaluate((e) => e.tagName)) === 'SPAN') await el.click();
    }
    for (const el of await page.$$('.text-panel a')) await el.click({ modifiers: [] }).catch(() => {});
    await page.waitForTimeout(500);
    const state = await page.evaluate(() => ({
      xss: window.__xss,
      injected: [...document.querySelectorAll('img, iframe, object, embed, script:not([src])')].map((e) => e.outerHTML),
      handlers: [...document.querySelectorAll('*')].filter((e) => [...e.attributes].some((a) => /^on/i.test(a.name))).map((e) => e.outerHTML.slice(0, 120)),
      hrefs: [...document.querySelectorAll('a[href]')].map((a) => a.href),
      svgColors: [...document.querySelectorAll('svg path')].map((p) => [p.getAttribute('stroke'), p.getAttribute('fill')]).flat().filter(Boolean),
      title: document.querySelector('[data-testid=dashboard-title]')?.textContent,
      panelTitle: document.querySelector('[data-panel-id="1"] [data-testid=panel-title]')?.textContent,
      markdown: document.querySelector('[data-panel-id="6"] .text-panel')?.textContent,
      html: document.querySelector('[data-panel-id="7"] .text-panel')?.textContent,
      table: document.querySelector('[data-panel-id="5"] table')?.textContent,
      csp: window.__csp,
    }));
    assert(state.xss === undefined, 'script ran: window.__xss = ' + state.xss);
    assert(dialogs.length === 0, 'dialogs opened: ' + dialogs);
    assert(state.injected.length === 0, 'elements injected from the dashboard: ' + state.injected.join(' | '));
    assert(state.handlers.length === 0, 'event handler attributes in the page: ' + state.handlers.join(' | '));
    for (const h of state.hrefs) assert(/^https?:/.test(h), 'a link that is not http(s): ' + h);
    assert(state.hrefs.some((h) => h.startsWith('https://grafana.com/')), 'the safe dashboard link is kept: ' + state.hrefs);
    for (const c of state.svgColors) assert(/^(#[0-9a-f]{3,8}|none|[a-z]+)$/i.test(c), 'svg colour attribute ' + JSON.stringify(c));
    assert(state.title.includes('<script>window.__xss=1</script>'), 'the title is shown as text: ' + state.title);
    assert(state.panelTitle.includes('<img src=x'), 'the panel title is text: ' + state.panelTitle);
    assert(state.markdown.includes('<script>window.__xss=29</script>') && state.markdown.includes('click me'), 'markdown shows the markup as text: ' + state.markdown);
    assert(state.html.includes('<img src=x'), 'html mode shows the source as text: ' + state.html);
    assert(state.table.includes('<script>window.__xss=41</script>'), 'label values are text in the table: ' + state.table);
    assert(state.csp.length === 0, 'the app itself caused CSP violations: ' + state.csp.join(' | '));
    await page.screenshot({ path: path.join(OUT_DIR, 'webxss-hostile.png'), fullPage: true });
  });

  await run.step('the browser enforces the CSP (inline script and handlers are blocked)', async () => {
    // What any injection that slipped past the DOM checks would do: the policy stops it.
    const r = await page.evaluate(async () => {
      const probe = document.createElement('div');
      probe.innerHTML = '<img src="/nonexistent.png" onerror="window.__cspProbe=1">';
      document.body.append(probe);
      const s = document.createElement('script');
      s.textContent = 'window.__cspProbe2 = 1';
      document.body.append(s);
      await new Promise((res) => setTimeout(res, 500));
      return { probe: window.__cspProbe, probe2: window.__cspProbe2, violations: window.__csp.length };
    });
    assert(r.probe === undefined && r.probe2 === undefined, 'inline code ran: ' + JSON.stringify(r));
    assert(r.violations >= 2, 'violations reported: ' + JSON.stringify(r));
  });

  await run.step('the app works under the CSP (home, explore with the editor, panel editor)', async () => {
    await page.goto(BASE + '/');
    await page.waitForSelector('[data-testid=dash-link]');
    await page.goto(BASE + '/explore?query=cpu_cores&from=now-30m');
    await panelsDone(2);
    await page.waitForSelector('[data-testid=explore-editor] .cm-content');
    await page.goto(BASE + '/d/fit');
    await panelsDone(6);
    await page.click('[data-testid=edit-dashboard]');
    await page.click('[data-testid=panel-edit] >> nth=0');
    await page.waitForSelector('[data-testid=panel-editor] .cm-content');
    const csp = await page.evaluate(() => window.__csp);
    assert(csp.length === 0, 'CSP violations: ' + csp.join(' | '));
    assert(pageErrors.length === 0, 'page errors: ' + pageErrors.join(' | '));
  });

  await run.step('small stat and gauge values fit their panels (Grafana grid: 30 px rows, 8 px gaps)', async () => {
    await page.goto(BASE + '/d/fit');
    await panelsDone(6);
    const boxes = await page.$$eval('[data-testid=panel]', (ps) => ps.map((p) => {
      const body = p.querySelector('.panel-body').getBoundingClientRect();
      const value = p.querySelector('.stat-value, .gauge-text');
      const range = document.createRange();
      range.selectNodeContents(value);
      const t = range.getBoundingClientRect();
      const w = p.parentElement.getBoundingClientRect();
      return { title: p.querySelector('[data-testid=panel-title]').textContent, text: value.textContent, font: parseFloat(getComputedStyle(value).fontSize),
        text_box: [t.left, t.top, t.right, t.bottom], body: [body.left, body.top, body.right, body.bottom], height: w.height, top: w.top - p.closest('.dash-grid').getBoundingClientRect().top };
    }));
    const want = { 'CPU Busy': [144, 38], 'CPU Cores': [68, 38], 'RAM Total': [68, 38], 'SWAP Total': [68, 38], 'RootFS Total': [68, 114], Uptime: [68, 114] };
    for (const b of boxes) {
      const [h, top] = want[b.title];
      assert(Math.abs(b.height - h) < 1 && Math.abs(b.top - top) < 1, `${b.title}: panel height ${b.height} at ${b.top}, Grafana's grid gives ${h} at ${top}`);
      const [l, t, r, bo] = b.text_box;
      const [bl, bt, br, bb] = b.body;
      assert(l >= bl - 1 && r <= br + 1 && t >= bt - 1 && bo <= bb + 1, `${b.title}: value "${b.text}" at ${b.text_box.map(Math.round)} is cut off by the panel body ${b.body.map(Math.round)} (font ${b.font}px)`);
      assert(b.font >= 10, `${b.title}: value "${b.text}" shrunk to ${b.font}px`);
    }
    console.log('  ' + boxes.map((b) => `${b.title} "${b.text}" ${b.font.toFixed(1)}px`).join(', '));
    await page.screenshot({ path: path.join(OUT_DIR, 'webxss-small-stats.png') });
  });
} finally {
  await context.close().catch(() => {});
}
await run.finish();
