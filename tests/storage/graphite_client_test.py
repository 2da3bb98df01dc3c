#!/usr/bin/python3
"""Graphite plaintext on `sremon storage -graphiteListenAddr`, as outsiders send it.

1. Debian's collectd (collectd-core) with its write_graphite plugin sends real host metrics
   (load, memory) over TCP every second; they must be queryable through PromQL.
2. Raw lines over TCP and over UDP: dotted and tagged names, timestamps in seconds.
3. A bad line is skipped and counted (vm_http_request_errors_total{type="graphite"}), the good
   ones of the same stream are stored, and the listener keeps serving.

Usage: graphite_client_test.py SREMON_BIN    (exit 77 = skipped: collectd is not installed)
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peerlib import free_port, wait_healthy  # noqa: E402

COLLECTD = "/usr/sbin/collectd"
if not os.access(COLLECTD, os.X_OK) or not os.path.exists("/usr/lib/collectd/write_graphite.so"):
    print("SKIPPED: collectd-core is not installed (scripts/deps.sh test installs it)")
    sys.exit(77)


def query(base, expr):
    q = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(f"{base}/api/v1/query?{q}", timeout=5) as r:
        return json.loads(r.read())["data"]["result"]


def eventually(what, pred, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = pred()
        if got:
            print("ok:", what)
            return got
        time.sleep(0.3)
    sys.exit(f"FAIL: timed out waiting for: {what}")


def main():
    sremon = sys.argv[1]
    tmp = tempfile.mkdtemp()
    procs = []
    try:
        http_port, graphite_port = free_port(), free_port()
        base = f"http://127.0.0.1:{http_port}"
        procs.append(subprocess.Popen([sremon, "storage", f"-httpListenAddr=127.0.0.1:{http_port}",
                                       f"-storageDataPath={tmp}/data", f"-graphiteListenAddr=127.0.0.1:{graphite_port}"],
                                      stdout=open(f"{tmp}/storage.log", "w"), stderr=subprocess.STDOUT))
        wait_healthy(base, procs[0])

        # 1. collectd's write_graphite plugin, real host metrics.
        conf = f"""
Hostname "sremon-test"
FQDNLookup false
Interval 1
BaseDir "{tmp}"
PIDFile "{tmp}/collectd.pid"
TypesDB "/usr/share/collectd/types.db"
LoadPlugin load
LoadPlugin memory
LoadPlugin write_graphite
<Plugin write_graphite>
  <Node "sremon">
    Host "127.0.0.1"
    Port "{graphite_port}"
    Protocol "tcp"
    Prefix "collectd."
  </Node>
</Plugin>
"""
        with open(f"{tmp}/collectd.conf", "w") as f:
            f.write(conf)
        procs.append(subprocess.Popen([COLLECTD, "-f", "-C", f"{tmp}/collectd.conf"],
                                      stdout=open(f"{tmp}/collectd.log", "w"), stderr=subprocess.STDOUT))
        load = eventually("collectd's load reaches PromQL",
                          lambda: query(base, '{__name__=~"collectd\\\\.sremon-test\\\\.load\\\\.load\\\\.shortterm"}'))
        print("   ", load[0]["metric"]["__name__"], "=", load[0]["value"][1])
        eventually("collectd's memory reaches PromQL",
                   lambda: query(base, '{__name__=~"collectd\\\\.sremon-test\\\\.memory\\\\..+"}'))

        # 2. Raw TCP and UDP.
        now = int(time.time())
        with socket.create_connection(("127.0.0.1", graphite_port)) as s:
            s.sendall(f"servers.web1.cpu 1.5 {now}\ncpu.tagged;host=web1;dc=eu 2 {now}\nbad line\nafter.bad 3\n".encode())
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(f"udp.metric;via=udp 7 {now}\n".encode(), ("127.0.0.1", graphite_port))
        eventually("a dotted name over TCP", lambda: query(base, '{__name__="servers.web1.cpu"}'))
        tagged = eventually("a tagged series over TCP", lambda: query(base, '{__name__="cpu.tagged",host="web1",dc="eu"}'))
        assert tagged[0]["value"][1] == "2", tagged
        eventually("the line after a bad one", lambda: query(base, '{__name__="after.bad"}'))
        eventually("a datagram over UDP", lambda: query(base, '{__name__="udp.metric",via="udp"}'))

        # 3. The bad line was counted.
        with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
            metrics = r.read().decode()
        assert 'vm_http_request_errors_total{type="graphite"}' in metrics, "bad Graphite lines are counted"
        assert 'vm_rows_inserted_total{type="graphite"}' in metrics
        print("ok: errors and rows counted per type")
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("graphite_client_test: PASS")


if __name__ == "__main__":
    main()
