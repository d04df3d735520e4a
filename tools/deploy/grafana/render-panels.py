#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# render-panels.py PROMETHEUS_URL OUTDIR [--minutes N] [--dashboard FILE]
#
# Draws the main panels of the Sovereign fleet dashboard as PNG files with
# gnuplot, from a Prometheus's HTTP API (query_range), so the fleet view can
# be looked at without a Grafana: every timeseries panel becomes a line plot
# (one line per series, Grafana's legend format as titles) and the thermal
# heatmap a nodes x time image.  $rack and $node are "All"; $__rate_interval
# is 4 steps.  Prints one line per PNG written; exit 1 if a panel had no data
# or gnuplot failed.  Needs python3 and gnuplot (pngcairo terminal).
import argparse
import json
import math
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def query_range(url, expr, start, end, step):
    q = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(url.rstrip("/") + "/api/v1/query_range?" + q, timeout=30) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError("%s: %s" % (expr, body))
    return body["data"]["result"]


def legend(fmt, metric):
    s = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: metric.get(m.group(1), ""), fmt or "")
    return s.strip() or json.dumps(metric, sort_keys=True)


def slug(title):
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60]


def runnable(expr, step):
    expr = expr.replace("$__rate_interval", "%ds" % max(4 * step, 60))
    return re.sub(r"\$\{?(rack|node)\}?", ".*", expr)


def gp_quote(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def plot_lines(panel, series, out, data):
    unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
    cmds = ["set terminal pngcairo size 1000,420 font 'sans,9'",
            "set output %s" % gp_quote(out),
            "set title %s" % gp_quote(panel["title"]),
            "set xdata time", "set timefmt '%s'", "set format x '%H:%M:%S'",
            "set grid", "set key outside right top", "set ylabel %s" % gp_quote(unit)]
    plots = []
    for i, (name, points) in enumerate(series):
        path = "%s.%d.dat" % (data, i)
        with open(path, "w") as f:
            for t, v in points:
                f.write("%d %s\n" % (t, v))
        plots.append("%s using 1:2 with lines lw 2 title %s" % (gp_quote(path), gp_quote(name)))
    cmds.append("plot " + ", ".join(plots))
    return cmds


def plot_heatmap(panel, series, out, data):
    times = sorted({t for _, pts in series for t, _ in pts})
    names = [n for n, _ in series]
    path = data + ".dat"
    with open(path, "w") as f:
        for row, (_, pts) in enumerate(series):
            got = dict(pts)
            for t in times:
                v = got.get(t)
                f.write("%d %d %s\n" % (t, row, v if v is not None else "NaN"))
            f.write("\n")
    ytics = ", ".join("%s %d" % (gp_quote(n), i) for i, n in enumerate(names))
    return ["set terminal pngcairo size 1000,%d font 'sans,9'" % (160 + 40 * len(names)),
            "set output %s" % gp_quote(out), "set title %s" % gp_quote(panel["title"]),
            "set xdata time", "set timefmt '%s'", "set format x '%H:%M:%S'",
            "set ytics (%s)" % ytics, "set yrange [-0.5:%f]" % (len(names) - 0.5),
            "set cblabel '°C'", "set palette rgbformulae 22,13,-31",
            "plot %s using 1:2:3 with image notitle" % gp_quote(path)]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("prometheus")
    ap.add_argument("outdir")
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--step", type=int, default=0, help="seconds; default minutes*60/300")
    ap.add_argument("--dashboard", default=os.path.join(HERE, "dashboards/sovereign-fleet.json"))
    a = ap.parse_args()
    with open(a.dashboard) as f:
        dash = json.load(f)
    os.makedirs(a.outdir, exist_ok=True)
    end = int(time.time())
    start = end - int(a.minutes * 60)
    step = a.step or max(1, int(a.minutes * 60 / 300))
    rc = 0
    for panel in dash["panels"]:
        if panel["type"] not in ("timeseries", "heatmap"):
            continue
        series = []
        for t in panel["targets"]:
            for s in query_range(a.prometheus, runnable(t["expr"], step), start, end, step):
                pts = [(int(float(ts)), float(v)) for ts, v in s["values"]
                       if math.isfinite(float(v))]
                series.append((legend(t.get("legendFormat"), s["metric"]), pts))
        name = slug(panel["title"])
        out = os.path.join(a.outdir, name + ".png")
        if not any(p for _, p in series):
            print("%s: no data" % panel["title"], file=sys.stderr)
            rc = 1
            continue
        series.sort()
        data = os.path.join(a.outdir, name)
        cmds = (plot_heatmap if panel["type"] == "heatmap" else plot_lines)(panel, series, out, data)
        r = subprocess.run(["gnuplot"], input="\n".join(cmds) + "\n", text=True,
                           capture_output=True)
        if r.returncode != 0 or not os.path.exists(out):
            print("%s: gnuplot failed: %s" % (panel["title"], r.stderr.strip()), file=sys.stderr)
            rc = 1
            continue
        print("%s %d series %s" % (out, len(series), panel["title"]))
    return rc


if __name__ == "__main__":
    sys.exit(main())
