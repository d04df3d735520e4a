#!/usr/bin/env python3
# test_setup.py SRC BUILD - tools/setup/sovereign-setup on BUILD's programs:
#   - install into a staging root: it says it deploys tools/deploy (the source
#     tree); every file it lists exists, modes (programs 0755, configs and
#     units 0644), bmc.conf and the modules-load.d file the shipped ones, each unit with its drop-in passes
#     systemd-analyze verify (ExecStart mapped into the root, MANPATH the
#     root's installed pages; a broken drop-in is seen, so the drop-in is
#     read), CPUAffinity=0, the wants links, a pre-seeded sampler.conf kept,
#     the group added, the BMC stub not called without an address;
#   - a second install changes nothing; uninstall gives back the tree as it
#     was (paths, modes, contents), a pre-seeded modules-load.d file byte for
#     byte;
#   - bmc.conf with an address: the stub gets "standby" (no password in argv),
#     uninstall "wake";
#   - kill -9 in the middle of install (in the binaries, in the BMC step),
#     then uninstall: the tree as it was;
#   - installed (cmake --install, prefix /usr): it deploys
#     PREFIX/share/sovereign/deploy and says so; alone, without its data: exit
#     1 naming both places, nothing written;
#   - --dry-run changes nothing; usage errors exit 2;
#   - verify against run-sim.sh (AMD: no SMI counter, said so; the sampler
#     SIGSTOPped: fails, stale) and an Intel simulated stack (SMI count flat,
#     then BMC noise: fails).
import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SRC, BUILD = (os.path.realpath(a) for a in sys.argv[1:3])
SETUP = os.path.join(SRC, "tools/setup/sovereign-setup")
UNITS = ("sovereign-sampler", "sovereign-exporter", "sovereign-fan", "sovereign-watchdog")
failures = 0
tmp = tempfile.mkdtemp(prefix="sov-setup-test-")


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures += 1
    return cond


def snapshot(root):
    """path -> (mode, symlink target or content hash) for everything under root."""
    snap = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            rel = os.path.relpath(p, root)
            if os.path.islink(p):
                snap[rel] = ("link", os.readlink(p))
            elif os.path.isdir(p):
                snap[rel] = (oct(st.st_mode), "dir")
            else:
                with open(p, "rb") as f:
                    snap[rel] = (oct(st.st_mode), hashlib.sha256(f.read()).hexdigest())
    return snap


def diff(a, b):
    return sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))


def setup(*args, env=None, timeout=120):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([SETUP, *args], capture_output=True, text=True, env=e, timeout=timeout,
                          stdin=subprocess.DEVNULL, cwd=tmp)


def bmc_stub(log, sleep_on_standby=0):
    """A sovereign-bmc that appends its argv (one line) to LOG."""
    path = os.path.join(tmp, "bmc-stub-%d" % sleep_on_standby)
    with open(path, "w") as f:
        f.write('#!/bin/sh\nprintf "%%s\\n" "$*" >>"%s"\n' % log)
        if sleep_on_standby:
            f.write('case "$*" in *standby*) sleep %d ;; esac\n' % sleep_on_standby)
    os.chmod(path, 0o755)
    return path


def new_root(name, group=True):
    root = os.path.join(tmp, name)
    os.makedirs(os.path.join(root, "etc"))
    if group:
        with open(os.path.join(root, "etc/group"), "w") as f:
            f.write("root:x:0:\nadm:x:4:\n")
        with open(os.path.join(root, "etc/gshadow"), "w") as f:
            f.write("root:*::\nadm:*::\n")
        os.chmod(os.path.join(root, "etc/gshadow"), 0o640)
    with open(os.path.join(root, "etc/hostname"), "w") as f:
        f.write("gpu-node-7\n")
    return root


def manifest(root):
    with open(os.path.join(root, "var/lib/sovereign/setup.manifest")) as f:
        return [l.rstrip("\n").split("\t") for l in f]


def read(root, rel):
    with open(os.path.join(root, rel.lstrip("/"))) as f:
        return f.read()


def verify_unit(root, unit, extra_dropin=None):
    """systemd-analyze verify of ROOT's unit and drop-in, its programs mapped
    into ROOT; returns what it printed."""
    d = tempfile.mkdtemp(dir=tmp)
    with open(os.path.join(root, "etc/systemd/system/%s.service" % unit)) as f:
        text = f.read()
    text = re.sub(r"^(Exec[A-Za-z]*=)/usr/local/sbin/", r"\g<1>%s/usr/local/sbin/" % root, text,
                  flags=re.M)
    with open(os.path.join(d, unit + ".service"), "w") as f:
        f.write(text)
    shutil.copytree(os.path.join(root, "etc/systemd/system/%s.service.d" % unit),
                    os.path.join(d, unit + ".service.d"))
    if extra_dropin:
        with open(os.path.join(d, unit + ".service.d/20-test.conf"), "w") as f:
            f.write(extra_dropin)
    r = subprocess.run(["systemd-analyze", "verify", os.path.join(d, unit + ".service")],
                       capture_output=True, text=True, timeout=60,
                       env=dict(os.environ, MANPATH=os.path.join(root, "usr/local/share/man")))
    shutil.rmtree(d)
    return (r.stdout + r.stderr).strip()


SEEDED_SAMPLER = "# edited by the admin\n[sampler]\nperiod_ms = 250\n"
SEEDED_MODULES = b"# the admin's own\nlp\n"


def install_uninstall():
    root = new_root("main")
    os.makedirs(os.path.join(root, "etc/sovereign"))
    with open(os.path.join(root, "etc/sovereign/sampler.conf"), "w") as f:
        f.write(SEEDED_SAMPLER)
    os.chmod(os.path.join(root, "etc/sovereign/sampler.conf"), 0o600)
    os.makedirs(os.path.join(root, "etc/modules-load.d"))
    with open(os.path.join(root, "etc/modules-load.d/sovereign.conf"), "wb") as f:
        f.write(SEEDED_MODULES)
    before = snapshot(root)
    log = os.path.join(tmp, "bmc-main.log")
    env = {"SOVEREIGN_BMC": bmc_stub(log)}

    r = setup("install", "--root", root, "--build", BUILD, env=env)
    out = r.stdout + r.stderr
    check(r.returncode == 0, "install: exit 0 (%s)" % out[-800:])
    check(re.search(r"^sovereign-setup: data +%s \(the source tree\)$"
                    % re.escape(os.path.join(SRC, "tools/deploy")), r.stdout, re.M) is not None,
          "install says it deploys SRC/tools/deploy (the source tree)")
    m = manifest(root)
    listed = [l[2] for l in m if l[0] in ("new", "replaced")]
    missing = [p for p in listed if not os.path.lexists(root + p)]
    check(listed and not missing, "every file the manifest lists exists (%d, missing %s)"
          % (len(listed), missing))
    for u in UNITS:
        exe = "/usr/local/sbin/" + u
        check(exe in listed, "%s is in the manifest" % exe)
        check(os.stat(root + exe).st_mode & 0o7777 == 0o755, "%s is 0755" % exe)
        unit = "/etc/systemd/system/%s.service" % u
        check(os.stat(root + unit).st_mode & 0o7777 == 0o644, "%s is 0644" % unit)
        text = read(root, unit)
        check("\nExecStart=/usr/local/sbin/%s " % u in text, "%s runs /usr/local/sbin/%s" % (unit, u))
        with open(os.path.join(SRC, "tools/deploy/systemd/%s.service" % u)) as f:
            shipped = f.read()
        check(text == shipped, "%s keeps every line of the shipped unit (hardening included)" % unit)
        dropin = read(root, "/etc/systemd/system/%s.service.d/10-housekeeping.conf" % u)
        check(re.search(r"^\[Service\]\nCPUAffinity=0$", dropin, re.M) is not None,
              "%s drop-in: CPUAffinity=0" % u)
        v = verify_unit(root, u)
        check(v == "", "systemd-analyze verify %s with its drop-in: silent (%r)" % (u, v))
        link = root + "/etc/systemd/system/multi-user.target.wants/%s.service" % u
        check(os.path.islink(link) and os.readlink(link) == "/etc/systemd/system/%s.service" % u,
              "multi-user.target.wants/%s.service links to the unit" % u)
    v = verify_unit(root, "sovereign-sampler", "[Service]\nCPUAffinity=bogus\n")
    check("10-housekeeping" not in v and "20-test.conf" in v and "bogus" in v,
          "control: a broken drop-in beside ours is reported, so drop-ins are read (%r)" % v)
    for c in ("exporter.conf", "fan.conf", "watchdog.conf", "bmc.conf"):
        p = root + "/etc/sovereign/" + c
        check(os.path.isfile(p) and os.stat(p).st_mode & 0o7777 == 0o644, "/etc/sovereign/%s 0644" % c)
    check(read(root, "/etc/sovereign/exporter.conf") ==
          open(os.path.join(SRC, "tools/deploy/exporter.conf")).read(), "exporter.conf is the shipped one")
    bmc = read(root, "/etc/sovereign/bmc.conf")
    check(all(l.startswith("#") for l in bmc.splitlines() if l.strip()) and "#address" in bmc,
          "bmc.conf: an example, every line commented out")
    check(bmc == open(os.path.join(SRC, "tools/deploy/bmc.conf")).read(),
          "bmc.conf is the shipped tools/deploy/bmc.conf")
    check(read(root, "/etc/sovereign/sampler.conf") == SEEDED_SAMPLER
          and os.stat(root + "/etc/sovereign/sampler.conf").st_mode & 0o7777 == 0o600,
          "the pre-seeded sampler.conf is not overwritten")
    check("kept: /etc/sovereign/sampler.conf" in out, "install says it kept sampler.conf")
    mods = read(root, "/etc/modules-load.d/sovereign.conf")
    check("msr" in mods.split("\n") and "i2c-dev" in mods.split("\n"),
          "modules-load.d: msr and i2c-dev")
    check(mods == open(os.path.join(SRC, "tools/deploy/modules-load.d/sovereign.conf")).read(),
          "modules-load.d/sovereign.conf is the shipped one")
    check(re.search(r"^sovereign-setup: modules +done[^\n]*: /etc/modules-load.d/sovereign.conf "
                    r"\(msr i2c-dev\)$", out, re.M) is not None,
          "install names the modules it read from the file")
    check("sovereign:x:" in read(root, "/etc/group"), "group sovereign added to ROOT/etc/group")
    check(not os.path.exists(log), "BMC stub not called: bmc.conf has no address")
    check("skipped: /etc/sovereign/bmc.conf has no [bmc] address" in out, "install says why")
    check("isolcpus=" in out and "irqaffinity=0" in out and "GRUB_CMDLINE_LINUX" in out,
          "kernel command line advice printed")
    check(not os.path.exists(root + "/proc") and "modprobe -a msr i2c-dev not run" in out,
          "under --root: modprobe not run, said so")

    after1 = snapshot(root)
    r = setup("install", "--root", root, "--build", BUILD, env=env)
    check(r.returncode == 0, "second install: exit 0")
    changed = [l for l in r.stdout.splitlines() if re.search(r"\bdone\b|restored|updated", l)]
    check(not changed, "second install: nothing done (%s)" % changed)
    check("already so" in r.stdout, "second install says already so")
    check(diff(after1, snapshot(root)) == [], "second install: the tree is identical (%s)"
          % diff(after1, snapshot(root))[:5])

    r = setup("uninstall", "--root", root, "--dry-run", env=env)
    check(r.returncode == 0 and diff(after1, snapshot(root)) == [],
          "uninstall --dry-run: exit 0, nothing changed")
    r = setup("uninstall", "--root", root, env=env)
    check(r.returncode == 0, "uninstall: exit 0 (%s)" % (r.stdout + r.stderr)[-500:])
    d = diff(before, snapshot(root))
    check(d == [], "uninstall: the tree is as before install (differs: %s)" % d[:8])
    with open(root + "/etc/modules-load.d/sovereign.conf", "rb") as f:
        check(f.read() == SEEDED_MODULES, "the pre-existing modules-load.d file restored byte for byte")
    check(not os.path.exists(log), "uninstall: no BMC wake (install did not put it in standby)")


BMC_CONF = """[bmc]
address = 192.0.2.10
user = admin
password_file = %s
"""
SECRET = "hunter2-s3cret"


def bmc_standby():
    root = new_root("bmc", group=False)
    pw = os.path.join(tmp, "bmc.password")
    with open(pw, "w") as f:
        f.write(SECRET + "\n")
    os.makedirs(os.path.join(root, "etc/sovereign"))
    with open(os.path.join(root, "etc/sovereign/bmc.conf"), "w") as f:
        f.write(BMC_CONF % pw)
    before = snapshot(root)
    log = os.path.join(tmp, "bmc-standby.log")
    env = {"SOVEREIGN_BMC": bmc_stub(log)}
    r = setup("install", "--root", root, "--build", BUILD, env=env)
    check(r.returncode == 0, "bmc install: exit 0")
    calls = open(log).read().splitlines() if os.path.exists(log) else []
    check(len(calls) == 1 and calls[0].endswith(" standby")
          and ("-c %s/etc/sovereign/bmc.conf" % root) in calls[0],
          "the BMC stub is called once: -c ROOT/etc/sovereign/bmc.conf standby (%s)" % calls)
    check(not any(SECRET in c or "password" in c for c in calls), "no password in its argv")
    check("group      skipped" in r.stdout, "no ROOT/etc/group: the group step is skipped, said so")
    r = setup("install", "--root", root, "--build", BUILD, "--no-bmc", env=env)
    check("skipped (--no-bmc)" in r.stdout, "--no-bmc: the BMC step skipped")
    r = setup("uninstall", "--root", root, env=env)
    calls = open(log).read().splitlines()
    check(r.returncode == 0 and calls[-1].endswith(" wake") and len(calls) == 2,
          "uninstall wakes the BMC (%s)" % calls)
    check(diff(before, snapshot(root)) == [], "bmc: uninstall gives the tree back (%s)"
          % diff(before, snapshot(root))[:5])


def kill_midway(name, when):
    """SIGKILL install at WHEN(root, log) -> True, then uninstall."""
    root = new_root("kill-" + name)
    os.makedirs(os.path.join(root, "etc/modules-load.d"))
    with open(os.path.join(root, "etc/modules-load.d/sovereign.conf"), "wb") as f:
        f.write(SEEDED_MODULES)
    os.makedirs(os.path.join(root, "etc/sovereign"))
    with open(os.path.join(root, "etc/sovereign/bmc.conf"), "w") as f:
        f.write(BMC_CONF % "/nonexistent")
    before = snapshot(root)
    log = os.path.join(tmp, "bmc-kill-%s.log" % name)
    env = dict(os.environ, SOVEREIGN_BMC=bmc_stub(log, sleep_on_standby=60))
    p = subprocess.Popen([SETUP, "install", "--root", root, "--build", BUILD], env=env, cwd=tmp,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    end = time.monotonic() + 60
    hit = False
    while time.monotonic() < end and p.poll() is None:
        if when(root, log):
            hit = True
            break
        time.sleep(0.005)
    os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    check(hit, "%s: install killed -9 at the chosen point" % name)
    check(diff(before, snapshot(root)) != [], "%s: the kill left a half-installed tree" % name)
    r = setup("uninstall", "--root", root, env={"SOVEREIGN_BMC": bmc_stub(log)})
    check(r.returncode == 0, "%s: uninstall after the kill: exit 0 (%s)" % (name, r.stderr))
    d = diff(before, snapshot(root))
    check(d == [], "%s: uninstall after kill -9: the tree as before (%s)" % (name, d[:8]))


def in_binaries(root, log):
    try:
        return len(manifest(root)) > 12
    except OSError:
        return False


def in_bmc(root, log):
    return os.path.exists(log)


def installed():
    """sovereign-setup as cmake --install puts it (prefix /usr): its data in
    /usr/share/sovereign/deploy; then alone, without it."""
    dest = os.path.join(tmp, "destdir")
    r = subprocess.run(["cmake", "--install", BUILD, "--prefix", "/usr", "--component", "Unspecified"],
                       env=dict(os.environ, DESTDIR=dest), capture_output=True, text=True, timeout=300)
    if not check(r.returncode == 0, "cmake --install --prefix /usr (%s)" % r.stderr[-300:]):
        return
    data = os.path.join(dest, "usr/share/sovereign/deploy")
    for rel in ["systemd/%s.service" % u for u in UNITS] + [
            "sampler.conf", "exporter.conf", "fan.conf", "watchdog.conf", "bmc.conf",
            "modules-load.d/sovereign.conf"]:
        with open(os.path.join(SRC, "tools/deploy", rel), "rb") as f:
            shipped = f.read()
        p = os.path.join(data, rel)
        check(os.path.isfile(p) and open(p, "rb").read() == shipped
              and os.stat(p).st_mode & 0o7777 == 0o644,
              "/usr/share/sovereign/deploy/%s: tools/deploy's, 0644" % rel)
    prog = os.path.join(dest, "usr/sbin/sovereign-setup")
    root = new_root("installed")
    e = dict(os.environ, SOVEREIGN_BMC=bmc_stub(os.path.join(tmp, "bmc-installed.log")))
    r = subprocess.run([prog, "install", "--root", root, "--build", BUILD, "--no-bmc"], env=e,
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL, cwd=tmp)
    check(r.returncode == 0, "installed sovereign-setup: install exit 0 (%s)" % r.stderr[-300:])
    check(re.search(r"^sovereign-setup: data +%s \(installed\)$" % re.escape(data), r.stdout, re.M)
          is not None, "installed: it says it deploys PREFIX/share/sovereign/deploy (%s)"
          % [l for l in r.stdout.splitlines() if "data" in l])
    check(read(root, "/etc/sovereign/bmc.conf") == open(os.path.join(data, "bmc.conf")).read()
          and read(root, "/etc/modules-load.d/sovereign.conf")
          == open(os.path.join(data, "modules-load.d/sovereign.conf")).read(),
          "installed: bmc.conf and modules-load.d from the data dir")
    # As run after `apt install`: no --build, no --deb, from an empty directory:
    # the programs beside it are the ones (nothing copied), units run them.
    root = new_root("installed-nobuild")
    empty = os.path.join(tmp, "empty-cwd")
    os.makedirs(empty, exist_ok=True)
    r = subprocess.run([prog, "install", "--root", root, "--no-bmc"], env=e, capture_output=True,
                       text=True, timeout=120, stdin=subprocess.DEVNULL, cwd=empty)
    sbin = os.path.realpath(os.path.join(dest, "usr/sbin"))
    check(r.returncode == 0 and re.search(r"^sovereign-setup: binaries +already so \(installed: the "
                                          r"programs are in %s\)$" % re.escape(sbin), r.stdout, re.M),
          "installed, no --build/--deb: the programs beside it, nothing copied (%s %s)"
          % (r.returncode, r.stderr[-300:]))
    check(("ExecStart=%s/sovereign-sampler" % sbin) in read(root, "/etc/systemd/system/sovereign-sampler.service"),
          "installed, no --build/--deb: the unit runs the program beside the script")
    check(not os.path.exists(os.path.join(root, sbin.lstrip("/"), "sovereign-sampler")),
          "installed, no --build/--deb: no program copied into the root")
    # Control: the same program alone, no data beside it.
    alone = os.path.join(tmp, "alone/sbin")
    os.makedirs(alone)
    shutil.copy(prog, alone)
    root = new_root("alone")
    before = snapshot(root)
    r = subprocess.run([os.path.join(alone, "sovereign-setup"), "install", "--root", root, "--build",
                        BUILD], capture_output=True, text=True, timeout=120, cwd=tmp,
                       stdin=subprocess.DEVNULL)
    check(r.returncode == 1 and "step 'data' failed" in r.stderr
          and os.path.join(alone, "../deploy") in r.stderr
          and os.path.join(alone, "../share/sovereign/deploy") in r.stderr,
          "no data dir: exit 1, step 'data' failed, both places named (%d, %r)"
          % (r.returncode, r.stderr))
    check(diff(before, snapshot(root)) == [], "no data dir: nothing written into the root")


def dry_run_and_usage():
    root = new_root("dry")
    before = snapshot(root)
    r = setup("install", "--root", root, "--build", BUILD, "--dry-run")
    check(r.returncode == 0, "install --dry-run: exit 0 (%s)" % r.stderr)
    check(diff(before, snapshot(root)) == [], "install --dry-run: the tree is byte-identical")
    check("/usr/local/sbin/sovereign-sampler" in r.stdout and "would run: groupadd" in r.stdout
          and "/etc/sovereign/bmc.conf" in r.stdout and "would create directory /var/lib/sovereign" in r.stdout,
          "the plan names the files, directories and commands")
    for args, what in ((["install", "--bogus"], "--bogus"), (["frobnicate"], "frobnicate"),
                       (["verify", "--root", "/"], "--root"), (["install", "--port"], "--port"),
                       (["verify", "--port", "http"], "http")):
        r = setup(*args)
        check(r.returncode == 2 and what in r.stderr, "%s: exit 2 naming %s (%d, %r)"
              % (" ".join(args), what, r.returncode, r.stderr))
    r = setup("--help")
    check(r.returncode == 0 and "uninstall" in r.stdout and "--housekeeping-cpu" in r.stdout,
          "--help: exit 0, the usage")


# --- verify ------------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def metrics(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=3) as r:
            return r.read().decode()
    except OSError:
        return ""


def wait_for(pred, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return False


def verify_run_sim():
    state = os.path.join(tmp, "runsim")
    port = free_port()
    env = dict(os.environ, SOVEREIGN_BUILD_DIR=BUILD, SOVEREIGN_STATE_DIR=state,
               SOVEREIGN_PORT=str(port), SOVEREIGN_SKIP_DEPS="1", SOVEREIGN_SKIP_BUILD="1")
    env.pop("SOVEREIGN_RUN_DIR", None)
    script = os.path.join(SRC, "tools/setup/run-sim.sh")
    try:
        r = subprocess.run(["bash", script], env=env, capture_output=True, text=True, timeout=120)
        if not check(r.returncode == 0, "run-sim.sh on :%d (%s)" % (port, r.stderr[-300:])):
            return
        r = setup("verify", "--port", str(port), "--seconds", "3")
        check(r.returncode == 0, "verify on the simulated AMD stack: exit 0 (%s)" % (r.stdout + r.stderr))
        check("SMIs cannot be counted on this CPU" in r.stdout, "says SMIs cannot be counted (AMD)")
        check(re.search(r"sensors: \d+ series, all valid", r.stdout) is not None, "says the sensors are valid")
        with open(os.path.join(state, "sovereign-sampler.pid")) as f:
            sampler = int(f.read())
        os.kill(sampler, signal.SIGSTOP)
        try:
            wait_for(lambda: "sovereign_stale 1" in metrics(port), 10)
            r = setup("verify", "--port", str(port), "--seconds", "1")
            check(r.returncode == 1 and "not fresh" in r.stdout and "stale" in r.stdout,
                  "sampler SIGSTOPped: verify fails, the sample stale (%d, %s)" % (r.returncode, r.stdout))
        finally:
            os.kill(sampler, signal.SIGCONT)
    finally:
        subprocess.run(["bash", script, "stop"], env=env, capture_output=True, timeout=60)
    r = setup("verify", "--port", str(port), "--seconds", "1")
    check(r.returncode == 1 and "does not answer" in r.stdout, "nothing on the port: verify fails, says so")


def verify_intel():
    """sim (Intel: MSR 0x34), sampler and exporter started here."""
    d = os.path.join(tmp, "intel")
    os.makedirs(d)
    tree, run = os.path.join(d, "tree"), os.path.join(d, "run")
    port = free_port()
    env = dict(os.environ, SOVEREIGN_RUN_DIR=run)
    sim = os.path.join(BUILD, "tools/sim/sovereign-sim")
    procs = []

    def start(*cmd):
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(p)
        return p

    try:
        conf = subprocess.run([sim, "--root", tree, "--vendor", "intel", "--print-config"],
                              capture_output=True, text=True, check=True).stdout
        with open(os.path.join(d, "sampler.conf"), "w") as f:
            f.write(conf)
        subprocess.run([sim, "--root", tree, "--vendor", "intel", "--once", "--quiet"], check=True)
        s = start(sim, "--root", tree, "--vendor", "intel", "--quiet")
        start(os.path.join(BUILD, "rt/sovereign-sampler"), "-c", os.path.join(d, "sampler.conf"))
        start(os.path.join(BUILD, "readers/exporter/sovereign-exporter"), "--listen",
              "127.0.0.1:%d" % port)
        ok = wait_for(lambda: "sovereign_smi_total" in metrics(port), 30)
        if not check(ok, "Intel stack: the exporter serves sovereign_smi_total"):
            return
        r = setup("verify", "--port", str(port), "--seconds", "3")
        check(r.returncode == 0 and "SMI count stayed flat for 3 s" in r.stdout,
              "Intel, no BMC noise: verify exit 0, SMI count flat (%s)" % (r.stdout + r.stderr))
        s.terminate()
        s.wait(timeout=10)
        start(sim, "--root", tree, "--vendor", "intel", "--quiet", "--bmc-noise", "20")
        r = setup("verify", "--port", str(port), "--seconds", "2")
        check(r.returncode == 1 and "SMI count rose" in r.stdout,
              "Intel, BMC noise 20 Hz: verify fails, SMI count rose (%s)" % r.stdout)
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.terminate()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def main():
    t0 = time.monotonic()
    try:
        for name, case in (("install/uninstall", install_uninstall), ("bmc", bmc_standby),
                           ("kill in binaries", lambda: kill_midway("binaries", in_binaries)),
                           ("kill in bmc", lambda: kill_midway("bmc", in_bmc)),
                           ("installed", installed), ("dry-run and usage", dry_run_and_usage),
                           ("verify run-sim", verify_run_sim), ("verify intel", verify_intel)):
            print("--- %s" % name, flush=True)
            case()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d failed (%.1f s)" % (failures, time.monotonic() - t0))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
