"""Referenced secrets and parameters (CDKC-L10) and named-resource collisions (CDKC-L6) through the CLI.

The real `cdkcheck` command runs against a cloud assembly holding the rule fixtures' templates, with a
moto server as the account (seeded from the fixtures' seeds); `cdkcheck snapshot` records the new facts
and `--facts` replays them with no AWS call.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from moto_account import free_port
from typer.testing import CliRunner

from cdkcheck.cli.main import app

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "rules"


def _assembly(directory: Path, template: Path, account: str, saved: dict | None = None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    text = template.read_text()
    for name, value in (saved or {}).items():  # "${name}": a value the seed saved (a secret's complete ARN)
        text = text.replace("${" + name + "}", str(value))
    (directory / "ProdCourtcase.template.json").write_text(text)
    (directory / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {"ProdCourtcase": {
        "type": "aws:cloudformation:stack", "environment": f"aws://{account}/us-east-1",
        "properties": {"templateFile": "ProdCourtcase.template.json"}}}}))
    return directory


def _run(assembly: Path, *extra: str) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["prod", "--assembly", str(assembly), "--format", "json", "-q", *extra])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output[result.output.index("{"):])


def _findings(report: dict, rule_id: str) -> list[str]:
    return sorted(f["message"] for f in report["environments"][0]["findings"] if f["rule_id"] == rule_id)


def _unknown(report: dict, rule_id: str) -> list[str]:
    return [c["reason"] for c in report["environments"][0]["checks"]
            if c["check"] == f"rule:{rule_id}" and c["status"] == "unknown"]


def _seeded(aws, case: str):
    account = aws("123456789012")
    account.seed(json.loads((FIXTURES / f"{case}.seed.json").read_text()))
    return account


@pytest.mark.slow
def test_cdkc_l10_missing_and_scheduled_secrets_and_missing_parameters_are_no_go(aws, tmp_path):
    account = _seeded(aws, "CDKC-L10/fail")
    assembly = _assembly(tmp_path / "cdk.out", FIXTURES / "CDKC-L10" / "fail.template.json", account.account)
    code, report = _run(assembly)
    assert code == 1 and report["environments"][0]["verdict"] == "NO-GO"
    messages = "\n".join(_findings(report, "CDKC-L10"))
    assert "secret:ci/registry' (ECS repository credentials) does not exist" in messages
    assert "'courtcase/legacy-token' (dynamic reference {{resolve:secretsmanager:...}}) is scheduled for deletion" \
        in messages
    assert "SSM parameter '/courtcase/db-host' (dynamic reference {{resolve:ssm:...}}) does not exist" in messages
    assert "SSM parameter '/courtcase/image-tag' (SSM parameter type) does not exist" in messages
    # an existing secret named by a partial ARN in ECS: a warning, not "missing"
    assert "names secret 'courtcase/api-key' by a partial ARN" in messages
    assert "'courtcase/api-key' (" not in messages
    # present ones, and the ones the deploy creates itself, are not reported
    for fine in ("opensearch-master", "feature-flags", "DbSecret"):
        assert fine not in messages
    assert not _unknown(report, "CDKC-L10")


@pytest.mark.slow
def test_cdkc_l10_present_secrets_and_parameters_pass(aws, tmp_path):
    account = _seeded(aws, "CDKC-L10/pass")
    assembly = _assembly(tmp_path / "cdk.out", FIXTURES / "CDKC-L10" / "pass.template.json", account.account,
                         account.saved)
    # The OpenSearch domain's instance-type check (CDKC-L4) asks what moto does not serve, and the domain's
    # service-linked role (CDKC-L5) is not seeded: neither is this test's subject.
    config = tmp_path / "cdkcheck.toml"
    config.write_text('[environments.prod]\nrules.CDKC-L4 = { enabled = false }\nrules.CDKC-L5 = { enabled = false }\n')
    _, report = _run(assembly, "--config", str(config))
    assert _findings(report, "CDKC-L10") == []
    assert not _unknown(report, "CDKC-L10")
    assert report["environments"][0]["verdict"] == "GO", report["environments"][0]["findings"]


@pytest.mark.slow
def test_cdkc_l6_collisions_of_every_new_kind_are_no_go(aws, tmp_path):
    account = _seeded(aws, "CDKC-L6/fail-named")
    assembly = _assembly(tmp_path / "cdk.out", FIXTURES / "CDKC-L6" / "fail-named.template.json", account.account)
    code, report = _run(assembly)
    assert code == 1
    messages = "\n".join(_findings(report, "CDKC-L6"))
    for expected in ("AWS::SecretsManager::Secret Name 'courtcase/staging/db' already exists",
                     "Name 'courtcase/api-token' belongs to a secret scheduled for deletion",
                     "AWS::SSM::Parameter Name '/courtcase/endpoint' already exists",
                     "AWS::CloudWatch::Dashboard DashboardName 'courtcase' already exists",
                     "AWS::CloudWatch::Alarm AlarmName 'courtcase-5xx' already exists",
                     "AWS::DynamoDB::Table TableName 'courtcase-cases' already exists",
                     "AWS::Lambda::Function FunctionName 'courtcase-worker' already exists",
                     "AWS::ECR::Repository RepositoryName 'courtcase/api' already exists",
                     "AWS::Kinesis::Stream Name 'courtcase-events' was not checked"):
        assert expected in messages, messages
    severities = {f["message"].split(" ")[0] + f["severity"] for f in report["environments"][0]["findings"]
                  if f["rule_id"] == "CDKC-L6"}
    assert "AWS::Kinesis::Streaminfo" in severities  # not checked: said so, not blocking, not passed silently


@pytest.mark.slow
def test_cdkc_l6_free_names_pass(aws, tmp_path):
    account = _seeded(aws, "CDKC-L6/pass-named")
    assembly = _assembly(tmp_path / "cdk.out", FIXTURES / "CDKC-L6" / "pass-named.template.json", account.account)
    _, report = _run(assembly)
    assert _findings(report, "CDKC-L6") == []
    assert not _unknown(report, "CDKC-L6")


@pytest.mark.slow
def test_snapshot_records_and_replays_secret_and_name_facts(aws, tmp_path, monkeypatch, sent_operations):
    account = _seeded(aws, "CDKC-L10/fail")
    account.seed(json.loads((FIXTURES / "CDKC-L6" / "fail-named.seed.json").read_text()))
    resources = {}
    for template in (FIXTURES / "CDKC-L10" / "fail.template.json", FIXTURES / "CDKC-L6" / "fail-named.template.json"):
        body = json.loads(template.read_text())
        resources.update(body["Resources"])
        parameters = body.get("Parameters", {})
    combined = tmp_path / "combined.template.json"
    combined.write_text(json.dumps({"Parameters": parameters, "Resources": resources}))
    assembly = _assembly(tmp_path / "cdk.out", combined, account.account)
    _, live = _run(assembly)
    facts_file = tmp_path / "facts.json"
    recorded = CliRunner().invoke(app, ["snapshot", "prod", "--assembly", str(assembly), "-o", str(facts_file), "-q"])
    assert recorded.exit_code == 0, recorded.output
    questions = {f["question"] for f in json.loads(facts_file.read_text())["environments"]["prod"]["facts"]}
    assert {"secrets", "ssm_parameters", "existing_names"} <= questions
    assert "not-a-real-secret" not in facts_file.read_text()  # metadata only, never a value

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # no account any more
    sent_before = len(sent_operations)
    _, replayed = _run(assembly, "--facts", str(facts_file))
    assert len(sent_operations) == sent_before
    for rule_id in ("CDKC-L10", "CDKC-L6"):
        assert _findings(replayed, rule_id) == _findings(live, rule_id) != []
        assert not _unknown(replayed, rule_id)
