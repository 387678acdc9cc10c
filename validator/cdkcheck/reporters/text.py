"""The report people read at a desk or in a CI log: verdict first, then why."""

from __future__ import annotations

from collections import Counter
from typing import Iterable

from cdkcheck.model import CheckStatus, EnvironmentResult, Finding, RunResult, Verdict
from cdkcheck.reporters.presentation import account_facts_line

_COLORS = {"red": "31", "green": "32", "yellow": "33", "dim": "2", "bold": "1", "cyan": "36"}
_VERDICT_COLOR = {Verdict.GO: "green", Verdict.NO_GO: "red", Verdict.INCONCLUSIVE: "yellow"}
ADVISORIES_SHOWN = 15


class _Style:
    def __init__(self, color: bool):
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not styles:
            return text
        codes = ";".join(_COLORS[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"


def render_text(run: RunResult, *, color: bool = False, verbose: bool = False) -> str:
    style = _Style(color)
    blocks = [_environment(e, style, verbose) for e in run.environments]
    if len(run.environments) > 1:
        blocks.append("summary: " + ", ".join(
            f"{e.name} {style(e.verdict.value, 'bold', _VERDICT_COLOR[e.verdict])}" for e in run.environments))
    return "\n\n".join(blocks) + "\n"


def _environment(e: EnvironmentResult, style: _Style, verbose: bool) -> str:
    where = ", ".join(x for x in (e.account and f"account {e.account}", e.region) if x)
    head = (f"{style(e.name, 'bold')}: {style(e.verdict.value, 'bold', _VERDICT_COLOR[e.verdict])}"
            f"  ({len(e.stacks)} stack{'s' if len(e.stacks) != 1 else ''}{', ' + where if where else ''})")
    lines = [head]
    blocking = e.blocking
    if blocking:
        lines.append(style(f"  blocking ({len(blocking)}):", "red"))
        lines += [line for f in blocking for line in _finding(f, style, marker="x")]
    unknown = [c for c in e.checks if c.status is CheckStatus.UNKNOWN]
    if unknown:
        lines.append(style(f"  could not check ({len(unknown)}):", "yellow"))
        # One line per distinct reason: a missing credential should not be repeated per check.
        by_reason: dict[tuple[str, bool], list[str]] = {}
        for c in unknown:
            by_reason.setdefault((c.reason, c.required), []).append(c.check + (f" [{c.stack}]" if c.stack else ""))
        for (reason, required), checks in by_reason.items():
            names = ", ".join(checks[:6]) + (f" +{len(checks) - 6} more" if len(checks) > 6 else "")
            lines.append(f"    ? {names} ({'required' if required else 'advisory'}): {reason}")
    estimate = e.details.get("deploy_estimate") if e.details else None
    if estimate:
        lines.append(f"  {estimate}")
    facts_line = account_facts_line(e.details)
    if facts_line:
        lines.append(f"  {facts_line}")
    advisories = e.advisories
    if advisories:
        lines.append(style(f"  advisories ({len(advisories)}):", "dim"))
        shown = advisories if verbose else advisories[:ADVISORIES_SHOWN]
        lines += [line for f in shown for line in _finding(f, style, marker="-")]
        if len(shown) < len(advisories):
            rest = Counter(f.source.value for f in advisories[len(shown):])
            lines.append(style(f"    ... {len(advisories) - len(shown)} more ("
                               + ", ".join(f"{n} {s}" for s, n in sorted(rest.items()))
                               + "); --verbose or --format json shows all", "dim"))
    if e.suppressed:
        lines.append(style(f"  suppressed ({len(e.suppressed)}):", "dim"))
        for f in e.suppressed:
            lines.append(style(f"    ~ {f.rule_id} {_where(f)}: {f.suppression.reason}", "dim"))
    skipped = [c for c in e.checks if c.status is CheckStatus.SKIPPED]
    if skipped:
        lines.append(style("  skipped: " + "; ".join(_skips(skipped)), "dim"))
    if not blocking and not unknown and e.verdict is Verdict.GO:
        lines.insert(1, style("  no blocking findings", "green"))
    return "\n".join(lines)


def _skips(skipped) -> Iterable[str]:
    by_reason: dict[str, list[str]] = {}
    for c in skipped:
        by_reason.setdefault(c.reason, []).append(c.check)
    for reason, checks in sorted(by_reason.items()):
        names = ", ".join(checks[:4]) + (f" +{len(checks) - 4} more" if len(checks) > 4 else "")
        yield f"{names} ({reason})"


def _where(f: Finding) -> str:
    if f.construct_path:
        return f.construct_path
    if f.logical_id:
        return f"{f.stack}:{f.logical_id}"
    return f.stack or "(environment)"


def _finding(f: Finding, style: _Style, marker: str) -> list[str]:
    color = "red" if f.blocking else ("yellow" if f.severity.value == "warning" else "dim")
    lines = [f"    {style(marker, color)} {style(f.rule_id, 'bold')} [{f.source.value}] {style(_where(f), 'cyan')}"]
    lines.append(f"      {f.message}")
    if f.location and f.location.kind == "source":
        lines.append(style(f"      at {f.location.file}:{f.location.line}", "dim"))
    if f.fix and f.blocking:
        lines.append(f"      fix: {f.fix.splitlines()[0]}")
    return lines
