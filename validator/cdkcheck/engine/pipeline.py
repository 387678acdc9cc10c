"""One environment at a time: synth, select, analyze, apply policy, decide.

The CLI only parses arguments and renders; everything between an app on disk
and a RunResult happens here, so it can be tested without a terminal. cfn-lint
and checkov are the exception to "one at a time": they run once for all
environments, starting with the synth (analyzers/ahead.py), and each
environment reads their results.
"""

from __future__ import annotations

import concurrent.futures as futures
import json
import os
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from cdkcheck.engine import cross_environment
from cdkcheck.analyzers.ahead import AnalysisAhead, AnalysisJob, SharedResults
from cdkcheck.analyzers.cache import ResultCache
from cdkcheck.analyzers.cfn_lint_pool import usable_cpus
from cdkcheck.app.assembly import load_assembly
from cdkcheck.config import Config, EnvironmentConfig, load_config
from cdkcheck.engine.empty_stacks import empty_stack_findings
from cdkcheck.engine.placeholder_values import name_placeholders, placeholder_value_findings
from cdkcheck.engine.engine_versions import judge_version_findings
from cdkcheck.errors import AssemblyError, CdkcheckError
from cdkcheck.facts.reads import Reads
from cdkcheck.facts.interface import AccountFacts, FactUnavailable, OfflineFacts
from cdkcheck.app.interpreter import InterpreterChoice, choose_interpreter, explain_missing_cdk
from cdkcheck.model import (
    Assembly, CheckOutcome, CheckStatus, EnvironmentResult, Finding, RunResult, Severity, Source,
    SourceLocation, Stack,
)
from cdkcheck.template.placeholders import describe_account, placeholder_account, placeholder_region, placeholder_values
from cdkcheck.engine.merge import merge_duplicates
from cdkcheck.engine.policy import PolicyContext, apply_policy
from cdkcheck.template.redact import redact_result, secret_values
from cdkcheck.engine.rule_runner import run_rules
from cdkcheck.ruleset import EnvironmentInfo, RuleContext
from cdkcheck.engine.selection import select_stacks
from cdkcheck.app.source_map import failure_location, locate_findings
from cdkcheck.engine.suppressions import apply_suppressions
from cdkcheck.app.node import NodeChoice, choose_node
from cdkcheck.app.toolchain import explain_toolchain
from cdkcheck.app.synth import (CdkApp, SynthOutcome, default_cache_root, read_cdk_app, record_output,
                                synth_environment, synthesize)
from cdkcheck.engine.verdict import decide

Progress = Callable[[str], None]
MAX_PARALLEL_SYNTHS = 4
FactsFactory = Callable[[EnvironmentConfig, str | None], AccountFacts]


@dataclass(frozen=True)
class RunOptions:
    app_dir: Path = Path(".")
    assembly_dir: Path | None = None
    config_file: Path | None = None
    stack_globs: tuple[str, ...] = ()
    offline: bool = False
    use_cache: bool = True
    cache_dir: Path | None = None
    synth_timeout: float | None = None
    facts_file: Path | None = None  # replay account facts recorded by `cdkcheck snapshot`: no AWS calls
    max_facts_age: float | None = None  # seconds earlier runs' answers may be reused; None: the config's
    max_snapshot_age_hours: float | None = None  # refuse older snapshots; None: the config's
    outputs: tuple[Path, ...] = ()  # report files this run writes: not inputs of the app's synth


@dataclass
class _Prepared:
    environment: EnvironmentConfig
    synth: SynthOutcome | None = None
    assembly: Assembly | None = None
    companion: bool = False  # not in the run: synthesized only for the cross-environment checks
    app: CdkApp | None = None
    interpreter: InterpreterChoice | None = None
    node: NodeChoice | None = None


def check_environments(
    names: Sequence[str],
    options: RunOptions,
    *,
    facts_factory: FactsFactory | None = None,
    rules=None,
    cross_rules=None,
    progress: Progress = lambda message: None,
) -> RunResult:
    config = load_config(options.app_dir, options.config_file)
    environments = ([config.environment(name) for name in dict.fromkeys(names)] if names
                    else config.default_environments())
    cache_root = options.cache_dir or config.cache_dir or default_cache_root()
    if cross_rules is None:
        from cdkcheck_rules import CROSS_ENVIRONMENT_RULES as cross_rules
    companions = cross_environment.companions(config, environments, free=options.assembly_dir is not None,
                                              synth_key=_synth_key) \
        if cross_environment.wanted(cross_rules, environments) else []
    # cfn-lint and checkov run once for every environment's templates, starting as early as they exist.
    ahead = AnalysisAhead(ResultCache(cache_root / "analyzers") if options.use_cache else None)
    try:
        prepared = _prepare_assemblies(environments, options, config, cache_root, progress, ahead,
                                       companions=companions)
        if rules is None:
            from cdkcheck_rules import ALL_RULES as rules
        if facts_factory is None:
            from cdkcheck.facts.live import open_account as facts_factory
        across = _cross_environment(prepared, environments, options, config, cross_rules)
        results = [
            _check_one(p, options, config, ahead.results, facts_factory, rules, progress, across)
            for p in prepared if not p.companion
        ]
    finally:
        ahead.close()
    return RunResult(environments=tuple(results))


# ------------------------------------------------------------------ synth


def _prepare_assemblies(environments, options: RunOptions, config: Config, cache_root: Path,
                        progress: Progress, ahead: AnalysisAhead,
                        companions: Sequence[EnvironmentConfig] = ()) -> list[_Prepared]:
    prepared = [_Prepared(environment=e) for e in environments]
    prepared += [_Prepared(environment=e, companion=True) for e in companions]
    if options.assembly_dir is not None:
        progress(f"reading cloud assembly {options.assembly_dir}")
        assembly = load_assembly(options.assembly_dir)
        for p in prepared:
            p.assembly = assembly
        ahead.submit(_analysis_jobs(assembly, environments, options, config))
        return prepared

    app, interpreter = choose_interpreter(read_cdk_app(options.app_dir),
                                          cache_dir=cache_root if options.use_cache else None)
    node = choose_node(app.directory, cache_dir=cache_root, python=interpreter.ran if interpreter else None)
    for output in options.outputs:
        record_output(cache_root, output)
    for p in prepared:
        p.app, p.interpreter, p.node = app, interpreter, node
    # Environments that hand the app the same context and env share one synth.
    jobs: dict[str, list[_Prepared]] = {}
    for p in prepared:
        jobs.setdefault(_synth_key(p.environment), []).append(p)
    note = interpreter.note() if interpreter else None
    progress(f"synthesizing {app.directory} ({len(jobs)} synth{'s' if len(jobs) > 1 else ''}) with "
             f"{node.describe()}" + (f"; {note}" if note else ""))
    stop = threading.Event()
    # One synth keeps about one core busy (the app and its Node runtime take turns) and holds ~0.6 GB.
    parallel = max(1, min(len(jobs), usable_cpus(), MAX_PARALLEL_SYNTHS))
    with futures.ThreadPoolExecutor(max_workers=parallel) as pool:
        submitted = {
            pool.submit(_synth_one, app, group[0].environment, options, cache_root, stop,
                        ahead if _analyzed(group) else None,
                        _jobs_for(_analyzed(group), options, config), node): group
            for group in jobs.values()
        }
        try:
            for future in futures.as_completed(submitted):
                outcome: SynthOutcome = future.result()
                group = submitted[future]
                for p in group:
                    p.synth = outcome
                    if outcome.assembly_dir is not None:
                        p.assembly = _load_synthesized(outcome.assembly_dir, cache_root)
                if group[0].assembly is not None and _analyzed(group):
                    ahead.submit(_analysis_jobs(group[0].assembly, _analyzed(group), options, config))
        except BaseException:  # Ctrl-C, SIGTERM, a bad assembly: stop the apps still synthesizing first
            stop.set()
            raise
    return prepared


def _load_synthesized(assembly_dir: Path, cache_root: Path) -> Assembly:
    """The assembly the app's synth wrote into cdkcheck's cache: its files are no one's to edit."""
    try:
        return load_assembly(assembly_dir)
    except AssemblyError as error:
        raise AssemblyError(
            f"the app's synth wrote an assembly cdkcheck cannot read: {error.message}", file=error.file,
            hint=f"this file is the app's synth output in cdkcheck's cache ({cache_root}), not a file to fix: "
                 "run 'cdk synth' to see what the app writes, and re-run with --no-cache; if cdk deploy "
                 "accepts it, report it as a cdkcheck bug") from error


def _synth_one(app: CdkApp, environment: EnvironmentConfig, options: RunOptions, cache_root: Path,
               stop: threading.Event | None = None, ahead: AnalysisAhead | None = None,
               jobs_for: Callable[[Assembly], list[AnalysisJob]] | None = None,
               node: NodeChoice | None = None) -> SynthOutcome:
    hooks = {}
    if ahead is not None and jobs_for is not None:
        hooks = {  # the analyzers start with the synth and begin on its templates before it exits
            "on_start": lambda: ahead.warm_up(region=environment.region, cfn_lint_ignore=environment.cfn_lint_ignore),
            "on_assembly_written": lambda partial: ahead.speculate(partial, jobs_for),
        }
    return synthesize(
        app,
        extra_context=environment.context,
        extra_env=_synth_env(environment),
        cache_root=cache_root,
        timeout=options.synth_timeout or environment.synth_timeout,
        use_cache=options.use_cache,
        stop=stop,
        node=node,
        **hooks,
    )


def _synth_env(environment: EnvironmentConfig) -> dict[str, str]:
    return synth_environment(environment.account, environment.region, environment.app_env)


def _synth_key(environment: EnvironmentConfig) -> str:
    """Environments that hand the app the same context and process variables share one synth."""
    return json.dumps([dict(environment.context), _synth_env(environment)], sort_keys=True)


def _analyzed(group: Sequence[_Prepared]) -> list[EnvironmentConfig]:
    """The environments of a synth group that get a report (companions are only compared against)."""
    return [p.environment for p in group if not p.companion]


def _jobs_for(environments: list[EnvironmentConfig], options: RunOptions,
              config: Config) -> Callable[[Assembly], list[AnalysisJob]]:
    return lambda assembly: _analysis_jobs(assembly, environments, options, config)


def _analysis_jobs(assembly: Assembly, environments: Sequence[EnvironmentConfig], options: RunOptions,
                   config: Config) -> list[AnalysisJob]:
    """What each environment's check will hand cfn-lint and checkov (as _check_one selects them)."""
    where = str(config.file) if config.file else None
    jobs = []
    for environment in environments:
        try:
            stacks = select_stacks(assembly, environment, options.stack_globs, where=where)
        except CdkcheckError:  # the environment's own check reports it
            continue
        region = _environment_region(environment, stacks)
        jobs.append(AnalysisJob(stacks, region, tuple(environment.cfn_lint_ignore),
                                account=environment.account or _common(s.account for s in stacks),
                                preflight=environment.preflight != "off"))
    return jobs


# ------------------------------------------------------------- across environments


def _cross_environment(prepared: Sequence[_Prepared], selected: Sequence[EnvironmentConfig], options: RunOptions,
                       config: Config, rules) -> cross_environment.CrossResults:
    where = str(config.file) if config.file else None
    views, unavailable = [], {}
    for p in prepared:
        environment = p.environment
        if p.assembly is None:  # a selected environment reports its failed synth itself
            if p.companion:
                unavailable[environment.name] = "its synth failed" + (" (timed out)" if p.synth and
                                                                       p.synth.timed_out else "")
            continue
        try:
            stacks = select_stacks(p.assembly, environment, () if p.companion else options.stack_globs, where=where)
        except CdkcheckError as error:
            if p.companion:
                unavailable[environment.name] = error.message
            continue
        views.append(cross_environment.EnvironmentView(
            name=environment.name,
            account=environment.account or _common(s.account for s in stacks),
            region=environment.region or _common(s.region for s in stacks),
            stacks=stacks,
            companion=p.companion,
            alias_of=environment.alias_of,
        ))
    skipped = cross_environment.not_compared(config, selected, (p.environment.name for p in prepared)) \
        if cross_environment.wanted(rules, selected) else []
    return cross_environment.run_cross_rules(rules, views, {p.environment.name: p.environment for p in prepared},
                                             skipped=skipped, unavailable=unavailable)


# ------------------------------------------------------------- one environment


def _check_one(p: _Prepared, options: RunOptions, config: Config, analyzer_cache: SharedResults,
               facts_factory: FactsFactory, rules, progress: Progress,
               across: cross_environment.CrossResults | None = None) -> EnvironmentResult:
    environment = p.environment
    if p.assembly is None:
        # The app's stderr tail can hold anything from the environment.
        return redact_result(_synth_failed(environment, p.synth, options.app_dir, _explain_failure(p),
                                           _synth_details(p)),
                             secret_values(()))

    where = str(config.file) if config.file else None
    stacks = select_stacks(p.assembly, environment, options.stack_globs, where=where)
    region = _environment_region(environment, stacks)
    account = environment.account or _common(s.account for s in stacks)
    progress(f"{environment.name}: checking {len(stacks)} stack(s)")

    findings: list[Finding] = []
    outcomes: list[CheckOutcome] = []
    findings += _missing_context_findings(p.assembly, stacks)
    findings += _binding_findings(environment, stacks)
    findings += empty_stack_findings(stacks)
    findings += placeholder_value_findings(stacks)

    from cdkcheck.analyzers import cdk as cdk_findings
    from cdkcheck.analyzers.cfn_lint import run_cfn_lint
    from cdkcheck.analyzers.checkov import run_checkov
    from cdkcheck.analyzers.preflight import run_preflight

    findings += cdk_findings.annotation_findings(stacks)
    findings += cdk_findings.validation_report_findings(p.assembly, stacks)
    if across is not None:
        findings += across.findings.get(environment.name, ())
        outcomes += across.outcomes.get(environment.name, ())

    facts, live_outcome, replayed = _open_facts(environment, region, options, facts_factory, stacks)
    outcomes.append(live_outcome)
    live_required = environment.live == "required" and not options.offline
    reads: dict[str, Reads] = {}
    with futures.ThreadPoolExecutor(max_workers=3) as pool:
        checkov_job = pool.submit(run_checkov, stacks, cache=analyzer_cache,
                                  blocking_required=bool(environment.checkov_blocking))
        lint_job = pool.submit(run_cfn_lint, stacks, region=region, ignore=environment.cfn_lint_ignore,
                               cache=analyzer_cache)
        analyzer_jobs = [lint_job, checkov_job]
        if environment.preflight != "off":
            # Required where its ERROR rules block: a pack that could not run leaves the verdict open.
            analyzer_jobs.append(pool.submit(run_preflight, stacks, region=region, account=account,
                                             cache=analyzer_cache, required=environment.preflight == "blocking"))
        else:
            outcomes.append(CheckOutcome(check="cdk-preflight", status=CheckStatus.SKIPPED,
                                         reason="preflight = \"off\" for this environment"))
        context = RuleContext(
            environment=EnvironmentInfo(name=environment.name, account=account, region=region,
                                        max_deploy_minutes=environment.max_deploy_minutes),
            stacks=stacks,
            facts=facts,
        )
        rule_findings, rule_outcomes = run_rules(rules, context, environment.rules, live_required=live_required,
                                                 reads=reads)
        for job in analyzer_jobs:
            report = job.result()
            findings += report.findings
            outcomes += report.outcomes

    other_findings = list(findings)  # synth, cfn-lint, checkov: no account answer in them

    def finish(rule_findings: list[Finding]) -> list[Finding]:
        done = _with_relative_locations(other_findings + rule_findings, p.assembly.directory)
        done = locate_findings(done, p.assembly.directory, options.app_dir)
        done = name_placeholders(done)
        done = apply_suppressions(done, config, environment, stacks=stacks, assembly=p.assembly,
                                  app_dir=options.app_dir)
        done = judge_version_findings(done, stacks, facts)
        # One finding per problem: cfn-lint, CDK's report and the pack often report the same one.
        decided = merge_duplicates(apply_policy(done, environment, PolicyContext(stacks=stacks)))
        return sorted((replace(f, evidence=_key_sorted(f.evidence)) for f in decided), key=_finding_order)

    decided = finish(rule_findings)
    again = _decided_by_earlier_answers(decided, rule_outcomes, reads)
    if again:
        # What blocks the deploy or could not be decided must describe the account as it is now.
        facts.refuse_earlier_answers()
        fresh_reads: dict[str, Reads] = {}
        fresh_findings, fresh_outcomes = run_rules([r for r in rules if r.meta.id in again], context,
                                                   environment.rules, live_required=live_required,
                                                   reads=fresh_reads)
        rule_findings = [f for f in rule_findings if f.rule_id not in again] + fresh_findings
        rule_outcomes = [o for o in rule_outcomes if o.check.removeprefix("rule:") not in again] + fresh_outcomes
        reads.update(fresh_reads)
        decided = finish(rule_findings)
    findings = decided
    outcomes += rule_outcomes
    from cdkcheck.template.deploy_duration import estimate_environment

    from cdkcheck.updates.plan import update_actions_or_none

    estimate = estimate_environment(stacks, context.environment, changes=update_actions_or_none(
        stacks, facts, region=region, account=account))
    details = {"deploy_estimate": estimate.summary(), "deploy_estimate_minutes": estimate.as_evidence()}
    if p.synth is not None:
        details["synth"] = _synth_details(p)
    account_facts = replayed or _live_facts_details(facts, live_outcome, reads)
    if account_facts:
        details["account_facts"] = account_facts
    return redact_result(EnvironmentResult(
        name=environment.name,
        verdict=decide(findings, outcomes),
        stacks=tuple(s.display_name for s in stacks),
        findings=tuple(findings),
        checks=tuple(sorted(outcomes, key=lambda o: (o.check, o.stack or "", o.reason))),
        region=region,
        account=account,
        details=details,
    ), secret_values(stacks))


def _open_facts(environment: EnvironmentConfig, region: str | None, options: RunOptions,
                facts_factory: FactsFactory, stacks: Sequence[Stack] = ()) -> tuple[AccountFacts, CheckOutcome, dict | None]:
    """The facts, the "live" outcome, and for a replay where its answers came from and when."""
    required = environment.live == "required"
    spread = sorted({f"aws://{s.account or '?'}/{s.region or '?'}" for s in stacks
                     if not s.is_nested and (s.account or s.region)}) if environment.implicit else []
    if len(spread) > 1 and options.facts_file is None and not options.offline and environment.live != "off":
        # One set of credentials and one region cannot answer for several: facts would describe the wrong one.
        reason = (f"the stacks deploy to {len(spread)} accounts/regions ({', '.join(spread)}): one account's facts "
                  "cannot answer for all; give each account its own environment in cdkcheck.toml (`cdkcheck init` "
                  "writes one per CDK Stage, environment word in the stack names, or account/region)")
        return (OfflineFacts(reason, skipped=False),
                CheckOutcome("live", CheckStatus.UNKNOWN, reason, required=required), None)
    if options.facts_file is not None:  # an explicit snapshot wins over --offline and live = "off"
        from cdkcheck.errors import ConfigError
        from cdkcheck.facts.live.record import load_replay, snapshot_age

        if not Path(options.facts_file).is_file():
            raise ConfigError("facts snapshot not found", file=str(options.facts_file),
                              hint=f"record one (read-only calls, with credentials for the account): "
                                   f"`{_snapshot_command(environment, options)}`")
        try:
            replay = load_replay(options.facts_file, environment.name)
        except FactUnavailable as unavailable:
            return (OfflineFacts(unavailable.reason, skipped=False),
                    CheckOutcome("live", CheckStatus.UNKNOWN, unavailable.reason, required=True), None)
        age = snapshot_age(replay.recorded_at)
        replayed = {"source": "snapshot", "file": Path(options.facts_file).name, "read_at": replay.recorded_at,
                    "age_seconds": None if age is None else round(age)}
        limit = options.max_snapshot_age_hours or environment.max_snapshot_age_hours
        if limit is not None and (age is None or age > limit * 3600):
            read = f"read {replay.recorded_at}" if replay.recorded_at else "undated"
            reason = (f"the facts in {options.facts_file} are older than the {limit:g} h allowed ({read}): "
                      "record them again with 'cdkcheck snapshot'")
            return (OfflineFacts(reason, skipped=False), CheckOutcome("live", CheckStatus.UNKNOWN, reason,
                                                                       required=True), replayed)
        return replay, CheckOutcome("live", CheckStatus.RAN, f"replayed from {options.facts_file}"), replayed
    if options.offline:
        return OfflineFacts(), CheckOutcome("live", CheckStatus.SKIPPED, "--offline: no AWS calls made"), None
    if environment.live == "off":
        return (OfflineFacts("live checks are off for this environment"),
                CheckOutcome("live", CheckStatus.SKIPPED, "live = \"off\" in the config"), None)
    try:
        from cdkcheck.facts.live import open_account

        if facts_factory is open_account:
            facts = open_account(environment, region, cache_dir=options.cache_dir,
                                 use_rerun_cache=options.use_cache, max_facts_age=options.max_facts_age)
        else:
            facts = facts_factory(environment, region)
    except FactUnavailable as unavailable:
        return (OfflineFacts(unavailable.reason, skipped=False),
                CheckOutcome("live", CheckStatus.UNKNOWN, unavailable.reason, required=required), None)
    return facts, CheckOutcome("live", CheckStatus.RAN), None


def _decided_by_earlier_answers(findings: Sequence[Finding], outcomes: Sequence[CheckOutcome],
                                reads: dict[str, Reads]) -> set[str]:
    """Rules whose blocking finding or UNKNOWN outcome rests on an answer an earlier run gave."""
    decisive = {f.rule_id for f in findings if f.blocking and f.suppression is None and f.source is Source.CDKCHECK}
    decisive |= {o.check.removeprefix("rule:") for o in outcomes
                 if o.status is CheckStatus.UNKNOWN and o.check.startswith("rule:")
                 and not o.reason.startswith("rule crashed")}
    return {rule_id for rule_id in decisive if rule_id in reads and reads[rule_id].any_reused}


def _live_facts_details(facts: AccountFacts, live_outcome: CheckOutcome, reads: dict[str, Reads]) -> dict | None:
    """Whether the live answers were all read by this run, or how old the oldest reused one was."""
    if live_outcome.status is not CheckStatus.RAN:
        return None
    from cdkcheck.facts.reads import reuse_summary

    return reuse_summary(reads, max_age=float(getattr(facts, "max_facts_age", 0.0)))


def _snapshot_command(environment: EnvironmentConfig, options: RunOptions) -> str:
    """The `cdkcheck snapshot` that records the facts this run asked for, with the same app or assembly."""
    from shlex import quote

    words = ["cdkcheck", "snapshot", quote(environment.name), "-o", quote(str(options.facts_file))]
    if options.assembly_dir is not None:
        words += ["--assembly", quote(str(options.assembly_dir))]
    elif Path(options.app_dir) != Path("."):
        words += ["--app", quote(str(options.app_dir))]
    if options.config_file is not None:
        words += ["--config", quote(str(options.config_file))]
    return " ".join(words)


# ------------------------------------------------------------ helper findings


def _explain_failure(p: _Prepared) -> tuple[str, str] | None:
    """What the failed synth is down to when not the app's code: the interpreter, a tool, the packages."""
    if p.app is None or p.synth is None or p.synth.timed_out:
        return None
    return explain_missing_cdk(p.interpreter, p.synth.failure, p.app) \
        or explain_toolchain(p.app, p.synth.failure, p.node)


def _synth_details(p: _Prepared) -> dict:
    """How the app was run, for the report: cached or not, the Node and the Python that ran it."""
    details: dict = {}
    if p.synth is not None:
        details.update(cached=p.synth.cached, seconds=round(p.synth.seconds, 2))
    node = (p.synth.node if p.synth is not None else None) or p.node
    if node is not None:
        details["node"] = node.as_dict()
    if p.interpreter is not None:
        details["python"] = {"named": p.interpreter.named, "executable": p.interpreter.ran}
    return details


def _synth_failed(environment: EnvironmentConfig, synth: SynthOutcome | None, app_dir: Path,
                  missing_cdk: tuple[str, str] | None = None, synth_details: dict | None = None) -> EnvironmentResult:
    failure = synth.failure if synth else "no assembly"
    rule_id = "CDK-SYNTH-TIMEOUT" if synth and synth.timed_out else "CDK-SYNTH-FAILED"
    message = f"the CDK app in {app_dir} failed to synthesize: {failure}"
    fix = "run the app's synth locally (cdk synth) and fix the error shown above"
    if missing_cdk is not None:  # the wrong interpreter, not the app's code: say which ran and how to fix it
        message = f"the CDK app in {app_dir} failed to synthesize: {missing_cdk[0]}\n{failure}"
        fix = missing_cdk[1]
    where = failure_location(failure, app_dir) if synth else None
    finding = Finding(
        rule_id=rule_id,
        source=Source.CDK,
        severity=Severity.ERROR,
        message=message,
        fix=fix,
        blocking=True,
        location=SourceLocation(file=where[0], line=where[1], kind="source") if where else None,
    )
    outcome = CheckOutcome("synth", CheckStatus.UNKNOWN, "synth failed: nothing else could be checked",
                           required=True)
    return EnvironmentResult(name=environment.name, verdict=decide([finding], [outcome]), stacks=(),
                             findings=(finding,), checks=(outcome,), region=environment.region,
                             account=environment.account,
                             details={"synth": synth_details} if synth_details else {})


def _missing_context_findings(assembly: Assembly, stacks: Sequence[Stack]) -> list[Finding]:
    findings = []
    selected_accounts = {(s.account, s.region) for s in stacks}
    for missing in assembly.missing_context:
        where = (missing.props.get("account"), missing.props.get("region"))
        if where[0] and where not in selected_accounts:
            continue
        findings.append(Finding(
            rule_id="CDK-MISSING-CONTEXT",
            source=Source.CDK,
            severity=Severity.ERROR,
            message=f"context lookup '{missing.key}' ({missing.provider}) is unresolved: "
                    "the template holds placeholder values that will not deploy" + _placeholder_note(missing.props),
            stack=_stack_for(stacks, *where),
            fix=_missing_context_fix(*where),
            evidence={"key": missing.key, "provider": missing.provider},
        ))
    for stack in stacks:
        if "dummy1a" in json.dumps(stack.template.body) and not findings:
            findings.append(Finding(
                rule_id="CDK-MISSING-CONTEXT",
                source=Source.CDK,
                severity=Severity.ERROR,
                message="the template uses placeholder availability zones (dummy1a): "
                        "an availability-zones lookup was not resolved",
                stack=stack.display_name,
                fix="commit a cdk.context.json with the availability-zones entry for this account/region",
            ))
    return findings


def _placeholder_note(props) -> str:
    """The lookup asks for values still as the sample code wrote them (account, filters, names)."""
    lookup = {k: v for k, v in props.items() if k not in ("account", "region", "lookupRoleArn",
                                                          "assumeRoleAdditionalOptions")}
    found = list(dict.fromkeys(placeholder_values(lookup)))
    if placeholder_account(props.get("account")):
        found.insert(0, props["account"])
    if not found:
        return ""
    return f"; it asks for {', '.join(repr(v) for v in found)}, which look{'s' if len(found) == 1 else ''} like " \
           f"placeholder{'s' if len(found) > 1 else ''} to fill in"


def _missing_context_fix(account: str | None, region: str | None) -> str:
    if placeholder_account(account) or placeholder_region(region):  # no credentials exist for YOUR_ACCOUNT_ID
        what = " and ".join(([f"account {describe_account(account)}"] if placeholder_account(account) else [])
                            + ([f"region '{region}' (a placeholder)"] if placeholder_region(region) else []))
        return (f"the lookup's {what} comes from the stack's env: fill in the real value, then run 'cdk synth' "
                f"once with credentials for that account and region and commit the resulting cdk.context.json")
    return ("run 'cdk synth' once with credentials for "
            f"aws://{account or '<account>'}/{region or '<region>'} (or 'cdk context') "
            "and commit the resulting cdk.context.json")


def _stack_for(stacks: Sequence[Stack], account, region) -> str:
    for s in stacks:
        if s.account == account and s.region == region:
            return s.display_name
    return ""


def _binding_findings(environment: EnvironmentConfig, stacks: Sequence[Stack]) -> list[Finding]:
    findings = []
    for stack in stacks:
        if stack.is_nested:
            continue
        if placeholder_account(stack.account) or placeholder_region(stack.region):
            bound = ([f"account {describe_account(stack.account)}"] if placeholder_account(stack.account) else []) \
                + ([f"region '{stack.region}' (a placeholder, not an AWS region)"]
                   if placeholder_region(stack.region) else [])
            findings.append(Finding(
                rule_id="CDKC-ENV-PLACEHOLDER",
                source=Source.CDKCHECK,
                severity=Severity.ERROR,
                message=f"stack is bound to {' and '.join(bound)}: cdk deploy has nowhere to deploy it",
                stack=stack.display_name,
                fix="put the real account id and region in the stack's env (or read them from CDK_DEFAULT_ACCOUNT "
                    "and CDK_DEFAULT_REGION, and set 'account' and 'region' in cdkcheck.toml)",
                evidence={"stack_account": stack.account, "stack_region": stack.region},
            ))
            continue
        for what, wanted, bound in (("account", environment.account, stack.account),
                                    ("region", environment.region, stack.region)):
            if wanted and bound and wanted != bound:
                findings.append(Finding(
                    rule_id=f"CDKC-ENV-{what.upper()}",
                    source=Source.CDKCHECK,
                    severity=Severity.ERROR,
                    message=f"stack is bound to {what} {bound} but environment '{environment.name}' "
                            f"deploys to {wanted}",
                    stack=stack.display_name,
                    fix=f"set the stack's env {what} for '{environment.name}', or fix '{what}' in the config",
                    evidence={"stack_" + what: bound, "environment_" + what: wanted},
                ))
    return findings


def _with_relative_locations(findings: list[Finding], assembly_dir: Path) -> list[Finding]:
    """Template locations relative to the assembly, so reports do not depend on where the cache is."""
    root = assembly_dir.resolve()
    relative_by_file: dict[str, str | None] = {}  # resolving is a syscall per path part: once per file
    out = []
    for f in findings:
        loc = f.location
        if loc and loc.kind == "template":
            if loc.file not in relative_by_file:
                try:
                    relative_by_file[loc.file] = Path(loc.file).resolve().relative_to(root).as_posix()
                except ValueError:
                    relative_by_file[loc.file] = None
            rel = relative_by_file[loc.file]
            if rel is not None:
                f = replace(f, location=SourceLocation(file=rel, line=loc.line, kind=loc.kind))
        out.append(f)
    return out


def _key_sorted(value):
    """Evidence arrives from analyzers and caches in any key order; every report must not."""
    if isinstance(value, dict):
        return {k: _key_sorted(value[k]) for k in sorted(value, key=str)}
    if isinstance(value, (list, tuple)):
        return [_key_sorted(v) for v in value]
    return value


def _environment_region(environment: EnvironmentConfig, stacks: Sequence[Stack]) -> str | None:
    region = environment.region or _common(s.region for s in stacks)
    if region is None and environment.implicit:  # env-agnostic stacks deploy where the AWS environment points
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None
    return region


def _common(values):
    distinct = {v for v in values if v}
    return distinct.pop() if len(distinct) == 1 else None


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _finding_order(f: Finding):
    return (not f.blocking, _SEVERITY_ORDER[f.severity], f.stack, f.construct_path or "", f.logical_id or "",
            f.rule_id, f.source.value, f.message)
