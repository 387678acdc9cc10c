"""`cdkcheck snapshot` records the facts the checks read; `--facts FILE` replays them with no AWS call."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from moto_account import free_port
from typer.testing import CliRunner

from cdkcheck.cli.main import app
from cdkcheck.config import EnvironmentConfig
from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.facts.live import open_account
from cdkcheck.facts.live.record import RecordingFacts, environment_entry, load_replay, snapshot_document

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "rules"


def _assembly(directory: Path, account: str) -> Path:
    """A small cloud assembly: three Elastic IPs, a VPC OpenSearch domain, a named log group."""
    resources = {}
    for name in ("CDKC-L1/fail", "CDKC-L5/fail", "CDKC-L6/fail"):
        resources.update(json.loads((FIXTURES / f"{name}.template.json").read_text())["Resources"])
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Prod-Stack.template.json").write_text(json.dumps({"Resources": resources}))
    (directory / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {"Prod-Stack": {
        "type": "aws:cloudformation:stack", "environment": f"aws://{account}/us-east-1",
        "properties": {"templateFile": "Prod-Stack.template.json", "requiresBootstrapStackVersion": 6,
                       "bootstrapStackVersionSsmParameter": "/cdk-bootstrap/hnb659fds/version"}}}}))
    return directory


def test_recorded_answers_replay_identically(aws, tmp_path):
    account = aws()
    account.client("ec2").allocate_address(Domain="vpc")
    recorder = RecordingFacts(open_account(EnvironmentConfig(name="prod"), "us-east-1"))
    answers = {
        ("usage", "ec2:elastic-ips"): recorder.usage("ec2:elastic-ips"),
        ("availability_zones",): recorder.availability_zones(),
        ("role_exists", "AWSServiceRoleForECS"): recorder.role_exists("AWSServiceRoleForECS"),
        ("deployed_stack", "Nope"): recorder.deployed_stack("Nope"),
        ("existing_names", "log-group", ("/a",)): recorder.existing_names("log-group", ("/a",)),
        ("quota", "vpc", "L-F678F1CE"): recorder.quota("vpc", "L-F678F1CE"),
    }
    with pytest.raises(FactUnavailable):
        recorder.usage("no-such-metric")
    path = tmp_path / "facts.json"
    entry = environment_entry(account=account.account, region="us-east-1", recorder=recorder)
    path.write_text(json.dumps(snapshot_document({"prod": entry})))
    replay = load_replay(path, "prod")
    for (question, *args), answer in answers.items():
        assert getattr(replay, question)(*args) == answer
    with pytest.raises(FactUnavailable, match="no way to count usage metric"):
        replay.usage("no-such-metric")
    with pytest.raises(FactUnavailable, match="holds no answer to usage"):
        replay.usage("ec2:vpcs")
    with pytest.raises(FactUnavailable, match="no facts for environment 'staging'"):
        load_replay(path, "staging")


@pytest.mark.slow
def test_snapshot_then_replay_gives_the_live_verdict_without_aws(aws, tmp_path, monkeypatch, sent_operations):
    account = aws("123456789012")
    for _ in range(3):
        account.client("ec2").allocate_address(Domain="vpc")
    assembly = _assembly(tmp_path / "cdk.out", account.account)
    runner = CliRunner()
    live = runner.invoke(app, ["prod", "--assembly", str(assembly), "--format", "json", "-q"])
    assert live.exit_code == 1, live.output
    facts_file = tmp_path / "facts.json"
    recorded = runner.invoke(app, ["snapshot", "prod", "--assembly", str(assembly), "-o", str(facts_file), "-q"])
    assert recorded.exit_code == 0, recorded.output
    assert "facts recorded (account 123456789012 us-east-1)" in recorded.output

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # no account any more
    sent_before = len(sent_operations)
    replayed = runner.invoke(app, ["prod", "--assembly", str(assembly), "--facts", str(facts_file),
                                   "--format", "json", "-q"])
    assert replayed.exit_code == 1, replayed.output
    assert len(sent_operations) == sent_before

    def live_findings(output: str):
        report = json.loads(output[output.index("{"):])
        return sorted((f["rule_id"], f["message"]) for f in report["environments"][0]["findings"]
                      if f["rule_id"].startswith("CDKC-L"))

    assert live_findings(replayed.output) == live_findings(live.output)
    rule_ids = {rule_id for rule_id, _ in live_findings(replayed.output)}
    assert {"CDKC-L1", "CDKC-L5", "CDKC-L8"} <= rule_ids


def test_missing_snapshot_file_is_a_usage_error(tmp_path):
    assembly = _assembly(tmp_path / "cdk.out", "123456789012")
    result = CliRunner().invoke(app, ["prod", "--assembly", str(assembly), "--facts", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "facts snapshot not found" in result.output


@pytest.mark.slow
def test_the_missing_snapshot_hint_records_the_snapshot_the_run_needs(aws, tmp_path):
    account = aws("123456789012")
    assembly = _assembly(tmp_path / "cdk.out", account.account)
    facts = tmp_path / "my facts.json"
    runner = CliRunner()
    failed = runner.invoke(app, ["prod", "--assembly", str(assembly), "--facts", str(facts), "-q"])
    assert failed.exit_code == 2
    hinted = re.search(r"`(cdkcheck [^`]+)`", failed.output).group(1)
    recorded = runner.invoke(app, shlex.split(hinted)[1:] + ["-q"])
    assert recorded.exit_code == 0, recorded.output
    replayed = runner.invoke(app, ["prod", "--assembly", str(assembly), "--facts", str(facts), "-q"])
    assert replayed.exit_code == 1, replayed.output  # the live findings of the assembly, from the snapshot


@pytest.mark.slow
def test_committed_courtcase_snapshot_shows_live_findings(synth_cache, tmp_path):
    app_dir = tmp_path / "courtcase"
    shutil.copytree(REPO / "fixtures" / "apps" / "courtcase", app_dir,
                    ignore=shutil.ignore_patterns("cdk.out", "__pycache__"))
    result = CliRunner().invoke(app, ["production", "--app", str(app_dir), "--facts",
                                      str(REPO / "fixtures" / "facts" / "courtcase-production.json"),
                                      "--format", "json", "-q"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output[result.output.index("{"):])
    environment = report["environments"][0]
    assert environment["verdict"] == "NO-GO"
    live = {f["rule_id"]: f["message"] for f in environment["findings"] if f["rule_id"].startswith("CDKC-L")}
    assert "EC2-VPC Elastic IPs would be exceeded: 3 in use" in live["CDKC-L1"]
    assert "AWSServiceRoleForAmazonOpenSearchService" in live["CDKC-L5"]
    unknown = [c for c in environment["checks"] if c["status"] == "unknown" and c["check"].startswith(("live", "rule:CDKC-L"))]
    assert not unknown, unknown


def _dated_snapshot(tmp_path: Path, recorded_at: str) -> Path:
    document = json.loads((REPO / "fixtures" / "facts" / "courtcase-production.json").read_text())
    entry = document["environments"]["production"]
    entry["account"] = "123456789012"
    entry["recorded_at"] = recorded_at
    path = tmp_path / "old-facts.json"
    path.write_text(json.dumps({"format": document["format"], "environments": {"prod": entry}}))
    return path


@pytest.mark.slow
def test_a_replay_says_when_its_facts_were_read_and_can_refuse_old_ones(tmp_path):
    import time

    assembly = _assembly(tmp_path / "cdk.out", "123456789012")
    week_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 7 * 86400))
    facts_file = _dated_snapshot(tmp_path, week_ago)
    runner = CliRunner()
    text = runner.invoke(app, ["prod", "--assembly", str(assembly), "--facts", str(facts_file), "-q"])
    assert f"account facts replayed from old-facts.json, read {week_ago} (7 days ago)" in text.output
    as_json = runner.invoke(app, ["prod", "--assembly", str(assembly), "--facts", str(facts_file), "-q",
                                  "--format", "json"])
    facts = json.loads(as_json.output[as_json.output.index("{"):])["environments"][0]["account_facts"]
    assert facts["source"] == "snapshot" and facts["read_at"] == week_ago
    assert abs(facts["age_seconds"] - 7 * 86400) < 600

    refused = runner.invoke(app, ["prod", "--assembly", str(assembly), "--facts", str(facts_file), "-q",
                                  "--format", "json", "--max-snapshot-age", "24"])
    assert refused.exit_code == 3, refused.output
    environment = json.loads(refused.output[refused.output.index("{"):])["environments"][0]
    (live,) = [c for c in environment["checks"] if c["check"] == "live"]
    assert live["status"] == "unknown" and live["required"]
    assert "older than the 24 h allowed" in live["reason"] and week_ago in live["reason"]
    assert environment["verdict"] == "INCONCLUSIVE"

    fresh = _dated_snapshot(tmp_path, time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    config = tmp_path / "cdkcheck.toml"
    config.write_text("[environments.prod]\nmax_snapshot_age_hours = 24\n")
    accepted = runner.invoke(app, ["prod", "--assembly", str(assembly), "--facts", str(fresh), "-q",
                                   "--format", "json", "--config", str(config)])
    environment = json.loads(accepted.output[accepted.output.index("{"):])["environments"][0]
    (live,) = [c for c in environment["checks"] if c["check"] == "live"]
    assert live["status"] == "ran"


def test_snapshot_records_when_the_reading_began(aws, tmp_path):
    import time

    account = aws()
    assembly = _assembly(tmp_path / "cdk.out", account.account)
    before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
    facts_file = tmp_path / "facts.json"
    recorded = CliRunner().invoke(app, ["snapshot", "prod", "--assembly", str(assembly), "-o", str(facts_file), "-q"])
    assert recorded.exit_code == 0, recorded.output
    after = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
    recorded_at = json.loads(facts_file.read_text())["environments"]["prod"]["recorded_at"]
    assert before <= recorded_at <= after
    assert load_replay(facts_file, "prod").recorded_at == recorded_at
