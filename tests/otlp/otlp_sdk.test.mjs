// OTLP/HTTP from the real OpenTelemetry JS SDK into `sremon storage`, protobuf and JSON (the same
// exporter program with each of the SDK's two exporters), checked through PromQL:
// a counter (-> _total), an observable gauge (unit "1" -> _ratio), a histogram with explicit
// buckets (-> _bucket/_sum/_count, histogram_quantile), the resource as job/instance and
// target_info; then what the endpoint answers to garbage, to delta temporality and to bad JSON.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.SREMON_BIN;
const freePort = () => new Promise((res) => { const s = createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let failed = 0;
const check = (ok, what) => { console.log(`${ok ? 'ok' : 'FAIL'}: ${what}`); if (!ok) failed++; };

const port = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'sremon-otlp-'));
const base = `http://127.0.0.1:${port}`;
const storage = spawn(bin, ['storage', `-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`], { stdio: 'inherit' });
try {
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${base}/health`)).ok) break; } catch { /* not yet */ }
    await sleep(50);
  }
  const query = async (q) => {
    const r = await (await fetch(`${base}/api/v1/query?query=${encodeURIComponent(q)}`)).json();
    return r.data.result.map((s) => [s.metric, Number(s.value[1])]);
  };
  const one = async (q) => { const r = await query(q); return r.length === 1 ? r[0][1] : NaN; };
  // The same program exports once per encoding, as its own process (as an instrumented service
  // would), each with its own service.instance.id; each is read back alone.
  for (const protocol of ['proto', 'json']) {
    const pod = `pod-${protocol}`;
    const sel = `job="shop/checkout",instance="${pod}"`;
    const out = execFileSync(process.execPath, [join(here, 'exporter.mjs'), `${base}/opentelemetry/v1/metrics`, protocol, pod]).toString();
    check(out.includes('exported') && !out.includes('export failed'), `${protocol}: the SDK exported: ${out.trim()}`);
    check(await one(`http_server_requests_total{${sel},route="/a"}`) === 5, `${protocol}: counter as _total with job and instance from the resource`);
    check(await one(`http_server_requests_total{${sel},route="/b"}`) === 2, `${protocol}: a second attribute set`);
    check(await one(`queue_depth_ratio{${sel},queue="orders"}`) === 42, `${protocol}: observable gauge with unit "1" as _ratio`);
    check(await one(`http_server_duration_seconds_count{${sel},route="/a"}`) === 5, `${protocol}: histogram _count`);
    check(Math.abs(await one(`http_server_duration_seconds_sum{${sel},route="/a"}`) - 3.25) < 1e-9, `${protocol}: histogram _sum`);
    check(await one(`http_server_duration_seconds_bucket{${sel},le="+Inf"}`) === 5 && await one(`http_server_duration_seconds_bucket{${sel},le="0.5"}`) === 3, `${protocol}: cumulative buckets, +Inf last`);
    check(Math.abs(await one(`histogram_quantile(0.5, sum by (le) (http_server_duration_seconds_bucket{${sel}}))`) - 0.4) < 1e-9, `${protocol}: histogram_quantile on the converted buckets (0.4)`);
    check(await one(`target_info{${sel},deployment_environment="test"}`) === 1, `${protocol}: target_info carries the other resource attributes`);
  }
  for (const path of ['/opentelemetry/api/v1/push', '/api/v1/otlp/v1/metrics']) {
    const r = await fetch(base + path, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: new Uint8Array(0) });
    check(r.status === 200, `${path} answers an empty request with 200`);
  }
  const garbage = await fetch(`${base}/opentelemetry/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: new Uint8Array([0x0a, 0xff, 0xff, 0x01]) });
  const gtext = await garbage.text();
  check(garbage.status === 400 && gtext.includes('cannot parse the OTLP'), `garbage answers 400: ${gtext.trim()}`);
  // A delta sum (hand-encoded: one ResourceMetrics > ScopeMetrics > Metric "d" with Sum{temporality DELTA, one point}).
  const point = [0x19, 1, 0, 0, 0, 0, 0, 0, 0, 0x21, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]; // time_unix_nano=1, as_double=1
  const sum = [0x0a, point.length, ...point, 0x10, 0x01];
  const metric = [0x0a, 0x01, 0x64, 0x3a, sum.length, ...sum];
  const scope = [0x12, metric.length, ...metric];
  const rm = [0x12, scope.length, ...scope];
  const body = new Uint8Array([0x0a, rm.length, ...rm]);
  const delta = await fetch(`${base}/opentelemetry/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body });
  const dtext = await delta.text();
  check(delta.status === 400 && dtext.includes('delta sums are not accepted'), `delta temporality is refused by name: ${dtext.trim()}`);
  // JSON bodies: a delta sum is refused by name as in protobuf; a field of the wrong type is a
  // 400 naming it, as a JSON Status; unknown fields are ignored.
  const postJson = (body) => fetch(`${base}/opentelemetry/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const oneMetric = (m) => ({ resourceMetrics: [{ scopeMetrics: [{ metrics: [m] }] }] });
  const jdelta = await postJson(oneMetric({ name: 'd', sum: { aggregationTemporality: 1, dataPoints: [{ asDouble: 1, timeUnixNano: '1' }] } }));
  const jdtext = await jdelta.text();
  check(jdelta.status === 400 && JSON.parse(jdtext).message.includes('delta sums are not accepted'), `JSON: delta temporality is refused by name: ${jdtext}`);
  const jbad = await postJson(oneMetric({ name: 'w', gauge: { dataPoints: [{ asDouble: { x: 1 }, timeUnixNano: '1' }] } }));
  const jbtext = await jbad.text();
  check(jbad.status === 400 && jbad.headers.get('content-type') === 'application/json' && JSON.parse(jbtext).message.includes('gauge.dataPoints[0].asDouble: want a double'), `JSON: a wrong type answers 400 naming the field: ${jbtext}`);
  const now = `${BigInt(Date.now()) * 1000000n}`;
  const jok = await postJson({ ...oneMetric({ name: 'ok.json', futureField: [1], gauge: { dataPoints: [{ asInt: '7', timeUnixNano: now, exemplars: [{ traceId: 'ab' }] }] } }), extra: true });
  check(jok.status === 200 && await jok.text() === '{}' && await one('ok_json') === 7, 'JSON: unknown fields are ignored, 64-bit integers as strings');
} finally {
  storage.kill('SIGTERM');
  await new Promise((r) => storage.on('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
console.log(failed ? `${failed} checks failed` : 'otlp_sdk.test: PASS');
process.exit(failed ? 1 : 0);
