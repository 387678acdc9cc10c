"""`cdkcheck why --format markdown`: a CI job summary after a failed deploy step."""

from __future__ import annotations

import json
import re

from cdkcheck.reporters.why import catalogue_answer, gate_answer
from cdkcheck.why.events import iso
from cdkcheck.why.report import ResourceRef, WhyReport


def render_why_markdown(report: WhyReport) -> str:
    op = report.operation
    lines = [f"## cdkcheck why: `{report.stack}`", ""]
    if op is None:
        lines += [f"Nothing to explain: {_inline(report.nothing_to_explain or '')}.", ""]
        return "\n".join(lines).rstrip() + "\n"
    gone = " The stack was deleted since." if report.deleted else ""
    lines += [f"**{op.type} failed**: `{op.final_status}`, started {iso(op.started)}, ended {iso(op.ended) or '-'}."
              f"{gone}", ""]
    lines += ["| root cause | type | where | would the gate have caught it? |", "|---|---|---|---|"]
    for c in report.root_causes:
        lines.append(f"| `{c.resource.logical_id}` | `{c.resource.resource_type}` | {_where(c.resource)} | "
                     f"{_cell(gate_answer(c))} |")
    lines.append("")
    for c in report.root_causes:
        lines += [f"### `{c.resource.logical_id}` {c.status}", "", f"> {_inline(c.reason)}", "",
                  f"- where: {_where(c.resource)}", f"- gate: {_inline(gate_answer(c))}",
                  f"- catalogue: {_inline(catalogue_answer(c, report.gate))}" + (f" ([source]({c.matched.source}))"
                                                                     if c.matched else "")]
        for x in c.caught_by or ():
            if x.blocking:
                lines.append(f"  - **blocking** `{x.rule_id}` ({x.source}, {x.checked}): {_inline(x.message)}")
        lines.append("")
    if report.in_progress:
        lines += [f"**Still in progress when it failed, then cancelled ({len(report.in_progress)})**", ""]
        lines += [f"- `{r.logical_id}` `{r.resource_type}`: {_where(r)}" for r in report.in_progress]
        lines.append("")
    checks = "; ".join(f"{g.mode}: {g.status}" + (f" ({g.reason})" if g.reason else "") for g in report.gate)
    lines += [f"Template checked: {_inline(report.template_source or 'none')}." + (f" Checks re-run: {checks}."
                                                                                 if checks else ""), ""]
    lines += [f"- note: {_inline(n)}" for n in report.notes]
    if report.root_causes:
        lines += ["", "<details><summary>Records for a corpus of real failures</summary>", "", "```json"]
        lines += [json.dumps(c.corpus_record, sort_keys=True) for c in report.root_causes]
        lines += ["```", "", "</details>"]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).rstrip() + "\n"


def _where(r: ResourceRef) -> str:
    path = f"`{r.construct_path}`" if r.construct_path else "construct path unknown"
    return f"{path} at `{r.source_location}`" if r.source_location else path


def _inline(text: str) -> str:
    return " ".join(text.split())


def _cell(text: str) -> str:
    return _inline(text).replace("|", "\\|")
