"""A verdict describes the account as it is when the check runs, not as an earlier run saw it.

Each sequence fixes (or breaks) the account between two `cdkcheck` runs less than a
second apart and expects the second verdict to follow: with the default settings
(every run reads afresh) and with reuse turned on (--max-facts-age), where the answers
behind a blocking or unknown outcome are read again and the report says how old the
reused answers were.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdkcheck.cli.main import app

pytestmark = pytest.mark.slow  # cfn-lint and checkov run on the template in every check

BOOTSTRAP = "/cdk-bootstrap/hnb659fds/version"
VPC_QUOTA = 5  # VPCs per Region, the default moto answers with (L-F678F1CE)


def _assembly(directory: Path, account: str) -> Path:
    template = {"Resources": {"Network": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}}}}
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Prod-Stack.template.json").write_text(json.dumps(template))
    (directory / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {"Prod-Stack": {
        "type": "aws:cloudformation:stack", "environment": f"aws://{account}/us-east-1",
        "properties": {"templateFile": "Prod-Stack.template.json", "requiresBootstrapStackVersion": 6,
                       "bootstrapStackVersionSsmParameter": BOOTSTRAP}}}}))
    return directory


def _check(assembly: Path, *extra: str) -> tuple[int, dict]:
    result = CliRunner().invoke(app, ["prod", "--assembly", str(assembly), "--format", "json", "-q", *extra])
    assert result.exit_code in (0, 1, 3), result.output
    report = json.loads(result.output[result.output.index("{"):])
    return result.exit_code, report["environments"][0]


def _blocking(environment: dict) -> set[str]:
    return {f["rule_id"] for f in environment["findings"] if f["blocking"]}


def _add_vpcs_up_to_the_quota(account) -> None:
    ec2 = account.client("ec2")
    existing = len(ec2.describe_vpcs()["Vpcs"])
    for i in range(VPC_QUOTA - existing):
        ec2.create_vpc(CidrBlock=f"10.{100 + i}.0.0/16")


def _bootstrapped(account) -> None:
    account.client("ssm").put_parameter(Name=BOOTSTRAP, Value="30", Type="String", Overwrite=True)


@pytest.mark.parametrize("reuse", [(), ("--max-facts-age", "120")], ids=["default", "reuse-allowed"])
def test_bootstrapping_the_account_turns_the_next_run_go(aws, tmp_path, reuse):
    account = aws()
    assembly = _assembly(tmp_path / "cdk.out", account.account)
    code, first = _check(assembly, *reuse)
    assert code == 1 and first["verdict"] == "NO-GO" and _blocking(first) == {"CDKC-L8"}, first["findings"]
    assert "not bootstrapped" in json.dumps(first["findings"])

    _bootstrapped(account)
    code, second = _check(assembly, *reuse)  # at once: well within any max_facts_age
    assert code == 0 and second["verdict"] == "GO", second["findings"]
    if reuse:  # the reused answers of the first run are named, with their age; the bootstrap one was read again
        facts = second["account_facts"]
        assert facts["source"] == "live" and facts["max_facts_age_seconds"] == 120
        assert facts["reused_answers"] >= 1 and 0 < facts["oldest_answer_age_seconds"] < 120
    else:
        assert second["account_facts"] == {"source": "live", "max_facts_age_seconds": 0, "reused_answers": 0,
                                           "oldest_answer_age_seconds": None}


@pytest.mark.parametrize("reuse", [(), ("--max-facts-age", "120")], ids=["default", "reuse-allowed"])
def test_filling_the_vpc_quota_turns_the_next_run_no_go(aws, tmp_path, reuse):
    account = aws()
    _bootstrapped(account)
    assembly = _assembly(tmp_path / "cdk.out", account.account)
    code, first = _check(assembly, *reuse)
    assert code == 0 and first["verdict"] == "GO", first["findings"]

    _add_vpcs_up_to_the_quota(account)
    code, second = _check(assembly, *reuse)
    assert code == 1 and second["verdict"] == "NO-GO"
    (quota,) = [f for f in second["findings"] if f["blocking"]]
    assert quota["rule_id"] == "CDKC-L1" and "VPCs per Region" in quota["message"], quota
    if reuse:
        assert second["account_facts"]["reused_answers"] >= 1  # the quota value itself may come from run 1


def test_reuse_is_reported_in_every_format(aws, tmp_path):
    account = aws()
    _bootstrapped(account)
    assembly = _assembly(tmp_path / "cdk.out", account.account)
    _check(assembly, "--max-facts-age", "120")
    runner = CliRunner()
    outputs = {}
    for fmt in ("text", "markdown", "sarif", "junit", "github"):
        result = runner.invoke(app, ["prod", "--assembly", str(assembly), "--format", fmt, "-q",
                                     "--max-facts-age", "120"])
        assert result.exit_code == 0, result.output
        outputs[fmt] = result.output
    assert "reused from earlier runs, the oldest" in outputs["text"]
    assert "reused from earlier runs, the oldest" in outputs["markdown"]
    assert "reused from earlier runs" in outputs["junit"]
    assert "reused from earlier runs" in outputs["github"].splitlines()[-1]  # with the verdict
    sarif = json.loads(outputs["sarif"][outputs["sarif"].index("{"):])
    facts = sarif["runs"][0]["properties"]["accountFacts"]["prod"]
    assert facts["reused_answers"] >= 1 and facts["oldest_answer_age_seconds"] > 0


def test_no_cache_reads_the_account_even_when_reuse_is_allowed(aws, tmp_path):
    account = aws()
    assembly = _assembly(tmp_path / "cdk.out", account.account)
    _check(assembly, "--max-facts-age", "120")
    _bootstrapped(account)
    code, second = _check(assembly, "--max-facts-age", "120", "--no-cache")
    assert code == 0 and second["account_facts"]["reused_answers"] == 0


def test_max_facts_age_in_the_config(aws, tmp_path):
    account = aws()
    _bootstrapped(account)
    assembly = _assembly(tmp_path / "cdk.out", account.account)
    config = tmp_path / "cdkcheck.toml"
    config.write_text("[environments.prod]\nmax_facts_age = 90\n")
    _check(assembly, "--config", str(config))
    code, second = _check(assembly, "--config", str(config))
    assert code == 0 and second["account_facts"]["max_facts_age_seconds"] == 90
    assert second["account_facts"]["reused_answers"] >= 1
