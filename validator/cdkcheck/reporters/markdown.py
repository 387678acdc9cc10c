"""Markdown for CI job summaries ($GITHUB_STEP_SUMMARY) and pull-request comments.

Verdicts first, then what blocks, then what could not be checked; advisories
and suppressions fold away in <details> so a comment stays readable.
"""

from __future__ import annotations

import re
from typing import Iterable

from cdkcheck.model import CheckStatus, EnvironmentResult, Finding, RunResult, Verdict
from cdkcheck.reporters.presentation import account_facts_line, join_path, where

_BADGE = {Verdict.GO: "✅ GO", Verdict.NO_GO: "❌ NO-GO", Verdict.INCONCLUSIVE: "⚠️ INCONCLUSIVE"}


def render_markdown(run: RunResult, *, path_prefix: str = "") -> str:
    lines = ["## cdkcheck", ""]
    lines += ["| environment | verdict | stacks | blocking | advisories | suppressed | could not check |",
              "|---|---|---:|---:|---:|---:|---:|"]
    for e in run.environments:
        unknown = sum(1 for c in e.checks if c.status is CheckStatus.UNKNOWN)
        lines.append(f"| {_cell(e.name)} | {_BADGE[e.verdict]} | {len(e.stacks)} | {len(e.blocking)} | "
                     f"{len(e.advisories)} | {len(e.suppressed)} | {unknown} |")
    for e in run.environments:
        lines += ["", *_environment(e, path_prefix)]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"


def _environment(e: EnvironmentResult, path_prefix: str) -> list[str]:
    where_ = ", ".join(x for x in (e.account and f"account `{e.account}`", e.region and f"`{e.region}`") if x)
    lines = [f"### {_cell(e.name)}: {_BADGE[e.verdict]}", ""]
    if where_:
        lines += [f"{len(e.stacks)} stack{'s' if len(e.stacks) != 1 else ''} in {where_}.", ""]
    facts_line = account_facts_line(e.details)
    if facts_line:
        lines += [_inline(facts_line[0].upper() + facts_line[1:]) + ".", ""]
    if e.blocking:
        lines += [f"**Blocking ({len(e.blocking)})**", ""]
        lines += _table(e.blocking, path_prefix, with_fix=True)
        lines.append("")
    unknown = [c for c in e.checks if c.status is CheckStatus.UNKNOWN]
    if unknown:
        lines += [f"**Could not check ({len(unknown)})**", ""]
        for c in unknown:
            stack = f" (`{c.stack}`)" if c.stack else ""
            kind = "required" if c.required else "advisory"
            lines.append(f"- `{c.check}`{stack}, {kind}: {_inline(c.reason)}")
        lines.append("")
    if not e.blocking and not unknown:
        lines += ["No blocking findings.", ""]
    if e.advisories:
        lines += _details(f"Advisories ({len(e.advisories)})", _table(e.advisories, path_prefix, with_fix=False))
    if e.suppressed:
        rows = ["| rule | where | reason | origin | expires |", "|---|---|---|---|---|"]
        rows += [f"| `{_cell(f.rule_id)}` | {_where(f, path_prefix)} | {_cell(f.suppression.reason)} | "
                 f"{f.suppression.origin} | {f.suppression.expires or ''} |" for f in e.suppressed]
        lines += _details(f"Suppressed ({len(e.suppressed)})", rows)
    skipped = [c for c in e.checks if c.status is CheckStatus.SKIPPED]
    if skipped:
        lines += _details(f"Skipped checks ({len(skipped)})",
                          [f"- `{c.check}`: {_inline(c.reason)}" for c in skipped])
    return lines


def _table(findings: Iterable[Finding], path_prefix: str, *, with_fix: bool) -> list[str]:
    head = "| rule | source | where | message |" + (" fix |" if with_fix else "")
    rule = "|---|---|---|---|" + ("---|" if with_fix else "")
    rows = [head, rule]
    for f in findings:
        row = f"| `{_cell(f.rule_id)}` | {f.source.value} | {_where(f, path_prefix)} | {_cell(f.message)} |"
        if with_fix:
            row += f" {_cell(f.fix or '')} |"
        rows.append(row)
    return rows


def _where(f: Finding, path_prefix: str) -> str:
    text = f"`{_cell(where(f))}`"
    if f.location is not None and f.location.kind == "source":
        line = f":{f.location.line}" if f.location.line else ""
        text += f"<br>{_cell(join_path(path_prefix, f.location.file))}{line}"
    return text


def _details(summary: str, body: list[str]) -> list[str]:
    return ["<details>", f"<summary>{summary}</summary>", "", *body, "", "</details>", ""]


def _cell(text: str) -> str:
    """One table cell: pipes escaped, line breaks as <br>, HTML angle brackets neutralised."""
    return (text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r\n", "\n").replace("\n", "<br>"))


def _inline(text: str) -> str:
    return " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")
