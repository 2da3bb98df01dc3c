#!/usr/bin/python3
"""InfluxDB line protocol on `sremon storage`, as outsiders send it.

1. Debian's python3-influxdb client (InfluxDBClient.write_points, v1 /write with db and
   precision) writes points with tags, float/int/bool/string fields and explicit timestamps.
2. The same raw body (escapes, quoted strings, integers, booleans, a missing timestamp, a
   comment, gzip) goes to sremon storage and to Debian's victoria-metrics; both exports must
   hold the same series and values (string fields apart: VictoriaMetrics 1.79 stores them as 0,
   we skip them, docs/compatibility.md).
3. Garbage answers 400 naming the line, and the valid lines of that body are kept.

Usage: influx_client_test.py SREMON_BIN    (exit 77 = skipped: a peer is not installed)
Runs with Debian's /usr/bin/python3, where python3-influxdb installs.
"""
import gzip
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peerlib import free_port, wait_healthy  # noqa: E402

try:
    from influxdb import InfluxDBClient
except ImportError:
    print("SKIPPED: python3-influxdb is not installed (scripts/deps.sh test installs it)")
    sys.exit(77)

VM = shutil.which("victoria-metrics")
if not VM:
    print("SKIPPED: victoria-metrics is not installed (scripts/deps.sh test installs it)")
    sys.exit(77)


def post(base, path, body, headers=None):
    req = urllib.request.Request(base + path, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def export(base):
    q = urllib.parse.urlencode({"match[]": '{__name__=~".+"}', "start": "0"})
    with urllib.request.urlopen(f"{base}/api/v1/export?{q}", timeout=10) as r:
        out = {}
        for line in r.read().decode().splitlines():
            j = json.loads(line)
            key = json.dumps(j["metric"], sort_keys=True)
            out.setdefault(key, {}).update(zip(j["timestamps"], j["values"]))
        return out


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
    print("ok:", what.split("\n")[0])


def main():
    sremon = sys.argv[1]
    tmp = tempfile.mkdtemp()
    procs = []
    try:
        sport, vport = free_port(), free_port()
        ours = f"http://127.0.0.1:{sport}"
        theirs = f"http://127.0.0.1:{vport}"
        procs.append(subprocess.Popen([sremon, "storage", f"-httpListenAddr=127.0.0.1:{sport}",
                                       f"-storageDataPath={tmp}/ours", "-retentionPeriod=100y"],
                                      stdout=open(f"{tmp}/ours.log", "w"), stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen([VM, f"-httpListenAddr=127.0.0.1:{vport}", f"-storageDataPath={tmp}/vm",
                                       "-retentionPeriod=100y", "-loggerLevel=ERROR", "-search.disableCache",
                                       "-search.latencyOffset=0s"],
                                      stdout=open(f"{tmp}/vm.log", "w"), stderr=subprocess.STDOUT))
        wait_healthy(ours, procs[0])
        wait_healthy(theirs, procs[1])

        # 1. The real client.
        now_s = int(time.time())
        client = InfluxDBClient(host="127.0.0.1", port=sport, database="telegraf")
        points = [{"measurement": "disk", "tags": {"host": "h1", "path": "/var lib"},
                   "time": (now_s - 60 + i) * 10**9,
                   "fields": {"used_percent": 40.5 + i, "inodes": 1000 + i, "ok": True, "mount": "ext4"}}
                  for i in range(5)]
        check(client.write_points(points, time_precision="n"), "python3-influxdb write_points answered success")
        check(client.write_points([{"measurement": "load", "fields": {"one": 0.25}, "time": now_s}],
                                  time_precision="s"), "write_points with precision s")
        got = export(ours)
        used = got.get(json.dumps({"__name__": "disk_used_percent", "db": "telegraf", "host": "h1",
                                   "path": "/var lib"}, sort_keys=True))
        check(used == {(now_s - 60 + i) * 1000: 40.5 + i for i in range(5)},
              f"disk_used_percent holds the 5 points at their timestamps: {used}")
        inodes = got.get(json.dumps({"__name__": "disk_inodes", "db": "telegraf", "host": "h1", "path": "/var lib"},
                                    sort_keys=True))
        check(inodes and sorted(inodes.values()) == [1000, 1001, 1002, 1003, 1004], f"integer fields: {inodes}")
        check(not any('"disk_mount"' in k for k in got), "the string field is not a series")
        load = got.get(json.dumps({"__name__": "load_one", "db": "telegraf"}, sort_keys=True))
        check(load == {now_s * 1000: 0.25}, f"precision s: {load}")

        # 2. The same raw body to both, plain and gzipped.
        t = (now_s - 30) * 10**9
        body = (f"cpu,host=a\\ b,region=us usage=1.5,idle=2i,ok=true,flag=F,u=3u {t}\n"
                f"# a comment\n\n"
                f"weird\\,m\\ x,k\\=1=v\\,2 f\\ 1=4 {t}\n"
                f"wdb,db=own v=1 {t}\n"
                f"sci v=1e3,neg=-2.5E-1 {t}\n"
                f",t=x fld=5 {t}\n").encode()
        for base in (ours, theirs):
            check(post(base, "/write?db=raw", body)[0] == 204, f"{base} /write answered 204")
            status, _ = post(base, "/api/v2/write?precision=s", gzip.compress(f"gz v=9 {now_s - 20}\n".encode()),
                             {"Content-Encoding": "gzip"})
            check(status == 204, f"{base} gzipped /api/v2/write answered 204")
        for base in (ours, theirs):
            urllib.request.urlopen(base + "/internal/force_flush", timeout=10).read()
        deadline = time.time() + 10
        while True:
            a = {k: v for k, v in export(ours).items() if '"telegraf"' not in k}
            b = export(theirs)
            if a == b or time.time() > deadline:
                break
            time.sleep(0.5)
        check(a == b, "sremon and victoria-metrics hold the same series and samples\n"
              f"ours only: {set(a) - set(b)}\ntheirs only: {set(b) - set(a)}\n"
              f"differing: {[k for k in a if k in b and a[k] != b[k]]}")
        check(len(a) == 11, f"11 series from the raw body: {sorted(a)}")

        # 3. Garbage: a clear 400 naming the line; the valid lines stay.
        status, text = post(ours, "/write", f"good v=1 {t}\nbad line here\nm v=abc\n".encode())
        check(status == 400 and "line 2" in text and "bad line here" in text, f"garbage answers 400 naming it: {text}")
        check(any('"good_v"' in k for k in export(ours)), "the valid line of a rejected body is stored")
        status, text = post(ours, "/write?precision=d", b"m v=1 1\n")
        check(status == 400 and "unknown precision" in text, f"an unknown precision is refused: {text}")
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    print("influx_client_test: PASS")


if __name__ == "__main__":
    main()
