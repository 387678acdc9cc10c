"""Run cfn-lint, checkov and the cdk-preflight pack ahead of the per-environment checks: once for all
environments, as early as the templates exist, into results the checks then read.

Why: checkov's start-up (about 2 s) and cfn-lint's (about 1 s) would otherwise be paid once per
environment, after the synth, and one environment after the other. Here:

* `warm_up` (called when a synth starts) starts a checkov process and a cfn-lint worker, whose
  imports then overlap the synth, and reads the pack's rule data;
* `speculate` (called when the app has written its templates but is still running CDK's validation
  plugins, about 3 s for courtcase) analyzes a copy of those templates;
* `submit` (called with the final assembly) analyzes whatever is not already done or under way:
  every environment's templates at once, deduplicated, cfn-lint spread over worker processes, the pack
  in one engine per deploy region and account, built with the rules for the types present.

It is only ever a head start: results are stored under the template's content hash (CacheKey), so a
template analyzed early counts only if the final one has the same bytes, and an analysis that fails
here is not stored, so the environment's own call runs it again and reports what happened. The
per-environment calls read `results` (a SharedResults), which waits for a template still being
analyzed here instead of starting a second analysis of it.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from cdkcheck.analyzers.cache import CacheKey, ResultCache
from cdkcheck.serialize import finding_from_dict, finding_to_dict
from cdkcheck.model import Assembly, Finding, Stack

CHECKOV = "checkov"
CFN_LINT = "cfn-lint"
PREFLIGHT = "cdk-preflight"


@dataclass(frozen=True)
class AnalysisJob:
    """One environment's analyzer inputs, as its own checks will ask for them."""
    stacks: tuple[Stack, ...]
    region: str | None
    cfn_lint_ignore: tuple[str, ...] = ()
    account: str | None = None
    preflight: bool = True  # the environment runs the cdk-preflight pack


class SharedResults:
    """The run's analyzer results: in memory, over the on-disk cache when there is one.

    A template reserved by AnalysisAhead is being analyzed: `get` waits for it to be released,
    then answers from what was stored (or misses, if that analysis failed).
    """

    def __init__(self, backing: ResultCache | None):
        self._backing = backing
        self._memory: dict[str, tuple[Finding, ...]] = {}
        self._reserved: Counter[tuple[str, str]] = Counter()
        self._changed = threading.Condition()

    def reserve(self, analyzer: str, shas: Sequence[str]) -> None:
        with self._changed:
            self._reserved.update((analyzer, sha) for sha in shas)

    def release(self, analyzer: str, shas: Sequence[str]) -> None:
        with self._changed:
            self._reserved.subtract((analyzer, sha) for sha in shas)
            self._reserved += Counter()  # drop zero counts
            self._changed.notify_all()

    def get(self, key: CacheKey, *, wait: bool = True) -> tuple[Finding, ...] | None:
        with self._changed:
            if wait:
                self._changed.wait_for(lambda: self._reserved[(key.analyzer, key.template_sha256)] <= 0)
            found = self._memory.get(key.digest())
        if found is None and self._backing is not None:
            found = self._backing.get(key)
            if found is not None:
                with self._changed:
                    self._memory[key.digest()] = found
        return found

    def put(self, key: CacheKey, findings: Sequence[Finding]) -> None:
        # Stored as the disk cache would give them back, so memory and disk answers are identical.
        stored = tuple(finding_from_dict(finding_to_dict(f)) for f in findings)
        with self._changed:
            self._memory[key.digest()] = stored
        if self._backing is not None:
            self._backing.put(key, findings)


    def without_waiting(self) -> "_WithoutWaiting":
        """The same results for the analysis that holds the reservations: it must not wait for itself."""
        return _WithoutWaiting(self)


class _WithoutWaiting:
    def __init__(self, shared: SharedResults):
        self._shared = shared

    def get(self, key: CacheKey) -> tuple[Finding, ...] | None:
        return self._shared.get(key, wait=False)

    def put(self, key: CacheKey, findings: Sequence[Finding]) -> None:
        self._shared.put(key, findings)


class AnalysisAhead:
    def __init__(self, backing: ResultCache | None, *, lint_workers: int | None = None):
        from cdkcheck.analyzers.cfn_lint_pool import LintPool, usable_cpus

        self.results = SharedResults(backing)
        workers = lint_workers or usable_cpus()
        # On one CPU a worker process buys nothing over linting in process.
        self._pool = LintPool(workers) if workers > 1 else None
        self._lock = threading.Lock()
        self._submitted: set[tuple] = set()
        self._threads: list[threading.Thread] = []
        self._copies: list[Path] = []
        self._checkov = None
        self._engines = None  # preflight.Engines, made on first use
        self._closed = False

    def warm_up(self, *, region: str | None, cfn_lint_ignore: Sequence[str] = ()) -> None:
        """Start the analyzers' processes now (a synth is starting); cheap to call more than once."""
        from cdkcheck.analyzers.cfn_lint import CDK_NOISE_RULES, DEFAULT_REGION
        from cdkcheck.analyzers.checkov import WarmCheckov

        with self._lock:
            if self._closed or self._checkov is not None:
                return
            self._checkov = WarmCheckov(start_now=True)
        if self._pool is not None:
            self._pool.warm(sorted(set(CDK_NOISE_RULES) | set(cfn_lint_ignore)), region or DEFAULT_REGION)
        self._start(_read_pack, "cdkcheck-preflight-pack")  # its rule data is read while the app synthesizes

    def speculate(self, partial_assembly: Path, jobs_for: Callable[[Assembly], Sequence[AnalysisJob]]) -> None:
        """Analyze the templates of an assembly still being written; never raises, never waits."""
        def run() -> None:
            from cdkcheck.app.assembly import load_assembly

            try:
                copy = self._copy(partial_assembly)
                jobs = jobs_for(load_assembly(copy))
            except Exception:  # an assembly not readable yet: the final one is analyzed anyway
                return
            self.submit(jobs)

        self._start(run, "cdkcheck-speculate")

    def submit(self, jobs: Sequence[AnalysisJob]) -> None:
        """Start analyzing every template of `jobs` not already done or under way; returns at once."""
        checkov_stacks: list[Stack] = []
        lint_groups: dict[tuple, list[Stack]] = {}
        preflight_groups: dict[tuple, list[Stack]] = {}
        with self._lock:
            if self._closed:
                return
            for job in jobs:
                ignore = tuple(sorted(job.cfn_lint_ignore))
                for stack in job.stacks:
                    sha = stack.template.sha256
                    if (CHECKOV, sha) not in self._submitted:
                        self._submitted.add((CHECKOV, sha))
                        checkov_stacks.append(stack)
                    lint_identity = (CFN_LINT, sha, job.region or stack.region, ignore)
                    if lint_identity not in self._submitted:
                        self._submitted.add(lint_identity)
                        lint_groups.setdefault((job.region, ignore), []).append(stack)
                    where = (job.region or stack.region, job.account or stack.account)
                    if job.preflight and (PREFLIGHT, sha, *where) not in self._submitted:
                        self._submitted.add((PREFLIGHT, sha, *where))
                        preflight_groups.setdefault((job.region, job.account), []).append(stack)
        if checkov_stacks:
            self._run_reserved(CHECKOV, checkov_stacks, self._run_checkov)
        for (region, ignore), stacks in lint_groups.items():
            self._run_reserved(CFN_LINT, stacks,
                               lambda stacks, region=region, ignore=ignore: self._run_cfn_lint(stacks, region, ignore))
        for (region, account), stacks in preflight_groups.items():
            self._run_reserved(PREFLIGHT, stacks, lambda stacks, region=region, account=account:
                               self._run_preflight(stacks, region, account))

    def close(self) -> None:
        """Stop whatever is still running (nobody needs it any more) and remove the copies."""
        with self._lock:
            self._closed = True
            threads, checkov = list(self._threads), self._checkov
        if checkov is not None:
            checkov.close()
        if self._pool is not None:
            self._pool.close()
        for thread in threads:
            thread.join()
        for copy in self._copies:
            shutil.rmtree(copy, ignore_errors=True)

    # ------------------------------------------------------------------

    def _run_reserved(self, analyzer: str, stacks: list[Stack], run: Callable[[list[Stack]], object]) -> None:
        shas = [s.template.sha256 for s in stacks]
        self.results.reserve(analyzer, shas)

        def body() -> None:
            try:
                run(stacks)
            except Exception:  # the environment's own call will run it again and report the error
                pass
            finally:
                self.results.release(analyzer, shas)

        try:
            started = self._start(body, f"cdkcheck-{analyzer}")
        except RuntimeError:  # no thread to be had: the environments' own calls will do it
            started = False
        if not started:
            self.results.release(analyzer, shas)

    def _run_checkov(self, stacks: list[Stack]) -> None:
        from cdkcheck.analyzers.checkov import WarmCheckov, run_checkov

        with self._lock:
            if self._checkov is None:  # no synth ran: started only if a template needs it, but owned here
                self._checkov = WarmCheckov(start_now=False)
            checkov = self._checkov
        run_checkov(stacks, cache=self.results.without_waiting(), warm=checkov)

    def _run_cfn_lint(self, stacks: list[Stack], region: str | None, ignore: tuple[str, ...]) -> None:
        from cdkcheck.analyzers.cfn_lint import run_cfn_lint

        run_cfn_lint(stacks, region=region, ignore=ignore, cache=self.results.without_waiting(), pool=self._pool)

    def _run_preflight(self, stacks: list[Stack], region: str | None, account: str | None) -> None:
        from cdkcheck.analyzers.preflight import Engines, run_preflight

        with self._lock:
            if self._engines is None:
                self._engines = Engines()
            engines = self._engines
        run_preflight(stacks, region=region, account=account, cache=self.results.without_waiting(), engines=engines)

    def _start(self, target: Callable[[], None], name: str) -> bool:
        thread = threading.Thread(target=target, name=name, daemon=True)
        with self._lock:  # started under the lock: close() then sees it and joins it
            if self._closed:
                return False
            thread.start()
            self._threads.append(thread)
        return True

    def _copy(self, assembly: Path) -> Path:
        """The assembly's JSON files (manifests, templates, metadata) copied aside: the synth moves its own."""
        copy = Path(tempfile.mkdtemp(prefix="cdkcheck-ahead-"))  # not in the cache: a killed run leaves it there
        with self._lock:
            self._copies.append(copy)
        for source in assembly.rglob("*.json"):
            relative = source.relative_to(assembly)
            if relative.parts[0].startswith("asset.") or source.name == "tree.json":
                continue
            target = copy / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        return copy


def _read_pack() -> None:
    from cdkcheck.analyzers.preflight import PackUnavailable, load_pack

    try:
        load_pack()
    except PackUnavailable:
        pass  # the environment's own run reports it
