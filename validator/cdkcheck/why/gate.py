"""cdkcheck's own checks re-run on the template that failed: what they report on each root cause.

The checks are the ones `cdkcheck check` runs, through the same pipeline, on the same
assembly (or on a one-stack assembly written around a template read from a file or the
account), so `why` and `check` agree by construction. They run offline first, then with
the account when it can answer now, and each finding says which run found it.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from cdkcheck.errors import CdkcheckError
from cdkcheck.model import CheckStatus, Finding


@dataclass(frozen=True)
class GateRun:
    mode: str  # "offline" | "live"
    status: str  # "ran" | "skipped" | "unknown"
    reason: str = ""
    findings: tuple[Finding, ...] = ()
    verdict: str | None = None


def run_gate(assembly_dir: Path, app_dir: Path, stack_display_name: str, *, environment: str | None,
             config_file: Path | None, live: bool, use_cache: bool = True, progress=lambda message: None
             ) -> list[GateRun]:
    from cdkcheck.engine.pipeline import RunOptions, check_environments

    runs: list[GateRun] = []
    for mode in ("offline", "live") if live else ("offline",):
        progress(f"re-running the checks on {stack_display_name} ({mode})")
        options = RunOptions(app_dir=app_dir, assembly_dir=assembly_dir, config_file=config_file,
                             stack_globs=(_literal_glob(stack_display_name),), offline=mode == "offline",
                             use_cache=use_cache)
        try:
            result = check_environments([environment] if environment else [], options).environments[0]
        except CdkcheckError as error:  # the stack is not this environment's, an unreadable config ...
            runs.append(GateRun(mode, "unknown", f"the checks could not run: {error.message}"))
            continue
        live_outcome = next((c for c in result.checks if c.check == "live"), None)
        if mode == "live" and live_outcome is not None and live_outcome.status is not CheckStatus.RAN:
            runs.append(GateRun(mode, live_outcome.status.value, live_outcome.reason, result.findings,
                                result.verdict.value))
            continue
        reason = "" if mode == "live" else "no AWS calls"
        runs.append(GateRun(mode, "ran", reason, result.findings, result.verdict.value))
    return runs


def findings_on(findings: Iterable[Finding], stack_display_name: str, logical_id: str) -> list[Finding]:
    """Findings on the resource, or naming it in their evidence (a subnet too small for it)."""
    return [f for f in findings
            if f.stack == stack_display_name and (f.logical_id == logical_id or _names(f.evidence, logical_id))]


def _names(evidence: Any, logical_id: str) -> bool:
    if isinstance(evidence, Mapping):
        if evidence.get("logical_id") == logical_id:
            return True
        return any(_names(v, logical_id) for v in evidence.values())
    if isinstance(evidence, (list, tuple)):
        return any(_names(v, logical_id) for v in evidence)
    return False


def _literal_glob(name: str) -> str:
    """--stack takes a glob: brackets and wildcards in a stack path are matched as themselves."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def write_one_stack_assembly(directory: Path, stack_name: str, body: Mapping[str, Any], *, account: str | None,
                             region: str | None, companion: Path | None = None,
                             nested_bodies: Mapping[str, Mapping[str, Any]] | None = None) -> tuple[Path, list[str]]:
    """A cloud assembly holding one stack with this template, for the checks to read.

    `companion`, the app's own assembly, lends its source map (for source lines) and the
    nested stacks' templates it has; `nested_bodies` (asset path -> template) adds others.
    Nested stacks whose template is in neither are left out, and said so.
    """
    directory.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    body = json.loads(json.dumps(body))  # a copy we may edit
    nested_bodies = dict(nested_bodies or {})
    for logical_id, spec in (body.get("Resources") or {}).items():
        if not isinstance(spec, dict) or spec.get("Type") != "AWS::CloudFormation::Stack":
            continue
        asset = (spec.get("Metadata") or {}).get("aws:asset:path")
        if not isinstance(asset, str):
            continue
        if asset in nested_bodies:
            (directory / asset).write_text(json.dumps(nested_bodies[asset]))
        elif companion is not None and (companion / asset).is_file():
            shutil.copyfile(companion / asset, directory / asset)
        else:
            spec["Metadata"] = {k: v for k, v in spec["Metadata"].items() if k != "aws:asset:path"}
            notes.append(f"the template of nested stack {logical_id} is not available: its resources were not "
                         "checked")
    template_file = f"{_file_name(stack_name)}.template.json"
    (directory / template_file).write_text(json.dumps(body))
    manifest = {
        "version": "36.0.0",
        "artifacts": {stack_name: {
            "type": "aws:cloudformation:stack",
            "environment": f"aws://{account or 'unknown-account'}/{region or 'unknown-region'}",
            "properties": {"templateFile": template_file, "stackName": stack_name},
        }},
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1))
    if companion is not None:
        from cdkcheck.app.source_map import SOURCES_FILE

        if (companion / SOURCES_FILE).is_file():
            shutil.copyfile(companion / SOURCES_FILE, directory / SOURCES_FILE)
    return directory, notes


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name) or "stack"

