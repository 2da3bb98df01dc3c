"""Helpers shared by the storage suites written in Python (tests/storage/*_client_test.py)."""
import socket
import sys
import time
import urllib.request


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_healthy(base, proc, timeout=20):
    """Waits until base/health answers 200; exits the test if proc dies or time runs out."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"FAIL: {base} exited with {proc.returncode}")
        try:
            if urllib.request.urlopen(base + "/health", timeout=1).status == 200:
                return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"FAIL: {base} not healthy within {timeout} s")
