"""`cdkcheck snapshot`: record the account facts the checks use, for offline replay (`--facts`).

Every rule runs once against the live account through a recorder, so the file
holds exactly the questions a check run asks, with their answers (or the
reason there was none). No template or finding is stored: only account facts.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from cdkcheck.config import EnvironmentConfig, load_config
from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.facts.live.record import RecordingFacts, environment_entry, snapshot_document
from cdkcheck.model import Stack
from cdkcheck.ruleset import EnvironmentInfo, RuleContext

Progress = Callable[[str], None]


@dataclass(frozen=True)
class RecordedEnvironment:
    name: str
    account: str | None
    region: str | None
    answered: int
    unavailable: tuple[str, ...]  # reasons of the questions that had no answer
    reason: str | None = None  # the account could not be opened at all


def record_environment(environment: EnvironmentConfig, stacks: Sequence[Stack], facts: Any, *,
                       account: str | None, region: str | None, rules=None) -> RecordingFacts:
    """Run every rule over `facts` through a recorder; the recorder holds the answers."""
    from cdkcheck.engine.rule_runner import run_rules

    if rules is None:
        from cdkcheck_rules import ALL_RULES as rules
    recorder = RecordingFacts(facts)
    context = RuleContext(
        environment=EnvironmentInfo(name=environment.name, account=account, region=region,
                                    max_deploy_minutes=environment.max_deploy_minutes),
        stacks=tuple(stacks), facts=recorder)
    run_rules(rules, context, environment.rules, live_required=True)
    return recorder


def take_snapshot(names: Sequence[str], options, *, output: Path, progress: Progress = lambda m: None,
                  facts_factory=None) -> list[RecordedEnvironment]:
    """Synthesize (or read) the assembly, record each environment's facts, write `output` atomically."""
    from cdkcheck.atomic import write_atomic
    from cdkcheck.facts.live import open_account
    from cdkcheck.engine.selection import select_stacks

    config = load_config(options.app_dir, options.config_file)
    environments = [config.environment(n) for n in dict.fromkeys(names)]
    recorded: dict[str, Any] = {}
    summary = []
    for environment in environments:
        assembly = _assembly_for(environment, options, config, progress)
        where = str(config.file) if config.file else None
        stacks = select_stacks(assembly, environment, options.stack_globs, where=where)
        region = environment.region or _common(s.region for s in stacks)
        account = environment.account or _common(s.account for s in stacks)
        progress(f"{environment.name}: recording account facts for {len(stacks)} stack(s)")
        read_at = time.time()
        try:
            facts = facts_factory(environment, region) if facts_factory else \
                open_account(environment, region, use_rerun_cache=False)
        except FactUnavailable as unavailable:
            empty = RecordingFacts(None)
            recorded[environment.name] = environment_entry(account=account, region=region, recorder=empty,
                                                           live_reason=unavailable.reason)
            summary.append(RecordedEnvironment(environment.name, account, region, 0, (), unavailable.reason))
            continue
        recorder = record_environment(environment, stacks, facts, account=account, region=region)
        recorded[environment.name] = environment_entry(account=account, region=region, recorder=recorder,
                                                       read_at=read_at)
        entries = recorder.entries.values()
        summary.append(RecordedEnvironment(
            environment.name, account, region, sum(1 for e in entries if "answer" in e),
            tuple(sorted({e["unavailable"] for e in entries if "unavailable" in e}))))
    write_atomic(output, json.dumps(snapshot_document(recorded), indent=1, sort_keys=True) + "\n")
    return summary


def _assembly_for(environment: EnvironmentConfig, options, config, progress: Progress):
    from cdkcheck.app.assembly import load_assembly
    from cdkcheck.errors import ConfigError
    from cdkcheck.app.synth import default_cache_root, read_cdk_app, synth_environment, synthesize

    if options.assembly_dir is not None:
        return load_assembly(options.assembly_dir)
    from cdkcheck.app.interpreter import choose_interpreter

    app, _ = choose_interpreter(read_cdk_app(options.app_dir))
    progress(f"synthesizing {app.directory} for {environment.name}")
    outcome = synthesize(app, extra_context=environment.context,
                         extra_env=synth_environment(environment.account, environment.region, environment.app_env),
                         cache_root=options.cache_dir or config.cache_dir or default_cache_root(),
                         timeout=options.synth_timeout or environment.synth_timeout, use_cache=options.use_cache)
    if outcome.assembly_dir is None:
        raise ConfigError(f"the CDK app failed to synthesize for '{environment.name}': {outcome.failure}",
                          file=str(app.cdk_json), hint="run 'cdkcheck ENV' to see the synth failure")
    return load_assembly(outcome.assembly_dir)


def _common(values):
    distinct = {v for v in values if v}
    return distinct.pop() if len(distinct) == 1 else None
