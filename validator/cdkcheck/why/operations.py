"""A stack's event history cut into operations, and the one `why` explains.

Operations are told apart by the stack's own events, not by OperationId: that field
is recent, and CloudFormation gives an automatic rollback an operation id of its own,
while `why` treats a create and the rollback it caused as one operation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Sequence

from cdkcheck.why.events import StackEvent

# The stack's own statuses that begin an operation, and its type.
_STARTS = {
    "CREATE_IN_PROGRESS": "CREATE",
    "UPDATE_IN_PROGRESS": "UPDATE",
    "DELETE_IN_PROGRESS": "DELETE",
    "IMPORT_IN_PROGRESS": "IMPORT",
}
# A change set for a stack that does not exist yet: the create that executes it follows.
_PRELUDE = "REVIEW_IN_PROGRESS"
ROLLBACK_STARTS = frozenset({"ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS", "IMPORT_ROLLBACK_IN_PROGRESS"})
_SUCCEEDED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE", "IMPORT_COMPLETE"})


@dataclass
class Operation:
    type: str  # CREATE | UPDATE | DELETE | IMPORT | UNKNOWN (its start is older than the events read)
    events: list[StackEvent] = field(default_factory=list)  # oldest first, the stack's own included
    complete_history: bool = True  # False: the operation began before the oldest event read

    @property
    def stack_events(self) -> list[StackEvent]:
        return [e for e in self.events if e.is_stack]

    @property
    def stack_id(self) -> str:
        return self.events[0].stack_id

    @property
    def stack_name(self) -> str:
        return self.events[0].stack_name

    @property
    def started(self) -> datetime:
        return self.events[0].timestamp

    @property
    def ended(self) -> datetime | None:
        final = self.final_status
        return self.stack_events[-1].timestamp if final and not final.endswith("_IN_PROGRESS") else None

    @property
    def final_status(self) -> str | None:
        own = self.stack_events
        return own[-1].status if own else None

    @property
    def rollback_start(self) -> StackEvent | None:
        return next((e for e in self.stack_events if e.status in ROLLBACK_STARTS), None)

    @property
    def failed(self) -> bool:
        final = self.final_status or ""
        if final in _SUCCEEDED:
            return False
        return (self.rollback_start is not None or final.endswith("_FAILED")
                or any(e.failed for e in self.events if not e.is_stack))

    @property
    def succeeded(self) -> bool:
        return (self.final_status or "") in _SUCCEEDED


def slice_operations(events: Sequence[StackEvent]) -> list[Operation]:
    """One stack's events (oldest first) as operations, oldest first."""
    operations: list[Operation] = []
    current: Operation | None = None
    prelude: list[StackEvent] = []
    for event in events:
        if event.is_stack and event.status == _PRELUDE:
            prelude.append(event)
            continue
        if event.is_stack and event.status in _STARTS:
            current = Operation(type=_STARTS[event.status], events=[*prelude, event])
            prelude = []
            operations.append(current)
            continue
        if current is None:  # the history read begins inside an operation
            current = Operation(type="UNKNOWN", complete_history=False)
            operations.append(current)
        current.events.append(event)
    if prelude and not operations:  # a change set never executed
        operations.append(Operation(type="CREATE", events=prelude))
    for operation in operations:
        if operation.type == "UNKNOWN":
            operation.type = _type_from_statuses(operation)
    return operations


def _type_from_statuses(operation: Operation) -> str:
    statuses = {e.status for e in operation.stack_events}
    if statuses & {"ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_COMPLETE"}:
        return "CREATE"
    if any(s.startswith("UPDATE") for s in statuses):
        return "UPDATE"
    if any(s.startswith("DELETE") for s in statuses):
        return "DELETE"
    if any(s.startswith("IMPORT") for s in statuses):
        return "IMPORT"
    return "UNKNOWN"


@dataclass(frozen=True)
class Choice:
    operation: Operation | None  # the operation to explain; None: nothing to explain
    why_not: str = ""  # when None: why there is nothing to explain
    notes: tuple[str, ...] = ()


def operation_to_explain(operations: Sequence[Operation]) -> Choice:
    """The most recent operation, unless it is the delete that cleaned up a failed one (then that one)."""
    if not operations:
        return Choice(None, "the stack has no events")
    latest = operations[-1]
    notes: tuple[str, ...] = ()
    if latest.type == "DELETE" and latest.final_status == "DELETE_COMPLETE" and len(operations) > 1:
        previous = operations[-2]
        if previous.failed:
            when = latest.started.strftime("%Y-%m-%d %H:%M UTC")
            notes = (f"the stack was deleted afterwards ({when}); its events are kept under its stack id",)
            return Choice(previous, notes=notes)
        return Choice(None, f"the stack was deleted ({latest.final_status}) after a {previous.type} that ended "
                            f"{previous.final_status}: no failure to explain")
    if latest.failed:
        if not latest.complete_history:
            notes = ("the events read begin inside this operation: its first events are missing",)
        return Choice(latest, notes=notes)
    status = latest.final_status or "no stack status yet"
    earlier = next((o for o in reversed(operations[:-1]) if o.failed), None)
    if latest.succeeded:
        text = f"the last operation ({latest.type}) ended {status}: nothing failed"
    else:
        text = f"the last operation ({latest.type}) is still running ({status}) and nothing has failed yet"
    if earlier is not None:
        text += (f"; an earlier {earlier.type} ({earlier.started.strftime('%Y-%m-%d %H:%M UTC')}) ended "
                 f"{earlier.final_status}")
    return Choice(None, text)


def history_suffices(operations: Sequence[Operation]) -> bool:
    """Whether the events read (newest first, page by page) reach back far enough to decide.

    They do once the operation to explain began within them; with nothing to explain, once the last
    operation began within them (and, for a delete, the operation before it: it may be a failed create).
    """
    choice = operation_to_explain(operations)
    if choice.operation is not None:
        return choice.operation.complete_history
    if not operations:
        return False
    needed = list(operations[-2:]) if operations[-1].type == "DELETE" else [operations[-1]]
    if operations[-1].type == "DELETE" and len(needed) < 2:
        return False
    return all(o.complete_history for o in needed)
