"""Every fixture stream through the real CLI, offline: root cause, construct path and source line as
expected, and `caught_by` equal to what `cdkcheck check` reports on the same assembly and stack."""

from __future__ import annotations

import json

import pytest
from why_support import APP, ASSEMBLY, CASES, WHY
from typer.testing import CliRunner

from cdkcheck.cli.main import app

pytestmark = pytest.mark.slow
REQUIRED = {"stack", "stack_id", "operation", "root_causes", "in_progress_at_rollback"}
CAUSE_KEYS = {"logical_id", "resource_type", "status", "reason", "timestamp", "construct_path", "source_location",
              "caught_by", "matched_rule"}


def _why(case: dict, *extra: str) -> tuple[int, dict]:
    args = ["why", case["stack"], "--app", str(APP), "--assembly", str(ASSEMBLY), "--offline", "-q",
            "--format", "json"]
    for file in case["events"]:
        args += ["--events", str(WHY / file)]
    result = CliRunner().invoke(app, [*args, *extra])
    return result.exit_code, json.loads(result.stdout)


def _check(stack: str) -> dict:
    result = CliRunner().invoke(app, ["check", "--app", str(APP), "--assembly", str(ASSEMBLY), "--stack", stack,
                                      "--offline", "-q", "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def _on_resource(finding: dict, stack: str, logical_id: str) -> bool:
    """On the resource, or naming it in the evidence (a subnet too small for it): as the issue asks."""
    return finding["stack"] == stack and (finding["logical_id"] == logical_id
                                          or f'"logical_id": "{logical_id}"' in json.dumps(finding["evidence"]))


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_root_causes_and_the_gate_agree_with_check(name):
    case = CASES[name]
    code, report = _why(case)
    assert REQUIRED <= set(report)
    if case["operation"] is None:
        assert code == 5 and report["operation"] is None and report["root_causes"] == []
        return
    assert code == 0
    assert [report["operation"]["type"], report["operation"]["final_status"]] == case["operation"]
    assert report["operation"]["started"] and report["operation"]["ended"]
    assert report["deleted"] is case["deleted"]
    assert report["in_progress_at_rollback"] == case["in_progress_at_rollback"]
    assert len(report["root_causes"]) == len(case["root_causes"])
    check = _check(case["stack"])["environments"][0]
    for got, expected in zip(report["root_causes"], case["root_causes"]):
        assert CAUSE_KEYS <= set(got)
        for key in ("logical_id", "construct_path", "source_location", "matched_rule"):
            assert got[key] == expected[key], key
        stack = case["stack"] + ("/Data" if got["nested_in"] else "")
        from_check = sorted((f["rule_id"], f["blocking"], f["message"]) for f in check["findings"]
                            if f["suppression"] is None and _on_resource(f, stack, got["logical_id"]))
        from_why = sorted((c["rule_id"], c["blocking"], c["message"]) for c in got["caught_by"]
                          if c["checked"] == "offline")
        assert from_why == from_check
    assert [c for c in report["checks"] if c["mode"] == "offline"][0]["status"] == "ran"


def test_the_gate_answers_for_the_seed_incident_and_the_uncovered_one():
    code, seed = _why(CASES["platform-create"])
    cause = seed["root_causes"][0]
    assert {c["rule_id"] for c in cause["caught_by"] if c["blocking"]} == {"CDKC-V5"}
    assert set(seed["in_progress_at_rollback"]) >= {"DatabaseB269D8BB", "Search14E54FC3"}
    assert cause["corpus_record"]["caught_by"] == ["CDKC-V5"]
    _, breaker = _why(CASES["circuit-breaker"])
    cause = breaker["root_causes"][0]
    assert cause["matched_rule"] is None and not [c for c in cause["caught_by"] if c["blocking"]]
    assert cause["catalogue"]["name"] == "ecs-circuit-breaker"


def test_text_and_markdown_tell_the_same_story():
    case = CASES["platform-create"]
    args = ["why", case["stack"], "--app", str(APP), "--assembly", str(ASSEMBLY), "--offline", "-q",
            "--events", str(WHY / case["events"][0])]
    text = CliRunner().invoke(app, args).stdout
    assert "x WebLB720665E7 AWS::ElasticLoadBalancingV2::LoadBalancer CREATE_FAILED" in text
    assert "Incident-Platform/Web/LB/Resource at incidents/platform.py:63" in text
    assert "the gate would have stopped this deploy: CDKC-V5 [cdkcheck, offline]" in text
    assert "DatabaseB269D8BB AWS::RDS::DBInstance: Incident-Platform/Database/Resource at incidents/platform.py:33" \
        in text
    markdown = CliRunner().invoke(app, [*args, "--format", "markdown"]).stdout
    assert markdown.startswith("## cdkcheck why: `Incident-Platform`")
    assert "| `WebLB720665E7` | `AWS::ElasticLoadBalancingV2::LoadBalancer` |" in markdown


def test_a_template_file_instead_of_the_app_gives_the_same_answer(tmp_path):
    case = CASES["search-nodes"]
    args = ["why", case["stack"], "--app", str(tmp_path), "--template",
            str(ASSEMBLY / "Incident-SearchNodes.template.json"), "--events", str(WHY / case["events"][0]),
            "--offline", "-q", "--format", "json"]
    report = json.loads(CliRunner().invoke(app, args).stdout)
    cause = report["root_causes"][0]
    assert cause["construct_path"] == "Incident-SearchNodes/Logs/Resource" and cause["source_location"] is None
    assert "CDKC-O5" in {c["rule_id"] for c in cause["caught_by"] if c["blocking"]}


def test_the_committed_assembly_is_what_the_app_synthesizes(tmp_path):
    from cdkcheck.app.synth import default_cache_root, read_cdk_app, synthesize

    outcome = synthesize(read_cdk_app(APP), extra_context={}, extra_env={}, cache_root=default_cache_root(),
                         timeout=600)
    assert outcome.assembly_dir is not None, outcome.failure
    committed_files = sorted(ASSEMBLY.glob("*.template.json")) + [ASSEMBLY / "cdkcheck-sources.json"]
    assert len(committed_files) == 13
    for committed in committed_files:  # the metadata files also hold the synth's temporary paths
        fresh = outcome.assembly_dir / committed.name
        assert json.loads(fresh.read_text()) == json.loads(committed.read_text()), committed.name


def test_a_secret_the_reason_quotes_is_masked(tmp_path):
    password = "Hunter2-very-secret-Passw0rd"
    template = {"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
        "Engine": "postgres", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20",
        "MasterUsername": "admin", "MasterUserPassword": password}}}}
    (tmp_path / "template.json").write_text(json.dumps(template))
    events = json.loads((WHY / "rds-storage.events.json").read_text())
    for event in events["StackEvents"]:
        if event["LogicalResourceId"] == "Reports65402A0A":
            event["LogicalResourceId"] = "Db"
            if event["ResourceStatus"] == "CREATE_FAILED":
                event["ResourceStatusReason"] = f"The parameter MasterUserPassword is not valid: {password}"
    (tmp_path / "events.json").write_text(json.dumps(events))
    result = CliRunner().invoke(app, ["why", "Incident-RdsStorage", "--app", str(tmp_path), "--template",
                                      str(tmp_path / "template.json"), "--events", str(tmp_path / "events.json"),
                                      "--offline", "-q", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert password not in result.output
    assert json.loads(result.stdout)["root_causes"][0]["reason"].endswith("is not valid: ***")
