"""`cdkcheck why` for a terminal or a CI log: the operation, each root cause and where it is, what was cancelled."""

from __future__ import annotations

import json

from cdkcheck.reporters.why import catalogue_answer, gate_answer
from cdkcheck.why.events import iso
from cdkcheck.why.report import ResourceRef, WhyReport


def render_why_text(report: WhyReport) -> str:
    lines = [_headline(report)]
    if report.operation is None:
        lines.append(f"  nothing to explain: {report.nothing_to_explain}")
        lines += [f"  note: {n}" for n in report.notes]
        return "\n".join(lines) + "\n"
    lines.append(f"  events: {report.events_source}")
    lines.append(f"  root cause{'s' if len(report.root_causes) != 1 else ''} ({len(report.root_causes)}):")
    for cause in report.root_causes:
        r = cause.resource
        lines.append(f"    x {r.logical_id} {r.resource_type} {cause.status} at {_time(cause.timestamp)}"
                     + (f" (nested stack {' > '.join(r.nested_in)})" if r.nested_in else ""))
        lines.append(f"      {cause.reason}")
        lines.append(f"      {_where(r)}")
        lines.append(f"      gate: {gate_answer(cause)}")
        for c in cause.caught_by or ():
            if c.blocking:
                lines.append(f"        x {c.rule_id} [{c.source}, {c.checked}] {c.message}")
        lines.append(f"      catalogue: {catalogue_answer(cause, report.gate)}"
                     + (f" ({cause.matched.source})" if cause.matched else ""))
    if report.in_progress:
        lines.append(f"  still in progress when it failed, then cancelled ({len(report.in_progress)}):")
        lines += [f"    - {r.logical_id} {r.resource_type}: {_where(r)}" for r in report.in_progress]
    if report.consequences:
        lines.append(f"  failed as a consequence ({len(report.consequences)}):")
        lines += [f"    - {r.logical_id} {r.resource_type}: waited for {cause}" for r, cause in report.consequences]
    lines.append(f"  template checked: {report.template_source or 'none'}")
    for g in report.gate:
        lines.append(f"  checks re-run {g.mode}: {g.status}" + (f" ({g.reason})" if g.reason else "")
                     + (f", verdict {g.verdict}" if g.verdict and g.status == "ran" else ""))
    lines += [f"  note: {n}" for n in report.notes]
    if report.root_causes:
        lines.append("  record for a corpus of real failures:")
        lines += [f"    {json.dumps(c.corpus_record, sort_keys=True)}" for c in report.root_causes]
    return "\n".join(lines) + "\n"


def _headline(report: WhyReport) -> str:
    gone = " (deleted since)" if report.deleted else ""
    op = report.operation
    if op is None:
        return f"{report.stack}{gone}: nothing to explain"
    took = ""
    if op.ended is not None:
        seconds = int((op.ended - op.started).total_seconds())
        took = f", {seconds // 60} min {seconds % 60} s"
    return (f"{report.stack}{gone}: {op.type} failed, {op.final_status} "
            f"(started {_time(op.started)}{took})")


def _where(r: ResourceRef) -> str:
    path = r.construct_path or "construct path unknown"
    return f"{path} at {r.source_location}" if r.source_location else path


def _time(moment) -> str:
    return (iso(moment) or "").replace("T", " ").replace("Z", " UTC")
