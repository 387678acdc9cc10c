"""Stack events as CloudFormation reports them, from a file or from the API."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from cdkcheck.errors import UsageError

STACK_TYPE = "AWS::CloudFormation::Stack"
_HINT = ("give the JSON that `aws cloudformation describe-stack-events --stack-name STACK --output json` prints "
         "(an object with a StackEvents list)")


@dataclass(frozen=True)
class StackEvent:
    stack_id: str
    stack_name: str
    logical_id: str
    resource_type: str
    status: str
    timestamp: datetime
    reason: str = ""
    physical_id: str = ""
    event_id: str = ""
    operation_id: str | None = None

    @property
    def is_stack(self) -> bool:
        """The stack's own event (not a nested stack resource of it)."""
        return self.resource_type == STACK_TYPE and self.logical_id == self.stack_name

    @property
    def failed(self) -> bool:
        return self.status.endswith("_FAILED")

    @property
    def in_progress(self) -> bool:
        return self.status.endswith("_IN_PROGRESS")


def load_events_file(path: Path) -> list[StackEvent]:
    """Events of a `describe-stack-events --output json` file, oldest first. Bad input: UsageError (exit 2)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError("events file not found", file=str(path), hint=_HINT) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"events file cannot be read: {exc}", file=str(path), hint=_HINT) from None
    if not text.strip():
        raise UsageError("events file is empty", file=str(path), hint=_HINT)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"events file is not valid JSON (line {exc.lineno}: {exc.msg})", file=str(path),
                         hint=_HINT) from None
    events = events_from_document(document, where=str(path))
    if not events:
        raise UsageError("events file holds no stack events (StackEvents is empty)", file=str(path), hint=_HINT)
    return events


def events_from_document(document: Any, where: str) -> list[StackEvent]:
    if isinstance(document, Mapping) and isinstance(document.get("StackEvents"), list):
        raw = document["StackEvents"]
    elif isinstance(document, list):  # the list alone (`--query StackEvents`)
        raw = document
    else:
        raise UsageError("not describe-stack-events output: no StackEvents list", file=where, hint=_HINT)
    return sorted((event_from_api(item, where=where, index=i) for i, item in enumerate(raw)),
                  key=lambda e: e.timestamp)


_REQUIRED = ("StackId", "StackName", "LogicalResourceId", "ResourceType", "ResourceStatus", "Timestamp")


def event_from_api(item: Any, *, where: str = "the API answer", index: int = 0) -> StackEvent:
    """One StackEvent as the API (boto3: Timestamp a datetime) or the CLI (an ISO 8601 string) gives it."""
    if not isinstance(item, Mapping):
        raise UsageError(f"StackEvents[{index}] is not an object", file=where, hint=_HINT)
    missing = [key for key in _REQUIRED if not isinstance(item.get(key), (str, datetime)) or item.get(key) == ""]
    if missing:
        raise UsageError(f"StackEvents[{index}] lacks {', '.join(missing)}", file=where, hint=_HINT)
    return StackEvent(
        stack_id=str(item["StackId"]),
        stack_name=str(item["StackName"]),
        logical_id=str(item["LogicalResourceId"]),
        resource_type=str(item["ResourceType"]),
        status=str(item["ResourceStatus"]),
        timestamp=parse_timestamp(item["Timestamp"], where=where, index=index),
        reason=str(item.get("ResourceStatusReason") or ""),
        physical_id=str(item.get("PhysicalResourceId") or ""),
        event_id=str(item.get("EventId") or ""),
        operation_id=str(item["OperationId"]) if item.get("OperationId") else None,
    )


def parse_timestamp(value: Any, *, where: str = "", index: int = 0) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise UsageError(f"StackEvents[{index}] has a Timestamp that is not ISO 8601: {text!r}", file=where or None,
                         hint=_HINT) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def by_stack(events: Iterable[StackEvent]) -> dict[str, list[StackEvent]]:
    """Events per StackId (a file may hold a parent's and its nested stacks' events), oldest first."""
    grouped: dict[str, list[StackEvent]] = {}
    for event in sorted(events, key=lambda e: e.timestamp):
        grouped.setdefault(event.stack_id, []).append(event)
    return grouped


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
