"""The machine-readable report: stable keys, stable order, same input -> same bytes."""

from __future__ import annotations

import json
from typing import Any

from cdkcheck.model import CheckOutcome, EnvironmentResult, RunResult
from cdkcheck.serialize import finding_to_dict

SCHEMA_VERSION = 1


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
        "account_facts": e.details.get("account_facts") if e.details else None,
        "synth": _synth_dict(e),
        "findings": [finding_to_dict(f) for f in e.findings],
        "checks": [check_dict(c) for c in e.checks],
    }


def _synth_dict(e: EnvironmentResult) -> dict[str, Any] | None:
    """Which Node and Python ran the app; not whether it was cached or how long it took (same input ->
    same bytes)."""
    synth = e.details.get("synth") if e.details else None
    if not synth:
        return None
    return {key: synth[key] for key in ("node", "python") if key in synth} or None


def render_json(run: RunResult) -> str:
    document = {
        "schema_version": SCHEMA_VERSION,
        "tool": "cdkcheck",
        "exit_code": run.exit_code,
        "environments": [environment_dict(e) for e in run.environments],
    }
    return json.dumps(document, indent=2, sort_keys=False, default=str) + "\n"
