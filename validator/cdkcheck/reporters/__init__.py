"""Reporters turn a RunResult into text; the engine never formats anything itself.

May import: cdkcheck.model, cdkcheck.errors, cdkcheck.serialize and rule metadata (cdkcheck_rules, for
help texts). Never the engine: a reporter renders a finished run and decides nothing.
"""

from __future__ import annotations

import inspect
from importlib import import_module
from pathlib import Path
from typing import Callable, Iterable

from cdkcheck.model import RunResult

# format name -> (module, function); imported only when that format is asked for.
FORMATS: dict[str, tuple[str, str]] = {
    "text": ("cdkcheck.reporters.text", "render_text"),
    "json": ("cdkcheck.reporters.json_report", "render_json"),
    "sarif": ("cdkcheck.reporters.sarif", "render_sarif"),
    "junit": ("cdkcheck.reporters.junit", "render_junit"),
    "markdown": ("cdkcheck.reporters.markdown", "render_markdown"),
    "github": ("cdkcheck.reporters.github", "render_github"),
}


def renderer(name: str) -> Callable[..., str]:
    module, function = FORMATS[name]
    return getattr(import_module(module), function)


def render(name: str, run: RunResult, **options) -> str:
    """Render with the options this format understands (color, verbose, path_prefix); others are ignored."""
    render_fn = renderer(name)
    accepted = inspect.signature(render_fn).parameters
    return render_fn(run, **{key: value for key, value in options.items() if key in accepted})


def parse_report_options(values: Iterable[str]) -> list[tuple[str, Path]]:
    """`--report FORMAT=FILE` values -> (format, file); a bad or repeated one is a usage error."""
    from cdkcheck.errors import UsageError

    reports: list[tuple[str, Path]] = []
    for value in values:
        name, sep, file = value.partition("=")
        name, file = name.strip(), file.strip()
        if not sep or not file:
            raise UsageError(f"--report '{value}' is not FORMAT=FILE", hint="e.g. --report sarif=cdkcheck.sarif")
        if name not in FORMATS:
            raise UsageError(f"unknown --report format '{name}'", hint=f"choose one of {', '.join(FORMATS)}")
        if any(Path(file) == other for _, other in reports):
            raise UsageError(f"--report names {file} twice", hint="give each format its own file")
        reports.append((name, Path(file)))
    return reports
