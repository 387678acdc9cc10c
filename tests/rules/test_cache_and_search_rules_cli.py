"""The ElastiCache and OpenSearch policy/standby rules through the real CLI, on their fixture templates.

One cloud assembly holds each rule's `fail` and `pass` template as its own stack, one
environment per stack, so a single `cdkcheck check --assembly` run (cfn-lint and checkov
included) gives every verdict: the fail stack is NO-GO because of the rule, at the
fixture's construct path; the pass stack has no finding and no UNKNOWN from it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdkcheck.cli.main import app

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "rules"
RULES = ("CDKC-E1", "CDKC-E2", "CDKC-E3", "CDKC-E4", "CDKC-O10", "CDKC-O11")
ACCOUNT, REGION = "123456789012", "us-east-1"


def _stack_name(rule_id: str, kind: str) -> str:
    return f"{rule_id.replace('-', '')}-{kind.title()}"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("rules-cli")
    out = root / "cdk.out"
    out.mkdir()
    artifacts, environments, paths = {}, [], {}
    for rule_id in RULES:
        for kind in ("fail", "pass"):
            name = _stack_name(rule_id, kind)
            template = json.loads((FIXTURES / rule_id / f"{kind}.template.json").read_text())
            for resource in template["Resources"].values():  # construct paths under this stack's name
                path = resource.get("Metadata", {}).get("aws:cdk:path")
                if path:
                    resource["Metadata"]["aws:cdk:path"] = f"{name}/{path.split('/', 1)[1]}"
            paths[name] = {lid: r.get("Metadata", {}).get("aws:cdk:path") for lid, r in template["Resources"].items()}
            (out / f"{name}.template.json").write_text(json.dumps(template))
            artifacts[name] = {"type": "aws:cloudformation:stack", "environment": f"aws://{ACCOUNT}/{REGION}",
                               "properties": {"templateFile": f"{name}.template.json"}}
            environments.append(f'[environments.{name.lower()}]\nstacks = ["{name}"]\n')
    (out / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": artifacts}))
    config = root / "cdkcheck.toml"
    config.write_text("\n".join(environments))
    result = CliRunner().invoke(app, ["check", "--assembly", str(out), "--config", str(config), "--offline",
                                      "--format", "json", "--quiet"], catch_exceptions=False)
    document = json.loads(result.output)
    assert result.exit_code == document["exit_code"] == 1  # the fail stacks are NO-GO
    return {"environments": {e["name"]: e for e in document["environments"]}, "paths": paths}


@pytest.mark.parametrize("rule_id", RULES)
def test_fail_fixture_is_no_go_because_of_the_rule(report, rule_id):
    environment = report["environments"][_stack_name(rule_id, "fail").lower()]
    assert environment["verdict"] == "NO-GO"
    expected = json.loads((FIXTURES / rule_id / "fail.expected.json").read_text())
    ours = [f for f in environment["findings"] if f["rule_id"] == rule_id]
    assert ours and all(f["blocking"] for f in ours), ours
    name = _stack_name(rule_id, "fail")
    assert {f["construct_path"] for f in ours} == {report["paths"][name][lid] for lid in expected["logical_ids"]}
    for fragment in expected.get("messages_contain", []):
        assert any(fragment in f["message"] for f in ours), fragment


@pytest.mark.parametrize("rule_id", RULES)
def test_pass_fixture_draws_nothing_from_the_rule(report, rule_id):
    environment = report["environments"][_stack_name(rule_id, "pass").lower()]
    assert not [f for f in environment["findings"] if f["rule_id"] == rule_id]
    assert not [c for c in environment["checks"] if rule_id in json.dumps(c) and c.get("status") == "unknown"]
