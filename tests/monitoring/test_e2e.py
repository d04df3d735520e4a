#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test_e2e.py SRC BUILD - the shipped monitoring configuration against the
# real programs on loopback, every one started here on free ports, with
# temporary data directories, and always stopped:
#   - two simulated Intel nodes (sovereign-sim, -sampler, -exporter,
#     -watchdog with a stand-in inference process): n1 (rack r1, ready) and
#     n2 (rack r2, maintenance), listed in a file_sd file as sovereign-fleet
#     writes it;
#   - Prometheus with tools/deploy/prometheus/prometheus.yml and its rules,
#     Alertmanager with tools/deploy/alertmanager/alertmanager.yml: the TEST's
#     copies scrape and evaluate every second, every "for" divided by 30, and
#     point the receivers at a stand-in webhook receiver (a Python HTTP server
#     here) and the file_sd directory at the test's;
# then: n1 is heated past its limit by the simulator's profile with its fans
# stopped, and one fan of n2 stopped: n1's alerts reach the receiver with
# the right labels, n2's are inhibited (maintenance); every PromQL expression
# of the Grafana dashboard returns data; the main panels are drawn as PNGs
# (tools/deploy/grafana/render-panels.py) into BUILD/tests/monitoring/panels;
# n1's and n2's exporters stopped: SovereignNodeDown reaches the
# orchestrator's webhook path with the bearer token for n1, never for n2.
# Measurements printed: fans stopped -> alert at the receiver, exporter
# stopped -> node-down at the webhook.
import ctypes
import glob
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import yaml

SRC, BUILD = sys.argv[1:3]
HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)
import dashboard  # noqa: E402

# tests/common/sovtest.py: check, note, need, free_port, wait_for
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import sovtest  # noqa: E402
from sovtest import Fatal, check, free_port, need, note  # noqa: E402

SIM = os.path.join(BUILD, "tools/sim/sovereign-sim")
SAMPLER = os.path.join(BUILD, "rt/sovereign-sampler")
EXPORTER = os.path.join(BUILD, "readers/exporter/sovereign-exporter")
WATCHDOG = os.path.join(BUILD, "readers/watchdog/sovereign-watchdog")
DEPLOY = os.path.join(SRC, "tools/deploy")
PANELS = os.path.join(BUILD, "tests/monitoring/panels")
TOKEN = secrets.token_hex(24)
OPS = "/alerts"      # the path of the shipped "ops" receiver's URL
SPEED = 10          # simulated seconds per real second
FOR_DIVISOR = 30    # the test's rules: every "for" / 30 (1m -> 2s)


def wait_for(pred, secs, step=0.2):
    return sovtest.wait_for(pred, secs, step, ignore=(OSError, ValueError, KeyError))


# --- processes (they die with the test: PR_SET_PDEATHSIG) ---------------------

_libc = ctypes.CDLL(None, use_errno=True)
procs = []


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)


def start(argv, log, env=None):
    with open(log, "ab") as out:
        p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                             start_new_session=True, preexec_fn=_die_with_parent)
    procs.append(p)
    return p


def stop(p, secs=5):
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
            p.wait(timeout=secs)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


def get_json(url, timeout=5):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return json.load(r)


def metrics(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2) as r:
            return r.read().decode()
    except OSError:
        return ""


def metric(port, name):
    m = re.search(r"^%s(?:\{[^}]*\})? (\S+)$" % name, metrics(port), re.M)
    return float(m.group(1)) if m else None


# --- the stand-in webhook receiver --------------------------------------------

class Receiver:
    """Records every POST: (time, path, Authorization header, JSON body)."""

    def __init__(self):
        got = self.got = []

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(n) or b"{}")
                got.append((time.monotonic(), self.path, self.headers.get("Authorization"), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *a):
                pass

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def alerts(self, path=None):
        """[(time, path, auth, alert)] of every firing alert received."""
        return [(t, p, a, x) for t, p, a, b in list(self.got) for x in b.get("alerts", [])
                if x.get("status") == "firing" and (path is None or p == path)]

    def find(self, path, **labels):
        return [r for r in self.alerts(path)
                if all(r[3]["labels"].get(k) == v for k, v in labels.items())]


# --- the nodes ----------------------------------------------------------------

class Node:
    def __init__(self, tmp, name, rack, state, profile):
        self.name, self.rack, self.state = name, rack, state
        self.dir = os.path.join(tmp, name)
        self.run = os.path.join(self.dir, "run")
        self.tree = os.path.join(self.dir, "tree")
        self.port = free_port()
        self.profile = profile
        os.makedirs(self.run)
        self.env = dict(os.environ, SOVEREIGN_RUN_DIR=self.run)
        self.inference = None

    def log(self, what):
        return os.path.join(self.dir, what + ".log")

    def start(self):
        sim = [SIM, "--root", self.tree, "--vendor", "intel", "--quiet"]
        conf = subprocess.run(sim + ["--print-config"], capture_output=True, text=True,
                              check=True).stdout
        with open(os.path.join(self.dir, "sampler.conf"), "w") as f:
            f.write(conf)
        prof = os.path.join(self.dir, "profile")
        with open(prof, "w") as f:
            f.write(self.profile)
        subprocess.run(sim + ["--once"], check=True, env=self.env)
        start(sim + ["--profile", prof, "--speed", str(SPEED), "--bmc-noise", "2"],
              self.log("sim"), self.env)
        start([SAMPLER, "-c", os.path.join(self.dir, "sampler.conf")], self.log("sampler"),
              self.env)
        self.exporter = start([EXPORTER, "--listen", "127.0.0.1:%d" % self.port],
                              self.log("exporter"), self.env)
        # the stand-in inference process the watchdog watches
        self.inference = start(["sleep", "600"], self.log("inference"))
        pidfile = os.path.join(self.dir, "inference.pid")
        with open(pidfile, "w") as f:
            f.write("%d\n" % self.inference.pid)
        with open(os.path.join(self.dir, "watchdog.conf"), "w") as f:
            f.write("[watchdog]\nsegment = /sovereign-watchdog\nperiod_ms = 200\n"
                    "hang_ms = 2000\nsampler_max_age_ms = 2000\n"
                    "[target]\npid_file = %s\n" % pidfile)
        start([WATCHDOG, "-c", os.path.join(self.dir, "watchdog.conf")], self.log("watchdog"),
              self.env)

    def hwmon(self, chip):
        for d in glob.glob(os.path.join(self.tree, "sys/class/hwmon/hwmon*")):
            with open(os.path.join(d, "name")) as f:
                if f.read().strip() == chip:
                    return d
        raise Fatal("%s: no %s in the simulated tree" % (self.name, chip))

    def stop_fan(self, n):
        """What a failed fan or a controller writing 0 does: manual mode, duty 0."""
        d = self.hwmon("nct6779")
        with open(os.path.join(d, "pwm%d_enable" % n), "w") as f:
            f.write("1\n")
        with open(os.path.join(d, "pwm%d" % n), "w") as f:
            f.write("0\n")

    def file_sd(self):
        return {"targets": ["127.0.0.1:%d" % self.port],
                "labels": {"server": self.name, "rack": self.rack, "pool": "gpu",
                           "state": self.state}}


# --- the test's copies of the shipped configuration ----------------------------

def seconds(d):
    m = re.fullmatch(r"(\d+)([smh])", d)
    return int(m.group(1)) * {"s": 1, "m": 60, "h": 3600}[m.group(2)]


def test_rules(tmp):
    """The shipped rule files, every alert's "for" divided by FOR_DIVISOR."""
    out = []
    for name in ("sovereign-rules.yml", "sovereign-alerts.yml"):
        with open(os.path.join(DEPLOY, "prometheus", name)) as f:
            doc = yaml.safe_load(f)
        for g in doc["groups"]:
            for r in g["rules"]:
                if "for" in r:
                    r["for"] = "%ds" % max(1, seconds(r["for"]) // FOR_DIVISOR)
        path = os.path.join(tmp, name)
        with open(path, "w") as f:
            yaml.safe_dump(doc, f, sort_keys=False, allow_unicode=True)
        out.append(path)
    return out


def test_prometheus_yml(tmp, rules, am_port):
    with open(os.path.join(DEPLOY, "prometheus/prometheus.yml")) as f:
        c = yaml.safe_load(f)
    check(c["global"]["scrape_interval"] == "15s" and c["global"]["evaluation_interval"] == "15s",
          "the shipped prometheus.yml scrapes and evaluates every 15 s")
    c["global"].update(scrape_interval="1s", scrape_timeout="900ms", evaluation_interval="1s")
    c["rule_files"] = rules
    c["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] = ["127.0.0.1:%d" % am_port]
    job = [j for j in c["scrape_configs"] if j["job_name"] == "sovereign"][0]
    job["file_sd_configs"] = [{"files": [os.path.join(tmp, "file_sd/*.json")],
                               "refresh_interval": "1s"}]
    path = os.path.join(tmp, "prometheus.yml")
    with open(path, "w") as f:
        yaml.safe_dump(c, f, sort_keys=False)
    return path


def test_alertmanager_yml(tmp, hook_port):
    with open(os.path.join(DEPLOY, "alertmanager/alertmanager.yml")) as f:
        c = yaml.safe_load(f)
    routes = [c["route"]] + c["route"].get("routes", [])
    for r in routes:
        for k in ("group_wait", "group_interval"):
            if k in r or r is c["route"]:
                r[k] = "1s"
        if "repeat_interval" in r or r is c["route"]:
            r["repeat_interval"] = "1h"
    token = os.path.join(tmp, "fleet.token")
    with open(token, "w") as f:
        f.write(TOKEN)
    os.chmod(token, 0o600)
    for rc in c["receivers"]:
        for w in rc.get("webhook_configs", []):
            path = urllib.parse.urlparse(w["url"]).path
            w["url"] = "http://127.0.0.1:%d%s" % (hook_port, path)
            if "http_config" in w:
                w["http_config"]["authorization"]["credentials_file"] = token
    path = os.path.join(tmp, "alertmanager.yml")
    with open(path, "w") as f:
        yaml.safe_dump(c, f, sort_keys=False)
    return path


# --- the cases ----------------------------------------------------------------

def prom_query(prom, expr):
    q = urllib.parse.urlencode({"query": expr})
    body = get_json("http://127.0.0.1:%d/api/v1/query?%s" % (prom, q))
    if body.get("status") != "success":
        raise ValueError(body)
    return body["data"]["result"]


def firing_in_prometheus(prom, name, server):
    return [a for a in get_json("http://127.0.0.1:%d/api/v1/alerts" % prom)["data"]["alerts"]
            if a["labels"].get("alertname") == name and a["labels"].get("server") == server
            and a["state"] == "firing"]


def am_alerts(am, name, server):
    return [a for a in get_json("http://127.0.0.1:%d/api/v2/alerts" % am)
            if a["labels"].get("alertname") == name and a["labels"].get("server") == server]


def heat_and_fans(nodes, prom, am, hook):
    n1, n2 = nodes
    t_stop = time.monotonic()
    for i in range(1, 6):
        n1.stop_fan(i)
    n2.stop_fan(1)
    note("n1: load 100 % from its profile, fans 1-5 stopped; n2: fan 1 stopped")
    got = wait_for(lambda: hook.find(OPS, alertname="SovereignCPUTempNearCritical",
                                     server="n1"), 90)
    need(got, "SovereignCPUTempNearCritical for n1 reaches the receiver (ops)")
    note("measured: fans stopped -> CPU alert at the receiver %.1f s (n1 at %s °C)"
         % (got[0][0] - t_stop, metric(n1.port, r'sovereign_cpu_temp_celsius\{sensor="temp1"[^}]*')))
    lab, ann = got[0][3]["labels"], got[0][3]["annotations"]
    check(lab.get("rack") == "r1" and lab.get("state") == "ready" and lab.get("pool") == "gpu"
          and lab.get("severity") == "critical" and lab.get("job") == "sovereign"
          and lab.get("instance") == "127.0.0.1:%d" % n1.port,
          "its labels: server, rack, pool, state from file_sd, severity critical (%s)" % lab)
    check(ann.get("runbook_url") == "docs/runbook.md#sovereigncputempnearcritical"
          and "n1" in ann.get("description", ""), "its annotations (%s)" % ann)
    fan = wait_for(lambda: hook.find(OPS, alertname="SovereignFanStalled", server="n1"), 30)
    check(fan and {r[3]["labels"].get("sensor") for r in fan} == {"fan%d" % i for i in range(1, 6)},
          "SovereignFanStalled for n1's five fans reaches the receiver")
    check(fan and all(r[3]["labels"].get("severity") == "critical"
                      and r[3]["labels"].get("chip", "").startswith("nct6779") for r in fan),
          "with severity critical and the fan's chip label")
    # grouped per rack: one notification carries all of n1's fans
    groups = [b for _, p, _, b in hook.got if p == OPS
              and b.get("groupLabels", {}).get("alertname") == "SovereignFanStalled"]
    check(groups and all(set(b["groupLabels"]) == {"alertname", "rack"} for b in groups)
          and max(len(b["alerts"]) for b in groups) >= 2,
          "notifications grouped by alertname and rack (%s)"
          % [len(b["alerts"]) for b in groups])
    check(not hook.find("/api/v1/alertmanager"),
          "no heat or fan alert goes to the orchestrator's webhook")
    # n2 is in maintenance: its stalled fan fires in Prometheus, is inhibited
    need(wait_for(lambda: firing_in_prometheus(prom, "SovereignFanStalled", "n2"), 30),
         "SovereignFanStalled fires in Prometheus for n2 (in maintenance)")
    sup = wait_for(lambda: [a for a in am_alerts(am, "SovereignFanStalled", "n2")
                            if a["status"]["state"] == "suppressed"
                            and a["status"]["inhibitedBy"]], 20)
    check(sup, "Alertmanager holds it suppressed, inhibited by SovereignInMaintenance")
    check(not firing_in_prometheus(prom, "SovereignCPUTempNearCritical", "n2"),
          "n2 (not heated) has no temperature alert")
    time.sleep(4)
    check(not hook.find(None, server="n2"),
          "nothing of n2 reached any receiver (%d alerts received in all)" % len(hook.alerts()))


def dashboard_data(prom):
    d = dashboard.load()
    exprs = dashboard.panel_exprs(d) + [(n, "var", e) for n, e in dashboard.variable_exprs(d)]
    for title, ref, e in exprs:
        r = dashboard.runnable(e, "10s")
        res = wait_for(lambda: prom_query(prom, r), 20, 1)
        check(res, "dashboard %r %s returns data: %s (%d series)"
              % (title, ref, r, len(res or [])))
    heat = [p for p in d["panels"] if p["type"] == "heatmap"][0]
    rows = prom_query(prom, dashboard.runnable(heat["targets"][0]["expr"]))
    check({x["metric"].get("server") for x in rows} == {"n1", "n2"},
          "the thermal heatmap has a row per node")


def draw(prom, start_t):
    shutil.rmtree(PANELS, ignore_errors=True)
    minutes = max(1.0, (time.time() - start_t) / 60)
    r = subprocess.run([sys.executable, os.path.join(DEPLOY, "grafana/render-panels.py"),
                        "http://127.0.0.1:%d" % prom, PANELS, "--minutes", "%.2f" % minutes,
                        "--step", "1"], capture_output=True, text=True, timeout=120)
    check(r.returncode == 0, "render-panels.py draws every panel (%s)" % r.stderr.strip())
    pngs = sorted(glob.glob(os.path.join(PANELS, "*.png")))
    check(len(pngs) >= 8, "%d PNGs in %s" % (len(pngs), PANELS))
    for p in pngs:
        with open(p, "rb") as f:
            head = f.read(8)
        size = os.path.getsize(p)
        check(head == b"\x89PNG\r\n\x1a\n" and size > 8000,
              "%s: a PNG of %d bytes" % (os.path.basename(p), size))
    check(any("fleet-thermals" in p for p in pngs), "the thermal heatmap is drawn")


def node_down(nodes, hook, am):
    n1, n2 = nodes
    t = time.monotonic()
    stop(n1.exporter)
    stop(n2.exporter)
    note("n1's and n2's exporters stopped")
    got = wait_for(lambda: hook.find("/api/v1/alertmanager", alertname="SovereignNodeDown",
                                     server="n1"), 60)
    need(got, "SovereignNodeDown for n1 reaches the orchestrator's webhook path")
    note("measured: exporter stopped -> node-down at the webhook %.1f s" % (got[0][0] - t))
    check(all(a == "Bearer " + TOKEN for _, _, a, _ in got),
          "with the bearer token from the credentials file")
    lab = got[0][3]["labels"]
    check(lab.get("rack") == "r1" and lab.get("severity") == "critical"
          and lab.get("instance") == "127.0.0.1:%d" % n1.port,
          "its labels name the server for the orchestrator (%s)" % lab)
    check(wait_for(lambda: hook.find(OPS, alertname="SovereignNodeDown", server="n1"), 10),
          "and ops gets it too (continue)")
    check(wait_for(lambda: [a for a in am_alerts(am, "SovereignNodeDown", "n2")
                            if a["status"]["state"] == "suppressed"], 30),
          "n2's SovereignNodeDown is in Alertmanager, suppressed (maintenance)")
    time.sleep(3)
    check(not hook.find(None, server="n2"), "n2's node-down never reaches a receiver")


def main():
    tmp = tempfile.mkdtemp(prefix="sov-mon-e2e-")
    os.chmod(tmp, 0o755)
    start_t = time.time()
    nodes = []
    try:
        # n1: half load, then full from 20 simulated seconds (2 s) on
        nodes = [Node(tmp, "n1", "r1", "ready", "0 0.5\n20 0.5\n30 1.0\n"),
                 Node(tmp, "n2", "r2", "maintenance", "0 0.5\n")]
        for n in nodes:
            n.start()
        for n in nodes:
            need(wait_for(lambda: metric(n.port, "sovereign_inference_active") == 1, 30),
                 "%s: exporter on :%d, sampler live, inference active" % (n.name, n.port))
        os.makedirs(os.path.join(tmp, "file_sd"))
        with open(os.path.join(tmp, "file_sd/sovereign-fleet.json.tmp"), "w") as f:
            json.dump([n.file_sd() for n in nodes], f, indent=2)
        os.rename(os.path.join(tmp, "file_sd/sovereign-fleet.json.tmp"),
                  os.path.join(tmp, "file_sd/sovereign-fleet.json"))
        hook = Receiver()
        am, prom = free_port(), free_port()
        amyml = test_alertmanager_yml(tmp, hook.port)
        promyml = test_prometheus_yml(tmp, test_rules(tmp), am)
        for cmd in (["promtool", "check", "config", promyml], ["amtool", "check-config", amyml]):
            r = subprocess.run(cmd, capture_output=True, text=True)
            need(r.returncode == 0, "the test's copy passes %s%s"
             % (" ".join(cmd[:3]), "" if r.returncode == 0 else ": " + r.stdout + r.stderr))
        start(["prometheus-alertmanager", "--config.file=" + amyml,
               "--storage.path=" + os.path.join(tmp, "am-data"),
               "--web.listen-address=127.0.0.1:%d" % am, "--cluster.listen-address="],
              os.path.join(tmp, "am.log"))
        start(["prometheus", "--config.file=" + promyml,
               "--storage.tsdb.path=" + os.path.join(tmp, "prom-data"),
               "--web.listen-address=127.0.0.1:%d" % prom, "--rules.alert.resend-delay=1s"],
              os.path.join(tmp, "prom.log"))
        for port, what in ((am, "Alertmanager"), (prom, "Prometheus")):
            need(wait_for(lambda: urllib.request.urlopen(
                "http://127.0.0.1:%d/-/ready" % port, timeout=2).status == 200, 30),
                "%s ready on :%d" % (what, port))
        tg = wait_for(lambda: [t for t in get_json("http://127.0.0.1:%d/api/v1/targets" % prom)
                               ["data"]["activeTargets"] if t["health"] == "up"]
                      if len([t for t in get_json("http://127.0.0.1:%d/api/v1/targets" % prom)
                              ["data"]["activeTargets"] if t["health"] == "up"]) == 2 else None,
                      30)
        need(tg, "Prometheus scrapes both nodes through file_sd")
        check({(t["labels"]["server"], t["labels"]["rack"], t["labels"]["state"]) for t in tg}
              == {("n1", "r1", "ready"), ("n2", "r2", "maintenance")},
              "targets labelled server, rack, state from file_sd")
        seg = wait_for(lambda: prom_query(prom, 'sovereign_segment_state{segment_state="live"}'), 10)
        check(seg and all(x["metric"].get("state") in ("ready", "maintenance") and
                          "exported_state" not in x["metric"] for x in seg),
              "the exporter's state label is segment_state, the fleet's stays state")
        check(wait_for(lambda: len(prom_query(prom, "sovereign:package_power_watts")) == 2, 20),
              "recording rules evaluated (package power of both nodes)")
        heat_and_fans(nodes, prom, am, hook)
        dashboard_data(prom)
        draw(prom, start_t)
        node_down(nodes, hook, am)
    except Fatal:
        pass
    finally:
        for p in reversed(procs):
            stop(p)
        if sovtest.failures:
            for log in sorted(glob.glob(os.path.join(tmp, "*.log")) +
                              glob.glob(os.path.join(tmp, "*/*.log"))):
                with open(log, errors="replace") as f:
                    tail = f.read()[-1500:]
                if tail.strip():
                    print("--- %s (tail)\n%s" % (os.path.relpath(log, tmp), tail))
        shutil.rmtree(tmp, ignore_errors=True)
    note("%s, %d failure(s)" % ("FAILED" if sovtest.failures else "passed", sovtest.failures))
    return 1 if sovtest.failures else 0


if __name__ == "__main__":
    sys.exit(main())
