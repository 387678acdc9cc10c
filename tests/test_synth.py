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
    assert (seen["account"], seen["region"]) == ("111111111111", "eu-west-1")


def test_synth_gets_the_bundled_node_first_on_path(tmp_path):
    outcome = run(scripted_app(tmp_path / "app", ECHO_ENV), tmp_path / "cache")
    seen = json.loads((outcome.assembly_dir / "seen.json").read_text())
    assert bundled_node_dir() is not None
    assert seen["node"] == os.path.join(bundled_node_dir(), "node")


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
