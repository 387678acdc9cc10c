"""Helpers for the workflow tests: running the CLI, the courtcase report set, snapshots."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdkcheck.cli.main import app

REPO = Path(__file__).resolve().parents[2]
COURTCASE = REPO / "fixtures" / "apps" / "courtcase"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
SARIF_SCHEMA = Path(__file__).resolve().parent / "schemas" / "sarif-schema-2.1.0.json"  # OASIS, vendored
REPORT_FORMATS = {"sarif": "sarif", "junit": "xml", "markdown": "md", "github": "txt"}


@dataclass(frozen=True)
class CourtcaseRun:
    exit_code: int
    stdout: str
    reports: dict[str, Path]  # format -> file written by --report
    json_report: dict


def run_cli(args: list[str], cache_dir: Path) -> tuple[int, str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CDKCHECK_CACHE_DIR", str(cache_dir))
        result = CliRunner().invoke(app, args)
    return result.exit_code, result.output


def courtcase_args(out_dir: Path) -> list[str]:
    args = ["staging", "production", "--app", str(COURTCASE), "--offline", "--quiet",
            "--format", "json", "--output", str(out_dir / "report.json")]
    for name, ext in REPORT_FORMATS.items():
        args += ["--report", f"{name}={out_dir / f'courtcase.{ext}'}"]
    return args


def check_snapshot(name: str, actual: str) -> None:
    """Compare with the committed snapshot; UPDATE_SNAPSHOTS=1 rewrites it instead."""
    path = SNAPSHOTS / name
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.is_file(), f"no snapshot {path}; create it with UPDATE_SNAPSHOTS=1"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (f"{name} differs from its snapshot; if the change is intended, "
                                "rerun with UPDATE_SNAPSHOTS=1 and review the diff")


# Both environments synthesize the same way (no account binding), so one synth serves both; the pre-commit
# and GitHub-example tests use the same app content and so share that synth in the cache.
MINIMAL_CONFIG = """[environments.staging]
stacks = ["Minimal-Staging"]

[environments.production]
stacks = ["Minimal-Production"]
"""


def minimal_app(destination: Path) -> Path:
    """fixtures/apps/minimal with a cdkcheck.toml naming both environments."""
    shutil.copytree(REPO / "fixtures" / "apps" / "minimal", destination)
    (destination / "cdkcheck.toml").write_text(MINIMAL_CONFIG)
    return destination
