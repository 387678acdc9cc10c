"""The cdkcheck step of examples/github-actions.yml, run as written against a small app."""

from __future__ import annotations

import json
import shlex

import pytest
import yaml
from workflow_support import REPO, minimal_app, run_cli

pytestmark = pytest.mark.slow


def example_workflow() -> dict:
    return yaml.safe_load((REPO / "examples" / "github-actions.yml").read_text())


def test_gate_runs_before_deploy_with_oidc_and_sarif_upload():
    jobs = example_workflow()["jobs"]
    assert jobs["deploy"]["needs"] == "gate"
    gate = jobs["gate"]
    assert gate["permissions"]["id-token"] == "write" and gate["permissions"]["security-events"] == "write"
    uses = [step.get("uses", "") for step in gate["steps"]]
    assert any(u.startswith("aws-actions/configure-aws-credentials@") for u in uses)
    upload = next(s for s in gate["steps"] if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "cdkcheck-${{ matrix.environment }}.sarif"


def test_the_gate_command_runs_as_written(tmp_path, synth_cache, monkeypatch):
    step = next(s for s in example_workflow()["jobs"]["gate"]["steps"] if s.get("run", "").startswith("cdkcheck"))
    summary = tmp_path / "step-summary.md"
    command = (step["run"].replace("${{ matrix.environment }}", "staging")
               .replace('"$GITHUB_STEP_SUMMARY"', str(summary)))
    args = shlex.split(command)
    assert args[:2] == ["cdkcheck", "check"]
    minimal_app(tmp_path / "infra")
    monkeypatch.chdir(tmp_path)
    # The example runs with AWS credentials; here the live checks are skipped instead.
    code, output = run_cli([*args[2:], "--offline"], synth_cache)
    assert code == 0, output
    assert output.splitlines()[-1].startswith("::notice title=cdkcheck staging%3A GO::")
    sarif = json.loads((tmp_path / "cdkcheck-staging.sarif").read_text())
    assert sarif["runs"][0]["properties"]["verdicts"] == {"staging": "GO"}
    assert (tmp_path / "cdkcheck-staging.xml").read_text().startswith("<?xml")
    assert summary.read_text().startswith("## cdkcheck\n")
