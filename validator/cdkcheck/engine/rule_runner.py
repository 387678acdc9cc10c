"""Runs cdkcheck's rules and lifts their outcomes into findings and check outcomes.

A rule that raises becomes a finding plus an UNKNOWN outcome, never a crash:
a gate that falls over gets bypassed.
"""

from __future__ import annotations

import traceback
from contextlib import nullcontext
from dataclasses import replace
from typing import Iterable, Mapping, Sequence

from cdkcheck.config import RuleSetting
from cdkcheck.facts.reads import Reads
from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.model import CheckOutcome, CheckStatus, Finding, Severity, Source
from cdkcheck.ruleset import Rule, RuleContext, Undetermined, Violation


def run_rules(
    rules: Sequence[Rule],
    context: RuleContext,
    settings: Mapping[str, RuleSetting],
    *,
    live_required: bool,
    reads: dict[str, Reads] | None = None,
) -> tuple[list[Finding], list[CheckOutcome]]:
    """`reads`, when given, receives per rule id the account answers that rule was served
    (when the facts can tell: a `watch()` method, see cdkcheck.facts.reads)."""
    watch = getattr(context.facts, "watch", None) if reads is not None else None
    findings: list[Finding] = []
    outcomes: list[CheckOutcome] = []
    for rule in rules:
        meta = rule.meta
        setting = settings.get(meta.id, RuleSetting())
        check = f"rule:{meta.id}"
        if not setting.enabled:
            outcomes.append(CheckOutcome(check, CheckStatus.SKIPPED, "disabled in the config"))
            continue
        required = meta.needs_live and live_required
        rule_context = replace(context, options={**rule.default_options, **setting.options})
        try:
            with (watch() if watch is not None else nullcontext()) as used:
                if used is not None:
                    reads[meta.id] = used
                results = list(rule.evaluate(rule_context))
        except FactUnavailable as unavailable:
            status = CheckStatus.SKIPPED if unavailable.skipped else CheckStatus.UNKNOWN
            outcomes.append(CheckOutcome(check, status, unavailable.reason, required=required))
            continue
        except Exception as exc:  # a broken rule must not take the gate down
            findings.append(_crash_finding(meta.id, exc))
            outcomes.append(CheckOutcome(check, CheckStatus.UNKNOWN, f"rule crashed: {exc!r}", required=True))
            continue
        unknown = [r for r in results if isinstance(r, Undetermined)]
        findings.extend(_finding(rule, setting, v) for v in results if isinstance(v, Violation))
        for u in unknown:
            outcomes.append(CheckOutcome(check, CheckStatus.UNKNOWN, _describe(u),
                                         required=required if u.required is None else (required and u.required),
                                         stack=u.stack.display_name if u.stack else None))
        if not unknown:
            outcomes.append(CheckOutcome(check, CheckStatus.RAN))
    return findings, outcomes


def _finding(rule: Rule, setting: RuleSetting, violation: Violation) -> Finding:
    meta = rule.meta
    stack = violation.stack
    severity: Severity = setting.severity or violation.severity or meta.severity
    return Finding(
        rule_id=meta.id,
        source=Source.CDKCHECK,
        severity=severity,
        message=violation.message,
        stack=stack.display_name if stack else "",
        logical_id=violation.logical_id,
        construct_path=violation.construct_path or (stack.construct_path_of(violation.logical_id) if stack else None),
        property_path=violation.property_path,
        fix=violation.fix or meta.fix,
        evidence=dict(violation.evidence),
        suppressible=meta.suppressible,
    )


def _describe(unknown: Undetermined) -> str:
    where = unknown.logical_id or (unknown.stack.display_name if unknown.stack else "")
    return f"{where}: {unknown.reason}" if where else unknown.reason


def _crash_finding(rule_id: str, exc: Exception) -> Finding:
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno}" if frames else ""
    return Finding(
        rule_id="CDKC-RULE-CRASHED",
        source=Source.CDKCHECK,
        severity=Severity.WARNING,
        message=f"rule {rule_id} could not run: {type(exc).__name__}: {exc}{where}",
        fix="report this to the cdkcheck maintainers with the template; the rule's verdict is UNKNOWN",
    )


def all_findings(*groups: Iterable[Finding]) -> list[Finding]:
    return [f for group in groups for f in group]
