"""Ctrl-C or a CI timeout mid-synth leaves nothing behind; two runs sharing a cache both succeed.

The synth of fixtures/apps/hangs never ends. cdkcheck is interrupted while it runs
(SIGINT as Ctrl-C sends, SIGTERM as a CI runner's timeout sends), and then: it exits
promptly with the documented code, no process it started is still alive, the
--output directory holds no report and no temp file, and the synth cache holds no
half-written assembly.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from robust_cli import CDKCHECK, run_cdkcheck
from timeouts import scaled

REPO = Path(__file__).resolve().parents[2]
APPS = REPO / "fixtures" / "apps"
EXIT_INTERRUPTED = 130


def _stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, start time) of a live process, None once it is gone (zombies count as gone)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[1]), fields[19]


def descendants(root: int) -> dict[int, str]:
    """Every process below `root` (new sessions included), by pid, with its start time."""
    parents: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            info = _stat(int(entry.name))
            if info is not None:
                parents.setdefault(info[0], []).append((int(entry.name), info[1]))
    found: dict[int, str] = {}
    pending = [root]
    while pending:
        for pid, started in parents.get(pending.pop(), []):
            found[pid] = started
            pending.append(pid)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def still_alive(processes: dict[int, str]) -> list[str]:
    return [cmdline(pid) or str(pid) for pid, started in processes.items()
            if (info := _stat(pid)) is not None and info[1] == started]


pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process table from /proc")


def _signals_as_a_shell_leaves_them() -> None:
    """In the child, before cdkcheck starts: SIGINT and SIGTERM at their defaults, as a terminal gives them.

    A test run started in the background (`make test &`, nohup, some CI runners) inherits SIGINT ignored,
    and Python keeps an ignored SIGINT ignored: cdkcheck would rightly never see the Ctrl-C this test sends.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupted_synth_leaves_no_process_report_or_temp_file(sig, tmp_path):
    cache = tmp_path / "cache"
    reports = tmp_path / "reports"
    reports.mkdir()
    proc = subprocess.Popen(
        [str(CDKCHECK), "staging", "--app", str(APPS / "hangs"), "--offline", "--format", "json",
         "--output", str(reports / "report.json"), "--synth-timeout", "300"],
        cwd=tmp_path, env={**os.environ, "CDKCHECK_CACHE_DIR": str(cache)},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=_signals_as_a_shell_leaves_them)
    try:
        seen: dict[int, str] = {}
        deadline = time.monotonic() + scaled(120)
        while not any("app.py" in cmdline(pid) for pid in seen):  # the app itself is running
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the synth never started"
            seen.update(descendants(proc.pid))
            time.sleep(0.2)
        time.sleep(1.0)
        seen.update(descendants(proc.pid))
        assert list((cache / "synth").glob("*.partial")), "expected the synth's work directory"

        signalled = time.monotonic()
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=scaled(120))
        took = time.monotonic() - signalled
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    assert proc.returncode == EXIT_INTERRUPTED, stderr.decode()
    assert "interrupted" in stderr.decode()
    assert "Traceback" not in stderr.decode()
    assert took < scaled(30), f"took {took:.1f} s to stop"
    time.sleep(0.5)  # the kill is synchronous; a moment for the kernel to reap
    assert not still_alive(seen), still_alive(seen)
    assert list(reports.iterdir()) == []
    assert not list((cache / "synth").glob("*.partial"))


SCRIPTED_APP = """
import json, os, pathlib, time
out = pathlib.Path(os.environ["CDK_OUTDIR"])
time.sleep(1.5)  # both runs are synthesizing at once
template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/aws/sns"}}}}
(out / "Staging.template.json").write_text(json.dumps(template))
(out / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {"Staging": {
    "type": "aws:cloudformation:stack", "environment": "aws://111111111111/us-east-1",
    "properties": {"templateFile": "Staging.template.json"}}}}))
"""


@pytest.mark.slow
def test_two_runs_sharing_a_cache_both_succeed_with_identical_reports(tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.py").write_text(SCRIPTED_APP)
    (app / "cdk.json").write_text(json.dumps({"app": "python3 app.py"}))
    cache = tmp_path / "cache"
    env = {**os.environ, "CDKCHECK_CACHE_DIR": str(cache)}
    command = [str(CDKCHECK), "staging", "--app", "app", "--offline", "--format", "json"]
    runs = [subprocess.Popen(command, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE) for _ in range(2)]
    results = [(run.communicate(timeout=scaled(300)), run.returncode) for run in runs]
    for (stdout, stderr), code in results:
        assert code == 0, stderr.decode()
    reports = [json.loads(stdout) for (stdout, _), _ in results]
    assert reports[0] == reports[1]
    assert [e["verdict"] for e in reports[0]["environments"]] == ["GO"]
    # One assembly in the cache, nothing half-written, and a third run is served from it.
    entries = [p.name for p in (cache / "synth").iterdir() if not p.name.startswith(".")]
    assert len(entries) == 1 and not entries[0].endswith(".partial"), entries
    third = run_cdkcheck("staging", "--app", "app", "--offline", "--format", "json", cwd=tmp_path,
                         env={"CDKCHECK_CACHE_DIR": str(cache)})
    assert third.code == 0 and json.loads(third.stdout) == reports[0]


@pytest.mark.slow
def test_a_corrupted_cache_entry_is_not_trusted(tmp_path):
    """A half-deleted cache entry (manifest gone) is synthesized again, not read as an empty assembly."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "app.py").write_text(SCRIPTED_APP.replace("time.sleep(1.5)", "pass"))
    (app / "cdk.json").write_text(json.dumps({"app": "python3 app.py"}))
    env = {"CDKCHECK_CACHE_DIR": str(tmp_path / "cache")}
    first = run_cdkcheck("staging", "--app", "app", "--offline", "--format", "json", cwd=tmp_path, env=env)
    assert first.code == 0, first.stderr
    (entry,) = [p for p in (tmp_path / "cache" / "synth").iterdir() if not p.name.startswith(".")]
    (entry / "manifest.json").unlink()
    shutil.rmtree(tmp_path / "cache" / "analyzers", ignore_errors=True)
    second = run_cdkcheck("staging", "--app", "app", "--offline", "--format", "json", cwd=tmp_path, env=env)
    assert second.code == 0, second.stderr
    assert json.loads(second.stdout) == json.loads(first.stdout)
