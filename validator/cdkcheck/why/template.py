"""What each resource of a template waits for: DependsOn and the resources its properties refer to."""

from __future__ import annotations

from typing import Any, Mapping

from cdkcheck.template.intrinsics import references


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
            found.update(references(spec.get("Properties")))
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
