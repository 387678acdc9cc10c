"""One line per root cause for a corpus of real failures: what failed, why, and whether the gate saw it.

Identifiers that are the account's own (request ids, tokens, resource ids, account ids, ARNs)
are masked, so the record can be shared.
"""

from __future__ import annotations

import re
from typing import Sequence

_MASKS = (
    (re.compile(r"arn:aws[\w-]*:[\w-]+:[\w-]*:\d{12}:[^\s\"',\]]+"), "<arn>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE), "<id>"),
    (re.compile(r"\b(subnet|sg|vpc|eni|igw|nat|rtb|eipalloc|i|vol|ami)-[0-9a-f]{8,17}\b"), r"\1-<id>"),
    (re.compile(r"\b\d{12}\b"), "<account>"),
    (re.compile(r"(Request ID|RequestToken|Extended Request ID): [^;,)\s]+"), r"\1: <id>"),
)


def mask(reason: str) -> str:
    for pattern, replacement in _MASKS:
        reason = pattern.sub(replacement, reason)
    return " ".join(reason.split())


def corpus_record(*, resource_type: str, status: str, reason: str, operation: str, date: str,
                  matched_rule: str | None, caught_by: Sequence[str] | None) -> dict:
    """`caught_by`: the blocking rule ids the re-run reported on the resource; None when it could not run."""
    return {
        "date": date,
        "operation": operation,
        "resource_type": resource_type,
        "status": status,
        "reason": mask(reason),
        "matched_rule": matched_rule,
        "caught_by": None if caught_by is None else sorted(set(caught_by)),
    }
