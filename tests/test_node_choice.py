"""Which Node runs the app: the user's own when aws-cdk-lib supports it, the bundled one only when not."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from cdkcheck.app.node import bundled_node_dir, choose_node, required_node


def fake_node(directory: Path, version: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    node = directory / "node"
    node.write_text(f"#!/bin/sh\necho v{version}\n")
    node.chmod(0o755)
    return node


def app_needing(tmp_path: Path, engines: str) -> Path:
    package = tmp_path / "app" / "node_modules" / "aws-cdk-lib"
    package.mkdir(parents=True)
    (package / "package.json").write_text(json.dumps({"name": "aws-cdk-lib", "engines": {"node": engines}}))
    return tmp_path / "app"


def test_the_users_supported_node_runs_the_app_and_path_keeps_no_wheel_bin(tmp_path):
    node = fake_node(tmp_path / "usr", "22.11.0")
    wheel = bundled_node_dir()
    environ = {"PATH": os.pathsep.join([wheel, str(node.parent)])}
    choice = choose_node(app_needing(tmp_path, ">= 20.0.0"), environ, cache_dir=tmp_path / "cache")
    assert (choice.executable, choice.version, choice.origin) == (str(node), "22.11.0", "path")
    assert choice.environment(environ)["PATH"].split(os.pathsep) == [str(node.parent)]
    assert "on PATH" in choice.describe()


def test_an_older_node_than_aws_cdk_lib_needs_gives_way_to_the_bundled_one(tmp_path):
    old = fake_node(tmp_path / "usr", "16.20.0")
    choice = choose_node(app_needing(tmp_path, ">= 20.0.0"), {"PATH": str(old.parent)}, cache_dir=tmp_path / "c")
    assert choice.origin == "bundled" and choice.executable == os.path.join(bundled_node_dir(), "node")
    assert "16.20.0" in choice.passed_over and ">= 20.0.0" in choice.passed_over
    path = choice.environment({"PATH": str(old.parent)})["PATH"]
    assert path.split(os.pathsep)[0] == choice.path_prefix


def test_without_any_node_the_bundled_one_comes_with_a_working_npx(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    choice = choose_node(tmp_path, {"PATH": str(empty)}, cache_dir=tmp_path / "cache")
    assert choice.origin == "bundled"
    env = {"PATH": choice.environment({"PATH": str(empty)})["PATH"], "HOME": str(tmp_path)}
    for tool in ("node", "npm", "npx"):
        proc = subprocess.run([tool, "--version"], env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, (tool, proc.stderr)


def test_a_working_npx_on_path_is_not_shadowed(tmp_path):
    old = fake_node(tmp_path / "usr", "14.0.0")
    npx = old.parent / "npx"
    npx.write_text("#!/bin/sh\necho mine\n")
    npx.chmod(0o755)
    choice = choose_node(app_needing(tmp_path, ">= 20.0.0"), {"PATH": str(old.parent)}, cache_dir=tmp_path / "c")
    assert choice.origin == "bundled" and not (Path(choice.path_prefix) / "npx").exists()


def test_required_version_comes_from_the_aws_cdk_lib_the_app_resolves(tmp_path):
    app = app_needing(tmp_path, ">= 18.0.0")
    (app / "lib").mkdir()
    assert required_node(app / "lib") == ">= 18.0.0"  # node resolution walks up
