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
#   - everything present: no apt-get at all;
#   - every external command the tests run (found by reading tests/: argv
#     lists in Python, command lines and absolute argv in C, shell scripts'
#     commands, CMake's find_program) is in COMMAND_PACKAGE, a command not
#     in that table fails; each command's package is in install-deps.sh's
#     sets or in every Debian system (Essential or Priority required), and
#     on this machine the command is installed and dpkg says it belongs to
#     that package (or to one it depends on).
import glob
import os
import re
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


# --- every command the tests run comes from install-deps.sh ----------------

# command -> the Debian package that provides it.  A test that starts
# running a command not listed here fails below: add it, with its package,
# and the package to install-deps.sh's test set unless every Debian has it.
COMMAND_PACKAGE = {
    "amtool": "prometheus-alertmanager", "awk": "mawk", "bash": "bash", "cmake": "cmake",
    "cpack": "cmake", "ctest": "cmake", "curl": "curl", "cyclictest": "rt-tests",
    "dbus-daemon": "dbus-daemon", "dpkg": "dpkg", "dpkg-deb": "dpkg", "dpkg-query": "dpkg", "find": "findutils", "xargs": "findutils",
    "gnuplot": "gnuplot-nox", "grep": "grep", "groff": "groff-base", "gzip": "gzip",
    "initdb": "postgresql", "pg_ctl": "postgresql", "ipmi_sim": "openipmi", "ipmitool": "ipmitool",
    "lexgrog": "man-db", "man": "man-db", "lintian": "lintian", "openssl": "openssl",
    "pkill": "procps", "pgrep": "procps", "prlimit": "util-linux", "setpriv": "util-linux",
    "setsid": "util-linux", "prometheus": "prometheus", "promtool": "prometheus",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "prometheus-node-exporter": "prometheus-node-exporter", "python3": "python3", "sed": "sed",
    "sh": "dash", "ss": "iproute2", "systemd-analyze": "systemd", "tar": "tar", "wrk": "wrk",
    "cmp": "diffutils", "diff": "diffutils",
}
COMMAND_PACKAGE.update({c: "coreutils" for c in (
    "basename", "cat", "chmod", "chown", "cp", "cut", "date", "dirname", "env", "head", "id", "ln",
    "ls", "mkdir", "mkfifo", "mktemp", "mv", "nice", "nproc", "readlink", "realpath", "rm", "sleep",
    "sort", "stat", "stdbuf", "tail", "tee", "timeout", "touch", "tr", "wc")})

SHELL_WORDS = {"if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case",
               "esac", "in", "function", "select", "time", "!", "{", "}", "[[", "]]", "[", "test",
               "echo", "printf", "cd", "exit", "return", "set", "shift", "local", "export", "readonly",
               "declare", "trap", "wait", "kill", "read", "source", ".", ":", "true", "false", "eval",
               "exec", "command", "break", "continue", "unset", "pwd", "type", "getopts", "let",
               "ulimit", "umask", "builtin", "mapfile", "readarray", "hash", "shopt", "jobs", "disown"}
WRAPS = ("env", "nice", "timeout", "sudo", "stdbuf", "setsid", "xargs", "setpriv", "prlimit")
CMD_RE = re.compile(r"^[a-z][a-z0-9_.+-]*$")
ASSIGN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def argv_commands(words):
    """The commands an argv runs: its program, and what a wrapper (env,
    nice -n N, timeout N, setpriv...) runs in turn."""
    out, i = [], 0
    while i < len(words):
        w = words[i]
        if ASSIGN_RE.match(w):
            i += 1
            continue
        b = os.path.basename(w)
        out.append(b)
        if b not in WRAPS:
            break
        i += 1
        while i < len(words) and (words[i].startswith("-") or ASSIGN_RE.match(words[i])
                                  or re.match(r"^[0-9.]+[smh]?$", words[i])):
            if words[i] in ("-n", "-u", "-s", "-k") and b in ("nice", "env", "timeout"):
                i += 1
            i += 1
    return out


def shell_commands(text):
    """The first word of each simple command of shell @text (a heuristic:
    quoted text is data but for its $(...), functions and builtins are not
    commands, heredoc bodies are skipped)."""
    funcs = set(re.findall(r"(?m)^\s*([A-Za-z_][\w-]*)\s*\(\)", text))
    found, stop = [], None
    for ln in re.sub(r"\\\n", " ", text).split("\n"):
        if stop is not None:
            stop = None if ln.strip() == stop else stop
            continue
        m = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", ln)
        if m:
            stop = m.group(1)
        s = ln.strip()
        if s.startswith("#"):
            continue
        s = re.sub(r"(^|\s)#.*$", "", s)
        s = re.sub(r"'[^']*'", "''", s)
        s = re.sub(r"\$\(\(.*?\)\)", "0", s)
        s = re.sub(r"^[\w|* .-]+\)\s", "", s)   # a case pattern
        s = re.sub(r'"([^"]*)"', lambda q: " ; ".join(re.findall(r"\$\(([^)]*)\)", q.group(1))) or '""', s)
        for seg in re.split(r"\|\||&&|[;|`]|\$\(|\(|\{|\bthen\b|\bdo\b|\belse\b|\b!\s", s):
            words = [w.strip('"') for w in seg.split()]
            if not words or words[0].endswith(")"):
                continue
            found += [c for c in argv_commands(words)
                      if c not in SHELL_WORDS and c not in funcs and CMD_RE.match(c)]
    return found


def py_commands(text):
    found = []
    for m in re.finditer(r"(?:run|Popen|check_output|check_call|call|spawn)\(\s*\[\s*"
                         r"((?:\"[^\"]*\"\s*,\s*)*\"[^\"]*\")", text):
        found += argv_commands(re.findall(r"\"([^\"]*)\"", m.group(1)))
    found += re.findall(r"shutil\.which\(\s*\"([^\"]+)\"", text)
    for m in re.finditer(r"for tool in \(([^)]*)\)", text):
        found += re.findall(r"\"([^\"]+)\"", m.group(1))
    return found


def c_commands(text):
    found = []
    # comments out, string literals kept ("dir/*.jsonl" opens no comment)
    text = re.sub(r"(\"(?:[^\"\\\n]|\\.)*\")|/\*.*?\*/|//[^\n]*",
                  lambda m: m.group(1) or " ", text, flags=re.S)
    # a command line composed for popen()/system(): snprintf(cmd..., "..." MACRO "...")
    for m in re.finditer(r"snprintf\(\s*\w*cmd\w*\s*,\s*sizeof\(\w+\)\s*,\s*"
                         r"((?:\"(?:[^\"\\]|\\.)*\"\s*|[A-Z_]+\s*)+)", text):
        # a macro between the literals is a built program's path
        parts = re.findall(r"\"((?:[^\"\\]|\\.)*)\"|([A-Z_]+)", m.group(1))
        cmdline = "".join(q if q else "OWN " for q, _ in parts).replace("%s", "ARG")
        found += shell_commands(cmdline)
    for m in re.finditer(r"(?:popen|system)\(\s*\"((?:[^\"\\]|\\.)*)\"", text):
        found += shell_commands(m.group(1))
    # a program in a directory found at run time: snprintf(exe, ..., "%s/initdb", bin)
    found += re.findall(r"snprintf\(\s*exe\w*\s*,\s*sizeof\(\w+\)\s*,\s*\"%s/([\w.+-]+)\"", text)
    found += [os.path.basename(p) for p in re.findall(r"exec[lv]p?e?\(\s*\"([^\"]+)\"", text)]
    # argv arrays of installed programs: char *argv[] = { "/usr/bin/x", ... }
    for m in re.finditer(r"\[\]\s*=\s*\{([^}]*)\}", text):
        found += [os.path.basename(p) for p in re.findall(r"\"(/(?:usr/)?s?bin/[\w.+-]+)\"", m.group(1))]
    return [c for c in found if c not in ("OWN", "ARG")]


def cmake_commands(text):
    found = []
    for m in re.finditer(r"find_program\(\s*\w+\s+(NAMES\s+)?([^)]*)\)", text):
        found += [w for w in m.group(2).split() if w != "REQUIRED"][:1]
    if re.search(r"find_package\(\s*Python3\b[^)]*Interpreter", text):
        found.append("python3")
    return found


def test_commands(root):
    """{command: {files of tests/ that run it}}."""
    uses = {}
    for dp, dn, fn in os.walk(os.path.join(root, "tests")):
        dn[:] = [d for d in dn if d not in ("corpus", "__pycache__", "fixtures")]
        for f in fn:
            p = os.path.join(dp, f)
            with open(p, errors="replace") as fh:
                t = fh.read()
            if f.endswith(".py"):
                cs = py_commands(t)
            elif f.endswith((".c", ".h")):
                cs = c_commands(t)
            elif f.endswith(".sh") or re.match(r"#!\s*/(usr/)?bin/(env )?(ba)?sh\b", t):
                cs = shell_commands(t)
            elif f == "CMakeLists.txt":
                cs = cmake_commands(t)
            else:
                continue
            for c in cs:
                # the tree's own scripts (run by path) are not installed
                if CMD_RE.match(c) and not c.endswith((".sh", ".py")):
                    uses.setdefault(c, set()).add(os.path.relpath(p, root))
    return uses


def script_packages(script):
    """The packages of install-deps.sh's RUN_PACKAGES and TEST_PACKAGES."""
    with open(script) as f:
        text = f.read()
    pkgs = set()
    for name in ("RUN_PACKAGES", "TEST_PACKAGES"):
        m = re.search(r"(?ms)^%s=\((.*?)^\)" % name, text)
        check(m is not None, "install-deps.sh has %s=( ... )" % name)
        if m:
            pkgs |= set(re.sub(r"#[^\n]*", "", m.group(1)).split())
    return pkgs


def dpkg_field(pkg, field):
    r = subprocess.run(["dpkg-query", "-W", "-f=${%s}" % field, pkg], capture_output=True, text=True)
    return r.stdout.strip() if r.returncode == 0 else ""


def owner(cmd):
    """(path, package) of @cmd as dpkg knows it on this machine; (None, None) if absent."""
    dirs = ["/usr/bin", "/usr/sbin", "/bin", "/sbin"] + sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    for d in dirs:
        p = os.path.join(d, cmd)
        if not os.access(p, os.X_OK):
            continue
        for q in (p, os.path.realpath(p), p[4:] if p.startswith("/usr/") else "/usr" + p):
            r = subprocess.run(["dpkg", "-S", q], capture_output=True, text=True)
            for line in r.stdout.splitlines():
                if not line.startswith("diversion by") and line.endswith(": " + q):
                    return p, line.split(":")[0].split(",")[0].strip()
        return p, None
    return None, None


uses = test_commands(SRC)
check(len(uses) >= 20 and {"openssl", "wrk", "promtool", "ipmitool", "curl"} <= set(uses),
      "the scan finds the tests' commands (%d: %s)" % (len(uses), " ".join(sorted(uses))))
unknown = {c: sorted(f) for c, f in uses.items() if c not in COMMAND_PACKAGE}
check(not unknown, "every command a test runs has its package in COMMAND_PACKAGE: unknown %s" % unknown)
deps = script_packages(SCRIPT)
for cmd in sorted(c for c in uses if c in COMMAND_PACKAGE):
    pkg, where = COMMAND_PACKAGE[cmd], sorted(uses[cmd])[0]
    base_system = dpkg_field(pkg, "Essential") == "yes" or dpkg_field(pkg, "Priority") == "required"
    check(pkg in deps or base_system,
          "%s (%s) comes from %s, in install-deps.sh or in every Debian" % (cmd, where, pkg))
    path, got = owner(cmd)
    if not path:
        check(False, "%s (%s) is installed (install-deps.sh test)" % (cmd, where))
        continue
    related = set(re.findall(r"[a-z0-9][a-z0-9.+-]+",
                             dpkg_field(pkg, "Depends") + " " + dpkg_field(pkg, "Pre-Depends")))
    check(got == pkg or got in related, "%s: %s belongs to %s (dpkg -S says %s)" % (cmd, path, pkg, got))

print("%d failed" % failures)
sys.exit(1 if failures else 0)
