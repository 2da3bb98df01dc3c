// Records a counter, a gauge and a histogram with the OpenTelemetry JS SDK and exports them once
// over OTLP/HTTP to the URL given (sremon storage's /opentelemetry/v1/metrics), as protobuf
// (exporter-metrics-otlp-proto) or JSON (exporter-metrics-otlp-http). The resource's
// service.instance.id is INSTANCE, so that runs can be told apart.
// Usage: node exporter.mjs URL proto|json INSTANCE
import { metrics } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';

const [url, protocol, instance] = process.argv.slice(2);
const Exporter = { proto: ProtoExporter, json: JsonExporter }[protocol];
if (!Exporter || !instance) throw new Error('usage: node exporter.mjs URL proto|json INSTANCE');
const exporter = new Exporter({ url });
// The SDK reports a refused export through its diagnostics, not through forceFlush: say so.
exporter.export = ((inner) => (batch, done) => inner(batch, (r) => {
  if (r.code !== 0) console.log(`export failed: ${r.error}`);
  done(r);
}))(exporter.export.bind(exporter));
const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60000 });
const provider = new MeterProvider({
  resource: resourceFromAttributes({
    'service.name': 'checkout',
    'service.namespace': 'shop',
    'service.instance.id': instance,
    'deployment.environment': 'test',
  }),
  readers: [reader],
});
const meter = provider.getMeter('sremon-otlp-test');
const requests = meter.createCounter('http.server.requests', { description: 'requests served', unit: '{request}' });
requests.add(5, { route: '/a' });
requests.add(2, { route: '/b' });
const queue = meter.createObservableGauge('queue.depth', { description: 'items waiting', unit: '1' });
queue.addCallback((r) => r.observe(42, { queue: 'orders' }));
const latency = meter.createHistogram('http.server.duration', {
  description: 'request latency', unit: 's',
  advice: { explicitBucketBoundaries: [0.1, 0.5, 1] },
});
for (const v of [0.05, 0.2, 0.3, 0.7, 2]) latency.record(v, { route: '/a' });
await provider.forceFlush();
await provider.shutdown();
console.log('exported');
