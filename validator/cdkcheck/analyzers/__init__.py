"""External analyzers (cfn-lint, checkov) and CDK's own findings, folded into the model.

Analyzers report facts only: no finding they produce is `blocking`; the policy
module decides that. Nothing heavy is imported here, so importing the package
costs nothing when an analyzer is not run.

May import: cdkcheck.model, cdkcheck.config, cdkcheck.errors, cdkcheck.serialize, cdkcheck.atomic,
cdkcheck.template. Never the engine, rules, reporters or the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cdkcheck.model import CheckOutcome, Finding, Severity, Source, SourceLocation, Stack

# Rule id of the finding that stands in for an analyzer that could not run.
ANALYZER_FAILED = "CDKC-ANALYZER-FAILED"


@dataclass(frozen=True)
class AnalyzerReport:
    findings: tuple[Finding, ...] = ()
    outcomes: tuple[CheckOutcome, ...] = ()


def bind_to_stack(finding: Finding, stack: Stack) -> Finding:
    """A template-relative finding (as cached) placed in one stack: its name, construct path, file."""
    line = finding.location.line if finding.location else None
    return replace(
        finding,
        stack=stack.display_name,
        construct_path=stack.construct_path_of(finding.logical_id),
        location=SourceLocation(file=str(stack.template.path), line=line, kind="template"),
    )


def analyzer_failed(analyzer: str, what: str, error: str, *, stack: str = "") -> Finding:
    """The finding that makes an analyzer that could not run visible in every report."""
    return Finding(
        rule_id=ANALYZER_FAILED,
        source=Source.CDKCHECK,
        severity=Severity.WARNING,
        message=f"{analyzer} could not analyze {what}: {error}",
        stack=stack,
        evidence={"analyzer": analyzer},
    )
