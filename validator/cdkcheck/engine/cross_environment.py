"""Checks over several environments at once: what one environment's deploy does to another's.

Every other rule sees one environment's stacks. A cross-environment rule sees
the selected stacks of every environment in the run (and of configured
companions, see `companions`) and reports, per environment, what collides with
another one. The findings join each environment's own, so suppressions,
severities and fail_on apply to them as to any other finding.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

from cdkcheck.config import Config, EnvironmentConfig, RuleSetting
from cdkcheck.model import CheckOutcome, CheckStatus, Finding, Severity, Source, Stack
from cdkcheck.ruleset import CrossEnvironmentRule, CrossOutcome, CrossViolation, EnvironmentView, RuleMeta


@dataclass(frozen=True)
class CrossResults:
    findings: Mapping[str, tuple[Finding, ...]]
    outcomes: Mapping[str, tuple[CheckOutcome, ...]]


def wanted(rules: Sequence[CrossEnvironmentRule], environments: Sequence[EnvironmentConfig]) -> bool:
    """Whether any selected environment runs a cross-environment rule (else no companion is synthesized)."""
    return any(_setting(e, r).enabled for e in environments for r in rules)


def companions(config: Config, selected: Sequence[EnvironmentConfig], *, free: bool,
               synth_key: Callable[[EnvironmentConfig], str]) -> list[EnvironmentConfig]:
    """Configured environments outside the run that the run's environments are compared with.

    With an existing assembly (`free`), every configured environment: selecting stacks costs nothing.
    Otherwise one that needs no synth of its own (same context and process variables as a selected
    environment), or one the config places in the account and region of a selected environment: a
    `cdkcheck production` in CI must see the staging stacks living in the same account. An environment
    whose account or region the config does not state is not synthesized just to find out.
    """
    names = {e.name for e in selected}
    places = {(e.account, e.region) for e in selected if e.account and e.region}
    keys = {synth_key(e) for e in selected}
    found = []
    for environment in config.environments.values():
        if environment.name in names:
            continue
        if free or synth_key(environment) in keys or (environment.account, environment.region) in places:
            found.append(environment)
    return found


def not_compared(config: Config, selected: Sequence[EnvironmentConfig],
                 compared: Iterable[str]) -> list[str]:
    """Configured environments neither in the run nor companions: named in the check's reason."""
    seen = {e.name for e in selected} | set(compared)
    return sorted(name for name in config.environments if name not in seen)


def run_cross_rules(rules: Sequence[CrossEnvironmentRule], views: Sequence[EnvironmentView],
                    settings: Mapping[str, EnvironmentConfig], *, skipped: Sequence[str] = (),
                    unavailable: Mapping[str, str] | None = None) -> CrossResults:
    """Findings and outcomes per reported (non-companion) environment.

    `skipped` are configured environments that were not compared (no synth); `unavailable` maps a
    companion that could not be read (its synth failed) to the reason.
    """
    reported = [v.name for v in views if not v.companion]
    findings: dict[str, list[Finding]] = {name: [] for name in reported}
    outcomes: dict[str, list[CheckOutcome]] = {name: [] for name in reported}
    for rule in rules:
        check = f"rule:{rule.meta.id}"
        # An environment that turns the rule off gets no findings, but its stacks still deploy: compared against.
        active = list(views)
        notes: dict[str, list[str]] = {name: [] for name in reported}
        statuses: dict[str, CheckStatus] = {}
        try:
            results = list(rule.evaluate(active)) if len(active) > 1 else []
        except Exception as exc:  # a broken rule must not take the gate down
            for name in reported:
                outcomes[name].append(CheckOutcome(check, CheckStatus.UNKNOWN, f"rule crashed: {exc!r}",
                                                   required=True))
            continue
        for result in results:
            if result.environment not in findings or not _setting(settings[result.environment], rule).enabled:
                continue  # a companion (no report of its own), or the rule is off there
            if isinstance(result, CrossOutcome):
                notes[result.environment].append(result.reason)
                if result.status is CheckStatus.UNKNOWN:
                    statuses[result.environment] = CheckStatus.UNKNOWN
                continue
            setting = _setting(settings[result.environment], rule)
            findings[result.environment].append(_finding(rule.meta, setting, result))
        compared = [v.name for v in active]
        for name in reported:
            if not _setting(settings[name], rule).enabled:
                outcomes[name].append(CheckOutcome(check, CheckStatus.SKIPPED, "disabled in the config"))
                continue
            others = [n for n in compared if n != name]
            reason = [f"compared with {', '.join(others)}" if others else "no other environment to compare with"]
            if skipped:
                reason.append(f"not synthesized to compare (config does not place them in this account and "
                              f"region): {', '.join(skipped)}")
            for companion, why in sorted((unavailable or {}).items()):
                reason.append(f"{companion} could not be compared: {why}")
            reason += sorted(set(notes[name]))
            outcomes[name].append(CheckOutcome(check, statuses.get(name, CheckStatus.RAN), "; ".join(reason)))
    return CrossResults(findings={k: tuple(v) for k, v in findings.items()},
                        outcomes={k: tuple(v) for k, v in outcomes.items()})


def _setting(environment: EnvironmentConfig, rule: CrossEnvironmentRule) -> RuleSetting:
    return environment.rules.get(rule.meta.id, RuleSetting())


def _finding(meta: RuleMeta, setting: RuleSetting, violation: CrossViolation) -> Finding:
    stack = violation.stack
    severity: Severity = setting.severity or meta.severity
    construct_path = violation.construct_path or stack.construct_path_of(violation.logical_id)
    return Finding(
        rule_id=meta.id,
        source=Source.CDKCHECK,
        severity=severity,
        message=violation.message,
        stack=stack.display_name,
        logical_id=violation.logical_id,
        construct_path=construct_path,
        property_path=violation.property_path,
        fix=meta.fix,
        evidence=json.loads(json.dumps(violation.evidence, default=str)),
        suppressible=meta.suppressible,
    )
