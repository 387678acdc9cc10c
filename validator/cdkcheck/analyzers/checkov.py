"""checkov's CloudFormation checks, run in a subprocess, folded into findings.

Why a subprocess: checkov pins old dependencies (networkx<2.7, its own boto3
floor), keeps process-wide check registries and may hang or crash; a child
process isolates all of that and can be stopped at a timeout. The price,
measured with checkov 3.2.459 on this project's venv:

  subprocess `python -m checkov.main`: 2.4 s start-up (one small template:
      2.5 s in all), then about 0.11 s per template (ten courtcase and
      Lambda/ECS/CloudFront templates, 235 resources: 3.6 s);
  in process: 0.9 s import + 0.9 s for the same ten templates (1.8 s).

So a subprocess costs about 1.8 s more per cold run; every template is sent
in one invocation, and results are cached per template, so an unchanged app
does not start checkov at all. When a synth has to run first, a WarmCheckov
is started with it: its imports (about 2 s) overlap the synth, and it gets
its file list on stdin once the templates exist.

It never reaches the network: --skip-download skips the platform mapping and
guideline download, CKV_SKIP_PACKAGE_UPDATE_CHECK skips the PyPI version
check, no API key is passed (BC_*/PRISMA_* variables are removed, since
BC_API_KEY would turn on uploads), and it runs in an empty directory so a
stray .checkov.yaml cannot change the results behind the cache's back. Run
with no network namespace at all (`unshare -rn`) it takes the same time.
Offline, checkov has no severities and no guideline URLs; both are used
when present.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
from collections import defaultdict
from importlib import metadata
from pathlib import Path
from typing import Any, Mapping, Sequence

from cdkcheck.template.redact import redact_findings, secret_values
from cdkcheck.analyzers import AnalyzerReport, analyzer_failed, bind_to_stack
from cdkcheck.analyzers.cache import CacheKey, ResultCache
from cdkcheck.model import (
    CheckOutcome,
    CheckStatus,
    Finding,
    Severity,
    Source,
    SourceLocation,
    Stack,
    Suppression,
)

CHECK = "checkov"
# Bump when the way results become findings changes, so cached results are redone.
RESULT_FORMAT = "1"
STDERR_TAIL_LINES = 8
# Environment prefixes that configure checkov or its platform connection; none may leak in.
_CHECKOV_ENV_PREFIXES = ("BC_", "CKV_", "CHECKOV_", "PRISMA_")
_OFFLINE_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
_SEVERITIES = {
    "CRITICAL": Severity.ERROR,
    "HIGH": Severity.ERROR,
    "MEDIUM": Severity.WARNING,
    "LOW": Severity.WARNING,
    "INFO": Severity.INFO,
}


class CheckovFailed(Exception):
    """checkov did not produce a report we can read."""


def run_checkov(
    stacks: Sequence[Stack],
    *,
    cache: ResultCache | None = None,
    blocking_required: bool = False,
    timeout: float = 300,
    warm: "WarmCheckov | None" = None,
) -> AnalyzerReport:
    """Check every stack's template in one checkov run (cached templates skipped); never raises.

    `warm`, a checkov process started earlier, is used instead of starting one, if it is still unused.
    """
    version = _installed_version()
    if version is None:
        return _could_not_run("checkov is not installed in this environment", stacks, blocking_required)
    options = {"framework": "cloudformation", "format": RESULT_FORMAT}

    findings: list[Finding] = []
    pending: dict[str, list[Stack]] = defaultdict(list)  # template sha -> stacks sharing that template
    for stack in stacks:
        cached = cache.get(_key(version, stack, options)) if cache else None
        if cached is None:
            pending[stack.template.sha256].append(stack)
        else:
            findings.extend(bind_to_stack(f, stack) for f in cached)
    if not pending:
        return AnalyzerReport(findings=tuple(findings), outcomes=(CheckOutcome(check=CHECK, status=CheckStatus.RAN),))

    files = [group[0].template.path for group in pending.values()]
    try:
        if warm is None:
            payload = run_checkov_process(files, timeout=timeout)
        else:
            payload = run_checkov_process(files, timeout=timeout, warm=warm)
    except CheckovFailed as exc:
        waiting = [s for group in pending.values() for s in group]
        return _could_not_run(str(exc), waiting, blocking_required, findings)

    results = results_by_file(payload)
    unparsed = {_resolved(p) for p in parsing_errors(payload)}
    failures: list[str] = []
    for group in pending.values():
        path = _resolved(group[0].template.path)
        if path in unparsed:
            failures.append(f"{path.name}: checkov could not parse it")
            findings.extend(analyzer_failed(CHECK, f"template {path}", "checkov could not parse the template",
                                            stack=s.display_name) for s in group)
            continue
        relative = results.get(path, [])
        if cache is not None:
            relative = redact_findings(relative, secret_values(group))  # cached files outlive the run
            cache.put(_key(version, group[0], options), relative)
        for stack in group:
            findings.extend(bind_to_stack(f, stack) for f in relative)

    if failures:
        outcome = CheckOutcome(check=CHECK, status=CheckStatus.UNKNOWN, required=blocking_required,
                               reason="checkov failed on " + "; ".join(failures))
    else:
        outcome = CheckOutcome(check=CHECK, status=CheckStatus.RAN)
    return AnalyzerReport(findings=tuple(findings), outcomes=(outcome,))


def run_checkov_process(files: Sequence[Path], *, timeout: float, warm: "WarmCheckov | None" = None) -> Any:
    """One checkov run over `files`; returns its parsed JSON report or raises CheckovFailed."""
    arguments = ["--framework", "cloudformation", "--output", "json", "--skip-download"]
    for path in files:
        arguments += ["--file", str(Path(path).resolve())]
    running = warm.start(arguments) if warm is not None else None
    if running is None:
        running = _Running([sys.executable, "-m", "checkov.main", *arguments], stdin=subprocess.DEVNULL)
    with running:
        proc, out, err = running.proc, running.out, running.err
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise CheckovFailed(f"checkov did not finish within {timeout:g} s and was stopped") from None
        except BaseException:  # Ctrl-C: leave no checkov behind
            _kill_group(proc)
            raise
        out.seek(0)
        stdout = out.read().decode("utf-8", errors="replace")
        # Exit code 1 only means "some checks failed"; 2 and signals are crashes.
        if proc.returncode not in (0, 1):
            raise CheckovFailed(f"checkov exited with code {proc.returncode}: {_tail(err) or _tail(out)}")
        try:
            return json.loads(stdout[_json_start(stdout):])
        except ValueError:
            raise CheckovFailed(f"checkov wrote no readable JSON report: {_tail(err) or stdout[:200]}") from None


class _Running:
    """A checkov process in an empty directory of its own, with an offline, scrubbed environment."""

    def __init__(self, command: Sequence[str], *, stdin: Any):
        env = {k: v for k, v in os.environ.items() if not k.startswith(_CHECKOV_ENV_PREFIXES)}
        env.update(_OFFLINE_ENV)
        self._workdir = tempfile.TemporaryDirectory(prefix="cdkcheck-checkov-")
        self.out = tempfile.TemporaryFile()
        self.err = tempfile.TemporaryFile()
        try:
            self.proc = subprocess.Popen(list(command), cwd=self._workdir.name, env=env, stdin=stdin,
                                         stdout=self.out, stderr=self.err, start_new_session=True)
        except OSError as exc:
            self.close()
            raise CheckovFailed(f"checkov could not be started: {exc}") from exc

    def __enter__(self) -> "_Running":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        proc = getattr(self, "proc", None)
        if proc is not None and proc.poll() is None:
            _kill_group(proc)
        if proc is not None and proc.stdin is not None:
            try:
                proc.stdin.close()
            except OSError:
                pass
        self.out.close()
        self.err.close()
        self._workdir.cleanup()


# Runs in the warm process: the imports (about 2 s of the 2.4 s start-up) happen before the file list
# is known; then one line of JSON arguments arrives on stdin, or an empty line when it is not needed.
_WARM_BOOTSTRAP = """\
import json, os, sys
import checkov.main
line = sys.stdin.readline()
if not line.strip():
    sys.exit(0)
arguments = json.loads(line)
sys.argv = ["checkov", *arguments]
code = checkov.main.Checkov(argv=list(arguments)).run()  # its argv default was bound at import
sys.stdout.flush()
sys.stderr.flush()
os._exit(code or 0)  # tearing down checkov's thousands of modules takes about a second; nothing needs it
"""


class WarmCheckov:
    """One checkov run whose process this object owns, started early or on first use.

    Started early (`start_now`), its imports overlap whatever runs meanwhile (a synth). The first
    `start` hands it its arguments; later calls get None and start their own process. `close`
    stops it, unused or still running, and refuses later runs: nothing is left behind.
    """

    def __init__(self, *, start_now: bool = True):
        self._lock = threading.Lock()
        self._used = False
        self._closed = False
        self._running: _Running | None = None
        if start_now:
            try:
                self._running = self._spawn()
            except CheckovFailed:
                pass  # the run then starts its own process and reports why that fails

    def start(self, arguments: Sequence[str]) -> "_Running | None":
        with self._lock:
            if self._closed:
                raise CheckovFailed("not started: cdkcheck is stopping")
            if self._used:
                return None
            self._used = True
            if self._running is None:
                self._running = self._spawn()
            running = self._running
        try:
            if running.proc.poll() is not None:
                raise OSError("exited early")
            running.proc.stdin.write((json.dumps(list(arguments)) + "\n").encode())
            running.proc.stdin.close()
        except OSError:  # it died starting: a fresh process reports whatever went wrong
            running.close()
            return None
        return running

    def close(self) -> None:
        with self._lock:
            self._closed = True
            running, used = self._running, self._used
        if running is None:
            return
        if not used:
            running.close()
        elif running.proc.poll() is None:
            _kill_group(running.proc)  # its run's own cleanup closes the files

    @staticmethod
    def _spawn() -> _Running:
        return _Running([sys.executable, "-c", _WARM_BOOTSTRAP], stdin=subprocess.PIPE)


def results_by_file(payload: Any) -> dict[Path, list[Finding]]:
    """Template-relative findings from checkov's JSON report, by resolved template path."""
    found: dict[Path, list[Finding]] = defaultdict(list)
    for report in _cloudformation_reports(payload):
        results = report.get("results") or {}
        for result in results.get("failed_checks") or []:
            found[_result_file(result)].append(_finding(result, suppression=None))
        for result in results.get("skipped_checks") or []:
            comment = (result.get("check_result") or {}).get("suppress_comment") or ""
            found[_result_file(result)].append(
                _finding(result, suppression=Suppression(reason=str(comment), origin="checkov")))
    return dict(found)


def parsing_errors(payload: Any) -> list[str]:
    return [str(p) for report in _cloudformation_reports(payload)
            for p in ((report.get("results") or {}).get("parsing_errors") or [])]


def _cloudformation_reports(payload: Any) -> list[Mapping[str, Any]]:
    # One framework gives a dict, several a list; a run that found no resources gives only a summary.
    reports = payload if isinstance(payload, list) else [payload]
    return [r for r in reports if isinstance(r, dict) and r.get("check_type", "cloudformation") == "cloudformation"]


def _finding(result: Mapping[str, Any], *, suppression: Suppression | None) -> Finding:
    check_result = result.get("check_result") or {}
    evaluated = [str(k) for k in check_result.get("evaluated_keys") or []]
    raw_severity = result.get("severity")
    severity = _SEVERITIES.get(str(raw_severity).upper(), Severity.WARNING) if raw_severity else Severity.WARNING
    line_range = result.get("file_line_range") or [None]
    evidence = {"resource": result.get("resource"), "check_class": result.get("check_class")}
    if raw_severity:
        evidence["checkov_severity"] = raw_severity
    if evaluated:
        evidence["evaluated_keys"] = evaluated
    return Finding(
        rule_id=str(result.get("check_id") or "CKV_UNKNOWN"),
        source=Source.CHECKOV,
        severity=severity,
        message=str(result.get("check_name") or result.get("check_id") or "checkov check failed"),
        logical_id=_logical_id(result.get("resource")),
        property_path=evaluated[0] if evaluated else None,
        fix=result.get("guideline") or None,
        evidence=evidence,
        suppression=suppression,
        location=SourceLocation(file="", line=line_range[0], kind="template"),
    )


def _logical_id(resource: Any) -> str | None:
    """"AWS::RDS::DBInstance.MyDb" -> "MyDb" (types never contain dots; logical ids are alphanumeric)."""
    if not isinstance(resource, str) or "." not in resource:
        return None
    return resource.rsplit(".", 1)[1] or None


def _result_file(result: Mapping[str, Any]) -> Path:
    return _resolved(result.get("file_abs_path") or result.get("repo_file_path") or result.get("file_path") or "")


def _resolved(path: str | Path) -> Path:
    return Path(path).resolve()


def _json_start(text: str) -> int:
    """Where the report begins: a dependency may print a line before it."""
    starts = [i for i in (text.find("{"), text.find("[")) if i >= 0]
    return min(starts) if starts else 0


def _key(version: str, stack: Stack, options: dict) -> CacheKey:
    return CacheKey(analyzer=CHECK, version=version, template_sha256=stack.template.sha256, options=options)


def _installed_version() -> str | None:
    if importlib.util.find_spec("checkov") is None:
        return None
    try:
        return metadata.version("checkov")
    except metadata.PackageNotFoundError:
        return None


def _could_not_run(reason: str, stacks: Sequence[Stack], required: bool,
                   findings: Sequence[Finding] = ()) -> AnalyzerReport:
    failed = [analyzer_failed(CHECK, f"template {s.template.path}", reason, stack=s.display_name) for s in stacks]
    outcome = CheckOutcome(check=CHECK, status=CheckStatus.UNKNOWN, reason=reason, required=required)
    return AnalyzerReport(findings=(*findings, *failed), outcomes=(outcome,))


def _kill_group(proc: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


def _tail(stream) -> str:
    stream.seek(0)
    lines = [line for line in stream.read().decode("utf-8", errors="replace").splitlines() if line.strip()]
    return "\n".join(lines[-STDERR_TAIL_LINES:])
