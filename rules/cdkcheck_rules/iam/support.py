"""Policy documents as IAM measures them, and the resources a resource waits for; shared by the IAM rules."""

from __future__ import annotations

import json
import re
from typing import Any, Iterator, Mapping

from cdkcheck.model import Resource
from cdkcheck.template.intrinsics import ResourceRef, Unknown, references

_WHITESPACE = re.compile(r"\s+")


def _known_only(value: Any) -> Any:
    """The document with every value known only at deploy time left out (counted as an empty string)."""
    if isinstance(value, dict):
        return {k: _known_only(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_known_only(v) for v in value]
    if isinstance(value, (Unknown, ResourceRef)) or not isinstance(value, (str, int, float, bool, type(None))):
        return ""
    return value


def minimum_size(document: Any) -> int:
    """Characters IAM counts at the least: whitespace is not counted, deploy-time values count as empty.

    Values resolved only at deploy time (ARNs of resources being created, imports) are longer than
    nothing, so the real size is at least this: a document over a limit by this count is over it.
    """
    text = json.dumps(_known_only(document), separators=(",", ":"), ensure_ascii=False)
    return len(_WHITESPACE.sub("", text))


def waits_for(resource: Resource, target: str, resources: Mapping[str, Resource]) -> bool:
    """Whether CloudFormation creates `target` before `resource` (a DependsOn or reference chain leads to it)."""
    seen: set[str] = set()
    todo = [resource.logical_id]
    while todo:
        current = resources.get(todo.pop())
        if current is None or current.logical_id in seen:
            continue
        seen.add(current.logical_id)
        for dependency in (*current.depends_on, *references(current.properties)):
            if dependency == target:
                return True
            if dependency in resources and dependency not in seen:
                todo.append(dependency)
    return False
