"""The real pre-commit, with this repository's hook definition, gating commits of a small CDK app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from workflow_support import REPO, minimal_app
from timeouts import scaled

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent


def hook_definition(hook_id: str) -> dict:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    return next(h for h in hooks if h["id"] == hook_id)


def git(repo: Path, *args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=scaled(600))


@pytest.fixture
def repo(tmp_path, synth_cache) -> tuple[Path, dict]:
    repo = tmp_path / "repo"
    minimal_app(repo / "infra")
    # The hook exactly as published, run with the cdkcheck already on PATH (language: system): the same
    # entry, file filter and flags as the `language: python` hook, without installing a second copy.
    hook = {**hook_definition("cdkcheck-system"), "args": ["--app", "infra"]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump({"repos": [{"repo": "local", "hooks": [hook]}]}))
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "CDKCHECK_CACHE_DIR": str(synth_cache),
        "GIT_CONFIG_GLOBAL": os.devnull,  # the developer's hooks, signing or templates must not interfere
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    for args in (["init", "-q"], ["config", "user.name", "cdkcheck test"],
                 ["config", "user.email", "test@example.com"], ["config", "commit.gpgsign", "false"]):
        assert git(repo, *args, env=env).returncode == 0
    installed = subprocess.run([str(BIN / "pre-commit"), "install"], cwd=repo, env=env, capture_output=True,
                               text=True, timeout=scaled(120))
    assert installed.returncode == 0, installed.stdout + installed.stderr
    return repo, env


def test_hook_manifest_is_valid_for_pre_commit():
    result = subprocess.run([str(BIN / "pre-commit"), "validate-manifest", str(REPO / ".pre-commit-hooks.yaml")],
                            capture_output=True, text=True, timeout=scaled(120))
    assert result.returncode == 0, result.stdout + result.stderr


def test_hook_is_offline_and_checks_every_configured_environment():
    for hook_id in ("cdkcheck", "cdkcheck-system"):
        hook = hook_definition(hook_id)
        assert hook["entry"].split()[:3] == ["cdkcheck", "check", "--offline"]
        assert hook["pass_filenames"] is False


def test_commit_passes_when_every_environment_is_go_and_is_blocked_on_no_go(repo):
    repo, env = repo
    assert git(repo, "add", ".", env=env).returncode == 0
    passing = git(repo, "commit", "-m", "add the app", env=env)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "cdkcheck" in passing.stdout + passing.stderr and "Passed" in passing.stdout + passing.stderr

    # A change that breaks the app: the synth fails, so nothing could be checked (CDK-SYNTH-FAILED, NO-GO).
    app_py = repo / "infra" / "app.py"
    app_py.write_text(app_py.read_text().replace("app.synth()", 'raise ValueError("queue name clash")\napp.synth()'))
    assert git(repo, "add", ".", env=env).returncode == 0
    failing = git(repo, "commit", "-m", "break the app", env=env)
    output = failing.stdout + failing.stderr
    assert failing.returncode != 0, output
    assert "Failed" in output and "staging: NO-GO" in output and "production: NO-GO" in output
    assert "CDK-SYNTH-FAILED" in output and "queue name clash" in output
    assert git(repo, "rev-list", "--count", "HEAD", env=env).stdout.strip() == "1"  # the commit did not land


def test_changes_outside_the_hook_files_do_not_run_it(repo):
    repo, env = repo
    (repo / "NOTES.md").write_text("notes\n")
    assert git(repo, "add", "NOTES.md", env=env).returncode == 0
    result = git(repo, "commit", "-m", "notes", env=env)
    assert result.returncode == 0 and "(no files to check)Skipped" in result.stdout + result.stderr
