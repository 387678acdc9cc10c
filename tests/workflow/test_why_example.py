"""The post-mortem steps of examples/why-after-failed-deploy.yml, their shell run as written.

`cdkcheck` on PATH is a shim that hands the real one each stack's recorded events (the example reads
the account): the flags, the exit codes the script branches on and the files it writes are the real ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
WHY = REPO / "fixtures" / "why"


def _steps() -> list[dict]:
    workflow = yaml.safe_load((REPO / "examples" / "why-after-failed-deploy.yml").read_text())
    return workflow["jobs"]["deploy"]["steps"]


def test_the_post_mortem_runs_only_when_the_deploy_step_failed():
    steps = _steps()
    deploy = next(s for s in steps if s.get("id") == "deploy")
    assert "cdk deploy" in deploy["run"] or "aws-cdk@2 deploy" in deploy["run"]
    after = steps[steps.index(deploy) + 1:]
    assert after and all("failure() && steps.deploy.outcome == 'failure'" in s["if"] for s in after)
    assert any(s.get("uses", "").startswith("aws-actions/configure-aws-credentials@") for s in after)


def test_the_why_step_runs_as_written(tmp_path, synth_cache):
    step = next(s for s in _steps() if s.get("name") == "cdkcheck why")
    shim = tmp_path / "bin" / "cdkcheck"
    shim.parent.mkdir()
    real = Path(sys.executable).parent / "cdkcheck"
    shim.write_text(f'#!/bin/sh\nexec {real} "$@" --events "{tmp_path}/events/$2.json" --offline '
                    f'--assembly {WHY / "cdk.out"}\n')
    shim.chmod(0o755)
    (tmp_path / "events").mkdir()
    shutil.copyfile(WHY / "cache.events.json", tmp_path / "events" / "Incident-Cache.json")
    shutil.copyfile(WHY / "healthy.events.json", tmp_path / "events" / "Incident-Healthy.json")
    (tmp_path / "infra").symlink_to(REPO / "fixtures" / "apps" / "incidents")
    summary = tmp_path / "summary.md"
    env = {**os.environ, "PATH": f"{shim.parent}{os.pathsep}{os.environ['PATH']}",
           "CDKCHECK_CACHE_DIR": str(synth_cache), "STACKS": "Incident-Cache Incident-Healthy", "GITHUB_STEP_SUMMARY": str(summary)}
    done = subprocess.run(["bash", "-e", "-c", step["run"]], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=900)
    assert done.returncode == 0, done.stderr
    text = summary.read_text()
    assert text.startswith("## cdkcheck why: `Incident-Cache`") and "Incident-Healthy" not in text
    assert "CDKC-E1" in text and "incidents/services.py:81" in text
    assert (tmp_path / "why-Incident-Cache.json").is_file() and "::warning::" not in done.stdout
