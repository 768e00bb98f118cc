"""The shipped alert rules and Grafana dashboard: valid, and about metrics we export.

``promtool`` (Debian's ``prometheus`` package, installed by .ci/run) checks the rules,
runs their unit tests (deploy/prometheus/alerts_test.yml: each alert fires on the series
that should fire it) and parses every dashboard query as PromQL. Without promtool those
skip (fail under CI); the structural checks below run everywhere.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.conftest import REPO, missing

RULES = REPO / "deploy" / "prometheus" / "alerts.yml"
RULE_TESTS = REPO / "deploy" / "prometheus" / "alerts_test.yml"
DASHBOARD = REPO / "deploy" / "grafana" / "edi-gateway.json"
METRIC = re.compile(r"\b(edigw_[a-z0-9_]+)")
REQUIRED_ALERTS = {
    "EdiDeadLetters",
    "EdiBusinessExceptionsOverSlo",
    "EdiPartnerCertificateExpiring",
    "EdiOurCertificateExpiring",
    "EdiQueueBacklogGrowing",
    "EdiOdooUnreachable",
}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        missing("promtool is not installed (apt-get install prometheus)")
    return path


def exported_metrics() -> set[str]:
    """Every metric family name the gateway's collectors create (with their suffixes)."""
    names: set[str] = set()
    for source in (REPO / "gateway" / "api").glob("metrics*.py"):
        for name in re.findall(r'"(edigw_[a-z0-9_]+)"', source.read_text()):
            names |= {name, f"{name}_bucket", f"{name}_count", f"{name}_sum", f"{name}_total"}
    return names


def dashboard_queries() -> list[str]:
    data = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in data["panels"] for t in panel["targets"]]


def test_alert_rules_are_complete_and_name_exported_metrics() -> None:
    rules = yaml.safe_load(RULES.read_text())
    alerts = {r["alert"]: r for group in rules["groups"] for r in group["rules"]}
    assert set(alerts) >= REQUIRED_ALERTS
    assert alerts["EdiDeadLetters"]["for"] == "10m"
    for name, rule in alerts.items():
        assert rule["labels"]["severity"] in ("page", "ticket"), name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name
    used = {m for rule in alerts.values() for m in METRIC.findall(rule["expr"])}
    assert used and used <= exported_metrics(), used - exported_metrics()
    # our own certificates are covered, not only the partners'
    assert "edigw_our_certificate_days_left" in alerts["EdiOurCertificateExpiring"]["expr"]


def test_dashboard_is_valid_grafana_json_about_exported_metrics() -> None:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text())
    ids = [panel["id"] for panel in data["panels"]]
    assert len(ids) == len(set(ids)) and data["uid"] == "edi-gateway"
    for panel in data["panels"]:
        assert set(panel["gridPos"]) == {"x", "y", "w", "h"}
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
        assert panel["targets"], panel["title"]
    used = {m for expr in dashboard_queries() for m in METRIC.findall(expr)}
    assert used <= exported_metrics(), used - exported_metrics()
    for needed in (
        "edigw_business_exceptions_open",
        "edigw_bills_held_amount",
        "edigw_off_contract_value_total",
        "edigw_off_contract_lines_total",
        "edigw_dead_letters",
        "edigw_our_certificate_days_left",
        "edigw_async_mdns_overdue",
        "edigw_security_events_total",
    ):
        assert needed in used


def test_promtool_checks_the_rules_and_their_unit_tests() -> None:
    tool = promtool()
    checked = subprocess.run(
        [tool, "check", "rules", str(RULES)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert (
        f"SUCCESS: {len(yaml.safe_load(RULES.read_text())['groups'][0]['rules'])} rules found"
        in (checked.stdout + checked.stderr)
    )
    tested = subprocess.run(
        [tool, "test", "rules", str(RULE_TESTS)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=RULE_TESTS.parent,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_promtool_parses_every_dashboard_query(tmp_path: Path) -> None:
    tool = promtool()
    # promtool parses PromQL in rule files: one recording rule per dashboard query
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query_{n}", "expr": expr}
                    for n, expr in enumerate(dashboard_queries())
                ],
            }
        ]
    }
    path = tmp_path / "dashboard_rules.yml"
    path.write_text(yaml.safe_dump(rules))
    checked = subprocess.run(
        [tool, "check", "rules", str(path)], check=False, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_promtool_would_catch_a_broken_rule(tmp_path: Path) -> None:
    """The check above can fail: a rule with bad PromQL is refused."""
    tool = promtool()
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "groups:\n  - name: x\n    rules:\n      - alert: Broken\n"
        "        expr: sum by (kind (edigw_dead_letters) > 0\n"
    )
    checked = subprocess.run(
        [tool, "check", "rules", str(broken)],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode != 0
