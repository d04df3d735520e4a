#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""check_docs.py - the documentation travels with the code.

usage: check_docs.py REPO_ROOT PROGRAM=BINARY...

Fails (exit 1, one line per finding) when:
  - a long option of a program (its getopt table in the source, or its
    --help output) is missing from its man page;
  - a section or key of a configuration schema (the *_keys[] tables and
    rt_conf_schema tables of rt/, readers/fan/*.c, readers/watchdog/
    *.c) is missing from its section of sovereign.conf(5);
  - `man --warnings` says anything about a page, or lexgrog cannot read its
    NAME line;
  - a relative link in README.md or docs/*.md names a file that does not
    exist or lies outside the repository;
  - any file of the repository refers to ../shared or another path outside it.
"""
import glob
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.realpath(sys.argv[1])
BINS = dict(a.split("=", 1) for a in sys.argv[2:])

# program -> (its source with the getopt table, its man page)
PROGRAMS = {
    "sovereign-sampler": ("rt/main.c", "man/sovereign-sampler.8"),
    "sovereign-exporter": ("readers/exporter/exporter.c", "man/sovereign-exporter.8"),
    "sovereign-fan": ("readers/fan/fan.c", "man/sovereign-fan.8"),
    "sovereign-watchdog": ("readers/watchdog/watchdog.c", "man/sovereign-watchdog.8"),
    "sovereign-dump": ("tools/dump/dump.c", "man/sovereign-dump.1"),
    "sovereign-sim": ("tools/sim/sim.c", "man/sovereign-sim.1"),
    "sovereign-bmc": ("tools/bmc/main.c", "man/sovereign-bmc.8"),
    "sovereign-fleet": ("tools/fleet/main.c", "man/sovereign-fleet.8"),
    "sovereign-setup": ("tools/setup/sovereign-setup", "man/sovereign-setup.8"),
    "sovereign-fleetctl": ("tools/fleet/fleetctl.c", "man/sovereign-fleetctl.1"),
}
CONF_PAGE = "man/sovereign.conf.5"

failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg)


def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def plain(roff):
    """roff source -> text: font escapes dropped, \\- as -, \\(em as a dash."""
    t = re.sub(r"\\f(\[[A-Z]*\]|[A-Z])", "", roff)
    t = t.replace("\\-", "-").replace("\\(em", "--").replace("\\e", "\\").replace("\\&", "")
    return t


# --- options -----------------------------------------------------------------

OPT_ROW = re.compile(r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*(?:no|required|optional)_argument')


def source_options(src):
    if not src.endswith(".c"):
        # a script: the options its --help prints
        return help_options(os.path.join(ROOT, src))
    text = read(src)
    m = re.search(r"struct option\s+\w+\[\]\s*=\s*\{(.*?)\n\s*\};", text, re.S)
    if not m:
        fail("%s: no getopt_long option table found" % src)
        return set()
    return set(OPT_ROW.findall(m.group(1)))


def help_options(binary):
    p = subprocess.run([binary, "--help"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=60)
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0:
        fail("%s --help exits %d" % (binary, p.returncode))
    return set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", out))


def check_options():
    for prog, (src, page) in sorted(PROGRAMS.items()):
        if not os.path.exists(os.path.join(ROOT, page)):
            fail("%s: no man page %s" % (prog, page))
            continue
        man = plain(read(page))
        documented = set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", man))
        opts = source_options(src)
        if prog in BINS:
            opts |= help_options(BINS[prog])
        if not opts:
            fail("%s: no options found (source %s)" % (prog, src))
        for o in sorted(opts - documented):
            fail("%s: option --%s is not in %s" % (prog, o, page))


# --- configuration schemas ---------------------------------------------------

KEYS_TABLE = re.compile(r"static const char \*const (\w+)\[\]\s*=\s*\{(.*?)\};", re.S)
SCHEMA_ROW = re.compile(r'\{\s*"([a-z0-9_]+)"\s*,\s*RT_CONF_\w+\s*,\s*(\w+)\s*,\s*(\w+)\s*\}')


SAMPLER_SOURCES = ["rt/*.c", "readers/fan/*.c", "readers/watchdog/*.c"]
SAMPLER_MUSTS = ("sampler", "sensor", "hwmon", "msr", "fan", "zone", "watchdog", "device")


def schemas(sources=SAMPLER_SOURCES, musts=SAMPLER_MUSTS):
    """section -> set of keys, from the tables the programs check files against."""
    tables, sections = {}, {}
    files = [f for g in sources for f in sorted(glob.glob(os.path.join(ROOT, g)))]
    backend_extra = None
    for path in files:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for name, body in KEYS_TABLE.findall(text):
            if name.endswith("_keys"):
                tables[name] = set(re.findall(r'"([a-z0-9_]+)"', body))
        for sec, keys, extra in SCHEMA_ROW.findall(text):
            sections.setdefault(sec, set()).update([keys] + ([extra] if extra != "NULL" else []))
        # The sampler's backends: .name and .keys of one struct sensor_ops.
        for body in re.findall(r"struct sensor_ops \w+\s*=\s*\{(.*?)\};", text, re.S):
            n = re.search(r'\.name\s*=\s*"([a-z0-9_]+)"', body)
            k = re.search(r"\.keys\s*=\s*(\w+)", body)
            if n and k:
                sections.setdefault(n.group(1), set()).add(k.group(1))
        m = re.search(r"ops->name\s*,\s*RT_CONF_\w+\s*,\s*ops->keys\s*,\s*(\w+)", text)
        if m:
            backend_extra = m.group(1)
    backends = [s for s in sections if s not in ("sampler", "sensor", "fan", "zone", "watchdog",
                                                 "target", "progress", "device")]
    if backend_extra:
        for b in backends:
            sections[b].add(backend_extra)
    out = {}
    for sec, names in sections.items():
        out[sec] = set()
        for n in names:
            if n not in tables:
                fail("schema of [%s]: key table %s not found" % (sec, n))
            else:
                out[sec] |= tables[n]
    for must in musts:
        if must not in out:
            fail("schema parse: section [%s] not found in the sources" % must)
    return out


def check_config_page(page=CONF_PAGE, sources=SAMPLER_SOURCES, musts=SAMPLER_MUSTS):
    """Every section and key of the schemas in @sources has its .SS and .TP in @page."""
    if not os.path.exists(os.path.join(ROOT, page)):
        fail("no man page %s" % page)
        return
    lines = plain(read(page)).splitlines()
    # [section] -> the text of its .SS block (up to the next .SS or .SH)
    blocks, cur = {}, None
    for ln in lines:
        if ln.startswith(".SH") or ln.startswith(".SS"):
            cur = None
            m = re.match(r'\.SS\s+"?\[([a-z0-9_]+)', ln)
            if m:
                cur = m.group(1)
                blocks.setdefault(cur, "")
            continue
        if cur:
            blocks[cur] += ln + "\n"
    for sec, keys in sorted(schemas(sources, musts).items()):
        if sec not in blocks:
            fail("%s: no subsection for [%s]" % (page, sec))
            continue
        # A key is documented when it is a term (the line after .TP) of its
        # section's list; one term may name several keys: "level_stale, level_crit".
        terms, blk = set(), blocks[sec].splitlines()
        for i, x in enumerate(blk):
            if x.startswith(".TP") and i + 1 < len(blk):
                for t in re.split(r"[ ,]+", re.sub(r"^\.\w+\s*", "", blk[i + 1])):
                    t = t.strip('"')
                    if re.fullmatch(r"[a-z0-9_]+", t):
                        terms.add(t)
        for k in sorted(keys - terms):
            fail("%s: key '%s' of [%s] is not documented there" % (page, k, sec))


# --- man(1) and lexgrog ------------------------------------------------------

def check_pages():
    pages = sorted(glob.glob(os.path.join(ROOT, "man", "*.[1-8]")))
    for tool in ("man", "lexgrog", "groff"):
        if not shutil.which(tool):
            fail("%s not found: the page checks need man-db and groff-base "
                 "(apt-get install man-db groff-base)" % tool)
            return
    if len(pages) < 7:
        fail("man/: %d pages, 7 expected" % len(pages))
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    for p in pages:
        r = subprocess.run(["man", "--warnings", "-l", "-Tutf8", p], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env, timeout=120)
        err = r.stderr.decode("utf-8", "replace").strip()
        if r.returncode != 0 or err:
            fail("man --warnings %s: exit %d: %s" % (os.path.basename(p), r.returncode, err))
        r = subprocess.run(["lexgrog", p], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=60)
        if r.returncode != 0:
            fail("lexgrog %s: %s" % (os.path.basename(p), r.stdout.decode().strip()))


# --- links and outside references -------------------------------------------

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def check_links():
    docs = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    for doc in docs:
        with open(doc, encoding="utf-8") as f:
            text = f.read()
        # Links in code spans and fenced blocks are text, not links.
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        text = re.sub(r"`[^`\n]*`", "", text)
        for target in LINK.findall(text):
            if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
                continue
            path = target.split("#", 1)[0]
            full = os.path.realpath(os.path.join(os.path.dirname(doc), path))
            rel = os.path.relpath(doc, ROOT)
            if os.path.isabs(path) or not (full == ROOT or full.startswith(ROOT + os.sep)):
                fail("%s: link (%s) points outside the repository" % (rel, target))
            elif not os.path.exists(full):
                fail("%s: link (%s): no such file" % (rel, target))


OUTSIDE = re.compile(r"\.\./shared\b|/work/shared|\bshared/(?:DESIGN|STYLE|hardware|fleet)\.md"
                     r"|(?<![\w/.])(?:DESIGN|STYLE)\.md")
TEXT_EXT = (".c", ".h", ".md", ".py", ".sh", ".txt", ".conf", ".service", ".cmake", ".1", ".5",
            ".8", ".json", ".yml", ".yaml")


BARE_HW = re.compile(r"(?<![\w/])hardware\.md")
HW_CITE = re.compile(r"docs/hardware\.md,?\s+§\s*(R?\d+(?:\.\d+)?)")


def check_outside_refs():
    me = os.path.realpath(__file__)
    hw_sections = set(re.findall(r"^#+\s+(R?\d+(?:\.\d+)?)[.\s]", read("docs/hardware.md"), re.M))
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel = os.path.relpath(dirpath, ROOT)
        dirnames[:] = [d for d in dirnames
                       if not (rel == "." and (d.startswith("build") or d == ".git"))
                       and not (rel == "bench" and d == "results")]
        for fn in filenames:
            if not (fn.endswith(TEXT_EXT) or fn == "CMakeLists.txt"):
                continue
            p = os.path.join(dirpath, fn)
            if os.path.realpath(p) == me:
                continue
            relp = os.path.relpath(p, ROOT)
            try:
                with open(p, encoding="utf-8", errors="replace") as f:
                    for n, ln in enumerate(f, 1):
                        if OUTSIDE.search(ln):
                            fail("%s:%d: refers outside the repository: %s"
                                 % (relp, n, ln.strip()[:100]))
                        # Outside docs/, the register reference is cited by its path,
                        # and every section cited exists.
                        if not relp.startswith("docs" + os.sep) and BARE_HW.search(ln):
                            fail("%s:%d: cite docs/hardware.md, not hardware.md: %s"
                                 % (relp, n, ln.strip()[:100]))
                        for sec in HW_CITE.findall(ln):
                            if sec not in hw_sections:
                                fail("%s:%d: docs/hardware.md has no section %s"
                                     % (relp, n, sec))
            except OSError:
                pass


check_options()
check_config_page()
check_config_page("man/sovereign-bmc.8", ["tools/bmc/conf.c"], ("bmc", "redfish", "host", "state"))
check_config_page("man/sovereign-fleet.8", ["tools/fleet/conf.c"], ("fleet", "emergency", "server"))
check_pages()
check_links()
check_outside_refs()
if failures:
    print("%d finding(s)" % len(failures))
    sys.exit(1)
print("documentation: every option, key and link accounted for; man pages clean")
