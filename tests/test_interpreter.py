"""The app's interpreter: the app's ./.venv (or $VIRTUAL_ENV) when `python3` on PATH cannot import aws_cdk.

The interpreter "without aws_cdk" is a bare venv put first on PATH; the app's venv imports aws_cdk through a
.pth file naming this project's site-packages (nothing is installed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from cdkcheck.app import interpreter
from cdkcheck.app.interpreter import can_import_cdk, choose_interpreter
from cdkcheck.app.synth import read_cdk_app

REPO = Path(__file__).resolve().parent.parent
CDKCHECK = Path(sys.executable).parent / "cdkcheck"
PROJECT_SITE = sysconfig.get_paths()["purelib"]


def make_venv(where: Path, *, with_cdk: bool) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=300)
    if with_cdk:
        site = next(where.glob("lib/python*/site-packages"))
        (site / "project.pth").write_text(PROJECT_SITE + "\n")
    return where


@pytest.fixture()
def bare_python(tmp_path) -> dict:
    """os.environ with a venv that cannot import aws_cdk first on PATH, no venv activated."""
    bare = make_venv(tmp_path / "bare", with_cdk=False)
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)
    own_bin = str(Path(sys.executable).parent)
    rest = [p for p in env.get("PATH", "").split(os.pathsep) if p and p != own_bin]
    env["PATH"] = os.pathsep.join([str(bare / "bin"), *rest])
    return env


def copy_app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(REPO / "fixtures" / "apps" / "minimal", app)
    return app


def cdkcheck(args: list[str], app: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([str(CDKCHECK), *args], cwd=app, env=env, capture_output=True, text=True, timeout=600)


def test_a_venv_with_aws_cdk_on_disk_is_recognised_without_a_subprocess(monkeypatch):
    def no_subprocess(*args, **kwargs):
        raise AssertionError("a venv whose site-packages holds aws_cdk needs no probe")

    monkeypatch.setattr(interpreter.subprocess, "run", no_subprocess)
    assert can_import_cdk(str(Path(sys.executable).parent / "python"), REPO, dict(os.environ)) is True


def test_an_interpreter_that_has_aws_cdk_is_kept(tmp_path):
    app = copy_app(tmp_path)
    env = dict(os.environ)  # conftest: this project's venv first on PATH
    chosen, choice = choose_interpreter(read_cdk_app(app), env)
    assert chosen.command == "python3 app.py" and choice.note() is None and not choice.missing_cdk


def test_commands_that_are_not_python_are_left_alone(tmp_path):
    app = copy_app(tmp_path)
    (app / "cdk.json").write_text(json.dumps({"app": "npx ts-node bin/app.ts"}))
    chosen, choice = choose_interpreter(read_cdk_app(app))
    assert chosen.command == "npx ts-node bin/app.ts" and choice is None


@pytest.mark.slow
def test_the_apps_venv_is_used_when_python3_on_path_cannot_import_aws_cdk(tmp_path, bare_python):
    app = copy_app(tmp_path)
    make_venv(app / ".venv", with_cdk=True)
    result = cdkcheck(["--offline"], app, bare_python)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.match(r"default: GO +\(2 stacks", result.stdout)
    bare = tmp_path / "bare" / "bin" / "python3"
    assert (f"running the app with {app / '.venv' / 'bin' / 'python3'}: python3 ({bare}) cannot import aws_cdk"
            in result.stderr)


@pytest.mark.slow
def test_an_activated_venv_is_used_when_the_app_has_none(tmp_path, bare_python):
    app = copy_app(tmp_path)
    other = make_venv(tmp_path / "elsewhere", with_cdk=True)
    result = cdkcheck(["--offline"], app, {**bare_python, "VIRTUAL_ENV": str(other)})
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"running the app with {other / 'bin' / 'python3'}" in result.stderr


@pytest.mark.slow
def test_without_a_venv_the_finding_names_the_interpreter_and_both_fixes_work(tmp_path, bare_python):
    app = copy_app(tmp_path)
    result = cdkcheck(["--offline", "--format", "json"], app, bare_python)
    assert result.returncode == 1, result.stderr
    finding = json.loads(result.stdout)["environments"][0]["findings"][0]
    bare = tmp_path / "bare" / "bin" / "python3"
    assert finding["rule_id"] == "CDK-SYNTH-FAILED" and finding["blocking"]
    assert f"the app ran with python3 ({bare}), which cannot import aws_cdk" in finding["message"]
    assert "ModuleNotFoundError" in finding["message"]  # the app's own error stays
    assert "activate the app's virtualenv" in finding["fix"]
    assert '"app": ".venv/bin/python app.py"' in finding["fix"]

    # Fix 1: activate the app's venv (as `source .venv/bin/activate` does).
    venv = make_venv(app / ".venv", with_cdk=True)
    activated = {**bare_python, "VIRTUAL_ENV": str(venv),
                 "PATH": f"{venv / 'bin'}{os.pathsep}{bare_python['PATH']}"}
    first = cdkcheck(["--offline"], app, activated)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "running the app with" not in first.stderr  # python3 on PATH is now the venv's own

    # Fix 2: point cdk.json's "app" at the venv, as the fix spells it; no activation.
    settings = json.loads((app / "cdk.json").read_text())
    settings["app"] = ".venv/bin/python app.py"
    (app / "cdk.json").write_text(json.dumps(settings))
    second = cdkcheck(["--offline"], app, bare_python)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "running the app with" not in second.stderr


def test_a_probe_answer_is_remembered_until_the_import_path_changes(tmp_path, monkeypatch):
    bare = make_venv(tmp_path / "bare", with_cdk=False)
    python, env = str(bare / "bin" / "python3"), dict(os.environ)
    probes = []
    real_run = subprocess.run
    monkeypatch.setattr(interpreter.subprocess, "run", lambda *a, **k: probes.append(a) or real_run(*a, **k))
    cache = tmp_path / "cache"

    def answer():
        return choose_interpreter_probe(python, tmp_path, env, cache)

    assert answer() is False and len(probes) == 1
    assert answer() is False and len(probes) == 1  # remembered: no second interpreter start
    site = next(bare.glob("lib/python*/site-packages"))
    (site / "project.pth").write_text(PROJECT_SITE + "\n")  # an install: site-packages changes
    assert answer() is True and len(probes) == 2


def choose_interpreter_probe(python: str, app_dir: Path, env: dict, cache: Path) -> bool | None:
    return can_import_cdk(python, app_dir, env, interpreter._ProbeMemo(cache / "interpreters.json"))


def test_the_synth_cache_tells_venvs_of_one_base_interpreter_apart(tmp_path, monkeypatch):
    from cdkcheck.app.synth import synth_cache_key

    app = read_cdk_app(copy_app(tmp_path))
    keys = set()
    for name in ("one", "two"):  # both bin/python3 link to the same base interpreter
        venv = make_venv(tmp_path / name, with_cdk=False)
        monkeypatch.setenv("PATH", f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}")
        keys.add(synth_cache_key(app, {}, {}))
    assert len(keys) == 2
