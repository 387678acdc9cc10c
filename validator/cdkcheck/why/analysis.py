"""Root causes of a failed operation: the failures that are not consequences of another one.

Dropped as consequences: "Resource creation cancelled" / "Resource update cancelled" (those
resources were still in progress when the operation stopped: they are listed apart),
the "The following resource(s) failed to ..." summaries, everything from the rollback on,
and the failure of a resource that waits for one that had already failed. A nested stack
that failed is replaced by the root causes in its own events.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

from cdkcheck.why.events import STACK_TYPE, StackEvent
from cdkcheck.why.operations import Operation, slice_operations
from cdkcheck.why.template import depends_on

_CANCELLED = re.compile(r"^Resource (creation|update|deletion|import) cancelled", re.IGNORECASE)
_SUMMARY = re.compile(r"^The following resource\(s\) failed to (create|update|delete|import)", re.IGNORECASE)
_EMBEDDED = re.compile(r"Embedded stack (arn:aws[\w-]*:cloudformation:[^\s]+) was not successfully", re.IGNORECASE)

# (nested stack resource logical ids from the top stack) -> that stack's dependency graph, or None
GraphFor = Callable[[tuple[str, ...]], Mapping[str, set[str]] | None]
# a nested stack's id -> its events (oldest first), or None when they could not be read
EventsFor = Callable[[str], Sequence[StackEvent] | None]


@dataclass(frozen=True)
class Failure:
    event: StackEvent
    nested_in: tuple[str, ...] = ()  # logical ids of the nested stack resources leading to it, from the top

    @property
    def logical_id(self) -> str:
        return self.event.logical_id


@dataclass(frozen=True)
class Consequence:
    failure: Failure
    cause: str  # logical id of the failure it follows from


@dataclass
class Analysis:
    operation: Operation
    root_causes: list[Failure] = field(default_factory=list)
    in_progress: list[Failure] = field(default_factory=list)  # still running when the operation stopped
    consequences: list[Consequence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def analyze(operation: Operation, graph_for: GraphFor = lambda path: None,
            nested_events: EventsFor = lambda stack_id: None, nested_in: tuple[str, ...] = ()) -> Analysis:
    result = Analysis(operation=operation)
    rollback = operation.rollback_start
    cutoff = rollback.timestamp if rollback is not None else None
    before = [e for e in operation.events if not e.is_stack and (cutoff is None or e.timestamp <= cutoff)]
    graph = graph_for(nested_in)

    failures: list[Failure] = []
    for event in before:
        if not event.failed:
            continue
        if _CANCELLED.match(event.reason):
            result.in_progress.append(Failure(event, nested_in))
        elif not _SUMMARY.match(event.reason):
            failures.append(Failure(event, nested_in))
    result.in_progress += _unfinished(before, {f.logical_id for f in failures + result.in_progress}, nested_in)

    roots: list[Failure] = []
    for failure in failures:  # oldest first: a consequence comes at or after its cause
        cause = next((r.logical_id for r in roots if graph and depends_on(graph, failure.logical_id, r.logical_id)),
                     None)
        if cause is not None:
            result.consequences.append(Consequence(failure, cause))
        else:
            roots.append(failure)

    for root in roots:
        if root.event.resource_type == STACK_TYPE and _EMBEDDED.search(root.event.reason or ""):
            inner = _nested(root, graph_for, nested_events)
            if inner is not None and inner.root_causes:
                result.root_causes += inner.root_causes
                result.in_progress += inner.in_progress
                result.consequences += inner.consequences
                result.notes += inner.notes
                continue
            result.notes.append(f"{root.logical_id} is a nested stack: the cause is in its own events, which were "
                                f"not available ({_nested_id(root.event)}); pass them with another --events")
        result.root_causes.append(root)

    if not result.root_causes and operation.failed:
        own = rollback or next((e for e in reversed(operation.stack_events) if e.failed), None)
        if own is not None:  # a template or stack-level refusal: the stack's own event carries the reason
            result.root_causes.append(Failure(own, nested_in))
    return result


def _unfinished(events: Sequence[StackEvent], known: set[str], nested_in: tuple[str, ...]) -> list[Failure]:
    """Resources whose last event before the rollback is *_IN_PROGRESS and that are not listed yet."""
    last: dict[str, StackEvent] = {}
    for event in events:
        last[event.logical_id] = event
    return [Failure(e, nested_in) for e in last.values() if e.in_progress and e.logical_id not in known]


def _nested_id(event: StackEvent) -> str:
    match = _EMBEDDED.search(event.reason or "")
    return match.group(1) if match else event.physical_id


def _nested(root: Failure, graph_for: GraphFor, nested_events: EventsFor) -> Analysis | None:
    events = nested_events(_nested_id(root.event))
    if not events:
        return None
    operations = slice_operations(list(events))
    # the nested stack's operation that ran when its resource in the parent failed
    running = [o for o in operations if o.started <= root.event.timestamp] or operations
    return analyze(running[-1], graph_for, nested_events, nested_in=(*root.nested_in, root.logical_id))
