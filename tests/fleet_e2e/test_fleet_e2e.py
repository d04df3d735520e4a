#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test_fleet_e2e.py SRC BUILD - sovereign-fleet end to end on loopback, with
# real peers, every one started here on free ports and always stopped (also
# on a failure and on SIGTERM; children die with the test: PR_SET_PDEATHSIG):
#   - three simulated Intel nodes n1 n2 n3 (sovereign-sim, -sampler,
#     -exporter, -watchdog each, own SOVEREIGN_RUN_DIR so own segments); the
#     watchdog watches a stand-in inference process ("sleep", a pid file), so
#     the exporter has sovereign_inference_active; the drain hook (hook.sh)
#     stops that process, undrain starts it again;
#   - their BMCs: one redfish_emu.py --bmcs 3 (127.0.1.1-3, the DMTF mockup);
#   - Prometheus scraping the nodes through the file_sd file sovereign-fleet
#     writes, rules.yml; Alertmanager routing node-down to the webhook with
#     the bearer token, inhibited while the server is in maintenance;
#   1 maintain n1 from start to finish, every step's effect checked;
#   2 kill -9 the orchestrator at each step of maintain in turn: every
#     workflow ends done, the version right, every hook called, no session left;
#   3 an exporter stopped: alert -> Alertmanager -> webhook -> reset workflow;
#     dry run ("would send", nothing sent), then dry_run = no + SIGHUP: a
#     ComputerSystem.Reset with an allowed value; a server in maintenance: 403,
#     its alert inhibited, never reset;
#   4 the disruption budget: maintain on all three at once, many requests:
#     never more than one out of service, all three end ready;
#   5 PostgreSQL: a throwaway cluster, two orchestrators, the leader killed
#     mid-workflow: the standby takes over and finishes it.
# Measurements printed: maintain duration, alert-to-reset latency, takeover.
import ctypes
import glob
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

# tests/common/sovtest.py: check, note, need, free_port, wait_for
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import sovtest  # noqa: E402
from sovtest import Fatal, check, free_port, need, note, wait_for  # noqa: E402

SRC, BUILD = sys.argv[1:3]
HERE = os.path.dirname(os.path.abspath(__file__))
FLEET = os.path.join(BUILD, "tools/fleet/sovereign-fleet")
SIM = os.path.join(BUILD, "tools/sim/sovereign-sim")
SAMPLER = os.path.join(BUILD, "rt/sovereign-sampler")
EXPORTER = os.path.join(BUILD, "readers/exporter/sovereign-exporter")
WATCHDOG = os.path.join(BUILD, "readers/watchdog/sovereign-watchdog")
EMU = os.path.join(SRC, "tests/redfish/redfish_emu.py")
MOCKUP = os.path.join(SRC, "tests/fixtures/redfish/public-rackmount1")
NODES = ("n1", "n2", "n3")
MAINTAIN = ("mark-draining", "drain-hook", "wait-inactive", "mark-maintenance", "bmc-wake",
            "update-service", "simple-update", "follow-task", "verify-version", "bmc-standby",
            "smi-flat", "undrain-hook", "mark-ready")
OUT = ("draining", "drained", "maintenance")




# --- processes -----------------------------------------------------------------

_libc = ctypes.CDLL(None, use_errno=True)


def _die_with_parent():
    _libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


procs = []  # [(name, Popen)] every process this test started


def start(name, argv, log, env=None, stdout=None):
    out = open(log, "ab")
    p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                         stdout=stdout if stdout else out, stderr=out,
                         start_new_session=True, preexec_fn=_die_with_parent)
    out.close()
    procs.append((name, p))
    return p


def stop(p, sig=signal.SIGTERM, secs=10):
    """Stop @p (its process group: what it forked too) and reap it.  Return: its exit status."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=secs)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    else:
        try:  # the group may outlive its leader
            os.killpg(p.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    return p.returncode


def stop_all():
    for _, p in reversed(procs):
        if p.poll() is None:
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    end = time.monotonic() + 5
    for _, p in procs:
        try:
            p.wait(timeout=max(0.1, end - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for _, p in procs:
        stop(p, signal.SIGKILL)


# --- HTTP ---------------------------------------------------------------------

TOKEN = secrets.token_hex(24)


def http(method, url, body=None, token=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            code, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        code, text = e.code, e.read()
    except OSError:
        return 0, None
    try:
        return code, json.loads(text) if text else None
    except ValueError:
        return code, text.decode(errors="replace")


def metrics(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=2) as r:
            return r.read().decode()
    except OSError:
        return ""


def metric(port, name):
    m = re.search(r"^%s(?:\{[^}]*\})? (\S+)$" % name, metrics(port), re.M)
    return float(m.group(1)) if m else None


# --- the nodes ----------------------------------------------------------------

class Node:
    def __init__(self, tmp, name, idx):
        self.name, self.idx = name, idx
        self.dir = os.path.join(tmp, name)
        self.run = os.path.join(self.dir, "run")
        self.tree = os.path.join(self.dir, "tree")
        self.port = free_port()
        self.pidfile = os.path.join(self.dir, "inference.pid")
        self.exporter = None
        os.makedirs(self.run)
        self.env = dict(os.environ, SOVEREIGN_RUN_DIR=self.run)

    def log(self, what):
        return os.path.join(self.dir, what + ".log")

    def start(self):
        conf = subprocess.run([SIM, "--root", self.tree, "--vendor", "intel", "--print-config"],
                              capture_output=True, text=True, check=True).stdout
        with open(os.path.join(self.dir, "sampler.conf"), "w") as f:
            f.write(conf)
        subprocess.run([SIM, "--root", self.tree, "--vendor", "intel", "--once", "--quiet"],
                       check=True, env=self.env)
        start(self.name + " sim", [SIM, "--root", self.tree, "--vendor", "intel", "--quiet"],
              self.log("sim"), self.env)
        start(self.name + " sampler", [SAMPLER, "-c", os.path.join(self.dir, "sampler.conf")],
              self.log("sampler"), self.env)
        self.start_exporter()
        # the stand-in inference process, as undrain starts it
        subprocess.run([os.path.join(HERE, "hook.sh"), "undrain", self.name,
                        os.path.dirname(self.dir)], check=True)
        with open(os.path.join(self.dir, "watchdog.conf"), "w") as f:
            f.write("[watchdog]\nsegment = /sovereign-watchdog\nperiod_ms = 200\n"
                    "hang_ms = 2000\nsampler_max_age_ms = 2000\n"
                    "[target]\npid_file = %s\n" % self.pidfile)
        start(self.name + " watchdog", [WATCHDOG, "-c", os.path.join(self.dir, "watchdog.conf")],
              self.log("watchdog"), self.env)

    def start_exporter(self):
        self.exporter = start(self.name + " exporter",
                              [EXPORTER, "--listen", "127.0.0.1:%d" % self.port],
                              self.log("exporter"), self.env)
        return wait_for(lambda: "sovereign_up" in metrics(self.port), 20)

    def stop_exporter(self):
        stop(self.exporter)

    def inference_pid(self):
        try:
            with open(self.pidfile) as f:
                return int(f.read())
        except (OSError, ValueError):
            return None


# --- the BMC emulator ---------------------------------------------------------

class Emu:
    def __init__(self, tmp):
        self.p = start("redfish_emu", [sys.executable, EMU, "--root", MOCKUP, "--bmcs", "3",
                                       "--parent-pid", str(os.getpid()), "--timeout", "0",
                                       "--user", "admin", "--password", "secret"],
                       os.path.join(tmp, "emu.log"), stdout=subprocess.PIPE)
        line = self.p.stdout.readline().decode()
        need(line.startswith("PORT "), "the emulator listens (%r)" % line)
        self.port = int(line.split()[1])

    def url(self, n):
        return "http://127.0.1.%d:%d" % (n, self.port)

    def state(self, n):
        return http("GET", self.url(n) + "/_emu/state")[1] or {}

    def fault(self, n, **f):
        code, _ = http("POST", self.url(n) + "/_emu/fault", f)
        need(code == 204, "emulator BMC %d takes %s" % (n, f))


def mockup(rel):
    with open(os.path.join(MOCKUP, rel, "index.json")) as f:
        return json.load(f)


UPDATE_TARGET = mockup("UpdateService")["Actions"]["#UpdateService.SimpleUpdate"]["target"]
RESET_ALLOWED = [a["#ComputerSystem.Reset"]["ResetType@Redfish.AllowableValues"]
                 for a in (mockup("Systems/" + s)["Actions"] for s in os.listdir(
                     os.path.join(MOCKUP, "Systems")) if os.path.isdir(
                         os.path.join(MOCKUP, "Systems", s)))][0]


def bmc_version(emu, n):
    """The BMC's firmware version the emulator holds (its Manager's inventory item)."""
    v = emu.state(n).get("versions", {})
    return {k.rsplit("/", 1)[1]: x for k, x in v.items()}


# --- the orchestrator -----------------------------------------------------------

class Fleet:
    def __init__(self, tmp, emu, nodes, name="fleet", store=None, file_sd=True):
        self.tmp, self.emu, self.nodes, self.name = tmp, emu, nodes, name
        self.port = free_port()
        self.conf = os.path.join(tmp, name + ".conf")
        self.db = os.path.join(tmp, name + ".db")
        self.store = store or "sqlite:" + self.db
        self.file_sd = os.path.join(tmp, "file_sd") if file_sd else ""
        self.p = None
        self.write_conf(dry_run=True)

    def write_conf(self, dry_run):
        s = ("[fleet]\nlisten = 127.0.0.1:%d\ntokens_file = %s/tokens\nstore = %s\n"
             "budget_percent = 34\nmax_concurrent = 4\ndrain_timeout_s = 30\nsmi_flat_s = 1\n"
             "task_timeout_s = 60\nbmc_reboot_timeout_s = 30\npoll_ms = 100\n"
             % (self.port, self.tmp, self.store))
        if self.file_sd:
            s += "file_sd_dir = %s\n" % self.file_sd
        s += ("[emergency]\ndry_run = %s\nmax_concurrent = 1\nper_hour = 100\n"
              "reset_types = ForceRestart,PowerCycle\n" % ("yes" if dry_run else "no"))
        hook = os.path.join(HERE, "hook.sh")
        for n in self.nodes:
            s += ("[server %s]\nexporter = 127.0.0.1:%d\nbmc_url = %s\nbmc_user = admin\n"
                  "credentials = %s/bmc-password\nrack = r1\npool = gpu\n"
                  "drain = %s drain {id} %s\nundrain = %s undrain {id} %s\n"
                  "bmc_wake = %s bmc_wake {id} %s\nbmc_standby = %s bmc_standby {id} %s\n"
                  "firmware_image = http://127.0.0.1/fw/bmc-1.0.0.bin\n"
                  % (n.name, n.port, self.emu.url(n.idx), self.tmp, hook, self.tmp, hook,
                     self.tmp, hook, self.tmp, hook, self.tmp))
        with open(self.conf + ".tmp", "w") as f:
            f.write(s)
        os.rename(self.conf + ".tmp", self.conf)

    def start(self, leader=True):
        env = dict(os.environ, HOOK_SLEEP="0.3")
        self.p = start(self.name, [FLEET, "-c", self.conf],
                       os.path.join(self.tmp, self.name + ".log"), env)
        ok = wait_for(lambda: self.p.poll() is not None or
                      (self.health() or {}).get("leader") is (True if leader else False), 20)
        need(ok and self.p.poll() is None, "%s answers /healthz, leader %s" % (self.name, leader))

    def kill9(self):
        os.kill(self.p.pid, signal.SIGKILL)
        self.p.wait()

    def health(self):
        return http("GET", "http://127.0.0.1:%d/healthz" % self.port, timeout=2)[1] \
            if self.port else None

    def api(self, method, path, body=None):
        return http(method, "http://127.0.0.1:%d/api/v1/%s" % (self.port, path), body, TOKEN)

    def wf(self, wid):
        return self.api("GET", "workflows/%d" % wid)[1] or {}

    def wait_wf(self, wid, secs=60):
        w = wait_for(lambda: (lambda w: w if w.get("status") in ("done", "failed", "aborted")
                              else None)(self.wf(wid)), secs, 0.1)
        return w or self.wf(wid)

    def server(self, name):
        return self.api("GET", "servers/" + name)[1] or {}

    def maintain(self, name, version):
        code, j = self.api("POST", "servers/%s/maintain" % name,
                           {"image": "http://127.0.0.1/fw/bmc-%s.bin" % version,
                            "version": version})
        need(code == 202 and isinstance(j, dict) and j.get("id"),
             "maintain %s (version %s) accepted: %s %s" % (name, version, code, j))
        return int(j["id"])


class Db:
    """The SQLite store read directly, read-only: a workflow's stored step, fast."""
    def __init__(self, path):
        self.path, self.c = path, None

    def step(self, wid):
        try:
            if not self.c:
                self.c = sqlite3.connect("file:%s?mode=ro" % self.path, uri=True, timeout=1)
            return self.c.execute("SELECT step, status FROM workflows WHERE id = ?",
                                  (wid,)).fetchone()
        except sqlite3.Error:
            self.close()
            return None

    def close(self):
        if self.c:
            self.c.close()
        self.c = None


def hooks(tmp, since=0.0):
    out = []
    try:
        with open(os.path.join(tmp, "hooks.log")) as f:
            for line in f:
                a, n, t = line.split()
                if float(t) >= since:
                    out.append((a, n))
    except OSError:
        pass
    return out


def file_sd_state(fleet, name):
    try:
        with open(os.path.join(fleet.file_sd, "sovereign-fleet.json")) as f:
            for g in json.load(f):
                if g["labels"]["server"] == name:
                    return g["labels"]["state"]
    except (OSError, ValueError, KeyError):
        pass
    return None


# --- 1. one maintain, every effect --------------------------------------------

def maintain_one(tmp, emu, fleet, n1):
    emu.fault(1, update_s=2)
    before = bmc_version(emu, 1)
    t_start = time.time()
    wid = fleet.maintain("n1", "1.1.0")
    seen = {"inactive": False, "file_sd_maint": False, "out": False}
    steps = set()
    while True:
        w = fleet.wf(wid)
        st = w.get("step", -1)
        steps.add(st)
        if 3 <= st <= 11:
            if metric(n1.port, "sovereign_inference_active") == 0:
                seen["inactive"] = True
            if file_sd_state(fleet, "n1") == "maintenance":
                seen["file_sd_maint"] = True
            if fleet.server("n1").get("state") == "maintenance":
                seen["out"] = True
        if w.get("status") in ("done", "failed", "aborted") or time.time() - t_start > 60:
            break
        time.sleep(0.05)
    dur = time.time() - t_start
    note("MEASURE maintain duration (n1, update_s 2, smi_flat_s 1, poll_ms 100): %.2f s" % dur)
    need(w.get("status") == "done", "maintain n1 ends done (%s)" % w)
    d = w.get("data", {})
    h = hooks(tmp, t_start)
    calls = [a for a, n in h if n == "n1"]
    check(calls == ["drain", "bmc_wake", "bmc_standby", "undrain"],
          "hooks called once each, in order: %s" % calls)
    check(seen["inactive"], "inference inactive (sovereign_inference_active 0) while maintained")
    check(seen["out"], "the API showed n1 in maintenance")
    check(seen["file_sd_maint"], "file_sd labelled n1 state=maintenance")
    st = emu.state(1)
    check(st.get("posts", []).count(UPDATE_TARGET) == 1,
          "SimpleUpdate POSTed once at the mockup's own target %s (%s)"
          % (UPDATE_TARGET, st.get("posts")))
    check(list(st.get("tasks", {}).values()) == ["Completed"] and d.get("task") == "Completed",
          "the update Task Completed (%s, %s)" % (st.get("tasks"), d.get("task")))
    after = bmc_version(emu, 1)
    check(d.get("version_after") == "1.1.0" and "1.1.0" in after.values() and
          d.get("version_before") != "1.1.0" and after != before,
          "the version changed: %s -> %s (emulator %s)" % (d.get("version_before"),
                                                           d.get("version_after"), after))
    check(d.get("smi") == "flat" and metric(n1.port, "sovereign_smi_total") is not None,
          "SMI count flat (%s; the exporter counts SMIs)" % d.get("smi"))
    check(fleet.server("n1").get("state") == "ready", "n1 ends ready")
    check(wait_for(lambda: file_sd_state(fleet, "n1") == "ready", 5), "file_sd says ready again")
    check(wait_for(lambda: metric(n1.port, "sovereign_inference_active") == 1, 10),
          "undrain brought inference back (sovereign_inference_active 1)")
    check(st.get("sessions") == [], "no Redfish session left (%s)" % st.get("sessions"))
    check(sorted(steps)[-1] == len(MAINTAIN) or w.get("step_name") == "end",
          "workflow went through its %d steps" % len(MAINTAIN))


# --- 2. kill -9 at each step ---------------------------------------------------

def kill_each_step(tmp, emu, fleet, n1):
    """kill -9 at every step of maintain: each workflow is killed at each step
    it is caught in (its stored step k, running), restarted, and followed to
    the next step; a step it ran through before the poller saw it is left for
    the next workflow.  Every workflow must end done, with its version and
    every hook called.  Step 0 lasts a few ms (start_pending and the worker in
    one tick): after 4 workflows missed it, it is killed while stored at step 0
    still pending (accepted, not yet taken), said so."""
    emu.fault(1, update_s=1)
    db = Db(fleet.db)
    todo = list(range(len(MAINTAIN)))
    hits = {}
    for attempt in range(8):
        if not todo:
            break
        version = "2.%d.0" % attempt
        t_start = time.time()
        wid = fleet.maintain("n1", version)
        pending_ok = 0 in todo and attempt >= 4
        for k in list(todo):
            end = time.monotonic() + 30
            while time.monotonic() < end:
                r = db.step(wid)
                if r and r[0] == k and (r[1] == "running" or k == 0 and pending_ok and
                                        r[1] == "pending"):
                    fleet.kill9()
                    after = db.step(wid)
                    if after and after[0] == k:
                        hits[k] = after[1]
                        todo.remove(k)
                    if MAINTAIN[k] == "simple-update":
                        # an update POSTed just before the kill has installed its
                        # version by then (steps_bmc.c: never POSTed twice)
                        time.sleep(1.5)
                    fleet.start()
                    break
                if r and (r[0] > k or r[1] not in ("running", "pending")):
                    break  # passed before it was seen: the next workflow
                if k > 0:
                    time.sleep(0.002)
        w = fleet.wait_wf(wid, 60)
        d = w.get("data", {})
        calls = [a for a, n in hooks(tmp, t_start) if n == "n1"]
        check(w.get("status") == "done" and d.get("version_after") == version and
              all(a in calls for a in ("drain", "bmc_wake", "bmc_standby", "undrain")),
              "workflow %d (killed at %s): done, version %s, every hook (%s, %s, %s)"
              % (wid, [MAINTAIN[k] for k in hits if hits[k]], d.get("version_after"),
                 w.get("status"), calls, w.get("reason")))
    db.close()
    for k, name in enumerate(MAINTAIN):
        check(k in hits, "kill -9 at step %d %s (%s): restarted, workflow done"
              % (k, name, hits.get(k, "never caught")))
    st = emu.state(1)
    check(st.get("sessions") == [], "no Redfish session leaked over the kills (%s)"
          % st.get("sessions"))
    check(fleet.server("n1").get("state") == "ready", "n1 ready after the kills")


# --- 3. the emergency path ---------------------------------------------------

def prom_query(prom, q):
    code, j = http("GET", "http://127.0.0.1:%d/api/v1/query?query=%s"
                   % (prom, urllib.request.quote(q)))
    return j["data"]["result"] if code == 200 and isinstance(j, dict) else []


def reset_wfs(fleet, server):
    code, j = fleet.api("GET", "workflows")
    return [w for w in (j or {}).get("workflows", []) if w["server"] == server and
            w["kind"] == "reset"]


def active_wfs(fleet, server):
    code, j = fleet.api("GET", "workflows")
    return [w for w in (j or {}).get("workflows", []) if w["server"] == server and
            w["status"] in ("pending", "running")]


def audit(fleet):
    code, j = fleet.api("GET", "audit")
    return json.dumps(j)


def emergency(tmp, emu, fleet, nodes, prom, am):
    n1, n2, n3 = nodes
    need(wait_for(lambda: len(prom_query(prom, 'up{job="sovereign"} == 1')) == 3, 30),
         "Prometheus scrapes the three nodes through the file_sd file")
    # n3 in maintenance for a while (a slow update), its exporter stopped meanwhile
    emu.fault(3, update_s=15)
    wid3 = fleet.maintain("n3", "5.0.0")
    need(wait_for(lambda: fleet.wf(wid3).get("step_name") == "follow-task", 30),
         "n3 in maintenance, its update running")
    need(wait_for(lambda: prom_query(prom, 'up{server="n3",state="maintenance"}'), 15),
         "Prometheus sees n3's state=maintenance label")
    t0 = time.time()
    n2.stop_exporter()
    n3.stop_exporter()
    w = wait_for(lambda: [w for w in reset_wfs(fleet, "n2") if w["status"] == "done"], 40, 0.1)
    need(bool(w), "n2's exporter stopped: the alert reached the orchestrator, a reset "
         "workflow ran (%.1f s after the stop)" % (time.time() - t0))
    note("MEASURE exporter stop -> reset workflow (dry run) done: %.2f s" % (time.time() - t0))
    w = w[0]
    check(w["requested_by"] == "alertmanager:SovereignNodeDown",
          "requested by Alertmanager's SovereignNodeDown (%s)" % w["requested_by"])
    check("would send" in w["data"].get("dry_run", "") and "would send" in audit(fleet),
          "dry run: the workflow and the audit say \"would send\" (%s)" % w["data"])
    check(emu.state(2).get("resets") == [], "dry run: the emulator got no reset")
    # n3: the alert fires, Alertmanager inhibits it, the orchestrator refuses resets
    need(wait_for(lambda: prom_query(prom, 'ALERTS{alertname="SovereignNodeDown",server="n3",'
                                     'alertstate="firing"}'), 20),
         "n3's node-down alert fires in Prometheus")

    def inhibited():
        code, j = http("GET", "http://127.0.0.1:%d/api/v2/alerts" % am)
        return [a for a in (j or []) if a["labels"].get("alertname") == "SovereignNodeDown"
                and a["labels"].get("server") == "n3" and a["status"]["inhibitedBy"]]
    check(wait_for(inhibited, 15), "Alertmanager inhibits n3's node-down (in maintenance)")
    code, j = fleet.api("POST", "servers/n3/reset")
    check(code == 403, "POST reset n3 in maintenance: 403 (%s %s)" % (code, j))
    check(reset_wfs(fleet, "n3") == [], "no reset workflow for n3")
    check(emu.state(3).get("resets") == [], "n3's BMC got no reset")
    need(n3.start_exporter(), "n3's exporter back")
    # the real reset: n2 back, the alert resolved; dry_run = no, SIGHUP; n2 down again
    need(n2.start_exporter(), "n2's exporter back")
    need(wait_for(lambda: not prom_query(prom, 'ALERTS{alertname="SovereignNodeDown",'
                                         'server="n2"}') and not active_wfs(fleet, "n2"), 30),
         "n2's alert resolved, no workflow active on it")
    fleet.write_conf(dry_run=False)
    os.kill(fleet.p.pid, signal.SIGHUP)
    time.sleep(0.5)
    t2 = time.time()
    n2.stop_exporter()
    r = wait_for(lambda: emu.state(2).get("resets"), 40, 0.1)
    lat = time.time() - t2
    need(bool(r), "dry_run = no after SIGHUP: the emulator got a ComputerSystem.Reset")
    note("MEASURE alert-to-reset latency (exporter stopped -> Reset at the BMC, "
         "scrape 1 s, for 2 s, group_wait 1 s): %.2f s" % lat)
    check(r[0] in RESET_ALLOWED and r[0] == "ForceRestart",
          "the reset is %s, first of reset_types and allowed by the resource %s"
          % (r[0], RESET_ALLOWED))
    check(wait_for(lambda: "sent ForceRestart" in audit(fleet), 10), "the audit says it was sent")
    need(n2.start_exporter(), "n2's exporter back")
    check(emu.state(3).get("resets") == [], "n3 (in maintenance) never reset")
    w3 = fleet.wait_wf(wid3, 60)
    check(w3.get("status") == "done", "n3's maintain ends done (%s)" % w3.get("reason"))
    check(wait_for(lambda: not prom_query(prom, 'ALERTS{alertname="SovereignNodeDown"}') and
                   not active_wfs(fleet, "n2"), 30), "alerts resolved, nothing active on n2")
    emu.fault(3, update_s=1)
    fleet.write_conf(dry_run=True)
    os.kill(fleet.p.pid, signal.SIGHUP)
    check(all(emu.state(i).get("sessions") == [] for i in (1, 2, 3)), "no Redfish session left")


# --- 4. the disruption budget ------------------------------------------------

def budget(emu, fleet):
    for n in NODES:
        need(fleet.server(n).get("state") == "ready", "%s ready before the budget test" % n)
    for i in (1, 2, 3):
        emu.fault(i, update_s=1)
    codes, ids, lock = [], {}, threading.Lock()

    def ask(name, i):
        code, j = fleet.api("POST", "servers/%s/maintain" % name,
                            {"image": "http://127.0.0.1/fw/bmc-7.0.%d.bin" % i,
                             "version": "7.0.%d" % i})
        with lock:
            codes.append(code)
            if code == 202:
                ids.setdefault(name, []).append(j["id"])
    threads = [threading.Thread(target=ask, args=(n, i)) for i in range(10) for n in NODES]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check(codes.count(202) == 3 and codes.count(409) == 27 and
          all(len(v) == 1 for v in ids.values()),
          "30 requests at once: one 202 per server, 27 409 (%s)" % sorted(set(codes)))
    most, polls = 0, 0
    end = time.time() + 120
    while time.time() < end:
        code, j = fleet.api("GET", "servers")
        out = [s["id"] for s in (j or {}).get("servers", []) if s["state"] in OUT]
        most = max(most, len(out))
        polls += 1
        if all(fleet.wf(v[0]).get("status") in ("done", "failed", "aborted")
               for v in ids.values()):
            break
        time.sleep(0.05)
    check(most == 1, "at every poll (%d) at most one server out of service (max %d)"
          % (polls, most))
    ok = [fleet.wf(v[0]).get("status") for v in ids.values()]
    check(ok == ["done"] * 3, "all three maintains done (%s)" % ok)
    check([fleet.server(n).get("state") for n in NODES] == ["ready"] * 3, "all three ready")


# --- 5. PostgreSQL, two orchestrators ------------------------------------------

def pg_cluster(tmp):
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    need(bool(bins), "PostgreSQL installed (Debian postgresql)")
    bindir = os.path.dirname(bins[-1])
    d = tempfile.mkdtemp(prefix="sov-e2e-pg-")
    pw = pwd.getpwnam("postgres")
    os.chown(d, pw.pw_uid, pw.pw_gid)
    os.chmod(d, 0o700)

    def as_pg():
        os.setgid(pw.pw_gid)
        os.setuid(pw.pw_uid)
    log = os.path.join(d, "pg.log")
    r = subprocess.run([bindir + "/initdb", "-D", d + "/data", "-A", "trust", "-U", "postgres",
                        "-E", "UTF8", "--locale=C", "--no-sync"], preexec_fn=as_pg,
                       capture_output=True, text=True)
    need(r.returncode == 0, "initdb (%s)" % r.stderr[-300:])
    with open(d + "/data/postgresql.conf", "a") as f:
        f.write("listen_addresses = ''\nunix_socket_directories = '%s'\nfsync = off\n"
                "synchronous_commit = off\nfull_page_writes = off\nmax_connections = 50\n" % d)
    r = subprocess.run([bindir + "/pg_ctl", "-D", d + "/data", "-l", log, "-w", "-t", "30",
                        "start"], preexec_fn=as_pg, capture_output=True, text=True)
    need(r.returncode == 0, "pg_ctl start (%s)" % r.stderr[-300:])
    return d, bindir, as_pg


def pg_stop(d, bindir, as_pg):
    subprocess.run([bindir + "/pg_ctl", "-D", d + "/data", "-m", "immediate", "-w", "stop"],
                   preexec_fn=as_pg, capture_output=True)
    shutil.rmtree(d, ignore_errors=True)


def postgres(tmp, emu, nodes, fleets):
    d, bindir, as_pg = pg_cluster(tmp)
    try:
        dsn = "host=%s dbname=postgres user=postgres" % d
        a = Fleet(tmp, emu, nodes, "fleet-pg-a", dsn, file_sd=False)
        b = Fleet(tmp, emu, nodes, "fleet-pg-b", dsn, file_sd=False)
        fleets += [a, b]
        a.start(leader=True)
        b.start(leader=False)
        check(a.health().get("leader") is True and b.health().get("leader") is False,
              "one leader: a %s, b %s" % (a.health(), b.health()))
        emu.fault(1, update_s=4)
        wid = b.maintain("n1", "9.0.0")
        need(wait_for(lambda: b.wf(wid).get("step_name") == "follow-task", 30),
             "the maintain asked of the standby is taken by the leader (at follow-task)")
        check(b.health().get("leader") is False, "b still standing by")
        t0 = time.time()
        a.kill9()
        took = wait_for(lambda: (b.health() or {}).get("leader"), 30, 0.02)
        dt = time.time() - t0
        need(took, "the standby took over")
        note("MEASURE PostgreSQL takeover (leader kill -9 -> standby leads): %.2f s" % dt)
        check(dt < 5, "takeover within 5 s (%.2f s)" % dt)
        w = b.wait_wf(wid, 60)
        check(w.get("status") == "done" and w.get("data", {}).get("version_after") == "9.0.0",
              "the standby finished the workflow, version 9.0.0 (%s)" % w.get("reason"))
        check(emu.state(1).get("sessions") == [], "no Redfish session left (the dead "
              "leader's deleted)")
        check(b.server("n1").get("state") == "ready", "n1 ready")
        check(stop(b.p) == 0, "fleet-pg-b stops on SIGTERM, exit 0")
    finally:
        for f in fleets:
            if f.p:
                stop(f.p)
        pg_stop(d, bindir, as_pg)


# --- main ----------------------------------------------------------------------

def fill(name, out, **kv):
    with open(os.path.join(HERE, name)) as f:
        text = f.read()
    for k, v in kv.items():
        text = text.replace("@%s@" % k, str(v))
    with open(out, "w") as f:
        f.write(text)
    return out


def main():
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    # A launcher between ctest and this interpreter (a pyenv shim) may take
    # ctest's SIGTERM and die alone: its death is a SIGTERM here too.
    parent = os.getppid()
    _libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:
        sys.exit(143)
    tmp = tempfile.mkdtemp(prefix="sov-fleet-e2e-")
    os.chmod(tmp, 0o755)
    nodes, fleets = [], []
    try:
        with open(os.path.join(tmp, "tokens"), "w") as f:
            f.write("e2e %s\n" % TOKEN)
        os.chmod(os.path.join(tmp, "tokens"), 0o600)
        with open(os.path.join(tmp, "am-token"), "w") as f:
            f.write(TOKEN)
        os.chmod(os.path.join(tmp, "am-token"), 0o600)
        with open(os.path.join(tmp, "bmc-password"), "w") as f:
            f.write("secret\n")
        os.chmod(os.path.join(tmp, "bmc-password"), 0o600)
        os.makedirs(os.path.join(tmp, "file_sd"))
        for i, n in enumerate(NODES):
            node = Node(tmp, n, i + 1)
            nodes.append(node)
            node.start()
        for node in nodes:
            need(wait_for(lambda: metric(node.port, "sovereign_inference_active") == 1, 30),
                 "%s: exporter on :%d, sovereign_inference_active 1 (watchdog)"
                 % (node.name, node.port))
            need(wait_for(lambda: metric(node.port, "sovereign_smi_total") is not None, 10),
                 "%s counts SMIs (Intel)" % node.name)
        emu = Emu(tmp)
        fleet = Fleet(tmp, emu, nodes)
        fleets.append(fleet)
        am, prom = free_port(), free_port()
        fill("alertmanager.yml.in", os.path.join(tmp, "alertmanager.yml"), FLEET_PORT=fleet.port,
             TOKEN_FILE=os.path.join(tmp, "am-token"))
        fill("prometheus.yml.in", os.path.join(tmp, "prometheus.yml"),
             RULES=os.path.join(HERE, "rules.yml"), AM_PORT=am,
             FILE_SD_DIR=os.path.join(tmp, "file_sd"))
        start("alertmanager", ["prometheus-alertmanager",
                               "--config.file=" + os.path.join(tmp, "alertmanager.yml"),
                               "--storage.path=" + os.path.join(tmp, "am-data"),
                               "--web.listen-address=127.0.0.1:%d" % am,
                               "--cluster.listen-address="], os.path.join(tmp, "am.log"))
        start("prometheus", ["prometheus", "--config.file=" + os.path.join(tmp, "prometheus.yml"),
                             "--storage.tsdb.path=" + os.path.join(tmp, "prom-data"),
                             "--web.listen-address=127.0.0.1:%d" % prom,
                             "--rules.alert.resend-delay=1s"], os.path.join(tmp, "prom.log"))
        fleet.start()
        need(wait_for(lambda: http("GET", "http://127.0.0.1:%d/-/ready" % am)[0] == 200, 30),
             "Alertmanager ready on :%d" % am)
        need(wait_for(lambda: http("GET", "http://127.0.0.1:%d/-/ready" % prom)[0] == 200, 30),
             "Prometheus ready on :%d" % prom)
        for name, case in (("maintain one node", lambda: maintain_one(tmp, emu, fleet, nodes[0])),
                           ("kill -9 at each step",
                            lambda: kill_each_step(tmp, emu, fleet, nodes[0])),
                           ("emergency reset",
                            lambda: emergency(tmp, emu, fleet, nodes, prom, am)),
                           ("disruption budget", lambda: budget(emu, fleet)),
                           ("PostgreSQL, two orchestrators",
                            lambda: (check(stop(fleet.p) == 0, "the SQLite orchestrator "
                                           "stops on SIGTERM, exit 0"),
                                     postgres(tmp, emu, nodes, fleets)))):
            note("--- %s" % name)
            case()
    except Fatal:
        pass
    finally:
        stop_all()
        # sanitizer builds: every report of any program started here is a failure
        reports = []
        for log in sorted(glob.glob(os.path.join(tmp, "*.log")) +
                          glob.glob(os.path.join(tmp, "n*/*.log"))):
            with open(log, errors="replace") as f:
                text = f.read()
            bad = re.search(r"ERROR: (Address|Leak)Sanitizer|runtime error:", text)
            if bad:
                reports.append("%s: %s" % (os.path.relpath(log, tmp),
                                           text[bad.start():bad.start() + 600]))
        check(not reports, "no sanitizer report in any program's log%s"
              % "".join("\n" + r for r in reports))
        for node in nodes:
            pid = node.inference_pid()
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        if sovtest.failures:
            for log in sorted(glob.glob(os.path.join(tmp, "*.log"))):
                with open(log, errors="replace") as f:
                    tail = f.read()[-1500:]
                if tail.strip():
                    print("--- %s (tail)\n%s" % (os.path.basename(log), tail))
        shutil.rmtree(tmp, ignore_errors=True)
    note("%s, %d failure(s)" % ("FAILED" if sovtest.failures else "passed", sovtest.failures))
    return 1 if sovtest.failures else 0


if __name__ == "__main__":
    sys.exit(main())
