"""The courtcase demo checked once per test session through the real CLI, every report format in one run."""

from __future__ import annotations

import json

import pytest
from workflow_support import REPORT_FORMATS, CourtcaseRun, courtcase_args, run_cli


@pytest.fixture(scope="session")
def courtcase_run(tmp_path_factory, synth_cache) -> CourtcaseRun:
    out = tmp_path_factory.mktemp("courtcase-reports")
    code, stdout = run_cli(courtcase_args(out), synth_cache)
    reports = {name: out / f"courtcase.{ext}" for name, ext in REPORT_FORMATS.items()}
    return CourtcaseRun(code, stdout, reports, json.loads((out / "report.json").read_text()))
