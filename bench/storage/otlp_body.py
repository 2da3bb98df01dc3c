#!/usr/bin/env python3
"""OTLP metrics bodies for benchmarks, protobuf or JSON, without any protobuf library.

As a program it writes one ExportMetricsServiceRequest of about SIZE_MB to OUT (one resource;
gauges, cumulative sums and ten-bucket histograms of 20 series x 50 points, four attributes a
point), for measuring the storage service's memory on a large body:

    bench/storage/otlp_body.py proto|json SIZE_MB OUT

As a module (bench/storage/formats.py) it encodes given samples as OTLP/protobuf gauges or as a
Prometheus remote_write WriteRequest (snappy framing with literal blocks only: valid snappy that
costs the receiver no decompression work beyond a copy, so both sides are fed uncompressed bytes).
Field numbers are those of src/ingest/otlp.proto and src/ingest/remote_write.proto.
"""
import json
import struct
import sys
import time


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data


def field_fixed64(num, packed8):
    return varint(num << 3 | 1) + packed8


def field_varint(num, n):
    return varint(num << 3) + varint(n)


def kv(key, value):
    return field_bytes(1, key.encode()) + field_bytes(2, field_bytes(1, value.encode()))


def number_point(attrs, t_ns, v):
    body = b"".join(field_bytes(7, kv(k, val)) for k, val in attrs)
    body += field_fixed64(3, struct.pack("<Q", t_ns)) + field_fixed64(4, struct.pack("<d", v))
    return body


def metric(name, kind, points, unit=""):
    """kind: gauge, sum (cumulative, monotonic) or histogram; points: encoded data points."""
    head = field_bytes(1, name.encode()) + (field_bytes(3, unit.encode()) if unit else b"")
    pts = b"".join(field_bytes(1, p) for p in points)
    if kind == "gauge":
        return head + field_bytes(5, pts)
    if kind == "sum":
        return head + field_bytes(7, pts + field_varint(2, 2) + field_varint(3, 1))
    return head + field_bytes(9, pts + field_varint(2, 2))


def request(resource_attrs, metrics):
    resource = field_bytes(1, b"".join(field_bytes(1, kv(k, v)) for k, v in resource_attrs))
    scope = field_bytes(1, field_bytes(1, b"bench"))
    sm = scope + b"".join(field_bytes(2, m) for m in metrics)
    return field_bytes(1, field_bytes(1, resource) + field_bytes(2, sm))


def gauges_proto(samples, job="bench"):
    """samples: [(metric name, [(label, value)...], t_ms, value)] -> one request, a gauge per name."""
    by_name = {}
    for name, labels, t_ms, v in samples:
        by_name.setdefault(name, []).append(number_point(labels, t_ms * 1_000_000, v))
    return request([("service.name", job)], [metric(n, "gauge", pts) for n, pts in by_name.items()])


def remote_write(samples, job="bench"):
    """The same samples as a remote_write WriteRequest (snappy, literal blocks)."""
    out = []
    for name, labels, t_ms, v in samples:
        ls = [("__name__", name), ("job", job)] + list(labels)
        ts = b"".join(field_bytes(1, field_bytes(1, k.encode()) + field_bytes(2, val.encode())) for k, val in ls)
        ts += field_bytes(2, field_fixed64(1, struct.pack("<d", v)) + field_varint(2, t_ms))
        out.append(field_bytes(1, ts))
    return snappy_literal(b"".join(out))


def snappy_literal(raw):
    """Snappy block format made of literals of at most 65536 bytes (tag 0xF4 = 61<<2: 2-byte length)."""
    out = bytearray(varint(len(raw)))
    for i in range(0, len(raw), 65536):
        chunk = raw[i:i + 65536]
        out += bytes([61 << 2]) + struct.pack("<H", len(chunk) - 1) + chunk
    return bytes(out)


# ---- the large body (program) ----

def big_request(size_mb, encoding, now_ns=None):
    """(protobuf bytes, the same request as an OTLP/JSON dict), about size_mb in `encoding`."""
    now = now_ns or time.time_ns() // 1_000_000 * 1_000_000
    res = [("service.name", "gateway"), ("service.instance.id", "gw-1"), ("host.name", "bench-host")]
    target = size_mb * 1_000_000
    pb_metrics, js_metrics, size, i = [], [], 0, 0
    bounds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
    while size < target:
        kind = ("gauge", "sum", "histogram")[i % 3]
        name = f"bench.{kind}.m{i}"
        pts, js_pts = [], []
        for p in range(1000):
            # 20 series per metric, 50 points each 10 s apart: the samples outweigh the new series,
            # so the memory measured is the decoding's rather than the index's.
            s, t = p % 20, now + p // 20 * 10_000_000_000
            attrs = [("http.route", f"/api/v{s % 7}/items"), ("http.method", "GET"),
                     ("k8s.pod.name", f"pod-{s}"), ("status", str(200 + s % 5))]
            js_attrs = [{"key": k, "value": {"stringValue": v}} for k, v in attrs]
            if kind == "histogram":
                counts = [p + b for b in range(len(bounds) + 1)]
                body = b"".join(field_bytes(9, kv(k, v)) for k, v in attrs)
                body += field_fixed64(3, struct.pack("<Q", t)) + field_fixed64(4, struct.pack("<Q", sum(counts)))
                body += field_fixed64(5, struct.pack("<d", p * 1.5))
                body += field_bytes(6, b"".join(struct.pack("<Q", c) for c in counts))
                body += field_bytes(7, b"".join(struct.pack("<d", b) for b in bounds))
                pts.append(body)
                js_pts.append({"attributes": js_attrs, "timeUnixNano": str(t), "count": str(sum(counts)),
                               "sum": p * 1.5, "bucketCounts": [str(c) for c in counts], "explicitBounds": bounds})
            else:
                pts.append(number_point(attrs, t, p + 0.5))
                js_pts.append({"attributes": js_attrs, "timeUnixNano": str(t), "asDouble": p + 0.5})
        m = metric(name, kind, pts, unit="s")
        pb_metrics.append(m)
        data = {"dataPoints": js_pts}
        if kind != "gauge":
            data["aggregationTemporality"] = 2
        if kind == "sum":
            data["isMonotonic"] = True
        js_metrics.append({"name": name, "unit": "s", kind: data})
        size += len(m) + 4 if encoding == "proto" else len(json.dumps(js_metrics[-1], separators=(",", ":"))) + 1
        i += 1
    js = {"resourceMetrics": [{"resource": {"attributes": [{"key": k, "value": {"stringValue": v}} for k, v in res]},
                               "scopeMetrics": [{"scope": {"name": "bench"}, "metrics": js_metrics}]}]}
    return request(res, pb_metrics), js


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("proto", "json"):
        sys.exit(__doc__)
    pb, js = big_request(int(sys.argv[2]), sys.argv[1])
    with open(sys.argv[3], "wb") as f:
        f.write(pb if sys.argv[1] == "proto" else json.dumps(js, separators=(",", ":")).encode())


if __name__ == "__main__":
    main()
