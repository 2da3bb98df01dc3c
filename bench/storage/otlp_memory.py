#!/usr/bin/env python3
"""Peak memory of the storage service on one large OTLP body (protobuf and JSON).

Starts `sremon storage` on a fresh data dir, sends a body of SIZE_MB (bench/storage/otlp_body.py)
once to create its series, then the same series again ten minutes later, and reports for each
request how far the process's peak RSS (VmHWM, reset before the request through
/proc/PID/clear_refs) rose above its RSS before the request, as a multiple of the body size. The
second request is the decoding cost alone (its series exist); the first also holds the new series.

Usage: bench/storage/otlp_memory.py SREMON_BIN [SIZE_MB] [proto|json ...]   (default 30, both)
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import otlp_body  # noqa: E402

SREMON = sys.argv[1]
SIZE = int(sys.argv[2]) if len(sys.argv) > 2 else 30
ENCODINGS = sys.argv[3:] or ["proto", "json"]


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def post(base, body, ctype):
    req = urllib.request.Request(base + "/opentelemetry/v1/metrics", data=body, method="POST",
                                 headers={"Content-Type": ctype})
    with urllib.request.urlopen(req, timeout=600) as r:
        return r.status


def main():
    print(f"load {os.getloadavg()[0]:.1f}")
    for enc in ENCODINGS:
        now = time.time_ns() // 1_000_000 * 1_000_000 - 3_600_000_000_000
        bodies = []
        for k in range(2):
            pb, js = otlp_body.big_request(SIZE, enc, now + k * 600_000_000_000)
            bodies.append(pb if enc == "proto" else json.dumps(js, separators=(",", ":")).encode())
        ctype = "application/x-protobuf" if enc == "proto" else "application/json"
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        tmp = tempfile.mkdtemp()
        proc = subprocess.Popen([SREMON, "storage", f"-httpListenAddr=127.0.0.1:{port}", f"-storageDataPath={tmp}",
                                 "-retentionPeriod=100y"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    urllib.request.urlopen(base + "/health", timeout=1)
                    break
                except OSError:
                    time.sleep(0.05)
            for k, body in enumerate(bodies):
                before = status_kb(proc.pid, "VmRSS")
                with open(f"/proc/{proc.pid}/clear_refs", "w") as f:
                    f.write("5")  # resets VmHWM to the current RSS
                t0 = time.time()
                code = post(base, body, ctype)
                peak = status_kb(proc.pid, "VmHWM")
                mb = len(body) / 1e6
                rise = (peak - before) * 1024 / 1e6
                print(f"{enc:5} request {k + 1} ({'new series' if k == 0 else 'same series'}): body {mb:.1f} MB, "
                      f"HTTP {code} in {time.time() - t0:.1f} s, RSS before {before / 1024:.0f} MB, "
                      f"peak {peak / 1024:.0f} MB, rise {rise:.0f} MB = {rise / mb:.1f}x the body")
        finally:
            proc.terminate()
            proc.wait(60)
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
