#!/usr/bin/env python3
"""Ingestion per format, sremon storage vs Debian's victoria-metrics on the same bodies in one run.

For each format (InfluxDB line protocol over HTTP /write, Graphite plaintext over TCP, and OTLP)
it starts each server on a fresh data dir, sends the same pre-built bodies over CONNS connections, waits
until every sample is counted in vm_rows_inserted_total{type=...}, and prints the server CPU
seconds (utime+stime from /proc) and samples per CPU-second, then the ratio ours/theirs (above
1.0x = we ingest more per CPU-second). docs/benchmarks.md has the figures.

OTLP row: Debian's victoria-metrics (1.79) predates OTLP, so the same samples go to sremon as
OTLP/HTTP protobuf (/opentelemetry/v1/metrics, one gauge per request, uncompressed) and to victoria-metrics as
Prometheus remote_write (protobuf + snappy, /api/v1/write), its closest protobuf write path: the
ratio compares two protocols, not one, and says so in the output.

Usage: bench/storage/formats.py SREMON_BIN [SERIES] [POINTS]   (default 100000 series x 10 points)
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import otlp_body  # noqa: E402

SREMON = sys.argv[1]
SERIES = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
POINTS = int(sys.argv[3]) if len(sys.argv) > 3 else 10
CONNS = 2
VM = shutil.which("victoria-metrics")
if not VM:
    sys.exit("victoria-metrics is not installed (apt-get install victoria-metrics)")
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rows(base, kind):
    with urllib.request.urlopen(base + "/metrics", timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.startswith(f'vm_rows_inserted_total{{type="{kind}"}}'):
                return float(line.split()[-1])
    return 0.0


def bodies(kind):
    """CONNS lists of chunks, each chunk ~1-2 MB; timestamps in the last hour."""
    start = int(time.time()) - 3600
    per_conn = [[] for _ in range(CONNS)]
    chunk, n = [], 0
    for p in range(POINTS):
        ts = start + p * 60
        for s in range(SERIES):
            if kind == "influx":
                chunk.append(f"bench,host=h{s % 100},pod=p{s} value={s + p}.5 {ts}000000000\n")
            else:
                chunk.append(f"bench.h{s % 100}.p{s}.value {s + p}.5 {ts}\n")
            n += 1
            if len(chunk) == 20000:
                per_conn[n // 20000 % CONNS].append("".join(chunk).encode())
                chunk = []
    if chunk:
        per_conn[0].append("".join(chunk).encode())
    return per_conn


def otlp_bodies():
    """(sremon's OTLP/protobuf bodies, victoria-metrics' remote_write bodies) per connection,
    20,000 samples each, the same samples in both: bench_value{job="bench",host,pod}."""
    start = int(time.time()) - 3600
    ours, theirs = [[] for _ in range(CONNS)], [[] for _ in range(CONNS)]
    chunk, n = [], 0
    for p in range(POINTS):
        ts = (start + p * 60) * 1000
        for s in range(SERIES):
            chunk.append(("bench_value", [("host", f"h{s % 100}"), ("pod", f"p{s}")], ts, s + p + 0.5))
            n += 1
            if len(chunk) == 20000:
                ours[n // 20000 % CONNS].append(otlp_body.gauges_proto(chunk))
                theirs[n // 20000 % CONNS].append(otlp_body.remote_write(chunk))
                chunk = []
    if chunk:
        ours[0].append(otlp_body.gauges_proto(chunk))
        theirs[0].append(otlp_body.remote_write(chunk))
    return ours, theirs


def send_post(url, ctype, chunks):
    for c in chunks:
        req = urllib.request.Request(url, data=c, method="POST", headers={"Content-Type": ctype})
        urllib.request.urlopen(req, timeout=60).read()


def send_influx(base, chunks):
    for c in chunks:
        req = urllib.request.Request(base + "/write?db=bench", data=c, method="POST")
        urllib.request.urlopen(req, timeout=60).read()


def send_graphite(port, chunks):
    with socket.create_connection(("127.0.0.1", port)) as s:
        for c in chunks:
            s.sendall(c)


def run(name, argv, kind, per_conn, http_port, graphite_port, row_type=None):
    tmp = tempfile.mkdtemp()
    proc = subprocess.Popen(argv(tmp), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{http_port}"
    try:
        for _ in range(200):
            try:
                if urllib.request.urlopen(base + "/health", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        total = SERIES * POINTS
        cpu0, t0 = cpu_seconds(proc.pid), time.time()
        if kind == "influx":
            send = lambda c: send_influx(base, c)  # noqa: E731
        elif kind == "graphite":
            send = lambda c: send_graphite(graphite_port, c)  # noqa: E731
        elif row_type == "opentelemetry":
            send = lambda c: send_post(base + "/opentelemetry/v1/metrics", "application/x-protobuf", c)  # noqa: E731
        else:
            send = lambda c: send_post(base + "/api/v1/write", "application/x-protobuf", c)  # noqa: E731
        kind = row_type or kind
        threads = [threading.Thread(target=send, args=(c,)) for c in per_conn]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        while rows(base, kind) < total and time.time() - t0 < 600:
            time.sleep(0.05)
        wall, cpu = time.time() - t0, cpu_seconds(proc.pid) - cpu0
        got = rows(base, kind)
        print(f"  {name:<17} {got:>10.0f} samples  wall {wall:6.2f} s  CPU {cpu:6.2f} s  "
              f"{got / cpu:>12,.0f} samples/CPU-s")
        return got / cpu
    finally:
        proc.terminate()
        proc.wait(30)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    print(f"{SERIES} series x {POINTS} points per format, {CONNS} connections; load {os.getloadavg()[0]:.1f}")
    for kind in ("influx", "graphite", "otlp"):
        if kind == "otlp":
            ours, theirs = otlp_bodies()
            hp = free_port()
            a = run("sremon OTLP/protobuf", lambda d: [SREMON, "storage", f"-httpListenAddr=127.0.0.1:{hp}",
                                                      f"-storageDataPath={d}", "-retentionPeriod=100y"],
                    kind, ours, hp, 0, "opentelemetry")
            hp = free_port()
            b = run("VM remote_write", lambda d: [VM, f"-httpListenAddr=127.0.0.1:{hp}", f"-storageDataPath={d}",
                                                  "-retentionPeriod=100y", "-loggerLevel=ERROR"],
                    kind, theirs, hp, 0, "promremotewrite")
            print(f"otlp (sremon OTLP/protobuf vs victoria-metrics 1.79 remote_write, which has no OTLP): "
                  f"ours/theirs samples per CPU-second = {a / b:.2f}x")
            continue
        per_conn = bodies(kind)
        hp, gp = free_port(), free_port()
        ours = run("sremon storage", lambda d: [SREMON, "storage", f"-httpListenAddr=127.0.0.1:{hp}",
                                                 f"-storageDataPath={d}", f"-graphiteListenAddr=127.0.0.1:{gp}",
                                                 "-retentionPeriod=100y"], kind, per_conn, hp, gp)
        hp, gp = free_port(), free_port()
        theirs = run("victoria-metrics", lambda d: [VM, f"-httpListenAddr=127.0.0.1:{hp}", f"-storageDataPath={d}",
                                                    f"-graphiteListenAddr=127.0.0.1:{gp}", "-retentionPeriod=100y",
                                                    "-loggerLevel=ERROR"], kind, per_conn, hp, gp)
        print(f"{kind}: ours/theirs samples per CPU-second = {ours / theirs:.2f}x")


if __name__ == "__main__":
    main()
