#!/usr/bin/env python3
# test_run_sim.py SRC BUILD NODE_EXPORTER - tools/setup/run-sim.sh, the
# README's run command, on the programs of BUILD (--no-install --no-build:
# no apt, no cmake), with its own state directory and free loopback ports:
#   - a port held by another program: exit 1, the port and its holder named,
#     nothing started, nothing left;
#   - the port held by node_exporter: says so, and how to free it;
#   - a start failure (the exporter's own bind failure, port check off): says
#     which program failed and why, prints its log, stops what was started;
#   - a normal start: /metrics on the chosen port says sovereign_up 1;
#   - stop: every process gone when it returns (one SIGSTOPped: SIGKILL
#     after 5 s), the segment, its lock file, the sim tree removed.
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SRC, BUILD, NODE_EXPORTER = sys.argv[1:4]
SCRIPT = os.path.join(SRC, "tools/setup/run-sim.sh")
failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures += 1
    return cond


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, secs, what):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return check(False, "in %d s: %s" % (secs, what))


def alive(pid):
    """pid exists and is no zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def ours(state):
    """pids of live processes started for STATE (they inherit its run dir)."""
    mark = ("SOVEREIGN_RUN_DIR=%s/run" % state).encode()
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == os.getpid():
            continue
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if mark in env and alive(int(d)):
            found.append(int(d))
    return found


def left_behind(state):
    return [p for p in ("run/sovereign", "run/.sovereign.lock", "sim-tree", "sampler.conf")
            if os.path.lexists(os.path.join(state, p))]


def run_sim(state, port, *args, extra=None, timeout=180):
    env = dict(os.environ, SOVEREIGN_BUILD_DIR=BUILD, SOVEREIGN_STATE_DIR=state,
               SOVEREIGN_PORT=str(port), SOVEREIGN_SKIP_DEPS="1", SOVEREIGN_SKIP_BUILD="1")
    env.pop("SOVEREIGN_RUN_DIR", None)
    env.update(extra or {})
    return subprocess.run(["bash", SCRIPT, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def scrape(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
            return r.read().decode()
    except OSError:
        return None


def nothing_left(state, when):
    wait_for(lambda: not ours(state), 15, "%s: no process of the run left" % when)
    check(not left_behind(state), "%s: no segment, lock file or tree left (%s)"
          % (when, left_behind(state)))


def clash_with_socket(state):
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        r = run_sim(state, port)
    out = r.stdout + r.stderr
    check(r.returncode != 0, "port %d taken: exit status %d" % (port, r.returncode))
    check(re.search(r"port %d is taken" % port, out) is not None, "the message names the port: %r" % out)
    check("python" in out and "pid=%d" % os.getpid() in out,
          "the message names who holds it (ss -ltnp): %r" % out)
    check(not os.path.exists(os.path.join(state, "sovereign-sim.pid")), "nothing was started")
    nothing_left(state, "port taken")


def clash_with_node_exporter(state):
    port = free_port()
    ne = subprocess.Popen([NODE_EXPORTER, "--web.listen-address=127.0.0.1:%d" % port,
                           "--collector.disable-defaults"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: scrape(port) is not None, 30, "node_exporter serves :%d" % port)
        r = run_sim(state, port)
    finally:
        ne.terminate()
        ne.wait(timeout=30)
    out = r.stdout + r.stderr
    check(r.returncode != 0, "port taken by node_exporter: exit status %d" % r.returncode)
    check("port %d is taken" % port in out and "node_exporter" in out
          and "systemctl disable --now prometheus-node-exporter" in out,
          "node_exporter named, and how to stop it: %r" % out)
    nothing_left(state, "node_exporter on the port")


def start_failure(state):
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen()
        r = run_sim(state, port, extra={"SOVEREIGN_PORT_CHECK": "0"})
    out = r.stdout + r.stderr
    check(r.returncode != 0, "the exporter cannot bind: exit status %d" % r.returncode)
    check("sovereign-exporter failed" in out, "says which program failed: %r" % out)
    check("Address already in use" in out, "prints the exporter's log (its bind error): %r" % out)
    check("nothing is left running" in out, "says it stopped what it started")
    check("No such file" not in out and "line " not in out, "no shell error on the way: %r" % out)
    nothing_left(state, "exporter failed")


def start_and_stop(state):
    port = free_port()
    r = run_sim(state, "%d" % port)
    check(r.returncode == 0, "start: exit 0 (%s)" % (r.stdout[-500:] + r.stderr))
    body = scrape(port)
    check(body is not None and re.search(r"^sovereign_up 1$", body, re.M) is not None,
          "curl 127.0.0.1:%d/metrics: sovereign_up 1" % port)
    check(os.path.exists(os.path.join(state, "run/sovereign")), "the segment is in STATE/run")
    pids = ours(state)
    check(len(pids) == 3, "three processes run: %s" % pids)
    # stop returns only once they are gone
    r = run_sim(state, port, "stop")
    check(r.returncode == 0, "stop: exit 0 (%s)" % r.stderr)
    check(not [p for p in pids if alive(p)], "every process gone when stop returns")
    check(not left_behind(state), "segment, lock file, tree removed: %s" % left_behind(state))
    check(scrape(port) is None, "nothing serves :%d any more" % port)

    # one that does not answer SIGTERM (stopped) is killed after 5 s
    r = run_sim(state, port)
    check(r.returncode == 0, "second start: exit 0 (%s)" % r.stderr)
    with open(os.path.join(state, "sovereign-sim.pid")) as f:
        sim = int(f.read())
    os.kill(sim, signal.SIGSTOP)
    t0 = time.monotonic()
    r = run_sim(state, port, "stop")
    took = time.monotonic() - t0
    check(r.returncode == 0 and "SIGKILL" in r.stderr, "stop says it SIGKILLed the sim: %r" % r.stderr)
    check(not alive(sim), "the stopped sim is gone when stop returns (%.1f s)" % took)
    nothing_left(state, "after SIGKILL")


def main():
    for name, case in (("clash", clash_with_socket), ("node_exporter", clash_with_node_exporter),
                       ("failure", start_failure), ("start_stop", start_and_stop)):
        state = tempfile.mkdtemp(prefix="sov-runsim-%s-" % name)
        print("--- %s (%s)" % (name, state), flush=True)
        try:
            case(state)
        finally:
            # whatever happened, stop what the script may have left
            run_sim(state, 1, "stop")
            for pid in ours(state):
                os.kill(pid, signal.SIGKILL)
            subprocess.run(["rm", "-rf", state])
    print("%d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
