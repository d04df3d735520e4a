#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# test_static.py BUILD - the shipped monitoring configuration, without
# running it: the Grafana dashboard's structure (uid, panels, gridPos,
# targets, datasource, templating node and rack), every PromQL expression of
# it parsed by promtool check rules, every alert tested by alerts_test.yml
# both firing and not firing, and a runbook section per alert.
import os
import re
import subprocess
import sys

import yaml

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dashboard  # noqa: E402

BUILD = sys.argv[1]
SRC = dashboard.SRC
failures = 0


def check(cond, what):
    global failures
    print("%s %s" % ("ok  " if cond else "FAIL", what), flush=True)
    if not cond:
        failures += 1
    return cond


def dashboard_structure(d):
    check(d.get("uid") == "sovereign-fleet", "stable uid sovereign-fleet")
    check(d.get("id") is None, "id null (provisioned dashboards get theirs from Grafana)")
    for k in ("title", "schemaVersion", "panels", "templating", "time", "refresh"):
        check(k in d, "dashboard has %s" % k)
    check(len(d["panels"]) >= 10, "%d panels" % len(d["panels"]))
    ids = [p.get("id") for p in d["panels"]]
    check(len(set(ids)) == len(ids) and None not in ids, "panel ids unique")
    cells = set()
    for p in d["panels"]:
        g = p.get("gridPos", {})
        ok = all(isinstance(g.get(k), int) for k in "xywh") and g["x"] >= 0 and g["w"] > 0 \
            and g["x"] + g["w"] <= 24 and g["h"] > 0
        check(ok, "panel %r: gridPos inside the 24 columns" % p.get("title"))
        if ok:
            mine = {(x, y) for x in range(g["x"], g["x"] + g["w"])
                    for y in range(g["y"], g["y"] + g["h"])}
            check(not (mine & cells), "panel %r overlaps no other" % p["title"])
            cells |= mine
        check(p.get("type") in ("stat", "timeseries", "heatmap", "gauge", "table", "bargauge"),
              "panel %r: a known type (%s)" % (p.get("title"), p.get("type")))
        check(p.get("datasource") == {"type": "prometheus", "uid": "${datasource}"},
              "panel %r: the $datasource Prometheus" % p.get("title"))
        t = p.get("targets") or []
        check(t and all(x.get("expr") and x.get("refId") for x in t),
              "panel %r: targets with expr and refId" % p.get("title"))
        check(all(re.search(r'\$node\b', x["expr"]) and re.search(r'\$rack\b', x["expr"])
                  for x in t), "panel %r: every target filtered by $node and $rack" % p.get("title"))
    vars_ = {v["name"]: v for v in d["templating"]["list"]}
    check(vars_.get("datasource", {}).get("type") == "datasource"
          and vars_["datasource"].get("query") == "prometheus", "a Prometheus datasource variable")
    for n in ("node", "rack"):
        v = vars_.get(n, {})
        check(v.get("type") == "query" and v.get("includeAll") and v.get("multi")
              and v.get("allValue") == ".*", "variable %s: query, multi, All = .*" % n)
    check("rack" in str(vars_.get("node", {}).get("query")), "node variable follows $rack")
    want = {"heatmap": "Tctl heatmap", "sovereign:package_power_watts": "power per node",
            "sum(sovereign:package_power_watts": "total power", "sovereign_fan_rpm": "fans",
            "sovereign_fan_duty_ratio": "fan duty", "sovereign_smi_total": "SMIs",
            "sovereign_sampler_overruns_total": "overruns", "sampler-wake-ns": "jitter",
            "sovereign_inference_active": "inference", "count by (state)": "nodes by state"}
    text = str(d["panels"])
    for k, what in want.items():
        check(k in text, "the dashboard shows %s (%s)" % (what, k))


def promtool(*args):
    r = subprocess.run(["promtool"] + list(args), capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def exprs_parse(d):
    path = os.path.join(BUILD, "dashboard-exprs.rules.yml")
    with open(path, "w") as f:
        f.write(dashboard.rules_file(d))
    n = len(dashboard.panel_exprs(d)) + len(dashboard.variable_exprs(d))
    rc, out = promtool("check", "rules", path)
    check(rc == 0 and ("%d rules found" % n) in out,
          "promtool check rules parses the dashboard's %d expressions (%s)" % (n, out.strip()))
    # and a wrong one is refused: the check can fail
    with open(path + ".bad", "w") as f:
        f.write("groups:\n  - name: bad\n    rules:\n      - record: x\n        expr: 'rate(up[1m]'\n")
    rc, _ = promtool("check", "rules", path + ".bad")
    check(rc != 0, "promtool check rules refuses an expression that does not parse")


def alerts_tested():
    with open(os.path.join(SRC, "tools/deploy/prometheus/sovereign-alerts.yml")) as f:
        alerts = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"] if "alert" in r]
    with open(os.path.join(SRC, "tests/monitoring/alerts_test.yml")) as f:
        tests = [a for t in yaml.safe_load(f)["tests"] for a in t.get("alert_rule_test", [])]
    with open(os.path.join(SRC, "docs/runbook.md")) as f:
        anchors = {re.sub(r"[^a-z0-9 -]", "", l[3:].strip().lower()).replace(" ", "-")
                   for l in f if l.startswith("## ")}
    check(len(alerts) >= 15, "%d alerts" % len(alerts))
    for a in alerts:
        n = a["alert"]
        fire = [t for t in tests if t["alertname"] == n and t.get("exp_alerts")]
        quiet = [t for t in tests if t["alertname"] == n and not t.get("exp_alerts")]
        check(fire, "%s: a unit test where it fires" % n)
        check(quiet or n == "SovereignInMaintenance" and fire,
              "%s: a unit test where it does not fire yet" % n)
        lab, ann = a.get("labels", {}), a.get("annotations", {})
        check(lab.get("severity") in ("critical", "warning", "none"), "%s: severity" % n)
        check(ann.get("summary") and ann.get("description"), "%s: summary and description" % n)
        url = ann.get("runbook_url", "")
        check(url == "docs/runbook.md#" + n.lower() and n.lower() in anchors,
              "%s: runbook_url %s is a section of docs/runbook.md" % (n, url))
        check(all(e["exp_annotations"].get("runbook_url") == url for t in fire
                  for e in t["exp_alerts"]), "%s: its tests check its annotations" % n)


def main():
    d = dashboard.load()
    dashboard_structure(d)
    exprs_parse(d)
    alerts_tested()
    print("%s, %d failure(s)" % ("FAILED" if failures else "passed", failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
