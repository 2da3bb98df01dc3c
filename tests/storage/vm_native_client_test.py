#!/usr/bin/python3
"""VictoriaMetrics' native format between `sremon storage` and Debian's victoria-metrics, driven
by Debian's vmctl (`vmctl vm-native`, which pipes /api/v1/export/native into
/api/v1/import/native).

1. Samples written into victoria-metrics (counters, gauges, constants, a series longer than one
   8192-row block, labels with quotes, commas, unicode) migrate to sremon with vmctl; both
   /api/v1/export answers then hold the same series and samples.
2. Samples written into sremon migrate to victoria-metrics the same way and arrive identically;
   and to a second sremon, with values victoria-metrics itself cannot keep (1e300 next to 1e-300
   in one series, 0.30000000000000004: it stores decimals with at most 12 significant digits and
   one scale per block, so it turns them into 0 and 0.3 when they are written to it directly too),
   which arrive bit for bit.
3. Bytes: both servers' /api/v1/export/native of the same data hold the same frames (metric
   name and block bytes, zstd frames and victoria-metrics' label order - job-like and
   instance-like names first - included); only the order of the frames differs (victoria-metrics
   lists them in its internal series-id order, we in label order). The series
   longer than a block are left out of that comparison: where victoria-metrics cuts them depends
   on its parts and merges.
4. Hostile bodies: a clear 400 naming the block; the blocks before a broken one are kept; 413
   over -maxInsertRequestSize.

Usage: vm_native_client_test.py SREMON_BIN    (exit 77 = skipped: victoria-metrics or vmctl missing)
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from peerlib import free_port, wait_healthy  # noqa: E402

VM = shutil.which("victoria-metrics")
VMCTL = shutil.which("vmctl")
SCRIPT = shutil.which("script")
if not VM or not VMCTL or not SCRIPT:
    print("SKIPPED: victoria-metrics, vmctl or script is not installed (scripts/deps.sh test installs them)")
    sys.exit(77)

NOW_S = int(time.time())
START_S = NOW_S - 6 * 3600


def post(base, path, body, headers=None):
    req = urllib.request.Request(base + path, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def get(base, path, params):
    with urllib.request.urlopen(f"{base}{path}?{urllib.parse.urlencode(params)}", timeout=30) as r:
        return r.read()


def export(base, match):
    """{labels as sorted JSON: {timestamp: value}} from /api/v1/export."""
    out = {}
    for line in get(base, "/api/v1/export", {"match[]": match, "start": START_S - 60}).decode().splitlines():
        j = json.loads(line)
        key = json.dumps(j["metric"], sort_keys=True)
        # Both write 1e300 as 1 and 300 zeros, which json reads as an int: compare as doubles.
        out.setdefault(key, {}).update(zip(j["timestamps"], map(float, j["values"])))
    return out


def native_frames(base, match, end_s):
    """(metric name bytes, block bytes) of each block of /api/v1/export/native, and its header."""
    d = get(base, "/api/v1/export/native", {"match[]": match, "start": START_S - 60, "end": end_s})
    frames, i = [], 16
    while i < len(d):
        parts = []
        for _ in range(2):
            n = int.from_bytes(d[i:i + 4], "big")
            parts.append(d[i + 4:i + 4 + n])
            i += 4 + n
        frames.append(tuple(parts))
    return d[:16], frames


def check(cond, what):
    if not cond:
        sys.exit("FAIL: " + what)
    print("ok:", what.split("\n")[0])


def vmctl(src, dst, match, tmp):
    """vmctl vm-native from src to dst; vmctl wants a terminal, so it runs under script(1)."""
    cmd = (f"{VMCTL} vm-native --vm-native-src-addr={src} --vm-native-dst-addr={dst} "
           f"--vm-native-filter-match='{match}' --vm-native-filter-time-start={START_S - 60}")
    r = subprocess.run([SCRIPT, "-qec", cmd, "/dev/null"], stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=60)
    log = r.stdout + r.stderr
    with open(f"{tmp}/vmctl.log", "a") as f:
        f.write(f"$ {cmd}\n{log}\n")
    check(r.returncode == 0 and "Import finished!" in log, f"vmctl vm-native {src} -> {dst} finished\n{log}")


def same(a, b, what):
    check(a == b, f"{what}: the same series and samples\nonly in the first: {sorted(set(a) - set(b))}\n"
          f"only in the second: {sorted(set(b) - set(a))}\n"
          f"differing: {[(k, sorted(set(a[k].items()) ^ set(b[k].items()))[:4]) for k in a if k in b and a[k] != b[k]]}")


def json_lines(series):
    return "\n".join(json.dumps({"metric": m, "values": [v for _, v in s], "timestamps": [t for t, _ in s]})
                     for m, s in series).encode()


def ts(i, step_s=15, jitter=0):
    return (START_S + i * step_s) * 1000 + jitter


def vm_data():
    """Written into victoria-metrics, migrated to sremon."""
    return [
        ({"__name__": "vm_up", "zone": "z1", "instance": "h:9100", "env": "prod", "job": "node", "a": "b"},
         [(ts(i), 1) for i in range(500)]),
        ({"__name__": "vm_requests_total", "code": "200", "path": "/a,b=\"c\""},
         [(ts(i, jitter=i % 7), i * 3 + (i * i) % 5) for i in range(800)]),
        ({"__name__": "vm_temperature_celsius", "room": "kÃ¼che ☃"},
         [(ts(i), round(20 + ((i * 37) % 23) / 4 - 3, 2)) for i in range(700)]),
        ({"__name__": "vm_ratio", "q": "0.99"}, [(ts(i), ((i * 7919) % 1000) / 1000) for i in range(300)]),
        ({"__name__": "vm_big", "x": "y"}, [(ts(i), 1.5e12 + i * 1e9) for i in range(100)]),
        ({"__name__": "vm_negative"}, [(ts(i), -1000 + (i % 13) * 77.5) for i in range(200)]),
        # More than one 8192-row block (a 2 s step keeps it within the 6 h window).
        ({"__name__": "vm_long", "job": "x"}, [(ts(i, step_s=2), (i % 100) * 0.5) for i in range(10000)]),
    ]


def sremon_data():
    """Written into sremon, migrated to victoria-metrics."""
    return [
        ({"__name__": "s_counter_total", "job": "a", "Host": "h", "cluster": "c", "b": "1"}, [(ts(i, jitter=(i * 13) % 11), i * 10 + i // 3) for i in range(900)]),
        ({"__name__": "s_gauge", "job": "a", "weird": "a\\b 'q' = ,"},
         [(ts(i), round(((i * 31) % 17) * 0.1 - 0.8, 1)) for i in range(600)]),
        ({"__name__": "s_const"}, [(ts(i), 42) for i in range(400)]),
        # Magnitudes that cannot share one decimal scale: more than one block, each exact.
        ({"__name__": "s_x_mixed"}, [(ts(i), v) for i, v in enumerate([1e300, 1e-300, 0.1, 0.30000000000000004, 123456.789,
                                                                     -2.5e-7, 1e22, 7, 0, 1.7976931348623157e308])]),
        ({"__name__": "s_long", "job": "y"}, [(ts(i, step_s=2), i * 0.25) for i in range(9000)]),
    ]


def main():
    sremon = sys.argv[1]
    tmp = tempfile.mkdtemp()
    procs = []
    try:
        sport, sport2, vport = free_port(), free_port(), free_port()
        ours, ours2 = f"http://127.0.0.1:{sport}", f"http://127.0.0.1:{sport2}"
        theirs = f"http://127.0.0.1:{vport}"
        # The second sremon takes bodies of up to 64 KiB (the migration to it is smaller).
        for port, name, limit in ((sport, "ours", 32 << 20), (sport2, "ours2", 64 << 10)):
            procs.append(subprocess.Popen([sremon, "storage", f"-httpListenAddr=127.0.0.1:{port}",
                                           f"-storageDataPath={tmp}/{name}", "-retentionPeriod=100y",
                                           f"-maxInsertRequestSize={limit}"],
                                          stdout=open(f"{tmp}/{name}.log", "w"), stderr=subprocess.STDOUT))
        procs.append(subprocess.Popen([VM, f"-httpListenAddr=127.0.0.1:{vport}", f"-storageDataPath={tmp}/vm",
                                       "-retentionPeriod=100y", "-loggerLevel=ERROR", "-search.disableCache",
                                       "-search.latencyOffset=0s"],
                                      stdout=open(f"{tmp}/vm.log", "w"), stderr=subprocess.STDOUT))
        for base, proc in zip((ours, ours2, theirs), procs):
            wait_healthy(base, proc)

        # 1. victoria-metrics -> sremon.
        vm_series = vm_data()
        check(post(theirs, "/api/v1/import", json_lines(vm_series))[0] == 204, "the data set went into victoria-metrics")
        get(theirs, "/internal/force_flush", {})
        want = export(theirs, '{__name__=~"vm_.*"}')
        check(len(want) == len(vm_series) and sum(map(len, want.values())) == sum(len(s) for _, s in vm_series),
              f"victoria-metrics holds {len(vm_series)} series")
        vmctl(theirs, ours, '{__name__=~"vm_.*"}', tmp)
        same(export(ours, '{__name__=~"vm_.*"}'), want, "sremon after vmctl from victoria-metrics")

        # 2. sremon -> victoria-metrics.
        s_series = sremon_data()
        check(post(ours, "/api/v1/import", json_lines(s_series))[0] == 204, "the data set went into sremon")
        want = export(ours, '{__name__=~"s_.*"}')
        check(sum(map(len, want.values())) == sum(len(s) for _, s in s_series), "sremon holds every sample")
        mixed = want[json.dumps({"__name__": "s_x_mixed"})]
        check(sorted(mixed.values()) == sorted(v for _, v in s_series[3][1]), f"sremon holds s_x_mixed exactly: {mixed}")
        vmctl(ours, ours2, '{__name__=~"s_.*"}', tmp)
        same(export(ours2, '{__name__=~"s_.*"}'), want, "a second sremon after vmctl from sremon, bit for bit")
        vmctl(ours, theirs, '{__name__=~"s_[^x].*"}', tmp)
        get(theirs, "/internal/force_flush", {})
        same(export(theirs, '{__name__=~"s_.*"}'), export(ours, '{__name__=~"s_[^x].*"}'),
             "victoria-metrics after vmctl from sremon")

        # 3. The same blocks from both servers, byte for byte (bar the multi-block series).
        get(theirs, "/internal/force_flush", {})
        end_s = NOW_S + 3600
        for match in ('{__name__=~"vm_.*",__name__!="vm_long"}', '{__name__=~"s_[^x].*",__name__!="s_long"}'):
            h1, a = native_frames(ours, match, end_s)
            h2, b = native_frames(theirs, match, end_s)
            check(h1 == h2, f"the same 16-byte header for {match}")
            a, b = sorted(a), sorted(b)
            check(len(a) >= 3 and a == b, f"the same {len(a)} blocks for {match}\nonly ours: {sorted(set(a) - set(b))[:2]}\n"
                  f"only theirs: {sorted(set(b) - set(a))[:2]}")

        # 4. Hostile bodies.
        header, frames = native_frames(theirs, '{__name__="vm_up"}', end_s)
        good = b"".join(len(p).to_bytes(4, "big") + p for p in frames[0])
        status, text = post(ours, "/api/v1/import/native", b"\x00" * 5)
        check(status == 400 and "cannot read the time range" in text, f"a short body answers 400: {text}")
        bad_name = b"x_bad\x01"
        bad = len(bad_name).to_bytes(4, "big") + bad_name + (3).to_bytes(4, "big") + b"\x00\x00\x00"
        status, text = post(ours, "/api/v1/import/native", header + bad + good)
        check(status == 400 and "native block 1 of x_bad: row count 0" in text and "stored 500 valid samples" in text,
              f"a malformed block answers 400 naming it; the next block is kept: {text}")
        status, text = post(ours, "/api/v1/import/native", header + good + good[:-5])
        check(status == 400 and "native block 2" in text and "truncated" in text, f"a truncated block: {text}")
        check(not export(ours, '{__name__="x_bad"}'), "nothing of the malformed block is stored")
        status, text = post(ours2, "/api/v1/import/native", gzip.compress(header + good),
                            {"Content-Encoding": "gzip"})
        check(status == 204, f"a gzipped body is read: {status} {text}")
        check(len(export(ours2, '{__name__="vm_up"}').get(json.dumps(
            {"__name__": "vm_up", "a": "b", "env": "prod", "instance": "h:9100", "job": "node", "zone": "z1"},
            sort_keys=True), {})) == 500, "the gzipped block is stored")
        status, text = post(ours2, "/api/v1/import/native", header + good * (70000 // len(good)))
        check(status == 413, f"a body over -maxInsertRequestSize answers 413: {status} {text}")
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)
    print("vm_native_client_test: PASS")


if __name__ == "__main__":
    main()
