"""What each resource of a template waits for: DependsOn and the resources its properties refer to."""

from __future__ import annotations

import re
from typing import Any, Mapping

_SUB_NAME = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[^}]*)?\}")


def dependencies(body: Mapping[str, Any]) -> dict[str, set[str]]:
    """logical id -> the logical ids it directly depends on (only resources of this template)."""
    resources = body.get("Resources") if isinstance(body.get("Resources"), Mapping) else {}
    names = set(resources)
    graph: dict[str, set[str]] = {}
    for logical_id, spec in resources.items():
        found: set[str] = set()
        if isinstance(spec, Mapping):
            depends = spec.get("DependsOn")
            found.update([depends] if isinstance(depends, str) else [d for d in depends or [] if isinstance(d, str)])
            _references(spec.get("Properties"), found)
        graph[logical_id] = {d for d in found if d in names and d != logical_id}
    return graph


def depends_on(graph: Mapping[str, set[str]], logical_id: str, other: str) -> bool:
    """Whether `logical_id` waits, directly or through others, for `other`."""
    seen: set[str] = set()
    todo = list(graph.get(logical_id, ()))
    while todo:
        current = todo.pop()
        if current == other:
            return True
        if current not in seen:
            seen.add(current)
            todo.extend(graph.get(current, ()))
    return False


def _references(value: Any, found: set[str]) -> None:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(target, str):
                    found.add(target.split(".", 1)[0])
            elif key == "Fn::Sub":
                text = inner[0] if isinstance(inner, list) and inner else inner
                if isinstance(text, str):
                    found.update(_SUB_NAME.findall(text))
                if isinstance(inner, list) and len(inner) > 1:
                    _references(inner[1], found)
                continue
            _references(inner, found)
    elif isinstance(value, list):
        for item in value:
            _references(item, found)
