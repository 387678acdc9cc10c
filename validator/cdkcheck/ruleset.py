"""What a rule is, and how its results become findings.

A rule is metadata plus one function over the model and the read-only
account facts. It yields Violations, or Undetermined when an input it needs is
not knowable (an import from another stack, a fact the account did not give):
never a guessed pass or fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from cdkcheck.facts.interface import AccountFacts
from cdkcheck.model import CheckStatus, Severity, Stack


@dataclass(frozen=True)
class RuleMeta:
    id: str  # "CDKC-R4"
    name: str  # "rds-storage-range"
    summary: str
    severity: Severity
    resource_types: tuple[str, ...]
    rationale: str
    docs_url: str
    fix: str
    example: str = ""
    needs_live: bool = False  # reads AccountFacts; skipped offline, UNKNOWN when the account cannot answer
    suppressible: bool = True
    facts: tuple["SourcedFact", ...] = ()  # the service behaviour the rule relies on, each with its source
    # Facts computed from data when asked (`cdkcheck explain`), too costly to build at import.
    details: Callable[[], str] | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SourcedFact:
    """One fact a rule relies on and where it is written down (an AWS doc page, a public issue)."""

    fact: str
    source: str


@dataclass(frozen=True)
class Violation:
    stack: Stack | None
    logical_id: str | None
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    property_path: str | None = None
    severity: Severity | None = None  # overrides the rule's default for this one case
    fix: str | None = None
    construct_path: str | None = None  # for a resource the new template no longer has (a removed one)


@dataclass(frozen=True)
class Undetermined:
    stack: Stack | None
    logical_id: str | None
    reason: str
    # False: an advisory "could not decide" that never makes the verdict INCONCLUSIVE (a value known only
    # at deploy time); None: as required as the rule is.
    required: bool | None = None


@dataclass(frozen=True)
class EnvironmentInfo:
    name: str
    account: str | None
    region: str | None
    max_deploy_minutes: float = 60.0


@dataclass(frozen=True)
class RuleContext:
    environment: EnvironmentInfo
    stacks: tuple[Stack, ...]  # the environment's selected stacks, nested ones included
    facts: AccountFacts
    options: Mapping[str, Any] = field(default_factory=dict)

    def option(self, name: str, default: Any) -> Any:
        return self.options.get(name, default)


Outcome = Violation | Undetermined


@dataclass(frozen=True)
class Rule:
    meta: RuleMeta
    evaluate: Callable[[RuleContext], Iterable[Outcome]]
    default_options: Mapping[str, Any] = field(default_factory=dict)


# ------------------------------------------------- rules over several environments at once


@dataclass(frozen=True)
class EnvironmentView:
    """One environment's selected stacks and where they deploy, as the environment's check sees them."""

    name: str
    account: str | None  # the environment's account when every stack agrees or the config says so
    region: str | None
    stacks: tuple[Stack, ...]
    companion: bool = False  # configured but not selected: compared against, never reported on
    alias_of: str | None = None  # the environment whose stacks this one deploys on purpose (config alias_of)


@dataclass(frozen=True)
class CrossViolation:
    environment: str  # the environment the finding is reported in
    stack: Stack
    logical_id: str | None  # None when the stack itself is the subject
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    property_path: str | None = None
    construct_path: str | None = None  # for a stack: its display path


@dataclass(frozen=True)
class CrossOutcome:
    """What a cross-environment rule could not compare, per environment (reported as the check's reason)."""

    environment: str
    reason: str
    status: CheckStatus = CheckStatus.RAN


@dataclass(frozen=True)
class CrossEnvironmentRule:
    meta: RuleMeta
    evaluate: Callable[[Sequence[EnvironmentView]], Iterable[CrossViolation | CrossOutcome]]
    default_options: Mapping[str, Any] = field(default_factory=dict)
