"""Every bad input in corpus/ ends in one clear message (file, problem, fix) and exit 2, or a blocking finding.

Each corpus directory holds the input files and a case.toml with its one expectation:
`args` for cdkcheck (run inside a copy of the directory), `exit_code`, and the fragments
that must appear: `file` and `message` (and `hint`) on stderr for errors, `output` on
stdout for findings. Never a traceback, unless --debug asks for one.
"""

from __future__ import annotations

import shutil
import time
import tomllib

import pytest

from conftest import CORPUS, run_cdkcheck

CASES = sorted(p for p in CORPUS.iterdir() if (p / "case.toml").is_file())


def load_case(directory):
    return tomllib.loads((directory / "case.toml").read_text(encoding="utf-8"))


def copy_case(directory, tmp_path):
    target = tmp_path / directory.name
    shutil.copytree(directory, target, symlinks=True, ignore=shutil.ignore_patterns("case.toml"))
    return target


def assert_clear_error(run, *, file: str | None, message: str, hint: str | None = None):
    errors = [line for line in run.stderr.splitlines() if line.startswith("cdkcheck: error:")]
    assert len(errors) == 1, run.stderr
    assert "Traceback" not in run.output and "internal error" not in run.output, run.stderr
    assert message in run.stderr, run.stderr
    if file is not None:
        assert file in errors[0], f"the message does not name {file}: {errors[0]}"
    if hint is not None:
        assert hint in run.stderr, run.stderr
    # The fix: a hint line, or a message that itself says what the value must be.
    assert "hint:" in run.stderr or " must " in errors[0], f"no fix offered: {run.stderr}"


def test_every_case_declares_one_expectation():
    assert len(CASES) >= 40
    for directory in CASES:
        case = load_case(directory)
        assert case["about"] and case["args"], directory.name
        assert case["exit_code"] in (1, 2, 3), directory.name
        assert ("message" in case) == (case["exit_code"] == 2), directory.name
        assert ("output" in case) == (case["exit_code"] != 2), directory.name


@pytest.mark.parametrize("directory", CASES, ids=[p.name for p in CASES])
def test_bad_input(directory, tmp_path):
    case = load_case(directory)
    workdir = copy_case(directory, tmp_path)
    started = time.monotonic()
    run = run_cdkcheck(*case["args"], cwd=workdir, timeout=case.get("max_seconds", 60))
    assert run.code == case["exit_code"], f"{case['about']}\nstdout:\n{run.stdout}\nstderr:\n{run.stderr}"
    if case["exit_code"] == 2:
        assert_clear_error(run, file=case.get("file"), message=case["message"], hint=case.get("hint"))
    else:
        assert "Traceback" not in run.output and "internal error" not in run.output, run.stderr
        for fragment in case["output"]:
            assert fragment in run.stdout, f"{fragment!r} not in:\n{run.stdout}"
    assert time.monotonic() - started < case.get("max_seconds", 60)


ERROR_CASES = [p for p in CASES if load_case(p)["exit_code"] == 2]


@pytest.mark.parametrize("directory", ERROR_CASES[::4], ids=[p.name for p in ERROR_CASES[::4]])
def test_debug_shows_the_traceback_and_keeps_the_exit_code(directory, tmp_path):
    case = load_case(directory)
    run = run_cdkcheck(*case["args"], "--debug", cwd=copy_case(directory, tmp_path))
    assert "Traceback (most recent call last)" in run.stderr, run.stderr
    assert case["message"] in run.stderr
    assert run.code == 2
