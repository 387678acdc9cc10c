"""Run the real `cdkcheck` executable as a user would, for the robustness suite."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CORPUS = HERE / "corpus"
# The console script installed beside this interpreter: the same entry point users run.
CDKCHECK = Path(sys.executable).parent / "cdkcheck"


@dataclass(frozen=True)
class CliRun:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cdkcheck(*args: str, cwd: Path, env: dict | None = None, timeout: float = 120) -> CliRun:
    """Run cdkcheck as a user would; `timeout` (scaled) is a guard for the test, not part of what is tested."""
    from timeouts import scaled

    completed = subprocess.run(
        [str(CDKCHECK), *args], cwd=cwd, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
        capture_output=True, timeout=scaled(timeout),
    )
    return CliRun(tuple(args), completed.returncode, completed.stdout.decode("utf-8", "replace"),
                  completed.stderr.decode("utf-8", "replace"))

