"""The CLI contract end to end: real synths of the fixture apps, verdicts, exit codes, JSON shape."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdkcheck.cli.main import app
from timeouts import scaled

REPO = Path(__file__).resolve().parent.parent
CDKCHECK = Path(sys.executable).parent / "cdkcheck"
runner = CliRunner()

pytestmark = pytest.mark.slow


def cli(*args: str):
    result = runner.invoke(app, [*args, "--quiet"], catch_exceptions=False)
    return result.exit_code, result.output


def json_report(*args: str) -> dict:
    code, out = cli(*args, "--format", "json")
    document = json.loads(out)
    assert document["exit_code"] == code
    return document


def env(document: dict, name: str) -> dict:
    return next(e for e in document["environments"] if e["name"] == name)


# ----------------------------------------------------------------- courtcase


@pytest.fixture(scope="module")
def courtcase(apps):
    return json_report("staging", "production", "--app", str(apps / "courtcase"), "--offline")


def test_courtcase_staging_go_production_no_go(courtcase):
    assert courtcase["exit_code"] == 1
    staging, production = env(courtcase, "staging"), env(courtcase, "production")
    assert staging["verdict"] == "GO"
    assert production["verdict"] == "NO-GO"
    assert staging["stacks"] == ["CourtCase-Staging-App", "CourtCase-Staging-Data", "CourtCase-Staging-Network"]
    assert not [f for f in staging["findings"] if f["blocking"]]


def test_courtcase_production_blocks_for_the_planted_reasons(courtcase):
    blocking = [f for f in env(courtcase, "production")["findings"] if f["blocking"]]
    reasons = {(f["rule_id"], f["construct_path"]) for f in blocking}
    assert ("CDKC-O5", "CourtCase-Production-Data/Search/Resource") in reasons
    assert ("CDKC-R5", "CourtCase-Production-Data/Database/Resource") in reasons
    assert ("CDKC-R4", "CourtCase-Production-Data/AuditDatabase/Resource") in reasons
    assert ("CDKC-V5", "CourtCase-Production-Network/Vpc/PrivateSubnet1/Subnet") in reasons
    assert all(f["construct_path"] and f["stack"] and f["logical_id"] for f in blocking)


def test_json_report_matches_the_contract(courtcase):
    assert courtcase["schema_version"] == 1
    for environment in courtcase["environments"]:
        assert isinstance(environment["name"], str)
        assert environment["verdict"] in {"GO", "NO-GO", "INCONCLUSIVE"}
        assert all(isinstance(s, str) for s in environment["stacks"])
        for finding in environment["findings"]:
            assert finding["source"] in {"cdkcheck", "cfn-lint", "checkov", "cdk"}
            assert finding["severity"] in {"error", "warning", "info"}
            assert isinstance(finding["blocking"], bool)
            assert isinstance(finding["rule_id"], str) and isinstance(finding["message"], str)
            assert isinstance(finding["stack"], str)
            for key in ("logical_id", "construct_path"):
                assert finding[key] is None or isinstance(finding[key], str)


def test_checkov_findings_are_folded_in_as_advisories(courtcase):
    checkov = [f for f in env(courtcase, "staging")["findings"] if f["source"] == "checkov"]
    assert checkov, "checkov ran on the templates"
    assert not any(f["blocking"] for f in checkov)
    assert all(f["rule_id"].startswith("CKV") and f["construct_path"] for f in checkov)


def test_text_report_puts_the_verdict_first_then_reasons_with_paths(apps):
    code, out = cli("staging", "production", "--app", str(apps / "courtcase"), "--offline")
    assert code == 1
    production = out[out.index("production: NO-GO"):]
    assert production.index("blocking") < production.index("advisories")
    assert "CourtCase-Production-Data/Search/Resource" in production
    assert "fix: " in production
    assert "skipped: live (--offline" in out
    assert "\033[" not in out  # not a terminal: no colour


# ------------------------------------------------------------ exit codes


def test_exit_0_when_every_environment_is_go(apps):
    code, out = cli("staging", "--app", str(apps / "minimal"), "--offline")
    assert code == 0, out
    assert out.startswith("staging: GO")


def test_exit_1_when_a_stack_is_bound_to_another_account(apps, tmp_path):
    config = tmp_path / "cdkcheck.toml"
    config.write_text('[environments.staging]\nstacks = ["Minimal-Staging"]\naccount = "999999999999"\n')
    document = json_report("staging", "--app", str(apps / "minimal"), "--config", str(config), "--offline")
    blocking = [f for f in env(document, "staging")["findings"] if f["blocking"]]
    assert document["exit_code"] == 1
    assert [f["rule_id"] for f in blocking] == ["CDKC-ENV-ACCOUNT"]


def test_exit_2_for_an_environment_that_selects_nothing(apps):
    code, out = cli("qa", "--app", str(apps / "minimal"), "--offline")
    assert code == 2
    assert "no stacks selected for environment 'qa'" in out
    assert "Minimal-Staging" in out and "Minimal-Production" in out


def test_exit_2_for_a_config_typo(apps, tmp_path):
    config = tmp_path / "cdkcheck.toml"
    config.write_text('[environments.staging]\nstakcs = ["Minimal-Staging"]\n')
    code, out = cli("staging", "--app", str(apps / "minimal"), "--config", str(config), "--offline")
    assert code == 2
    assert str(config) in out and "did you mean 'stacks'" in out
    assert "Traceback" not in out


def test_exit_3_when_required_live_checks_cannot_run(apps):
    # conftest removed every credential: the live checks cannot run, and live is required by default.
    document = json_report("staging", "--app", str(apps / "minimal"))
    staging = env(document, "staging")
    assert document["exit_code"] == 3 and staging["verdict"] == "INCONCLUSIVE"
    live = next(c for c in staging["checks"] if c["check"] == "live")
    assert live["status"] == "unknown" and live["required"] and "credentials" in live["reason"]


def test_live_optional_does_not_make_the_run_inconclusive(apps, tmp_path):
    config = tmp_path / "cdkcheck.toml"
    config.write_text('[environments.staging]\nstacks = ["Minimal-Staging"]\nlive = "optional"\n')
    code, out = cli("staging", "--app", str(apps / "minimal"), "--config", str(config))
    assert code == 0, out
    assert "could not check" in out  # still said, never silently passed


# --------------------------------------------------------- synth problems


def test_an_app_that_raises_is_a_blocking_finding_with_its_error(apps):
    document = json_report("staging", "--app", str(apps / "raises"), "--offline")
    staging = env(document, "staging")
    assert document["exit_code"] == 1 and staging["verdict"] == "NO-GO"
    (finding,) = staging["findings"]
    assert finding["rule_id"] == "CDK-SYNTH-FAILED" and finding["blocking"]
    assert "ValueError: bucket name must be lowercase" in finding["message"]


def test_a_hanging_app_is_stopped_after_the_timeout(apps):
    started = time.monotonic()
    document = json_report("staging", "--app", str(apps / "hangs"), "--offline", "--synth-timeout", "3")
    assert time.monotonic() - started < scaled(30)
    (finding,) = env(document, "staging")["findings"]
    assert finding["rule_id"] == "CDK-SYNTH-TIMEOUT" and finding["blocking"]
    assert "did not finish within 3 s" in finding["message"]


def test_unresolved_context_lookups_block_and_say_how_to_fix(apps):
    document = json_report("staging", "--app", str(apps / "missing_context"), "--offline")
    missing = [f for f in env(document, "staging")["findings"] if f["rule_id"] == "CDK-MISSING-CONTEXT"]
    assert document["exit_code"] == 1
    assert {f["evidence"]["provider"] for f in missing} == {"vpc-provider", "availability-zones"}
    assert all(f["blocking"] and "cdk.context.json" in f["fix"] for f in missing)


# ------------------------------------------------------- stages and nesting


def test_stage_paths_select_an_environment(apps):
    document = json_report("staging", "--app", str(apps / "staged"), "--offline")
    assert env(document, "staging")["stacks"] == ["Staging/Queues", "Staging/Storage"]


def test_nested_stacks_are_checked_with_their_parent(apps):
    document = json_report("staging", "--app", str(apps / "nested"), "--offline")
    staging = env(document, "staging")
    assert staging["stacks"] == ["Nested-Staging", "Nested-Staging/Storage"]
    nested_paths = {f["construct_path"] for f in staging["findings"] if f["stack"] == "Nested-Staging/Storage"}
    assert any(p and p.startswith("Nested-Staging/Storage/") for p in nested_paths)


# --------------------------------------------------- cfn-lint and policy


def _assembly_with(tmp_path: Path, resources: dict) -> Path:
    out = tmp_path / "cdk.out"
    out.mkdir()
    template = {"Resources": resources}
    (out / "Shop-Staging.template.json").write_text(json.dumps(template, indent=1))
    (out / "manifest.json").write_text(json.dumps({
        "version": "55.0.0",
        "artifacts": {"Shop-Staging": {"type": "aws:cloudformation:stack", "environment": "aws://111111111111/us-east-1",
                                       "properties": {"templateFile": "Shop-Staging.template.json"}}},
    }))
    return out


def test_cfn_lint_errors_block_and_checkov_blocks_only_when_configured(tmp_path):
    assembly = _assembly_with(tmp_path, {
        "Db": {"Type": "AWS::RDS::DBInstance", "Metadata": {"aws:cdk:path": "Shop-Staging/Db/Resource"},
               "Properties": {"Engine": "postgres", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "50",
                              "MasterUsername": "admin", "ManageMasterUserPassword": True,
                              "StorageType": "gp2", "MultiAZ": "yes please"}},
    })
    document = json_report("staging", "--assembly", str(assembly), "--offline")
    findings = env(document, "staging")["findings"]
    lint = [f for f in findings if f["source"] == "cfn-lint"]
    assert lint and all(f["blocking"] for f in lint if f["severity"] == "error")
    assert any(f["property_path"] and "MultiAZ" in f["property_path"] for f in lint)
    unencrypted = [f for f in findings if f["rule_id"] == "CKV_AWS_16"]
    assert unencrypted and not unencrypted[0]["blocking"]
    assert unencrypted[0]["construct_path"] == "Shop-Staging/Db/Resource"

    config = tmp_path / "cdkcheck.toml"
    config.write_text('[environments.staging]\ncheckov_blocking = ["CKV_AWS_16"]\n')
    document = json_report("staging", "--assembly", str(assembly), "--config", str(config), "--offline")
    assert next(f for f in env(document, "staging")["findings"] if f["rule_id"] == "CKV_AWS_16")["blocking"]


# ------------------------------------------------------- determinism


def test_json_is_byte_identical_on_rerun_cached_or_not(apps, tmp_path):
    outputs = []
    for extra in ((), (), ("--no-cache",)):
        target = tmp_path / f"report{len(outputs)}.json"
        code, _ = cli("staging", "production", "--app", str(apps / "minimal"), "--offline",
                      "--format", "json", "--output", str(target), *extra)
        assert code == 0
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    assert not list(tmp_path.glob(".report*"))  # no temp files left beside the reports


def test_the_installed_command_runs_and_sets_the_exit_code(apps, tmp_path):
    app_copy = tmp_path / "app with space ü"
    shutil.copytree(apps / "minimal", app_copy, ignore=shutil.ignore_patterns("cdk.out"))
    result = subprocess.run([str(CDKCHECK), "production", "--app", str(app_copy), "--offline"],
                            capture_output=True, text=True, timeout=scaled(300), env=os.environ)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("production: GO")
    assert "synthesizing" in result.stderr  # progress is shown, on stderr
