"""A Finding as plain JSON data and back: one form for reports, the analyzer cache and cfn-lint workers."""

from __future__ import annotations

import json
from typing import Any, Mapping

from cdkcheck.model import Finding, Severity, Source, SourceLocation, Suppression


def finding_to_dict(finding: Finding) -> dict[str, Any]:
    return {
        "rule_id": finding.rule_id,
        "source": finding.source.value,
        "severity": finding.severity.value,
        "blocking": finding.blocking,
        "stack": finding.stack,
        "logical_id": finding.logical_id,
        "construct_path": finding.construct_path,
        "property_path": finding.property_path,
        "message": finding.message,
        "fix": finding.fix,
        "evidence": plain(finding.evidence),
        "location": None if finding.location is None else {
            "file": finding.location.file,
            "line": finding.location.line,
            "kind": finding.location.kind,
        },
        "suppression": None if finding.suppression is None else {
            "reason": finding.suppression.reason,
            "origin": finding.suppression.origin,
            "expires": finding.suppression.expires,
        },
        "suppressible": finding.suppressible,
    }


def finding_from_dict(data: Mapping[str, Any]) -> Finding:
    suppression = data.get("suppression")
    location = data.get("location")
    return Finding(
        rule_id=str(data["rule_id"]),
        source=Source(data["source"]),
        severity=Severity(data["severity"]),
        message=str(data["message"]),
        stack=str(data.get("stack") or ""),
        logical_id=data.get("logical_id"),
        construct_path=data.get("construct_path"),
        property_path=data.get("property_path"),
        fix=data.get("fix"),
        evidence=dict(data.get("evidence") or {}),
        blocking=bool(data.get("blocking", False)),
        suppression=None if suppression is None else Suppression(
            reason=str(suppression["reason"]), origin=str(suppression["origin"]),
            expires=suppression.get("expires")),
        location=None if location is None else SourceLocation(
            file=str(location["file"]), line=location.get("line"), kind=str(location.get("kind", "source"))),
        suppressible=bool(data.get("suppressible", True)),
    )


def plain(value: Any) -> Any:
    """JSON-shaped copy: tuples become lists, mappings plain dicts, so keys compare after a round trip."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))
