#!/usr/bin/env python3
# test_install_deps.py SRC - tools/setup/install-deps.sh with apt-get,
# dpkg-query, systemctl, getent and groupadd replaced by stubs on PATH that
# record their calls (nothing is installed):
#   - run: what building and running need, none of the test tools
#     (prometheus, clang, wrk, gnuplot...); test and no argument: all of them;
#   - apt-get waits for the dpkg lock (DPkg::Lock::Timeout=600), and an
#     update refused for its lock is tried again;
#   - no service starts during the install (a policy-rc.d exiting 101 is in
#     place while apt-get install runs, gone after) and prometheus and
#     prometheus-node-exporter are disabled afterwards;
#   - everything present: no apt-get at all.
import os
import stat
import subprocess
import sys
import tempfile

SRC = sys.argv[1]
SCRIPT = os.path.join(SRC, "tools/setup/install-deps.sh")
failures = 0

STUB = r'''#!/bin/sh
echo "$(basename "$0") $*" >>"$STUB_LOG"
case "$(basename "$0")" in
dpkg-query)
	# dpkg-query -W -f=... PKG: installed if listed in $STUB_INSTALLED
	for p; do :; done
	grep -qx "$p" "$STUB_INSTALLED" && printf 'install ok installed'
	exit 0 ;;
apt-get)
	case " $* " in
	*" update "*)
		if [ ! -e "$STUB_DIR/update-locked-once" ]; then
			touch "$STUB_DIR/update-locked-once"
			echo "E: Could not get lock /var/lib/apt/lists/lock. It is held by process 1 (apt-get)" >&2
			exit 100
		fi ;;
	*" install "*)
		# what a package's maintainer script would ask: may I start?
		if [ -x "$SOVEREIGN_POLICY_RC_D" ]; then
			"$SOVEREIGN_POLICY_RC_D" prometheus-node-exporter start
			echo "policy-rc.d during install: $?" >>"$STUB_LOG"
		else
			echo "policy-rc.d during install: absent" >>"$STUB_LOG"
		fi ;;
	esac
	exit 0 ;;
getent) exit 0 ;;
esac
exit 0
'''


def check(cond, what, detail=""):
    """Print ok/FAIL WHAT; DETAIL (the calls recorded) only on failure."""
    global failures
    print(("ok   " if cond else "FAIL ") + what + ("" if cond or not detail else ": %s" % detail), flush=True)
    if not cond:
        failures += 1


def run(tmp, args, installed=()):
    stubs = os.path.join(tmp, "bin")
    os.makedirs(stubs, exist_ok=True)
    for name in ("apt-get", "dpkg-query", "systemctl", "getent", "groupadd", "sudo"):
        path = os.path.join(stubs, name)
        with open(path, "w") as f:
            # not root: the script runs "sudo CMD", the stub runs the stub CMD
            f.write('#!/bin/sh\nexec "$@"\n' if name == "sudo" else STUB)
        os.chmod(path, 0o755)
    log = os.path.join(tmp, "calls")
    open(log, "w").close()
    inst = os.path.join(tmp, "installed")
    with open(inst, "w") as f:
        f.write("".join(p + "\n" for p in installed))
    for f in ("update-locked-once",):
        if os.path.exists(os.path.join(tmp, f)):
            os.unlink(os.path.join(tmp, f))
    env = dict(os.environ, PATH=stubs + ":" + os.environ["PATH"], STUB_LOG=log, STUB_INSTALLED=inst,
               STUB_DIR=tmp, SOVEREIGN_POLICY_RC_D=os.path.join(tmp, "policy-rc.d"))
    r = subprocess.run(["bash", SCRIPT, *args], env=env, capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    with open(log) as f:
        calls = f.read().splitlines()
    return r, calls


def installed_by(calls):
    for c in calls:
        w = c.split()
        if w[0] == "apt-get" and "install" in w:
            return set(w[w.index("--no-install-recommends") + 1:])
    return set()


TEST_ONLY = {"prometheus", "clang", "wrk", "gnuplot-nox", "prometheus-node-exporter", "libcriterion-dev",
             "rt-tests", "lintian", "man-db", "groff-base", "openipmi", "ipmitool", "libopenipmi-dev",
             "postgresql", "prometheus-alertmanager", "python3-yaml"}
RUN_NEEDS = {"build-essential", "cmake", "pkg-config", "liburcu-dev", "libnuma-dev", "libmicrohttpd-dev",
             "libsystemd-dev", "libcjson-dev", "libinih-dev", "libi2c-dev", "zlib1g-dev", "curl",
             "libcurl4-openssl-dev",
             "iproute2", "dpkg-dev", "file", "libfreeipmi-dev", "libsqlite3-dev", "libpq-dev"}

with tempfile.TemporaryDirectory() as tmp:
    r, calls = run(tmp, ["run"])
    got = installed_by(calls)
    check(r.returncode == 0, "install-deps.sh run: exit 0 (%s)" % r.stderr)
    check(RUN_NEEDS <= got, "run installs what building and running need: missing %s" % (RUN_NEEDS - got))
    check(not (TEST_ONLY & got), "run installs none of the test tools: %s" % (TEST_ONLY & got))

    for args in (["test"], []):
        r, calls = run(tmp, args)
        got = installed_by(calls)
        what = "install-deps.sh %s" % (" ".join(args) or "(no argument)")
        check(r.returncode == 0, "%s: exit 0 (%s)" % (what, r.stderr))
        check((RUN_NEEDS | TEST_ONLY) <= got, "%s installs run's and the test tools: missing %s"
              % (what, (RUN_NEEDS | TEST_ONLY) - got))
        apt = [c for c in calls if c.startswith("apt-get")]
        check(apt and all("DPkg::Lock::Timeout=600" in c for c in apt),
              "%s: every apt-get waits for the dpkg lock" % what, apt)
        check(sum(" update" in c for c in apt) == 2, "%s: an update refused for its lock is tried again"
              % what, apt)
        check("policy-rc.d during install: 101" in calls,
              "%s: no service may start during the install (policy-rc.d exits 101)" % what, calls)
        check(not os.path.exists(os.path.join(tmp, "policy-rc.d")), "%s: the policy-rc.d is removed after" % what)
        for svc in ("prometheus-node-exporter", "prometheus", "prometheus-alertmanager", "postgresql"):
            check(any(c.startswith("systemctl disable") and (svc + ".service") in c.split() for c in calls),
                  "%s: %s.service disabled after install" % (what, svc), calls)

    r, calls = run(tmp, ["test"], installed=sorted(RUN_NEEDS | TEST_ONLY | {
        "i2c-tools", "procps", "util-linux", "libgsl-dev", "libcurl4-openssl-dev", "systemd", "dbus-daemon",
        "libclang-rt-14-dev", "python3", "openssl"}))
    check(r.returncode == 0 and not [c for c in calls if c.startswith("apt-get")],
          "everything present: no apt-get (%s)" % r.stdout.strip(), calls)

    r, calls = run(tmp, ["bogus"])
    check(r.returncode == 2 and "usage" in r.stderr, "an unknown set is refused with the usage")

print("%d failed" % failures)
sys.exit(1 if failures else 0)
