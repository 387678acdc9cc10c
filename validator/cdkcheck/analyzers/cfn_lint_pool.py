"""cfn-lint in worker processes: templates linted in parallel, start-up overlapping a synth.

cfn-lint is pure Python, so threads cannot run it on two cores, and on large
apps it is the longest step: about 3 s of CPU per 200-resource template with
cfn-lint 1.58, most of it JSON-schema validation. A worker is
`python -m cdkcheck.analyzers.cfn_lint_pool`, the same `_Linters` as in
process, speaking one JSON line per request and per answer over its
stdin/stdout:

  {"ignore": [...], "region": "us-east-1"}                 -> {"ready": true}
  {"ignore": [...], "region": "us-east-1", "path": "..."}  -> {"region": "...", "findings": [...]}
                                                           or {"error": "...", "error_type": "KeyError"}

The first form only builds the rules, so a worker started during a synth is
ready when the templates are. Findings travel as the result cache stores
them, so a template linted here or in process gives the same findings.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Sequence

from cdkcheck.serialize import finding_from_dict, finding_to_dict
from cdkcheck.model import Finding, Template

STDERR_TAIL_CHARS = 600
# A worker's start-up (import and rules, about 1.3 s of CPU) pays off only with this much linting for it
# (cfn-lint 1.58 spends about 6 ms of CPU per resource): courtcase's 109 resources get one worker.
RESOURCES_PER_WORKER = 300


class WorkerFailed(Exception):
    """A template the pool could not lint; it is reported as not linted."""


class WorkerDied(WorkerFailed):
    """The worker process is gone or answered nonsense."""


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class LintPool:
    """Up to `max_workers` cfn-lint processes, started on demand (or early, by `warm`), reused across calls."""

    def __init__(self, max_workers: int | None = None):
        self.max_workers = max(1, max_workers or usable_cpus())
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._started: list[_Worker] = []
        self._closed = False

    def warm(self, ignored: Sequence[str], region: str) -> None:
        """Start one worker now, building the rules for `region` while other work goes on."""
        worker = self._spawn()
        if worker is not None:
            worker.send({"ignore": list(ignored), "region": region}, expect_answer=False)
            self._checkin(worker)

    def linters(self, ignored: Sequence[str]) -> "_PooledLinters":
        return _PooledLinters(self, list(ignored))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers, self._started, self._idle = self._started, [], []
        for worker in workers:
            worker.stop()

    def _checkout(self) -> "_Worker | None":
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return self._spawn()

    def _checkin(self, worker: "_Worker") -> None:
        with self._lock:
            if not self._closed and worker.alive():
                self._idle.append(worker)
                return
        worker.stop()

    def _spawn(self) -> "_Worker | None":
        with self._lock:
            if self._closed:
                return None
        try:
            worker = _Worker()
        except OSError:
            return None
        with self._lock:
            if self._closed:
                worker.stop()
                return None
            self._started.append(worker)
        return worker


class _PooledLinters:
    """The `lint_all` of cfn_lint._Linters, spread over the pool's workers."""

    def __init__(self, pool: LintPool, ignored: list[str]):
        self._pool = pool
        self._ignored = ignored

    def lint_all(self, jobs: Sequence[tuple[Template, str]]) -> list[tuple[str, list[Finding]] | Exception]:
        answers: list[Any] = [None] * len(jobs)
        remaining = iter(range(len(jobs)))
        lock = threading.Lock()

        def take() -> int | None:
            with lock:
                return next(remaining, None)

        def drain() -> None:
            worker = self._pool._checkout()
            unusable: WorkerFailed | None = None if worker else WorkerDied("no cfn-lint worker process could be started")
            try:
                while (index := take()) is not None:
                    if unusable is not None:
                        answers[index] = unusable
                        continue
                    template, region = jobs[index]
                    try:
                        answers[index] = worker.lint(template.path, region, self._ignored)
                    except WorkerDied as exc:
                        answers[index] = exc
                        worker.stop()
                        if not worker.answered:  # it never got as far as answering: another would not either
                            unusable, worker = exc, None
                        else:
                            worker = self._pool._spawn()  # a fresh one for the templates left
                            unusable = None if worker else exc
                    except WorkerFailed as exc:  # cfn-lint raised on this template; the worker carries on
                        answers[index] = exc
            finally:
                if worker is not None:
                    self._pool._checkin(worker)

        resources = sum(len(template.resources) for template, _ in jobs)
        wanted = max(1, min(self._pool.max_workers, len(jobs), resources // RESOURCES_PER_WORKER))
        threads = [threading.Thread(target=drain, name="cfn-lint-feeder", daemon=True) for _ in range(wanted)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return answers


class _Worker:
    def __init__(self):
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen([sys.executable, "-m", "cdkcheck.analyzers.cfn_lint_pool"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr,
                                      start_new_session=True)
        self._unread = 0  # answers to warm-up requests, read before the next real answer
        self.answered = False  # has it ever answered (is it a working cfn-lint at all)?

    def alive(self) -> bool:
        return self._proc.poll() is None

    def send(self, request: dict, *, expect_answer: bool = True) -> dict | None:
        try:
            self._proc.stdin.write((json.dumps(request) + "\n").encode())
            self._proc.stdin.flush()
        except OSError as exc:
            raise WorkerDied(self._died(f"could not be given its work ({exc})")) from None
        if not expect_answer:
            self._unread += 1
            return None
        while self._unread:
            self._read()
            self._unread -= 1
        return self._read()

    def lint(self, path: Path, region: str, ignored: list[str]) -> tuple[str, list[Finding]]:
        answer = self.send({"ignore": ignored, "region": region, "path": str(path)})
        if "error" in answer:
            # Under the original exception's name, so the report reads as it would had it run in process.
            raise type(str(answer.get("error_type") or "WorkerFailed"), (WorkerFailed,), {})(str(answer["error"]))
        try:
            return str(answer["region"]), [finding_from_dict(item) for item in answer["findings"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise WorkerDied(f"unreadable answer from a cfn-lint worker: {exc!r}") from None

    def _read(self) -> dict:
        line = self._proc.stdout.readline()
        if not line:
            raise WorkerDied(self._died("exited"))
        try:
            answer = json.loads(line)
        except ValueError:
            raise WorkerDied(f"unreadable answer from a cfn-lint worker: {line[:200]!r}") from None
        if not isinstance(answer, dict):
            raise WorkerDied(f"unreadable answer from a cfn-lint worker: {line[:200]!r}")
        self.answered = True
        return answer

    def _died(self, what: str) -> str:
        try:
            code = self._proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            code = None
        self._stderr.seek(0)
        tail = self._stderr.read().decode("utf-8", "replace").strip()[-STDERR_TAIL_CHARS:]
        return f"the cfn-lint worker process {what} (exit code {code})" + (f": {tail}" if tail else "")

    def stop(self) -> None:
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)  # it holds nothing worth a graceful exit
            except ProcessLookupError:
                pass
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for stream in (self._proc.stdin, self._proc.stdout, self._stderr):
            try:
                stream.close()
            except OSError:
                pass


# ------------------------------------------------------------------ the worker side


def serve(requests, answers) -> None:
    """Answer each request line until stdin closes."""
    from cdkcheck.analyzers.cfn_lint import _Linters

    linters: dict[tuple[str, ...], _Linters] = {}
    for line in requests:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            ignored = tuple(request["ignore"])
            linter = linters.get(ignored)
            if linter is None:
                linter = linters[ignored] = _Linters(ignored)
            if request.get("path") is None:
                linter.prepare(request["region"])
                answer: dict[str, Any] = {"ready": True}
            else:
                used, findings = linter.lint(SimpleNamespace(path=Path(request["path"])), request["region"])
                answer = {"region": used, "findings": [finding_to_dict(f) for f in findings]}
        except Exception as exc:  # reported for this template; the worker carries on
            answer = {"error": str(exc), "error_type": type(exc).__name__}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()


def main() -> None:
    # Answers go to the original stdout; anything a library prints goes to stderr instead.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    serve(sys.stdin, answers)


if __name__ == "__main__":
    main()
