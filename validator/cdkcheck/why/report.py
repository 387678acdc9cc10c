"""What `why` found, as plain records for the reporters (which never compute anything)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

EXIT_EXPLAINED = 0
EXIT_NOTHING_TO_EXPLAIN = 5


@dataclass(frozen=True)
class CaughtBy:
    rule_id: str
    blocking: bool
    message: str
    source: str  # cdkcheck | cfn-lint | checkov | cdk
    checked: str  # "offline" or "live": which re-run reported it


@dataclass(frozen=True)
class Catalogued:
    name: str
    rule_id: str | None
    source: str
    also: tuple[str, ...] = ()
    note: str = ""
    needs_account: bool = False  # the rule reads the account: an offline re-run cannot fire it


@dataclass(frozen=True)
class ResourceRef:
    logical_id: str
    resource_type: str
    stack_name: str  # the CloudFormation stack it is in (a nested stack's own name for nested resources)
    construct_path: str | None = None
    source_location: str | None = None  # "file:line" in the app, as `check` reports it
    nested_in: tuple[str, ...] = ()


@dataclass(frozen=True)
class RootCause:
    resource: ResourceRef
    status: str
    reason: str
    timestamp: datetime
    caught_by: tuple[CaughtBy, ...] | None  # None: the checks could not be re-run on this resource
    matched: Catalogued | None
    corpus_record: dict = field(default_factory=dict)

    @property
    def matched_rule(self) -> str | None:
        return self.matched.rule_id if self.matched else None


@dataclass(frozen=True)
class OperationSummary:
    type: str
    final_status: str | None
    started: datetime
    ended: datetime | None


@dataclass(frozen=True)
class GateSummary:
    mode: str
    status: str
    reason: str = ""
    verdict: str | None = None


@dataclass(frozen=True)
class WhyReport:
    stack: str
    stack_id: str | None
    deleted: bool
    operation: OperationSummary | None
    root_causes: tuple[RootCause, ...] = ()
    in_progress: tuple[ResourceRef, ...] = ()
    consequences: tuple[tuple[ResourceRef, str], ...] = ()  # (resource, the root cause it followed)
    events_source: str = ""  # "the account" or the events file(s)
    template_source: str | None = None
    gate: tuple[GateSummary, ...] = ()
    notes: tuple[str, ...] = ()
    nothing_to_explain: str | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_NOTHING_TO_EXPLAIN if self.operation is None else EXIT_EXPLAINED
