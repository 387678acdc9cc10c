"""Run commands and measure them: wall time, CPU time and peak memory of each run.

Peak memory is the kernel's ru_maxrss for the waited-for child, read with
os.wait4: the largest resident set of any single process in the run (the
command itself or any descendant it waited for), not the sum of processes
alive at the same time. CPU time is user + system over the same processes.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence


class CommandFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class Step:
    name: str
    wall: float
    cpu: float
    maxrss_mb: float
    returncode: int


@dataclass(frozen=True)
class Sample:
    """One run of one variant: possibly several commands in sequence (the naive pipeline)."""
    steps: tuple[Step, ...]
    load_before: float
    load_after: float

    @property
    def wall(self) -> float:
        return sum(s.wall for s in self.steps)

    @property
    def cpu(self) -> float:
        return sum(s.cpu for s in self.steps)

    @property
    def maxrss_mb(self) -> float:
        return max(s.maxrss_mb for s in self.steps)


def run_step(name: str, command: Sequence[str], *, env: Mapping[str, str], cwd: Path | None = None,
             ok_codes: Sequence[int] = (0,), stdout_file: Path | None = None) -> Step:
    """One command to completion; raises CommandFailed on an exit code outside ok_codes."""
    out = open(stdout_file, "wb") if stdout_file else subprocess.DEVNULL
    try:
        with tempfile.TemporaryFile() as err:
            started = time.perf_counter()
            proc = subprocess.Popen(list(command), env=dict(env), cwd=cwd, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)  # rusage of this child and its descendants
            wall = time.perf_counter() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
            err.seek(0)
            stderr_tail = err.read().decode("utf-8", "replace")[-3000:]
    finally:
        if stdout_file:
            out.close()
    if proc.returncode not in ok_codes:
        raise CommandFailed(f"{name}: `{' '.join(command)}` exited with {proc.returncode}\n{stderr_tail}")
    return Step(name=name, wall=wall, cpu=usage.ru_utime + usage.ru_stime,
                maxrss_mb=usage.ru_maxrss / 1024, returncode=proc.returncode)


def load_average() -> float:
    return os.getloadavg()[0]


@dataclass
class Series:
    """Samples of one variant, in the order they were taken."""
    label: str
    samples: list[Sample] = field(default_factory=list)

    def walls(self) -> list[float]:
        return [s.wall for s in self.samples]

    def step_walls(self, name: str) -> list[float]:
        return [st.wall for s in self.samples for st in s.steps if st.name == name]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values: Sequence[float]) -> tuple[float, float]:
    return (min(values), max(values)) if values else (float("nan"), float("nan"))
