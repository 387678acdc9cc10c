"""`cdkcheck why STACK [ENV]`: read the stack's last operation, find its root causes, place them in the
app, and re-run the checks on the template to say whether the gate would have stopped the deploy."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from cdkcheck.config import Config, EnvironmentConfig, load_config
from cdkcheck.errors import UsageError
from cdkcheck.model import Assembly, Stack
from cdkcheck.why.analysis import Failure, analyze
from cdkcheck.why.catalogue import match_reason
from cdkcheck.why.events import StackEvent, by_stack, event_from_api, load_events_file
from cdkcheck.why.gate import GateRun, findings_on, run_gate, write_one_stack_assembly
from cdkcheck.why.operations import Operation, history_suffices, operation_to_explain, slice_operations
from cdkcheck.why.records import corpus_record
from cdkcheck.why.report import (
    CaughtBy, Catalogued, GateSummary, OperationSummary, ResourceRef, RootCause, WhyReport,
)
from cdkcheck.why.template import dependencies

Progress = Callable[[str], None]


@dataclass(frozen=True)
class WhyOptions:
    stack: str
    environment: str | None = None
    app_dir: Path = Path(".")
    assembly_dir: Path | None = None
    events_files: tuple[Path, ...] = ()
    template_file: Path | None = None
    config_file: Path | None = None
    offline: bool = False
    use_cache: bool = True
    synth_timeout: float | None = None


@dataclass
class _History:
    """Where the events came from, and how to read a nested stack's."""

    stack_id: str
    events: list[StackEvent]
    source: str
    deleted: bool = False
    nested: Callable[[str], Sequence[StackEvent] | None] = lambda stack_id: None
    template: Callable[[str], Any] | None = None  # stack id -> deployed template (live only)


def explain(options: WhyOptions, *, progress: Progress = lambda message: None, open_history=None) -> WhyReport:
    from cdkcheck.why.app_assembly import app_assembly, find_stack

    config = load_config(options.app_dir, options.config_file)
    environment = _environment(config, options.environment)
    notes: list[str] = []

    if options.events_files:
        history = _history_from_files(options.stack, options.events_files)
    elif options.offline:
        raise UsageError("--offline reads no account: give the stack's events with --events FILE",
                         hint="e.g. `aws cloudformation describe-stack-events --stack-name "
                              f"{options.stack} --output json > events.json`")
    else:
        history = None  # read below, once the region is known from the app

    assembly, how = app_assembly(app_dir=options.app_dir, assembly_dir=options.assembly_dir, config=config,
                                 environment=environment, use_cache=options.use_cache,
                                 synth_timeout=options.synth_timeout, progress=progress)
    app_stack = find_stack(assembly, options.stack)
    if assembly is None and options.template_file is None:
        notes.append(f"{how}: construct paths come from the template's metadata and no source lines are known")
    elif assembly is not None and app_stack is None:
        notes.append(f"stack '{options.stack}' is not in the app's assembly ({how})")

    if history is None:
        region = environment.region or (app_stack.region if app_stack else None) \
            or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        history = _history_from_account(options.stack, environment, region, progress, open_history)

    operations = slice_operations(history.events)
    choice = operation_to_explain(operations)
    notes += choice.notes
    deleted = history.deleted or (operations[-1].type == "DELETE" and operations[-1].final_status == "DELETE_COMPLETE")
    if choice.operation is None:
        return WhyReport(stack=options.stack, stack_id=history.stack_id, deleted=deleted, operation=None,
                         events_source=history.source, notes=tuple(notes), nothing_to_explain=choice.why_not)
    operation = choice.operation

    scratch = Path(tempfile.mkdtemp(prefix="cdkcheck-why-"))  # a one-stack assembly when the template is not the app's
    try:
        body, template_source = _template(options, app_stack, how, history, operation, notes)
        gate_assembly, gate_stack = _gate_assembly(body, app_stack, assembly, history, options, notes, scratch)
        analysis = analyze(operation, _graphs(gate_assembly, gate_stack), history.nested)
        notes += analysis.notes

        runs: list[GateRun] = []
        if gate_stack is not None:
            env_name = options.environment or _environment_for(config, gate_stack)
            runs = run_gate(gate_assembly.directory, options.app_dir, gate_stack.display_name, environment=env_name,
                            config_file=options.config_file, live=not options.offline and environment.live != "off",
                            use_cache=options.use_cache, progress=progress)
        else:
            notes.append("no template to re-run the checks on: pass --app, --assembly or --template")

        sources = _source_map(assembly.directory if assembly is not None else
                              (gate_assembly.directory if gate_assembly is not None else None), options.app_dir)
        place = _Placer(gate_assembly, gate_stack, sources)
        from cdkcheck.template.redact import secret_values

        # A reason can quote a property value: the template's literal secrets are masked as in every report.
        secrets = secret_values(gate_assembly.stacks if gate_assembly is not None else ())
        root_causes = tuple(_root_cause(f, place, runs, operation, secrets) for f in analysis.root_causes)
        return WhyReport(
            stack=options.stack,
            stack_id=history.stack_id,
            deleted=deleted,
            operation=OperationSummary(operation.type, operation.final_status, operation.started, operation.ended),
            root_causes=root_causes,
            in_progress=tuple(place.ref(f) for f in analysis.in_progress),
            consequences=tuple((place.ref(c.failure), c.cause) for c in analysis.consequences),
            events_source=history.source,
            template_source=template_source,
            gate=tuple(GateSummary(r.mode, r.status, r.reason, r.verdict) for r in runs),
            notes=tuple(dict.fromkeys(notes)),
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# ------------------------------------------------------------------ environment


def _environment(config: Config, name: str | None) -> EnvironmentConfig:
    if name:
        return config.environment(name)
    if config.environments:  # the first one is as good as any for the session's profile and region
        return next(iter(config.environments.values()))
    return config.implicit_environment()


def _environment_for(config: Config, stack: Stack) -> str | None:
    """The configured environment whose stacks include this one; None: the implicit one (no config)."""
    if not config.environments:
        return None
    from cdkcheck.engine.selection import matches_glob

    for environment in config.environments.values():
        if environment.stacks is None or any(matches_glob(stack, g) for g in environment.stacks):
            return environment.name
    return next(iter(config.environments))


# ------------------------------------------------------------------ events


def _history_from_files(stack: str, files: Sequence[Path]) -> _History:
    events: list[StackEvent] = []
    for path in files:
        events += load_events_file(path)
    grouped = by_stack(events)
    named = {sid: evs for sid, evs in grouped.items() if evs[0].stack_name == stack}
    if not named:
        names = sorted({evs[0].stack_name for evs in grouped.values()})
        raise UsageError(f"the events given are of stack {', '.join(names)}, not '{stack}'",
                         file=str(files[0]), hint=f"run `cdkcheck why {names[0]} --events ...`, or pass the events "
                                                  f"of '{stack}'")
    stack_id = max(named, key=lambda sid: named[sid][-1].timestamp)  # the latest incarnation of that name
    label = ", ".join(str(p) for p in files)
    return _History(stack_id=stack_id, events=grouped[stack_id], source=label,
                    nested=lambda nested_id: grouped.get(nested_id))


def _history_from_account(stack: str, environment: EnvironmentConfig, region: str | None, progress: Progress,
                          open_history=None) -> _History:
    if open_history is None:
        from cdkcheck.facts.live.stack_history import open_history
    reader = open_history(environment.profile, region, connect_timeout=environment.aws_connect_timeout,
                          read_timeout=environment.aws_read_timeout)
    progress(f"looking up stack {stack}")
    ref = reader.find(stack)
    converted: dict[str, list[StackEvent]] = {}

    def read(stack_id: str) -> list[StackEvent]:
        if stack_id not in converted:
            def enough(raw: Sequence[dict]) -> bool:  # stop paging once the events reach back far enough
                return history_suffices(slice_operations(sorted((event_from_api(e) for e in raw),
                                                                key=lambda e: e.timestamp)))
            progress(f"reading the events of {stack_id}")
            raw = reader.events(stack_id, enough=enough)
            converted[stack_id] = sorted((event_from_api(e) for e in raw), key=lambda e: e.timestamp)
        return converted[stack_id]

    events = read(ref.stack_id)
    if not events:
        raise UsageError(f"stack '{stack}' ({ref.stack_id}) has no events")
    where = f"the account ({'deleted stack ' if ref.deleted else 'stack '}{ref.stack_id})"
    return _History(stack_id=ref.stack_id, events=events, source=where, deleted=ref.deleted, nested=read,
                    template=reader.template)


# ------------------------------------------------------------------ template and assembly


def _template(options: WhyOptions, app_stack: Stack | None, how: str, history: _History, operation: Operation,
              notes: list[str]) -> tuple[Mapping[str, Any] | None, str | None]:
    if options.template_file is not None:
        from cdkcheck.app.assembly import load_template

        return dict(load_template(Path(options.template_file)).body), f"--template {options.template_file}"
    if app_stack is not None:
        if history.template is not None and operation.type == "CREATE":
            deployed = _parse_body(history.template(history.stack_id))
            if deployed is not None and _resources(deployed) != _resources(app_stack.template.body):
                notes.append("the app's template differs from the one this create deployed (GetTemplate): the "
                             "checks ran on the app's; pass the deployed commit's app, or --template FILE")
        return dict(app_stack.template.body), how
    if history.template is not None:
        body = _parse_body(history.template(history.stack_id))
        if body is not None:
            if operation.type == "UPDATE":
                notes.append("after the update rolled back, the account holds the template from before the "
                             "update: the attempted one comes from the app (--app, --assembly or --template)")
            return body, "the deployed template (GetTemplate by stack id)"
    return None, None


def _resources(body: Mapping[str, Any]) -> str:
    return json.dumps(body.get("Resources") or {}, sort_keys=True, default=str)


def _parse_body(raw: Any) -> Mapping[str, Any] | None:
    if isinstance(raw, Mapping):
        return json.loads(json.dumps(raw, default=str))
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            from cfnlint.decode import cfn_yaml

            try:
                return cfn_yaml.loads(raw)
            except Exception:  # an undecodable template is reported as missing, never a crash
                return None
    return None


def _gate_assembly(body, app_stack: Stack | None, assembly: Assembly | None, history: _History,
                   options: WhyOptions, notes: list[str], scratch: Path) -> tuple[Assembly | None, Stack | None]:
    from cdkcheck.app.assembly import load_assembly

    if body is None:
        return None, None
    if app_stack is not None and options.template_file is None:
        return assembly, app_stack
    account, region = _account_region(history.stack_id)
    directory = scratch / "assembly"
    nested = _nested_bodies(body, history) if history.template is not None else {}
    _, written_notes = write_one_stack_assembly(directory, options.stack, body, account=account, region=region,
                                                companion=assembly.directory if assembly is not None else None,
                                                nested_bodies=nested)
    notes += written_notes
    loaded = load_assembly(directory)
    return loaded, next(s for s in loaded.stacks if not s.is_nested)


def _nested_bodies(body: Mapping[str, Any], history: _History) -> dict[str, Any]:
    """Deployed templates of the nested stacks the operation created, under their asset file names."""
    found: dict[str, Any] = {}
    physical = {e.logical_id: e.physical_id for e in history.events if e.physical_id.startswith("arn:")}
    for logical_id, spec in (body.get("Resources") or {}).items():
        asset = ((spec or {}).get("Metadata") or {}).get("aws:asset:path") if isinstance(spec, Mapping) else None
        if spec.get("Type") == "AWS::CloudFormation::Stack" and isinstance(asset, str) and logical_id in physical:
            try:
                nested = _parse_body(history.template(physical[logical_id]))
            except Exception:  # the nested template is optional: its resources are then not checked
                nested = None
            if nested is not None:
                found[asset] = nested
    return found


def _account_region(stack_id: str) -> tuple[str | None, str | None]:
    parts = stack_id.split(":")
    return (parts[4] or None, parts[3] or None) if len(parts) > 5 and parts[0] == "arn" else (None, None)


def _graphs(assembly: Assembly | None, top: Stack | None):
    def graph_for(path: tuple[str, ...]):
        stack = _nested_stack(assembly, top, path)
        return dependencies(stack.template.body) if stack is not None else None
    return graph_for


def _nested_stack(assembly: Assembly | None, top: Stack | None, path: tuple[str, ...]) -> Stack | None:
    stack = top
    for logical_id in path:
        if stack is None or assembly is None:
            return None
        stack = next((s for s in assembly.stacks if s.artifact_id == f"{stack.artifact_id}/{logical_id}"), None)
    return stack


def _source_map(assembly_dir: Path | None, app_dir: Path) -> dict[str, tuple[str, int]]:
    """As `check` uses it: recorded locations whose file exists in the app directory."""
    if assembly_dir is None:
        return {}
    from cdkcheck.app.source_map import read_source_map

    recorded = read_source_map(assembly_dir)
    return {path: where for path, where in recorded.items() if (Path(app_dir) / where[0]).is_file()}


# ------------------------------------------------------------------ report records


class _Placer:
    def __init__(self, assembly: Assembly | None, top: Stack | None, sources: Mapping[str, tuple[str, int]]):
        self.assembly, self.top, self.sources = assembly, top, sources

    def stack(self, failure: Failure) -> Stack | None:
        return _nested_stack(self.assembly, self.top, failure.nested_in)

    def ref(self, failure: Failure) -> ResourceRef:
        from cdkcheck.app.source_map import source_for

        event = failure.event
        stack = self.stack(failure)
        resource = stack.template.resources.get(event.logical_id) if stack is not None else None
        path = resource.construct_path if resource is not None else None
        hit = source_for(path, self.sources)
        return ResourceRef(logical_id=event.logical_id, resource_type=event.resource_type,
                           stack_name=event.stack_name, construct_path=path,
                           source_location=f"{hit[0]}:{hit[1]}" if hit else None, nested_in=failure.nested_in)


def _root_cause(failure: Failure, place: _Placer, runs: Sequence[GateRun], operation: Operation,
                secrets: frozenset[str] = frozenset()) -> RootCause:
    from cdkcheck.template.redact import redact_text

    event = failure.event
    reason = redact_text(event.reason, secrets)
    stack = place.stack(failure)
    caught: tuple[CaughtBy, ...] | None = None
    if stack is not None and runs:
        seen: dict[tuple[str, str], CaughtBy] = {}
        for run in runs:
            if run.status != "ran":
                continue
            for f in findings_on(run.findings, stack.display_name, event.logical_id):
                if f.suppression is None:
                    seen.setdefault((f.rule_id, f.message), CaughtBy(f.rule_id, f.blocking, f.message,
                                                                     f.source.value, run.mode))
        caught = tuple(sorted(seen.values(), key=lambda c: (not c.blocking, c.checked != "offline", c.rule_id)))
    entry = match_reason(event.reason, event.resource_type)
    matched = Catalogued(entry.name, entry.rule_id, entry.source, entry.also, entry.note,
                         needs_account=_needs_account(entry.rule_id)) if entry else None
    return RootCause(
        resource=place.ref(failure),
        status=event.status,
        reason=reason,
        timestamp=event.timestamp,
        caught_by=caught,
        matched=matched,
        corpus_record=corpus_record(
            resource_type=event.resource_type, status=event.status, reason=reason,
            operation=operation.type, date=event.timestamp.strftime("%Y-%m-%d"),
            matched_rule=matched.rule_id if matched else None,
            caught_by=None if caught is None else [c.rule_id for c in caught if c.blocking]),
    )


def _needs_account(rule_id: str | None) -> bool:
    from cdkcheck_rules import ALL_RULES

    return any(rule.meta.id == rule_id and rule.meta.needs_live for rule in ALL_RULES)
