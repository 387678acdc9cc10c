"""GitHub Actions workflow commands: `::error file=...,line=...::` annotations on the pull request.

Print to the job log (stdout) for GitHub to turn into annotations. Only a
source location in the user's code gets `file=`/`line=`; template locations
live in the cloud assembly, outside the repository, so they would point nowhere.
GitHub shows a limited number of annotations per step, so blocking findings
come first, then what could not be checked, then advisories, then suppressions.
"""

from __future__ import annotations

from cdkcheck.model import CheckStatus, Finding, RunResult, Severity, Verdict
from cdkcheck.reporters.presentation import account_facts_line, source_file, where

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def render_github(run: RunResult, *, path_prefix: str = "") -> str:
    lines: list[str] = []
    for e in run.environments:
        for f in e.blocking:
            lines.append(_command("error", f, e.name, path_prefix, "blocking"))
        for c in e.checks:
            if c.status is CheckStatus.UNKNOWN:
                stack = f" [{c.stack}]" if c.stack else ""
                level = "error" if c.required else "warning"
                lines.append(_emit(level, {"title": f"cdkcheck {e.name}: could not check {c.check}{stack}"},
                                   c.reason))
    for e in run.environments:
        for f in e.advisories:
            lines.append(_command(_LEVELS[f.severity], f, e.name, path_prefix, "advisory"))
    for e in run.environments:
        for f in e.suppressed:
            lines.append(_command("notice", f, e.name, path_prefix,
                                  f"suppressed ({f.suppression.origin}): {f.suppression.reason}"))
    for e in run.environments:
        level = {Verdict.GO: "notice", Verdict.NO_GO: "error", Verdict.INCONCLUSIVE: "warning"}[e.verdict]
        summary = (f"{len(e.blocking)} blocking, {len(e.advisories)} advisories, {len(e.suppressed)} suppressed, "
                   f"{sum(1 for c in e.checks if c.status is CheckStatus.UNKNOWN)} could not check")
        facts_line = account_facts_line(e.details)
        if facts_line:
            summary += f"; {facts_line}"
        lines.append(_emit(level, {"title": f"cdkcheck {e.name}: {e.verdict.value}"}, summary))
    return "".join(line + "\n" for line in lines)


def _command(level: str, f: Finding, environment: str, path_prefix: str, status: str) -> str:
    properties: dict[str, str] = {}
    located = source_file(f, path_prefix)
    if located is not None:
        properties["file"] = located[0]
        if located[1]:
            properties["line"] = str(located[1])
    properties["title"] = f"{f.rule_id} ({environment}, {status})"
    message = f"{where(f)}: {f.message}"
    if f.fix and f.blocking:
        message += f"\nFix: {f.fix}"
    return _emit(level, properties, message)


def _emit(level: str, properties: dict[str, str], message: str) -> str:
    props = ",".join(f"{key}={_escape_property(value)}" for key, value in properties.items())
    return f"::{level} {props}::{_escape_data(message)}" if props else f"::{level}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
