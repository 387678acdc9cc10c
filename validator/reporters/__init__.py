"""Reporters turn a RunResult into text; the engine never formats anything itself."""

from __future__ import annotations

from importlib import import_module
from typing import Callable

from cdkcheck.model import RunResult

# format name -> (module, function); imported only when that format is asked for.
FORMATS: dict[str, tuple[str, str]] = {
    "text": ("cdkcheck.reporters.text", "render_text"),
    "json": ("cdkcheck.reporters.json_report", "render_json"),
}


def renderer(name: str) -> Callable[..., str]:
    module, function = FORMATS[name]
    return getattr(import_module(module), function)


def render(name: str, run: RunResult, **options) -> str:
    render_fn = renderer(name)
    if name == "text":
        return render_fn(run, **options)
    return render_fn(run)
