"""What CDK itself reported during synth: construct annotations and the validation report.

Nothing here re-checks anything; it only reads what the synth wrote.

Annotations are the aws:cdk:error/warning/info metadata entries. Warnings added
with `Annotations.addWarningV2(id, ...)` or `Validations.addWarning(id, ...)`
carry their id as "message [ack: id]", errors from `Validations.addError` as
"message (Annotation::id)". That id, spelt as CDK prints it for acknowledgement
("Annotation::id"), is the rule id, so the same warning has the same id whether
it is read from the annotations or from the validation report.

The validation report (aws-cdk-lib >= 2.262) is `validation-report.json` at the
root of the cloud assembly, written on every synth that ran a validation
plugin; the built-in "CloudFormation Validate" plugin runs unless the app
disables it. Shape:

    {"version": "55.0.0", "title": "Validation Report",
     "pluginReports": [{
        "pluginName": "CloudFormation Validate", "pluginVersion": "1.12.1",
        "conclusion": "success" | "failure", "metadata": {...},
        "violations": [{
            "ruleName": "F3034", "description": "...", "suggestedFix": "...",
            "severity": "fatal" | "error" | "warning" | "info" | "custom", "customSeverity": "...",
            "ruleMetadata": {...},
            "violatingConstructs": [{
                "constructPath": "Stack/Queue", "constructFqn": "...",
                "cloudFormationResource": {"templatePath": "Stack.template.json",  # relative to the report
                                           "logicalId": "Queue",
                                           "propertyPaths": ["Properties.VisibilityTimeout"]}}]}],
        "suppressedViolations": [{...a violation..., "acknowledgedId": "CloudFormation-Validate::W2501",
                                  "reason": "...", "acknowledgedAt": "Stack/Db"}]}]}

Only plugins with violations or acknowledgements are listed. With the
`@aws-cdk/core:annotationsInValidationReport` flag, annotation warnings also
appear under a "Construct Annotations" plugin; those that are already stack
annotations are not reported twice. `policy-validation-report.json` is the
older shape (summary.pluginName, violatingResources, no acknowledgements),
written only with `@aws-cdk/core:validationReportJson`; it is read when it is
the only report present.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from cdkcheck.analyzers import analyzer_failed
from cdkcheck.model import Assembly, Finding, Severity, Source, SourceLocation, Stack, Suppression

REPORT_FILE = "validation-report.json"
LEGACY_REPORT_FILE = "policy-validation-report.json"
ANNOTATION_PLUGIN = "Construct Annotations"
ANNOTATION_NAMESPACE = "Annotation"
PLUGIN_FAILED = "CDK-VALIDATION-PLUGIN-FAILED"

_ACK_ID = re.compile(r"\s*\[ack: ([^\]]+)\]")
_TRAILING_ID = re.compile(r"\s*\(([^()]+::[^()]+)\)$")
_REPORT_SEVERITIES = {
    "fatal": Severity.ERROR,
    "error": Severity.ERROR,
    "warning": Severity.WARNING,
    "info": Severity.INFO,
}
# Construct path suffixes under which an L2 construct keeps its CloudFormation resource.
_RESOURCE_CHILDREN = ("", "/Resource", "/Default")


# ---------------------------------------------------------------- annotations


def annotation_findings(stacks: Sequence[Stack]) -> list[Finding]:
    index = _ResourceIndex(stacks)
    findings = []
    for stack in stacks:
        for annotation in stack.annotations:
            message, annotation_id = split_annotation(annotation.message)
            owner, logical_id = index.find(annotation.construct_path, prefer=stack)
            findings.append(Finding(
                rule_id=(annotation_rule_id(annotation_id) if annotation_id
                         else f"CDK-ANNOTATION-{annotation.level.value.upper()}"),
                source=Source.CDK,
                severity=annotation.level,
                message=message,
                stack=(owner or stack).display_name,
                logical_id=logical_id,
                construct_path=annotation.construct_path,
                location=_source_location(owner or stack, annotation.construct_path),
            ))
    return findings


def split_annotation(message: str) -> tuple[str, str | None]:
    """("Queue tuning is off [ack: my-lib:tuning]") -> ("Queue tuning is off", "my-lib:tuning")."""
    match = _ACK_ID.search(message) or _TRAILING_ID.search(message)
    if not match:
        return message.strip(), None
    return (message[:match.start()] + message[match.end():]).strip(), match.group(1).strip()


def annotation_rule_id(annotation_id: str) -> str:
    """The id as CDK prints it ("Acknowledge with 'Annotation::my-lib:tuning'"), for any spelling of it."""
    namespace, separator, rule = annotation_id.partition("::")
    if not separator:
        return f"{ANNOTATION_NAMESPACE}::{annotation_id}"
    if namespace in ("annotation", "Construct-Annotations"):
        return f"{ANNOTATION_NAMESPACE}::{rule}"
    return annotation_id


# ---------------------------------------------------------- validation report


def validation_report_findings(assembly: Assembly, stacks: Sequence[Stack]) -> list[Finding]:
    """Findings for `stacks` from the synth's validation report(s); violations of other stacks are left out."""
    wanted = {s.display_name for s in stacks}
    index = _ResourceIndex(assembly.stacks or stacks)
    annotated = {(a.construct_path, split_annotation(a.message)[0]) for s in assembly.stacks or stacks
                 for a in s.annotations}
    findings: list[Finding] = []
    for path in preferred_reports(assembly.validation_reports):
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
            found = [finding for plugin in report.get("pluginReports") or []
                     for finding in _plugin_findings(_normalized_plugin(plugin), path.parent, index, annotated)]
        except (OSError, ValueError, AttributeError, TypeError, KeyError) as exc:
            # A report in a shape this reader does not know must not end the run.
            findings.append(analyzer_failed("cdk validation report", str(path), f"unreadable: {exc}"))
            continue
        findings.extend(f for f in found if f.stack == "" or f.stack in wanted)
    return findings


def preferred_reports(paths: Iterable[Path]) -> list[Path]:
    """The legacy report duplicates the current one; read it only where it is alone."""
    paths = list(dict.fromkeys(Path(p) for p in paths))
    current_dirs = {p.parent for p in paths if p.name != LEGACY_REPORT_FILE}
    return [p for p in paths if p.name != LEGACY_REPORT_FILE or p.parent not in current_dirs]


def _plugin_findings(plugin: Mapping[str, Any], report_dir: Path, index: "_ResourceIndex",
                     annotated: set[tuple[str, str]]) -> list[Finding]:
    name = str(plugin.get("pluginName") or "validation plugin")
    namespace = ANNOTATION_NAMESPACE if name == ANNOTATION_PLUGIN else name.replace(" ", "-")
    findings = []
    error = (plugin.get("metadata") or {}).get("error")
    if error and not plugin.get("violations"):
        findings.append(Finding(rule_id=PLUGIN_FAILED, source=Source.CDK, severity=Severity.WARNING,
                                message=str(error), evidence={"plugin": name}))
    entries = [(v, None) for v in plugin.get("violations") or []]
    entries += [(v, Suppression(reason=str(v.get("reason") or ""), origin="acknowledge"))
                for v in plugin.get("suppressedViolations") or []]
    for violation, suppression in entries:
        is_annotation = (violation.get("ruleMetadata") or {}).get("cdk:annotation") == "true"
        for construct in violation.get("violatingConstructs") or []:
            construct_path = construct.get("constructPath") or None
            if is_annotation and (construct_path, str(violation.get("description") or "")) in annotated:
                continue  # already a finding from the stack's own annotations
            findings.append(_violation_finding(violation, construct, plugin, namespace, suppression,
                                               report_dir, index))
    return findings


def _violation_finding(violation: Mapping[str, Any], construct: Mapping[str, Any], plugin: Mapping[str, Any],
                       namespace: str, suppression: Suppression | None, report_dir: Path,
                       index: "_ResourceIndex") -> Finding:
    resource = construct.get("cloudFormationResource") or {}
    logical_id = resource.get("logicalId") or None
    construct_path = construct.get("constructPath") or None
    stack = index.stack_of_template(report_dir / resource["templatePath"]) if resource.get("templatePath") else None
    if stack is None and construct_path:
        stack = index.stack_of_construct(construct_path)
    if logical_id is None and construct_path:
        logical_id = index.find(construct_path, prefer=stack)[1]
    property_paths = resource.get("propertyPaths") or []
    rule = str(violation.get("ruleName") or "unnamed")
    raw_severity = str(violation.get("severity") or "error").lower()
    evidence = {k: v for k, v in {
        "plugin": plugin.get("pluginName"),
        "plugin_version": plugin.get("pluginVersion"),
        "rule_name": rule,
        "report_severity": raw_severity,
        "custom_severity": violation.get("customSeverity"),
        "rule_metadata": violation.get("ruleMetadata"),
        "acknowledged_id": violation.get("acknowledgedId"),
        "acknowledged_at": violation.get("acknowledgedAt"),
    }.items() if v}
    return Finding(
        rule_id=rule if "::" in rule else f"{namespace}::{rule}",  # the id CDK's acknowledge() takes
        source=Source.CDK,
        severity=_REPORT_SEVERITIES.get(raw_severity, Severity.WARNING),
        message=str(violation.get("description") or rule),
        stack=stack.display_name if stack else "",
        logical_id=logical_id,
        construct_path=construct_path or (stack.construct_path_of(logical_id) if stack else None),
        property_path=str(property_paths[0]).replace(".", "/") if property_paths else None,
        fix=violation.get("suggestedFix") or None,
        evidence=evidence,
        suppression=suppression,
        location=_report_location(stack, construct_path),
    )


def _normalized_plugin(plugin: Mapping[str, Any]) -> Mapping[str, Any]:
    """A plugin report in the current shape, whichever file it came from."""
    if "summary" not in plugin:
        return plugin
    summary = plugin.get("summary") or {}
    return {
        "pluginName": summary.get("pluginName"),
        "pluginVersion": plugin.get("version"),
        "conclusion": summary.get("status"),
        "metadata": summary.get("metadata"),
        "violations": [{
            "ruleName": v.get("ruleName"),
            "description": v.get("description"),
            "suggestedFix": v.get("fix"),
            "severity": v.get("severity"),
            "ruleMetadata": v.get("ruleMetadata"),
            "violatingConstructs": [{
                "constructPath": r.get("constructPath"),
                "cloudFormationResource": {
                    "templatePath": _known(r.get("templatePath")),
                    "logicalId": _known(r.get("resourceLogicalId")),
                    "propertyPaths": r.get("locations") or [],
                },
            } for r in v.get("violatingResources") or []],
        } for v in plugin.get("violations") or []],
    }


def _known(value: Any) -> Any:
    return None if value in (None, "", "N/A") else value


# ------------------------------------------------------------------ lookups


class _ResourceIndex:
    """Which stack and logical id a construct path or template file belongs to."""

    def __init__(self, stacks: Sequence[Stack]):
        self._stacks = list(stacks)
        self._by_path: dict[str, list[tuple[Stack, str]]] = {}
        for stack in stacks:
            for logical_id, resource in stack.template.resources.items():
                if resource.construct_path:
                    self._by_path.setdefault(resource.construct_path, []).append((stack, logical_id))
        self._by_template = {_resolved(s.template.path): s for s in stacks}

    def find(self, construct_path: str, *, prefer: Stack | None = None) -> tuple[Stack | None, str | None]:
        for suffix in _RESOURCE_CHILDREN:
            hits = self._by_path.get(construct_path + suffix)
            if hits:
                preferred = [h for h in hits if prefer is not None and h[0] is prefer]
                return (preferred or hits)[0]
        return None, None

    def stack_of_template(self, path: Path) -> Stack | None:
        return self._by_template.get(_resolved(path))

    def stack_of_construct(self, construct_path: str) -> Stack | None:
        """The innermost stack whose path contains the construct (nested stacks are paths inside their parent)."""
        owner = self.find(construct_path)[0]
        if owner is not None:
            return owner
        containing = [s for s in self._stacks
                      if construct_path == s.display_name or construct_path.startswith(s.display_name + "/")]
        return max(containing, key=lambda s: len(s.display_name), default=None)


def _source_location(stack: Stack, construct_path: str | None) -> SourceLocation | None:
    if not construct_path:
        return None
    for path in (construct_path, *(construct_path + s for s in _RESOURCE_CHILDREN if s)):
        where = stack.source_locations.get(path)
        if where:
            return SourceLocation(file=where[0], line=where[1], kind="source")
    return None


def _report_location(stack: Stack | None, construct_path: str | None) -> SourceLocation | None:
    """The user's code when CDK recorded it, else the template (the report has no line numbers)."""
    if stack is None:
        return None
    return _source_location(stack, construct_path) or SourceLocation(file=str(stack.template.path), kind="template")


def _resolved(path: Path) -> Path:
    try:
        return Path(path).resolve()
    except OSError:
        return Path(path)
