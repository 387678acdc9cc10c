"""`cdkcheck why --format json`: stable keys, for scripts and for a corpus of real failures."""

from __future__ import annotations

import json
from typing import Any

from cdkcheck.why.events import iso
from cdkcheck.why.report import ResourceRef, RootCause, WhyReport

SCHEMA_VERSION = 1


def render_why_json(report: WhyReport) -> str:
    op = report.operation
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": "cdkcheck why",
        "exit_code": report.exit_code,
        "stack": report.stack,
        "stack_id": report.stack_id,
        "deleted": report.deleted,
        "explained": op is not None,
        "nothing_to_explain": report.nothing_to_explain,
        "operation": None if op is None else {"type": op.type, "final_status": op.final_status,
                                              "started": iso(op.started), "ended": iso(op.ended)},
        "root_causes": [_cause(c) for c in report.root_causes],
        "in_progress_at_rollback": [r.logical_id for r in report.in_progress],
        "in_progress_details": [_ref(r) for r in report.in_progress],
        "consequences": [{**_ref(r), "follows": cause} for r, cause in report.consequences],
        "events_source": report.events_source,
        "template_source": report.template_source,
        "checks": [{"mode": g.mode, "status": g.status, "reason": g.reason, "verdict": g.verdict}
                   for g in report.gate],
        "notes": list(report.notes),
    }
    return json.dumps(document, indent=2) + "\n"


def _ref(r: ResourceRef) -> dict[str, Any]:
    return {"logical_id": r.logical_id, "resource_type": r.resource_type, "stack_name": r.stack_name,
            "nested_in": list(r.nested_in), "construct_path": r.construct_path, "source_location": r.source_location}


def _cause(c: RootCause) -> dict[str, Any]:
    return {
        **_ref(c.resource),
        "status": c.status,
        "reason": c.reason,
        "timestamp": iso(c.timestamp),
        "caught_by": None if c.caught_by is None else [
            {"rule_id": x.rule_id, "blocking": x.blocking, "message": x.message, "source": x.source,
             "checked": x.checked} for x in c.caught_by],
        "matched_rule": c.matched_rule,
        "catalogue": None if c.matched is None else {"name": c.matched.name, "rule_id": c.matched.rule_id,
                                                     "also": list(c.matched.also), "source": c.matched.source,
                                                     "note": c.matched.note or None,
                                                     "needs_account": c.matched.needs_account},
        "corpus_record": c.corpus_record,
    }
