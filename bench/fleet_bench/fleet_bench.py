#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""fleet_bench.py - sovereign-fleet, the orchestrator, with many emulated servers.

One run, per store (SQLite, then a throwaway PostgreSQL cluster):
  memory     the orchestrator's VmRSS/VmHWM with 10 servers and with --servers,
             after start; (big - small) / (servers - 10) is the cost of one server
  rate       --workflows maintain workflows at once, max_concurrent 4 then 16:
             completed per second between 10 % and 90 % of them done, x 3600
  latency    with --servers and max_concurrent 16, while the engine runs
             --background maintain workflows: wrk on GET /api/v1/servers/{id},
             GET /api/v1/workflows?limit=50, POST .../maintain; p50, p99, req/s

What the servers are: every [server sN] of the generated fleet.conf has its
exporter at 127.2.X.Y:MPORT, answered by one small metrics process
(sovereign_inference_active 0, a flat sovereign_smi_total), and its BMC at
http://127.1.X.Y[:EPORT], one redfish_emu.py --bmcs N (a BMC per local address,
made on first contact).  X.Y = N / 250, N % 250 + 1.

Exit status 1 if a check fails: a workflow not done (failed, or still active
at the timeout), an HTTP status other than 200/202/409 or a socket error under
load, a p99 above --p99-max-ms, or any child that did not start.  --smoke is
the ctest run (300 servers, short load, both stores).

Python 3 standard library, wrk (Debian package), PostgreSQL (Debian package).
"""
import argparse
import glob
import http.client
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
NRUN = [0]  # each orchestrator installs its own version: BMCs are reused across runs
METRICS = (b"# TYPE sovereign_inference_active gauge\nsovereign_inference_active 0\n"
           b"# TYPE sovereign_smi_total counter\nsovereign_smi_total 42\n")


def octets(i):
    return i // 250, i % 250 + 1


def fail(msg):
    print("fleet_bench: FAIL: " + msg, flush=True)
    CHECKS.append(msg)


CHECKS = []
LIVE = []  # orchestrators running: stopped on the way out, whatever happens


# ---- the exporters: one process answering for every 127.2.X.Y -------------------
class MetricsHandler(BaseHTTPRequestHandler):
    def log_message(self, fmt, *a):
        pass

    def do_GET(self):
        self.send_response(200 if self.path.startswith("/metrics") else 404)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(METRICS)))
        self.end_headers()
        self.wfile.write(METRICS)


def serve_metrics(parent):
    srv = ThreadingHTTPServer(("0.0.0.0", 0), MetricsHandler)
    srv.daemon_threads = True
    srv.request_queue_size = 1024

    def reaper():
        while os.getppid() == parent:
            time.sleep(0.2)
        os._exit(0)

    threading.Thread(target=reaper, daemon=True).start()
    print("PORT %d" % srv.server_address[1], flush=True)
    srv.serve_forever()


# ---- children ----------------------------------------------------------------------
def spawn_port(argv, what):
    """Start argv, read its "PORT n" line.  Return (Popen, port)."""
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    line = p.stdout.readline().decode()
    if not line.startswith("PORT "):
        sys.exit("fleet_bench: %s did not start: %r" % (what, line))
    return p, int(line.split()[1])


def stop(p, sig=signal.SIGTERM):
    if p is None or p.poll() is not None:
        return
    p.send_signal(sig)
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_free(port):
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the emulator
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def proc_kb(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM"):
                out[k] = int(v.split()[0])
    return out


# ---- PostgreSQL: a throwaway cluster, as tests/fleet_store/pg_cluster.c ------------
class Pg:
    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda p: int(p.split("/")[4]))
        if not bins:
            sys.exit("fleet_bench: no /usr/lib/postgresql/*/bin/initdb (Debian package "
                     "postgresql)")
        self.bin = os.path.dirname(bins[-1])
        self.dir = tempfile.mkdtemp(prefix="fbpg", dir="/tmp")
        self.user = None
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.user = "postgres"
        data = self.dir + "/data"
        self.run([self.bin + "/initdb", "-D", data, "-A", "trust", "-U", "postgres"])
        with open(data + "/postgresql.conf", "a") as f:
            # fsync stays on: the SQLite store syncs every commit too.
            f.write("listen_addresses = ''\nunix_socket_directories = '%s'\n"
                    "max_connections = 200\n" % self.dir)
        self.run([self.bin + "/pg_ctl", "-D", data, "-l", self.dir + "/log", "-w", "start"])
        self.ndb = 0

    def run(self, argv):
        subprocess.run(argv, user=self.user, cwd="/tmp", check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def newdb(self):
        self.ndb += 1
        name = "fleet%d" % self.ndb
        subprocess.run(["psql", "-q", "-h", self.dir, "-U", "postgres", "-d", "postgres",
                        "-c", "CREATE DATABASE " + name], check=True,
                       stdout=subprocess.DEVNULL)
        return "host=%s dbname=%s user=postgres" % (self.dir, name)

    def close(self):
        try:
            self.run([self.bin + "/pg_ctl", "-D", self.dir + "/data", "-m", "immediate",
                      "-w", "stop"])
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- the orchestrator ---------------------------------------------------------------
class Fleet:
    """One sovereign-fleet: its fleet.conf (nserver servers), its store, its API."""

    def __init__(self, env, nserver, max_concurrent, dsn, tag):
        self.env, self.n = env, nserver
        NRUN[0] += 1
        self.image = "http://127.0.0.1/fw/bmc-2.%d.0.bin" % NRUN[0]
        self.port = free_port()
        conf = os.path.join(env.work, "fleet-%s.conf" % tag)
        bmc_port = "" if env.emu_port == 80 else ":%d" % env.emu_port
        lines = ["[fleet]", "listen = 127.0.0.1:%d" % self.port,
                 "tokens_file = %s/tokens" % env.work, "store = %s" % dsn,
                 "budget_percent = 25", "max_concurrent = %d" % max_concurrent,
                 "smi_flat_s = %d" % env.args.smi_flat_s, "poll_ms = %d" % env.args.poll_ms,
                 "drain_timeout_s = 60", "task_timeout_s = 60", "[emergency]",
                 "dry_run = true"]
        # Short lines: rt_config reads at most 1 MiB (about 10,000 servers like these).
        for i in range(1, nserver + 1):
            x, y = octets(i)
            lines += ["[server s%d]" % i, "exporter=127.2.%d.%d:%d" % (x, y, env.metrics_port),
                      "bmc_url=http://127.1.%d.%d%s" % (x, y, bmc_port),
                      "credentials=%s/p" % env.work]
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.conf_bytes = os.path.getsize(conf)
        self.log = open(os.path.join(env.work, "fleet-%s.log" % tag), "w")
        t0 = time.monotonic()
        self.p = subprocess.Popen([env.args.fleet, "-c", conf], stdout=self.log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
        LIVE.append(self)
        self.conn = None
        while True:
            if self.p.poll() is not None:
                self.log.close()
                with open(self.log.name) as f:
                    sys.exit("fleet_bench: sovereign-fleet exited %d: %s" %
                             (self.p.returncode, f.read()[-2000:]))
            try:
                if self.api("GET", "/api/v1/servers/s1")[0] == 200:
                    break
            except OSError:
                self.conn = None
            if time.monotonic() - t0 > 120:
                sys.exit("fleet_bench: sovereign-fleet not answering after 120 s")
            time.sleep(0.05)
        self.start_s = time.monotonic() - t0

    def api(self, method, path, body=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdr = {"Authorization": "Bearer " + self.env.token}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            hdr["Content-Type"] = "application/json"
        for again in (True, False):
            try:
                self.conn.request(method, path, data, hdr)
                r = self.conn.getresponse()
                text = r.read()
                break
            except (OSError, http.client.HTTPException):
                # the API closes connections idle for 10 s: one new connection
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                if not again:
                    raise OSError("API %s %s failed" % (method, path))
        try:
            obj = json.loads(text) if text else None
        except ValueError:
            obj = None
        return r.status, obj

    def maintain(self, ids):
        wf = []
        for i in ids:
            st, obj = self.api("POST", "/api/v1/servers/s%d/maintain" % i, {"image": self.image})
            if st != 202:
                fail("POST maintain s%d: HTTP %d %s" % (i, st, obj))
            else:
                wf.append(int(obj["workflow"]))
        return wf

    def statuses(self, wf_ids):
        st, obj = self.api("GET", "/api/v1/workflows?limit=1000")
        if st != 200:
            raise OSError("GET workflows: HTTP %d" % st)
        want = set(wf_ids)
        return {w["id"]: w for w in obj["workflows"] if w.get("id") in want}

    def rss(self):
        return proc_kb(self.p.pid)

    def close(self):
        if self.conn:
            self.conn.close()
        stop(self.p)
        self.log.close()
        if self in LIVE:
            LIVE.remove(self)


def wait_done(fl, wf_ids, timeout):
    """Poll until every workflow ended.  Return [(t, ndone)], the last states."""
    t0 = time.monotonic()
    trace, last = [], {}
    while time.monotonic() - t0 < timeout:
        last = fl.statuses(wf_ids)
        ended = sum(1 for w in last.values() if w["status"] not in ("pending", "running"))
        trace.append((time.monotonic() - t0, sum(1 for w in last.values()
                                                 if w["status"] == "done")))
        if ended == len(wf_ids):
            break
        time.sleep(0.25)
    bad = [w for w in last.values() if w["status"] != "done"]
    for w in bad[:5]:
        fail("workflow %s on %s: %s %s" % (w["id"], w.get("server"), w["status"],
                                            w.get("reason", "")))
    if len(last) != len(wf_ids):
        fail("%d of %d workflows not listed" % (len(wf_ids) - len(last), len(wf_ids)))
    return trace, len(wf_ids) - len(bad)


def rate_of(trace, n):
    """Completions per second between 10 % and 90 % done (steady state)."""
    lo, hi = None, None
    for t, d in trace:
        if lo is None and d >= max(1, n // 10):
            lo = (t, d)
        if hi is None and d >= max(1, (n * 9) // 10):
            hi = (t, d)
    if not lo or not hi or hi[0] <= lo[0]:
        return (trace[-1][1] / trace[-1][0]) if trace and trace[-1][0] > 0 else 0.0
    return (hi[1] - lo[1]) / (hi[0] - lo[0])


def set_update_s(env, ids):
    for i in ids:
        x, y = octets(i)
        c = http.client.HTTPConnection("127.1.%d.%d" % (x, y), env.emu_port, timeout=10)
        c.request("POST", "/_emu/fault", json.dumps({"update_s": env.args.update_s}),
                  {"Content-Type": "application/json"})
        if c.getresponse().status not in (200, 204):
            fail("emulator fault on 127.1.%d.%d" % (x, y))
        c.close()


def wrk(env, fl, mode, first, count, seconds):
    argv = [env.args.wrk, "-t", str(env.args.threads), "-c", str(env.args.connections),
            "-d", "%ds" % seconds, "--timeout", "10s", "-s", os.path.join(HERE, "fleet_bench.lua"),
            "http://127.0.0.1:%d" % fl.port, "--", mode, env.token, str(first), str(count),
            str(env.args.threads), fl.image]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    r = {}
    for line in out.stdout.splitlines():
        if line.startswith("FB "):
            _, k, v = line.split()
            r[k] = int(v)
    if out.returncode or "p99_us" not in r:
        fail("wrk %s: exit %d: %s" % (mode, out.returncode, out.stderr.strip()[:200]))
        return None
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    ok = ("n200",) if mode != "maintain" else ("n202", "n409")
    if r["nother"] or r["errors"] or not sum(r[k] for k in ok):
        fail("wrk %s: %d unexpected statuses, %d socket errors, %d expected answers" %
             (mode, r["nother"], r["errors"], sum(r[k] for k in ok)))
    if r["p99_us"] / 1000.0 > env.args.p99_max_ms:
        fail("wrk %s: p99 %.1f ms above the bound %.0f ms" % (mode, r["p99_us"] / 1000.0,
                                                              env.args.p99_max_ms))
    return r


# ---- one store ---------------------------------------------------------------------
def bench_store(env, name, newdsn):
    a = env.args
    res = {"store": name}
    # memory: 10 servers, then --servers (the latency run's orchestrator, before load)
    fl = Fleet(env, 10, 16, newdsn(), name + "-10")
    time.sleep(1)
    res["rss_10"] = fl.rss()
    fl.close()

    for mc in a.concurrency:
        fl = Fleet(env, a.servers, mc, newdsn(), "%s-mc%d" % (name, mc))
        ids = list(range(1, a.workflows + 1))
        wf = fl.maintain(ids)
        trace, done = wait_done(fl, wf, a.timeout)
        res["rate_mc%d" % mc] = rate_of(trace, len(wf))
        res["done_mc%d" % mc] = done
        res["n_mc%d" % mc] = len(ids)
        fl.close()
        print("  %s max_concurrent %d: %d/%d done, %.2f workflows/s" %
              (name, mc, done, len(ids), res["rate_mc%d" % mc]), flush=True)

    fl = Fleet(env, a.servers, 16, newdsn(), name + "-load")
    res["start_s"] = fl.start_s
    time.sleep(1)
    res["rss_big"] = fl.rss()
    bg = list(range(1, a.background + 1))
    wf = fl.maintain(bg)
    res["server"] = wrk(env, fl, "server", 1, a.servers, a.load_s)
    res["workflows"] = wrk(env, fl, "workflows", 1, a.servers, a.load_s)
    # POSTs on servers nobody touched: 202 until the ids wrap around (then 409)
    first = a.background + 1
    res["maintain"] = wrk(env, fl, "maintain", first, a.servers - a.background, a.post_s)
    res["rss_load"] = fl.rss()
    st = fl.api("GET", "/api/v1/workflows?limit=1")[1]["workflows"]
    posted = res["maintain"]["n202"] if res["maintain"] else 0
    # wrk stops with up to one request per connection in flight: stored, not counted
    if not st or not 0 <= st[0]["id"] - (wf[-1] + posted) <= a.connections:
        fail("%s: newest workflow %s, want %d + %d accepted (+ at most %d in flight)" %
             (name, st[0]["id"] if st else None, wf[-1], posted, a.connections))
    fl.close()
    return res


def table(results, env):
    a = env.args
    names = [r["store"] for r in results]
    out = []
    w = 34

    def row(label, vals):
        out.append(label.ljust(w) + "".join(v.rjust(14) for v in vals))

    out.append("fleet_bench: %d servers (conf %d bytes), %d wrk connections x %d threads, "
               "GETs %d s, POST %d s, %d background maintains" % (
                   a.servers, env.conf_bytes, a.connections, a.threads, a.load_s, a.post_s,
                   a.background))
    out.append("rate runs: %d workflows, update_s %.1f, smi_flat_s %d, poll_ms %d" % (
        a.workflows, a.update_s, a.smi_flat_s, a.poll_ms))
    out.append("machine: %s, %d CPUs" % (env.cpu, os.cpu_count()))
    row("", names)
    for mode, label in (("server", "GET servers/{id}"), ("workflows", "GET workflows?limit=50"),
                        ("maintain", "POST maintain")):
        for k, unit, f in (("p50_us", "p50 ms", 1e-3), ("p99_us", "p99 ms", 1e-3),
                           ("rps", "req/s", 1)):
            row("%s %s" % (label, unit),
                ["%.2f" % (r[mode][k] * f) if r.get(mode) else "-" for r in results])
        if mode == "maintain":
            row("%s 202 / 409" % label, ["%d/%d" % (r[mode]["n202"], r[mode]["n409"])
                                          if r.get(mode) else "-" for r in results])
    row("start with %d servers, s" % a.servers, ["%.2f" % r["start_s"] for r in results])
    row("VmRSS 10 servers, KiB", ["%d" % r["rss_10"]["VmRSS"] for r in results])
    row("VmRSS %d servers, KiB" % a.servers, ["%d" % r["rss_big"]["VmRSS"] for r in results])
    row("VmHWM after load, KiB", ["%d" % r["rss_load"]["VmHWM"] for r in results])
    for r in results:
        r["kib_per_server"] = (r["rss_big"]["VmRSS"] - r["rss_10"]["VmRSS"]) / (a.servers - 10)
    row("memory per server, KiB", ["%.2f" % r["kib_per_server"] for r in results])
    for mc in a.concurrency:
        row("maintains/h, max_concurrent %d" % mc,
            ["%.0f" % (r["rate_mc%d" % mc] * 3600) for r in results])
    if len(results) == 2:
        s, p = results
        out.append("ratios postgresql/sqlite: GET server p99 %.2f, GET workflows p99 %.2f, "
                   "POST p99 %.2f, POST req/s %.2f, maintains/h (max_concurrent %d) %.2f" % (
                       p["server"]["p99_us"] / max(1, s["server"]["p99_us"]),
                       p["workflows"]["p99_us"] / max(1, s["workflows"]["p99_us"]),
                       p["maintain"]["p99_us"] / max(1, s["maintain"]["p99_us"]),
                       p["maintain"]["rps"] / max(1e-9, s["maintain"]["rps"]),
                       a.concurrency[-1],
                       p["rate_mc%d" % a.concurrency[-1]] /
                       max(1e-9, s["rate_mc%d" % a.concurrency[-1]]))
                   if s.get("server") and p.get("server") and s.get("maintain") and
                   p.get("maintain") else "ratios: -")
    out.append("p99 bound %.0f ms: worst p99 is %.2f of it" % (
        a.p99_max_ms, max((r[m]["p99_us"] / 1000.0 / a.p99_max_ms for r in results
                           for m in ("server", "workflows", "maintain") if r.get(m)),
                          default=0)))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fleet", required=True, help="the sovereign-fleet binary")
    ap.add_argument("--emu", default=os.path.join(HERE, "../../tests/redfish/redfish_emu.py"))
    ap.add_argument("--mockup", default=os.path.join(
        HERE, "../../tests/fixtures/redfish/public-rackmount1"))
    ap.add_argument("--wrk", default="wrk")
    ap.add_argument("--servers", type=int, default=10000)
    ap.add_argument("--workflows", type=int, default=100, help="per rate run")
    ap.add_argument("--background", type=int, default=200,
                    help="maintain workflows running under the latency load")
    ap.add_argument("--concurrency", default="4,16", help="max_concurrent values")
    ap.add_argument("--stores", default="sqlite,postgresql")
    ap.add_argument("--load-s", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--post-s", type=int, default=2, help="seconds of POST maintain: "
                    "short, so that most servers are still free (202, not 409)")
    ap.add_argument("--connections", type=int, default=24,
                    help="wrk connections (the API takes 32 per address)")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--update-s", type=float, default=1.0, help="emulated update time")
    ap.add_argument("--smi-flat-s", type=int, default=0)
    ap.add_argument("--poll-ms", type=int, default=100)
    ap.add_argument("--p99-max-ms", type=float, default=2000.0)
    ap.add_argument("--timeout", type=float, default=900.0, help="per rate run, s")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--smoke", action="store_true",
                    help="ctest: 300 servers, 20 workflows, 1 s loads, max_concurrent 16")
    ap.add_argument("--serve-metrics", type=int, metavar="PARENT", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.serve_metrics:
        return serve_metrics(a.serve_metrics)
    if a.smoke:
        a.servers, a.workflows, a.background, a.load_s, a.post_s = 300, 20, 10, 1, 1
        a.concurrency, a.timeout = "16", 60.0
    a.concurrency = [int(x) for x in a.concurrency.split(",")]
    a.stores = a.stores.split(",")
    if a.servers < 20 or a.workflows + a.background > a.servers:
        sys.exit("fleet_bench: want --servers >= 20 and >= --workflows + --background")
    if a.workflows > 1000:
        sys.exit("fleet_bench: --workflows at most 1000 (the API lists 1000)")
    if not shutil.which(a.wrk):
        sys.exit("fleet_bench: no wrk (Debian package wrk)")

    env = argparse.Namespace(args=a, token=secrets.token_hex(16))
    env.work = tempfile.mkdtemp(prefix="fb", dir="/tmp")
    env.cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                env.cpu = line.split(":", 1)[1].strip()
                break
    with open(os.open(env.work + "/tokens", os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("bench %s\n" % env.token)
    with open(os.open(env.work + "/p", os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
        f.write("secret\n")
    metrics = emu = pg = None
    results = []
    try:
        metrics, env.metrics_port = spawn_port(
            [sys.executable, os.path.abspath(__file__), "--fleet", a.fleet, "--serve-metrics",
             str(os.getpid())], "the metrics server")
        port = 80 if port_free(80) else 0
        emu, env.emu_port = spawn_port(
            [sys.executable, a.emu, "--root", a.mockup, "--bmcs", str(a.servers), "--port",
             str(port), "--timeout", "0", "--parent-pid", str(os.getpid())], "redfish_emu.py")
        set_update_s(env, range(1, a.workflows + a.background + 1))
        emu_kb = proc_kb(emu.pid)["VmRSS"]
        for store in a.stores:
            if store == "sqlite":
                n = [0]

                def newdsn(n=n):
                    n[0] += 1
                    return "sqlite:%s/fleet%d.db" % (env.work, n[0])
                results.append(bench_store(env, "sqlite", newdsn))
            elif store == "postgresql":
                pg = Pg()
                results.append(bench_store(env, "postgresql", pg.newdb))
                pg.close()
                pg = None
            else:
                sys.exit("fleet_bench: unknown store %s" % store)
        env.conf_bytes = os.path.getsize(env.work + "/fleet-%s-load.conf" % a.stores[-1])
        emu_kb2 = proc_kb(emu.pid)["VmRSS"]
        print(table(results, env))
        print("redfish_emu.py: VmRSS %d KiB with %d BMCs touched by the faults, %d KiB at "
              "the end" % (emu_kb, a.workflows + a.background, emu_kb2))
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"results": results, "checks_failed": CHECKS,
                           "emu_rss_kib": [emu_kb, emu_kb2]}, f, indent=1)
    finally:
        for fl in list(LIVE):
            fl.close()
        if pg:
            pg.close()
        stop(emu)
        stop(metrics)
        if not CHECKS:
            shutil.rmtree(env.work, ignore_errors=True)
        else:
            print("fleet_bench: logs kept in %s" % env.work)
    print("fleet_bench: %s" % ("FAIL (%d checks)" % len(CHECKS) if CHECKS else "ok"))
    return 1 if CHECKS else 0


if __name__ == "__main__":
    sys.exit(main())
