# SPDX-License-Identifier: GPL-2.0-or-later
# dashboard.py - what tests/monitoring reads from the shipped Grafana
# dashboard: its PromQL expressions (panel targets and the variables'
# label_values() selectors), as written and with Grafana's variables replaced
# by what "All" gives ($rack, $node -> .*) so Prometheus can run them.
import json
import os
import re

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DASHBOARD = os.path.join(SRC, "tools/deploy/grafana/dashboards/sovereign-fleet.json")


def load(path=DASHBOARD):
    with open(path) as f:
        return json.load(f)


def panel_exprs(d):
    """[(panel title, refId, expr)] of every panel target."""
    return [(p["title"], t["refId"], t["expr"]) for p in d["panels"] for t in p.get("targets", [])]


def variable_exprs(d):
    """[(variable name, selector)] of every label_values(SELECTOR, label) query."""
    out = []
    for v in d["templating"]["list"]:
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.match(r"label_values\((.*),\s*\w+\)$", q or "")
        if m:
            out.append((v["name"], m.group(1)))
    return out


def runnable(expr, rate_interval="1m"):
    """@expr with Grafana's variables replaced as the "All" choice does."""
    expr = expr.replace("$__rate_interval", rate_interval)
    return re.sub(r"\$\{?(rack|node)\}?", ".*", expr)


def rules_file(d):
    """A Prometheus rules file holding every expression as a recording rule,
    for promtool check rules (it parses each one)."""
    lines = ["groups:", "  - name: sovereign-dashboard-exprs", "    rules:"]
    for i, (_, _, e) in enumerate(panel_exprs(d) + [(n, "", s) for n, s in variable_exprs(d)]):
        lines += ["      - record: dashboard:expr_%d" % i, "        expr: %s" % json.dumps(runnable(e))]
    return "\n".join(lines) + "\n"
