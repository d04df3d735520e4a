#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test_stack.py - the whole stack on the simulated server, as deployed: sim,
# sampler, fan controller, watchdog (watching a fake inference runtime it
# starts itself) and the exporter serving all three segments.  promtool
# checks the live exposition with every reader up and again degraded; the
# sampler is killed and restarted, the runtime is killed, and each reader
# says so through the exporter.
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from stack import check, finish, free_port, get, spawn, stop, wait_for  # noqa: E402

SIM, SAMPLER, EXPORTER, FAN, WATCHDOG, FAKE = sys.argv[1:7]


def metrics(port):
    return get(port)[2].decode()


def value(text, pattern):
    """The value of the first sample whose name+labels match @pattern, else None."""
    m = re.search(r"(?m)^%s (\S+)$" % pattern, text)
    return float(m.group(1)) if m else None


def promtool_ok(text, when):
    r = subprocess.run(["promtool", "check", "metrics"], input=text.encode(), capture_output=True)
    check(r.returncode == 0, "promtool check metrics (%s): %s %s" % (when, r.stdout, r.stderr))


def pwm1(tree):
    """pwm1 of the simulated nct6779, as the fan controller last wrote it."""
    path, = glob.glob(os.path.join(tree, "sys/devices/platform/nct6775.656/hwmon/hwmon*/pwm1"))
    with open(path) as f:
        return int(f.read())


def main(d):
    tree = os.path.join(d, "tree")
    seg = "/sov-stack-%d" % os.getpid()
    log = lambda name: open(os.path.join(d, name), "a")  # noqa: E731

    # The tree exists before the sampler probes it (a growing tree restarts it).
    subprocess.run([SIM, "--root", tree, "--once", "--quiet"], check=True)
    conf = os.path.join(d, "sampler.conf")
    with open(conf, "w") as f:
        subprocess.run([SIM, "--root", tree, "--print-config"], stdout=f, check=True)
    spawn([SIM, "--root", tree, "--quiet"], log("sim.log"))

    def start_sampler():
        return spawn([SAMPLER, "-c", conf, "--segment", seg, "--no-rt"], log("sampler.log"))

    sampler = start_sampler()

    fan_conf = os.path.join(d, "fan.conf")
    with open(fan_conf, "w") as f:
        f.write("[fan]\nsegment = %s\nstate_segment = %s-fan\nroot = %s\nperiod_ms = 100\n"
                "log = stderr\nmin_duty = 200\ngood_samples = 3\nstale_periods = 3\n"
                "[zone cpu]\nsensors = k10temp:Tctl\n"
                "fans = nct6779:pwm1, nct6779:pwm2, nct6779:pwm3, nct6779:pwm4, nct6779:pwm5\n"
                "setpoint = 80000\n" % (seg, seg, tree))
    fan = spawn([FAN, "-c", fan_conf], log("fan.log"))

    hb = os.path.join(d, "heartbeat")
    wd_conf = os.path.join(d, "watchdog.conf")
    with open(wd_conf, "w") as f:
        f.write("[watchdog]\nsegment = %s-wd\nsampler_segment = %s\nperiod_ms = 100\n"
                "hang_ms = 1000\nsampler_max_age_ms = 500\n"
                "[target]\ncommand = %s heartbeat %s\n[progress]\nheartbeat = %s\n"
                "[device]\npath = %s\ntimeout_s = 2\n"
                % (seg, seg, FAKE, hb, hb, os.path.join(d, "watchdog-dev")))
    open(os.path.join(d, "watchdog-dev"), "w").close()
    wd = spawn([WATCHDOG, "-c", wd_conf], log("watchdog.log"))

    port = free_port()
    exporter = spawn([EXPORTER, "--segment", seg, "--listen", "127.0.0.1:%d" % port,
                      "--fan-segment", seg + "-fan", "--watchdog-segment", seg + "-wd",
                      "--stale-s", "1"], log("exporter.log"))

    # --- everything up: one exposition with every reader's series -------------
    def all_up():
        t = metrics(port)
        return (value(t, "sovereign_up") == 1 and value(t, "sovereign_fan_controller_up") == 1
                and value(t, "sovereign_watchdog_up") == 1
                and value(t, "sovereign_inference_active") == 1
                and value(t, r'sovereign_fan_zone_failsafe\{zone="cpu"\}') == 0)
    wait_for(all_up, 20, "sampler, fan (out of failsafe), watchdog and inference all up")
    text = metrics(port)
    promtool_ok(text, "all up")
    tctl = value(text, r'sovereign_cpu_temp_celsius\{[^}]*label="Tctl"\}')
    zin = value(text, r'sovereign_fan_zone_input_celsius\{zone="cpu"\}')
    check(tctl is not None and zin is not None and abs(tctl - zin) < 2,
          "the fan zone's input (%s) is Tctl (%s)" % (zin, tctl))
    check(value(text, r'sovereign_fan_zone_setpoint_celsius\{zone="cpu"\}') == 80, "setpoint 80 °C")
    duty = value(text, r'sovereign_fan_zone_duty_ratio\{zone="cpu"\}')
    check(duty is not None and 0.2 <= duty <= 1, "zone duty %s within [min_duty, 1]" % duty)
    check(value(text, r"sovereign_watchdog_feeds_total") is not None, "watchdog feeds exported")

    # --- the sampler dies: every reader says so, promtool still passes --------
    stop(sampler)

    def degraded():
        t = metrics(port)
        return (value(t, "sovereign_up") == 0
                and value(t, r'sovereign_fan_zone_failsafe\{zone="cpu"\}') == 1
                and value(t, r'sovereign_fan_zone_duty_ratio\{zone="cpu"\}') == 1)
    wait_for(degraded, 5, "sovereign_up 0 and the fan zone in failsafe at 100 %")
    text = metrics(port)
    promtool_ok(text, "sampler dead")
    check(not re.search(r'(?m)^sovereign_cpu_temp_celsius\{', text), "no stale temperature served")
    check(pwm1(tree) == 255, "pwm1 at 255 in failsafe, is %d" % pwm1(tree))
    feeds = value(text, "sovereign_watchdog_feeds_total")
    time.sleep(1)
    check(value(metrics(port), "sovereign_watchdog_feeds_total") == feeds,
          "the hardware watchdog is not fed while the sampler is dead")

    # --- it comes back: so does everything ------------------------------------
    start_sampler()
    wait_for(all_up, 20, "all up again after the sampler restarted")
    promtool_ok(metrics(port), "sampler back")

    # --- the inference runtime dies -------------------------------------------
    subprocess.run(["pkill", "-KILL", "-f", "%s heartbeat %s" % (FAKE, hb)])
    wait_for(lambda: value(metrics(port), "sovereign_inference_active") == 0, 5,
             "sovereign_inference_active 0 after the runtime died")
    promtool_ok(metrics(port), "inference dead")

    for p, name in ((exporter, "exporter"), (fan, "fan"), (wd, "watchdog")):
        check(p.poll() is None, name + " still running")
        stop(p, signal.SIGTERM)
        check(p.returncode == 0, "%s exit status %s" % (name, p.returncode))
    return seg


rc = 1
d = tempfile.mkdtemp(prefix="sov-stack-")
try:
    main(d)
    rc = 0
except AssertionError:
    pass
finally:
    finish(rc, d, ("sampler.log", "fan.log", "watchdog.log", "exporter.log", "sim.log"),
           ["/sov-stack-%d%s" % (os.getpid(), sfx) for sfx in ("", "-fan", "-wd")])
