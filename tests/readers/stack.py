# SPDX-License-Identifier: GPL-2.0-or-later
# stack.py - what the readers' Python integration tests share: child
# processes that are always stopped, loopback HTTP, checks that record
# what failed.  Imported by exporter/test_exporter.py and e2e/test_stack.py.
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

children = []   # every process spawn() started; the test stops them all
failures = []   # what check() found wrong


def check(cond, what):
    if not cond:
        failures.append(what)
        raise AssertionError(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(argv, log):
    p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    children.append(p)
    return p


def stop(p, sig=signal.SIGKILL):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def get(port, path="/metrics", headers=None, timeout=5, auth=None):
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), headers=headers or {})
    if auth:
        import base64
        req.add_header("Authorization", "Basic " + base64.b64encode(auth.encode()).decode())
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def wait_for(fn, secs, what):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        try:
            if fn():
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.1)
    check(False, "timed out: " + what)


def up(port):
    m = re.search(rb"^sovereign_up (\d)$", get(port)[2], re.M)
    return int(m.group(1)) if m else None


def series(text):
    """Metric name + labels of every sample line."""
    return sorted(l.rsplit(" ", 1)[0] for l in text.splitlines() if l and not l.startswith("#"))




def segment_file(name):
    """The file segment @name lives in, by libsovereign's rule (sov_shm_path()):
    "/x" is $SOVEREIGN_RUN_DIR/x or /run/sovereign/x; a further slash, a path."""
    import os
    if "/" in name[1:]:
        return name
    return (os.environ.get("SOVEREIGN_RUN_DIR") or "/run/sovereign").rstrip("/") + name


def finish(rc, d, logs, shm_names):
    """Stop every child, print the logs' tails on failure, remove @d and the
    segments; print PASS or FAIL and exit with @rc."""
    import os
    import shutil
    for p in children:
        stop(p)
    if rc:
        print("FAILED: %s" % failures)
        for name in logs:
            path = os.path.join(d, name)
            if os.path.exists(path):
                print("---- %s" % name)
                print(open(path, errors="replace").read()[-3000:])
    for name in shm_names:
        path = segment_file(name)
        lock = os.path.join(os.path.dirname(path), "." + os.path.basename(path) + ".lock")
        subprocess.run(["rm", "-f", path, lock])
    shutil.rmtree(d, ignore_errors=True)
    print("PASS" if rc == 0 else "FAIL")
    raise SystemExit(rc)
