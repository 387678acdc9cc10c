"""The synth's hooks for work that overlaps it: told when an app starts and when its templates are written."""

import json
import sys
from pathlib import Path

from cdkcheck.app.synth import read_cdk_app, synthesize
from timeouts import scaled

# Like CDK: templates, then the manifest, then (seconds of) validation plugins, then exit. The
# "validation" lasts until the hook has seen the assembly (it touches ../handed-over, outside the app so
# the synth cache key stays the same), so no timing decides.
WRITES_THEN_VALIDATES = """
import json, os, pathlib, time
out = pathlib.Path(os.environ["CDK_OUTDIR"])
(out / "Stack.template.json").write_text(json.dumps({"Resources": {}}))
(out / "manifest.json").write_text(json.dumps({"version": "55.0.0", "artifacts": {}}))
deadline = time.monotonic() + 60
while not pathlib.Path("..", "handed-over").exists() and time.monotonic() < deadline:
    time.sleep(0.02)
(out / "validation-report.json").write_text("{}")
"""


def app_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "app"
    directory.mkdir()
    (directory / "app.py").write_text(WRITES_THEN_VALIDATES)
    (directory / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    return directory


def synth(directory: Path, cache: Path, **hooks):
    return synthesize(read_cdk_app(directory), extra_context={}, extra_env={}, cache_root=cache,
                      timeout=scaled(120),
                      **hooks)


def test_the_assembly_is_handed_over_while_the_app_still_validates(tmp_path):
    events = []
    directory = app_dir(tmp_path)

    def handed_over(partial):
        events.append(sorted(p.name for p in partial.iterdir()))
        (directory.parent / "handed-over").touch()

    outcome = synth(directory, tmp_path / "cache", on_start=lambda: events.append("start"),
                    on_assembly_written=handed_over)
    assert events[0] == "start"
    assert "manifest.json" in events[1] and "Stack.template.json" in events[1]
    assert "validation-report.json" not in events[1]  # handed over before the app finished
    assert len(events) == 2
    assert (outcome.assembly_dir / "validation-report.json").is_file()


def test_a_cached_synth_calls_no_hook_and_a_failing_hook_costs_nothing(tmp_path):
    directory = app_dir(tmp_path)

    def explode(*args):
        (directory.parent / "handed-over").touch()  # the app may finish
        raise RuntimeError("hook bug")

    first = synth(directory, tmp_path / "cache", on_start=explode, on_assembly_written=explode)
    assert first.assembly_dir is not None and first.failure is None
    events = []
    again = synth(directory, tmp_path / "cache", on_start=lambda: events.append("start"),
                  on_assembly_written=lambda partial: events.append(partial))
    assert again.cached and events == []
