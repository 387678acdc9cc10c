"""TypeScript and JavaScript CDK apps, installed with `npm ci` and checked by real synths through the CLI.

Also the toolchain a synth needs: a missing `node_modules` or `mvn` is named with what to run or install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from node_apps import installed_node_app

CDKCHECK = Path(sys.executable).parent / "cdkcheck"

pytestmark = pytest.mark.slow


def check(app: Path, *args: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict]:
    proc = subprocess.run([str(CDKCHECK), "--offline", "--format", "json", *args], cwd=app, capture_output=True,
                          text=True, timeout=900, env=env or os.environ)
    assert proc.returncode in (0, 1, 3), proc.stdout + proc.stderr
    return proc, json.loads(proc.stdout)["environments"][0]


def test_typescript_app_with_a_nodejs_function_synthesizes_and_points_at_its_ts_lines():
    app = installed_node_app("ts_app")
    proc, env = check(app, "--no-cache")
    assert proc.returncode == 1 and env["verdict"] == "NO-GO", proc.stdout + proc.stderr
    assert env["stacks"] == ["Orders-Staging"]
    r4 = next(f for f in env["findings"] if f["rule_id"] == "CDKC-R4")
    assert r4["location"] == {"file": "lib/orders-stack.ts", "line": 19, "kind": "source"}
    lambda_finding = next(f for f in env["findings"] if f["logical_id"] and f["logical_id"].startswith("Handler"))
    assert lambda_finding["location"]["file"] == "lib/orders-stack.ts" and lambda_finding["location"]["line"] == 13
    node = env["synth"]["node"]
    assert node["executable"] and node["version"] and node["origin"] in ("path", "bundled")
    assert f"with Node {node['version']}" in proc.stderr
    assert not [f for f in env["findings"] if f["rule_id"].startswith("CDK-SYNTH")]


def test_empty_javascript_starter_is_go_with_the_empty_stack_advisory():
    app = installed_node_app("js_app")
    proc, env = check(app)
    assert proc.returncode == 0 and env["verdict"] == "GO", proc.stdout + proc.stderr
    empty = next(f for f in env["findings"] if f["rule_id"] == "CDKC-EMPTY-STACK")
    assert not empty["blocking"] and empty["location"]["file"] == "bin/js-app.js"


def test_cached_rerun_of_a_typescript_app_survives_a_config_edit(tmp_path):
    source = installed_node_app("ts_app")
    app = tmp_path / "ts_app"
    shutil.copytree(source, app, ignore=shutil.ignore_patterns("node_modules", "cdk.out", "cdkcheck.toml",
                                                               ".npm-install.lock"))
    (app / "node_modules").symlink_to(source / "node_modules")  # node resolves through it, as with pnpm
    cache = tmp_path / "cache"  # this test's own: a new entry in it is a synth
    env = {**os.environ, "CDKCHECK_CACHE_DIR": str(cache)}
    first, _ = check(app, env=env)
    entries = sorted(p.name for p in (cache / "synth").iterdir())
    (app / "cdkcheck.toml").write_text("# reviewed\n[environments.default]\nstacks = [\"*\"]\n")
    proc = subprocess.run([str(CDKCHECK), "--offline", "--format", "json", "--output", "report.json"], cwd=app,
                          capture_output=True, text=True, timeout=900, env=env)
    assert proc.returncode == first.returncode, proc.stderr
    check(app, env=env)  # the report now in the app directory is cdkcheck's own output, not an input
    assert sorted(p.name for p in (cache / "synth").iterdir()) == entries


def test_node_app_without_node_modules_is_told_to_run_npm_ci(tmp_path):
    app = tmp_path / "js_app"
    shutil.copytree(installed_node_app("js_app"), app, ignore=shutil.ignore_patterns("node_modules", "cdk.out"))
    proc, env = check(app, "--no-cache")
    assert proc.returncode == 1
    failed = next(f for f in env["findings"] if f["rule_id"] == "CDK-SYNTH-FAILED")
    assert "not installed" in failed["message"] and "aws-cdk-lib" in failed["message"]
    assert failed["fix"].startswith("run `npm ci`")


def _path_without(tool: str) -> str:
    """PATH minus every directory holding `tool` (the venv's own bin first, as in the suite)."""
    keep = [d for d in os.environ["PATH"].split(os.pathsep) if d and not (Path(d) / tool).exists()]
    return os.pathsep.join([str(Path(sys.executable).parent), *keep])


def test_java_app_without_maven_names_maven(tmp_path):
    app = tmp_path / "java_app"
    app.mkdir()
    (app / "cdk.json").write_text(json.dumps({"app": "mvn -e -q compile exec:java"}))
    (app / "pom.xml").write_text("<project/>\n")
    proc, env = check(app, env={**os.environ, "PATH": _path_without("mvn")})
    failed = next(f for f in env["findings"] if f["rule_id"] == "CDK-SYNTH-FAILED")
    assert "`mvn`" in failed["message"] and "not installed" in failed["message"]
    assert "Apache Maven" in failed["fix"]


MAVEN_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>com.example</groupId><artifactId>app</artifactId><version>0.1</version>
  <dependencies>
    <dependency><groupId>software.amazon.awscdk</groupId><artifactId>aws-cdk-lib</artifactId>
      <version>2.275.0</version></dependency>
  </dependencies>
</project>
"""


@pytest.mark.skipif(shutil.which("mvn") is None, reason="Maven is not installed here")
def test_failing_maven_synth_shows_mavens_error_lines(tmp_path):
    """Maven prints its [ERROR] lines on stdout and only a colour reset on stderr."""
    app = tmp_path / "java_app"
    app.mkdir()
    (app / "cdk.json").write_text(json.dumps({"app": "mvn -o -e compile exec:java"}))
    (app / "pom.xml").write_text(MAVEN_POM)
    (app / "settings.xml").write_text("<settings><localRepository>" + str(tmp_path / "m2")
                                      + "</localRepository></settings>")
    (app / "cdk.json").write_text(json.dumps({"app": "mvn -o -s settings.xml compile exec:java"}))
    _, env = check(app)
    failed = next(f for f in env["findings"] if f["rule_id"] == "CDK-SYNTH-FAILED")
    assert "[ERROR]" in failed["message"] and "\x1b" not in failed["message"]
    assert "Maven could not resolve" in failed["message"]
