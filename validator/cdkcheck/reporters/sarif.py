"""SARIF 2.1.0 for code-scanning uploads (github/codeql-action/upload-sarif and other SARIF viewers).

One run for the whole invocation; each result names its environment, so the
same finding in staging and production stays two alerts. Results point at the
user's CDK source where the synth recorded it, else at the template in the
cloud assembly (uriBaseId CDK_ASSEMBLY: the assembly is not in the repository),
else at the app's cdk.json, because code scanning rejects results without a
location. No timestamps or absolute paths: same run, same bytes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cdkcheck import __version__
from cdkcheck.model import Finding, RunResult, Severity
from cdkcheck.reporters.presentation import join_path, rule_help, status_word, where

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
ASSEMBLY_BASE = "CDK_ASSEMBLY"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def render_sarif(run: RunResult, *, path_prefix: str = "") -> str:
    """`path_prefix`: the app directory relative to the repository root, so source paths resolve there."""
    entries = [(e.name, f) for e in run.environments for f in e.findings]
    by_rule: dict[str, list[Finding]] = {}
    for _, f in entries:
        by_rule.setdefault(f.rule_id, []).append(f)
    rule_ids = sorted(by_rule)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "cdkcheck",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_descriptor(rule_id, by_rule[rule_id]) for rule_id in rule_ids],
            }},
            "automationDetails": {"id": "cdkcheck/" + "+".join(e.name for e in run.environments) + "/"},
            "columnKind": "unicodeCodePoints",
            "results": [_result(env, f, index[f.rule_id], path_prefix) for env, f in entries],
            "invocations": [{
                "executionSuccessful": True,
                "exitCode": run.exit_code,
                "toolExecutionNotifications": [
                    _notification(e.name, c) for e in run.environments for c in e.checks
                    if c.status.value == "unknown"
                ],
            }],
            "properties": {
                "verdicts": {e.name: e.verdict.value for e in run.environments},
                **_account_facts(run),
            },
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _descriptor(rule_id: str, findings: list[Finding]) -> dict[str, Any]:
    info = rule_help(rule_id, findings)
    descriptor: dict[str, Any] = {
        "id": rule_id,
        "name": info.name,
        "shortDescription": {"text": info.short},
        "fullDescription": {"text": info.full},
        "help": {"text": info.help_text, "markdown": info.help_text},
        "defaultConfiguration": {"level": _LEVELS[findings[0].severity]},
        "properties": {"source": info.source.value, "tags": [info.source.value]},
    }
    if info.help_uri:
        descriptor["helpUri"] = info.help_uri
    return descriptor


def _result(environment: str, f: Finding, rule_index: int, path_prefix: str) -> dict[str, Any]:
    text = f.message if not f.fix else f"{f.message}\nFix: {f.fix}"
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "ruleIndex": rule_index,
        "level": "error" if f.blocking else _LEVELS[f.severity],
        "message": {"text": f"[{environment}] {text}"},
        "locations": [_location(f, path_prefix)],
        "partialFingerprints": {"cdkcheck/v1": _fingerprint(environment, f)},
        "properties": {
            "environment": environment,
            "stack": f.stack,
            "status": status_word(f),
            "blocking": f.blocking,
            "severity": f.severity.value,
            "source": f.source.value,
        },
    }
    if f.logical_id:
        result["properties"]["logicalId"] = f.logical_id
    if f.property_path:
        result["properties"]["propertyPath"] = f.property_path
    if f.suppression is not None:
        suppression: dict[str, Any] = {
            # Config-file suppressions live outside the code; metadata/acknowledgements are in it.
            "kind": "external" if f.suppression.origin == "config" else "inSource",
            "status": "accepted",
            "justification": f.suppression.reason,
            "properties": {"origin": f.suppression.origin},
        }
        if f.suppression.expires:
            suppression["properties"]["expires"] = f.suppression.expires
        result["suppressions"] = [suppression]
    return result


def _location(f: Finding, path_prefix: str) -> dict[str, Any]:
    loc = f.location
    physical: dict[str, Any]
    if loc is not None and loc.kind == "source":
        physical = {"artifactLocation": {"uri": join_path(path_prefix, loc.file)}}
    elif loc is not None:
        physical = {"artifactLocation": {"uri": loc.file, "uriBaseId": ASSEMBLY_BASE}}
    else:
        physical = {"artifactLocation": {"uri": join_path(path_prefix, "cdk.json")}}
    if loc is not None and loc.line:
        physical["region"] = {"startLine": loc.line}
    location: dict[str, Any] = {"physicalLocation": physical}
    logical = where(f)
    location["logicalLocations"] = [{"fullyQualifiedName": logical,
                                     "kind": "resource" if (f.construct_path or f.logical_id) else "module"}]
    return location


def _fingerprint(environment: str, f: Finding) -> str:
    """Stable across line moves: what is wrong and where in the construct tree, not the file line."""
    key = "\0".join((environment, f.rule_id, f.stack, f.construct_path or "", f.logical_id or "",
                     f.property_path or ""))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def _notification(environment: str, check) -> dict[str, Any]:
    where_ = f" [{check.stack}]" if check.stack else ""
    return {
        "level": "error" if check.required else "warning",
        "message": {"text": f"[{environment}] could not check {check.check}{where_}: {check.reason}"},
        "descriptor": {"id": check.check},
    }


def _account_facts(run: RunResult) -> dict[str, Any]:
    """Per environment, how current its account answers were (reused or replayed ones carry their age)."""
    facts = {e.name: e.details["account_facts"] for e in run.environments
             if e.details and e.details.get("account_facts")}
    return {"accountFacts": facts} if facts else {}
