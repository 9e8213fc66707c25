"""deploy/prometheus and deploy/grafana: the alert rules pass `promtool check rules` and
their unit tests (`promtool test rules`), every query of the dashboard parses (checked by
promtool as recording rules), and every Cabinet metric they name is one Cabinet serves.

promtool is built from Prometheus's Go module by `make promtool` into .stack/bin."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client import REGISTRY

import cabinet_common.observability.metrics  # noqa: F401  (registers Cabinet's metrics)

ROOT = Path(__file__).resolve().parents[2]
PROMTOOL = ROOT / ".stack" / "bin" / "promtool"
RULES = ROOT / "deploy" / "prometheus" / "cabinet-alerts.yaml"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "tests" / "cabinet-alerts.test.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "cabinet-dashboard.json"
ALERTS = {
    "CabinetRecordDeadLettered",
    "CabinetOutboxStuck",
    "CabinetConsumerLagGrowing",
    "CabinetWorkflowTaskFailures",
    "CabinetAcknowledgementsStalled",
    "CabinetOverdueObligationsClimbing",
}


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if not PROMTOOL.exists():
        pytest.fail(f"{PROMTOOL.relative_to(ROOT)} is missing: run `make promtool`")
    return subprocess.run([str(PROMTOOL), *args], capture_output=True, text=True, cwd=ROOT)


def rule_expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def test_the_alert_rules_are_valid() -> None:
    result = promtool("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_alert_rules_pass_their_unit_tests() -> None:
    result = promtool("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr
    tested = set(re.findall(r"alertname: (\w+)", RULE_TESTS.read_text()))
    assert tested == ALERTS


def test_every_dashboard_query_parses(tmp_path: Path) -> None:
    dashboard_values = {"$department": ".*", "$form_type": ".*", "$period": ".*"}
    rules = []
    for number, expr in enumerate(dashboard_expressions()):
        for variable, value in dashboard_values.items():
            expr = expr.replace(variable, value)
        rules.append({"record": f"cabinet:dashboard_query_{number}", "expr": expr})
    checked = tmp_path / "dashboard-queries.yaml"
    checked.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    result = promtool("check", "rules", str(checked))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_and_dashboard_name_only_metrics_cabinet_serves() -> None:
    served = {sample.name for family in REGISTRY.collect() for sample in family.samples} | {
        f"{family.name}{suffix}"
        for family in REGISTRY.collect()
        for suffix in ("", "_total", "_bucket", "_count", "_sum")
    }
    named = {
        name
        for expr in rule_expressions() + dashboard_expressions()
        for name in re.findall(r"\bcabinet_[a-z_]+", expr)
    }
    assert named, "no Cabinet metric named at all"
    assert named <= served, f"not served: {sorted(named - served)}"
