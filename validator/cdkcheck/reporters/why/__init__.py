"""Reports of `cdkcheck why` (text, json, markdown): they render a WhyReport and compute nothing."""

from __future__ import annotations

from importlib import import_module

from typing import Sequence

from cdkcheck.why.report import CaughtBy, GateSummary, RootCause, WhyReport

WHY_FORMATS: dict[str, tuple[str, str]] = {
    "text": ("cdkcheck.reporters.why.text", "render_why_text"),
    "json": ("cdkcheck.reporters.why.json_report", "render_why_json"),
    "markdown": ("cdkcheck.reporters.why.markdown", "render_why_markdown"),
}


def render_why(name: str, report: WhyReport) -> str:
    module, function = WHY_FORMATS[name]
    return getattr(import_module(module), function)(report)


def gate_answer(cause: RootCause) -> str:
    """One sentence: would the gate have stopped this deploy, and by which rule."""
    if cause.caught_by is None:
        return "not re-checked: no template for this resource"
    blocking = [c for c in cause.caught_by if c.blocking]
    if blocking:
        return "the gate would have stopped this deploy: " + ", ".join(dict.fromkeys(_rule(c) for c in blocking))
    advisories = len(cause.caught_by)
    return ("the gate would not have stopped it: no blocking finding on this resource"
            + (f" ({advisories} advisor{'y' if advisories == 1 else 'ies'})" if advisories else ""))


def catalogue_answer(cause: RootCause, gate: Sequence[GateSummary] = ()) -> str:
    matched = cause.matched
    if matched is None:
        return "no rule covers this reason yet (it matches nothing in cdkcheck's catalogue of failure reasons)"
    if matched.rule_id is None:
        return f"a known failure no rule can foresee ({matched.name}): {matched.note}"
    fired = {c.rule_id for c in cause.caught_by or () if c.blocking}
    ids = (matched.rule_id, *matched.also)
    text = f"the reason is what {matched.rule_id} checks" + (f" (also {', '.join(matched.also)})" if matched.also
                                                             else "")
    if not fired & set(ids):
        live = next((g for g in gate if g.mode == "live"), None)
        if matched.needs_account and (live is None or live.status != "ran"):
            why_not = live.reason if live is not None else "--offline"
            text += f"; it needs the account, and the checks did not run with it ({why_not})"
        elif matched.needs_account:
            text += "; it did not fire with the account as it is now (it may have changed since the deploy)"
        else:
            text += "; it did not fire on this template: a gap to report"
    return text


def _rule(c: CaughtBy) -> str:
    how = "offline" if c.checked == "offline" else "with the account"
    return f"{c.rule_id} [{c.source}, {how}]"
