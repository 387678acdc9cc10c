"""Which account answers an evaluation used, and how old they were.

A facts implementation notes every answer it serves (`ReadLedger.note`) with
the time it was read from AWS and whether it was kept from an earlier run.
Whoever wants to know what a piece of work relied on wraps it in
`ledger.watch()`: the `Reads` it yields collects every answer served on that
thread while it is open, nested answers included. The rule engine watches
each rule, so an outcome that blocks the deploy (or is UNKNOWN) can be traced
to the answers behind it, and those re-read when they came from an earlier run.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator, Mapping


@dataclass(eq=False)  # each one is its own record: found on the stack by identity
class Reads:
    read_at: dict[str, float] = field(default_factory=dict)  # question key -> when AWS answered it (epoch)
    reused: set[str] = field(default_factory=set)  # keys answered by an earlier run

    def note(self, key: str, read_at: float, reused: bool) -> None:
        self.read_at[key] = min(read_at, self.read_at.get(key, read_at))
        if reused:
            self.reused.add(key)

    def oldest(self) -> float | None:
        return min(self.read_at.values(), default=None)

    @property
    def any_reused(self) -> bool:
        return bool(self.reused)


class ReadLedger:
    def __init__(self):
        self._local = threading.local()

    def _open(self) -> list[Reads]:
        if not hasattr(self._local, "open"):
            self._local.open = []
        return self._local.open

    @contextmanager
    def watch(self) -> Iterator[Reads]:
        reads = Reads()
        stack = self._open()
        stack.append(reads)
        try:
            yield reads
        finally:
            stack.remove(reads)

    def note(self, key: str, read_at: float, reused: bool) -> None:
        for reads in self._open():
            reads.note(key, read_at, reused)


def reuse_summary(reads: Mapping[str, Reads], *, max_age: float, now: float | None = None) -> dict:
    """The report's account of reused answers over every rule's reads: how many, the oldest's age."""
    now = time.time() if now is None else now
    reused: dict[str, float] = {}
    for one in reads.values():
        for key in one.reused:
            reused[key] = min(one.read_at[key], reused.get(key, one.read_at[key]))
    summary: dict = {"source": "live", "max_facts_age_seconds": max_age, "reused_answers": len(reused),
                     "oldest_answer_age_seconds": None}
    if reused:
        summary["oldest_answer_age_seconds"] = round(max(0.0, now - min(reused.values())), 1)
    return summary
