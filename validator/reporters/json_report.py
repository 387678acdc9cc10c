"""The machine-readable report: stable keys, stable order, same input -> same bytes."""

from __future__ import annotations

import json
from typing import Any

from cdkcheck.model import CheckOutcome, EnvironmentResult, Finding, RunResult

SCHEMA_VERSION = 1


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "source": f.source.value,
        "severity": f.severity.value,
        "blocking": f.blocking,
        "stack": f.stack,
        "logical_id": f.logical_id,
        "construct_path": f.construct_path,
        "property_path": f.property_path,
        "message": f.message,
        "fix": f.fix,
        "evidence": dict(f.evidence),
        "location": (
            {"file": f.location.file, "line": f.location.line, "kind": f.location.kind} if f.location else None
        ),
        "suppression": (
            {"reason": f.suppression.reason, "origin": f.suppression.origin, "expires": f.suppression.expires}
            if f.suppression else None
        ),
        "suppressible": f.suppressible,
    }


def check_dict(c: CheckOutcome) -> dict[str, Any]:
    return {"check": c.check, "status": c.status.value, "reason": c.reason, "required": c.required,
            "stack": c.stack}


def environment_dict(e: EnvironmentResult) -> dict[str, Any]:
    return {
        "name": e.name,
        "verdict": e.verdict.value,
        "account": e.account,
        "region": e.region,
        "stacks": list(e.stacks),
        "summary": {
            "blocking": len(e.blocking),
            "advisories": len(e.advisories),
            "suppressed": len(e.suppressed),
            "unknown_checks": sum(1 for c in e.checks if c.status.value == "unknown"),
        },
        "deploy_estimate": e.details.get("deploy_estimate_minutes") if e.details else None,
        "findings": [finding_dict(f) for f in e.findings],
        "checks": [check_dict(c) for c in e.checks],
    }


def render_json(run: RunResult) -> str:
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": "cdkcheck",
        "exit_code": run.exit_code,
        "environments": [environment_dict(e) for e in run.environments],
    }
    return json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"
