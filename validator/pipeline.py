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
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Sequence

from cdkcheck.analyzers.ahead import AnalysisAhead, AnalysisJob, SharedResults
from cdkcheck.analyzers.cache import ResultCache
from cdkcheck.analyzers.cfn_lint_pool import usable_cpus
from cdkcheck.assembly import load_assembly
from cdkcheck.config import Config, EnvironmentConfig, load_config
from cdkcheck.errors import CdkcheckError
from cdkcheck.facts import AccountFacts, FactUnavailable, OfflineFacts
from cdkcheck.model import (
    Assembly, CheckOutcome, CheckStatus, EnvironmentResult, Finding, RunResult, Severity, Source,
    SourceLocation, Stack,
)
from cdkcheck.policy import apply_policy
from cdkcheck.redact import redact_result, secret_values
from cdkcheck.rule_engine import run_rules
from cdkcheck.ruleset import EnvironmentInfo, RuleContext
from cdkcheck.selection import select_stacks
from cdkcheck.source_map import locate_findings
from cdkcheck.suppressions import apply_suppressions
from cdkcheck.synth import CdkApp, SynthOutcome, default_cache_root, read_cdk_app, synth_environment, synthesize
from cdkcheck.verdict import decide

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


@dataclass
class _Prepared:
    environment: EnvironmentConfig
    synth: SynthOutcome | None = None
    assembly: Assembly | None = None


def check_environments(
    names: Sequence[str],
    options: RunOptions,
    *,
    facts_factory: FactsFactory | None = None,
    rules=None,
    progress: Progress = lambda message: None,
) -> RunResult:
    config = load_config(options.app_dir, options.config_file)
    environments = [config.environment(name) for name in dict.fromkeys(names)]
    cache_root = options.cache_dir or config.cache_dir or default_cache_root()
    # cfn-lint and checkov run once for every environment's templates, starting as early as they exist.
    ahead = AnalysisAhead(ResultCache(cache_root / "analyzers") if options.use_cache else None)
    try:
        prepared = _prepare_assemblies(environments, options, config, cache_root, progress, ahead)
        if rules is None:
            from cdkcheck.rules import ALL_RULES as rules
        if facts_factory is None:
            from cdkcheck.live import open_account as facts_factory
        results = [
            _check_one(p, options, config, ahead.results, facts_factory, rules, progress) for p in prepared
        ]
    finally:
        ahead.close()
    return RunResult(environments=tuple(results))


# ------------------------------------------------------------------ synth


def _prepare_assemblies(environments, options: RunOptions, config: Config, cache_root: Path,
                        progress: Progress, ahead: AnalysisAhead) -> list[_Prepared]:
    prepared = [_Prepared(environment=e) for e in environments]
    if options.assembly_dir is not None:
        progress(f"reading cloud assembly {options.assembly_dir}")
        assembly = load_assembly(options.assembly_dir)
        for p in prepared:
            p.assembly = assembly
        ahead.submit(_analysis_jobs(assembly, environments, options, config))
        return prepared

    app = read_cdk_app(options.app_dir)
    # Environments that hand the app the same context and env share one synth.
    jobs: dict[str, list[_Prepared]] = {}
    for p in prepared:
        key = json.dumps([dict(p.environment.context), synth_environment(p.environment.account,
                                                                         p.environment.region)],
                         sort_keys=True)
        jobs.setdefault(key, []).append(p)
    progress(f"synthesizing {app.directory} ({len(jobs)} synth{'s' if len(jobs) > 1 else ''})")
    stop = threading.Event()
    # One synth keeps about one core busy (the app and its Node runtime take turns) and holds ~0.6 GB.
    parallel = max(1, min(len(jobs), usable_cpus(), MAX_PARALLEL_SYNTHS))
    with futures.ThreadPoolExecutor(max_workers=parallel) as pool:
        submitted = {
            pool.submit(_synth_one, app, group[0].environment, options, cache_root, stop, ahead,
                        _jobs_for([p.environment for p in group], options, config)): group
            for group in jobs.values()
        }
        try:
            for future in futures.as_completed(submitted):
                outcome: SynthOutcome = future.result()
                group = submitted[future]
                for p in group:
                    p.synth = outcome
                    if outcome.assembly_dir is not None:
                        p.assembly = load_assembly(outcome.assembly_dir)
                if group[0].assembly is not None:
                    ahead.submit(_analysis_jobs(group[0].assembly, [p.environment for p in group], options, config))
        except BaseException:  # Ctrl-C, SIGTERM, a bad assembly: stop the apps still synthesizing first
            stop.set()
            raise
    return prepared


def _synth_one(app: CdkApp, environment: EnvironmentConfig, options: RunOptions, cache_root: Path,
               stop: threading.Event | None = None, ahead: AnalysisAhead | None = None,
               jobs_for: Callable[[Assembly], list[AnalysisJob]] | None = None) -> SynthOutcome:
    hooks = {}
    if ahead is not None and jobs_for is not None:
        hooks = {  # the analyzers start with the synth and begin on its templates before it exits
            "on_start": lambda: ahead.warm_up(region=environment.region, cfn_lint_ignore=environment.cfn_lint_ignore),
            "on_assembly_written": lambda partial: ahead.speculate(partial, jobs_for),
        }
    return synthesize(
        app,
        extra_context=environment.context,
        extra_env=synth_environment(environment.account, environment.region),
        cache_root=cache_root,
        timeout=options.synth_timeout or environment.synth_timeout,
        use_cache=options.use_cache,
        stop=stop,
        **hooks,
    )


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
        region = environment.region or _common(s.region for s in stacks)
        jobs.append(AnalysisJob(stacks, region, tuple(environment.cfn_lint_ignore)))
    return jobs


# ------------------------------------------------------------- one environment


def _check_one(p: _Prepared, options: RunOptions, config: Config, analyzer_cache: SharedResults,
               facts_factory: FactsFactory, rules, progress: Progress) -> EnvironmentResult:
    environment = p.environment
    if p.assembly is None:
        # The app's stderr tail can hold anything from the environment.
        return redact_result(_synth_failed(environment, p.synth, options.app_dir), secret_values(()))

    where = str(config.file) if config.file else None
    stacks = select_stacks(p.assembly, environment, options.stack_globs, where=where)
    region = environment.region or _common(s.region for s in stacks)
    account = environment.account or _common(s.account for s in stacks)
    progress(f"{environment.name}: checking {len(stacks)} stack(s)")

    findings: list[Finding] = []
    outcomes: list[CheckOutcome] = []
    findings += _missing_context_findings(p.assembly, stacks)
    findings += _binding_findings(environment, stacks)

    from cdkcheck.analyzers import cdk as cdk_findings
    from cdkcheck.analyzers.cfn_lint import run_cfn_lint
    from cdkcheck.analyzers.checkov import run_checkov

    findings += cdk_findings.annotation_findings(stacks)
    findings += cdk_findings.validation_report_findings(p.assembly, stacks)

    facts, live_outcome = _open_facts(environment, region, options, facts_factory)
    outcomes.append(live_outcome)
    with futures.ThreadPoolExecutor(max_workers=2) as pool:
        checkov_job = pool.submit(run_checkov, stacks, cache=analyzer_cache,
                                  blocking_required=bool(environment.checkov_blocking))
        lint_job = pool.submit(run_cfn_lint, stacks, region=region, ignore=environment.cfn_lint_ignore,
                               cache=analyzer_cache)
        context = RuleContext(
            environment=EnvironmentInfo(name=environment.name, account=account, region=region,
                                        max_deploy_minutes=environment.max_deploy_minutes),
            stacks=stacks,
            facts=facts,
        )
        rule_findings, rule_outcomes = run_rules(rules, context, environment.rules,
                                                 live_required=environment.live == "required"
                                                 and not options.offline)
        findings += rule_findings
        outcomes += rule_outcomes
        for job in (lint_job, checkov_job):
            report = job.result()
            findings += report.findings
            outcomes += report.outcomes

    findings = _with_relative_locations(findings, p.assembly.directory)
    findings = locate_findings(findings, p.assembly.directory, options.app_dir)
    findings = apply_suppressions(findings, config, environment, stacks=stacks, assembly=p.assembly,
                                  app_dir=options.app_dir)
    findings = sorted((replace(f, evidence=_key_sorted(f.evidence)) for f in apply_policy(findings, environment)),
                      key=_finding_order)
    from cdkcheck.duration import estimate_environment

    from cdkcheck.update_plan import update_actions_or_none

    estimate = estimate_environment(stacks, context.environment, changes=update_actions_or_none(
        stacks, facts, region=region, account=account))
    details = {"deploy_estimate": estimate.summary(), "deploy_estimate_minutes": estimate.as_evidence()}
    if p.synth is not None:
        details["synth"] = {"cached": p.synth.cached, "seconds": round(p.synth.seconds, 2)}
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
                facts_factory: FactsFactory) -> tuple[AccountFacts, CheckOutcome]:
    required = environment.live == "required"
    if options.facts_file is not None:  # an explicit snapshot wins over --offline and live = "off"
        from cdkcheck.errors import ConfigError
        from cdkcheck.live.record import load_replay

        if not Path(options.facts_file).is_file():
            raise ConfigError("facts snapshot not found", file=str(options.facts_file),
                              hint="record one with 'cdkcheck snapshot ENV -o FILE'")
        try:
            replay = load_replay(options.facts_file, environment.name)
        except FactUnavailable as unavailable:
            return (OfflineFacts(unavailable.reason, skipped=False),
                    CheckOutcome("live", CheckStatus.UNKNOWN, unavailable.reason, required=True))
        return replay, CheckOutcome("live", CheckStatus.RAN, f"replayed from {options.facts_file}")
    if options.offline:
        return OfflineFacts(), CheckOutcome("live", CheckStatus.SKIPPED, "--offline: no AWS calls made")
    if environment.live == "off":
        return (OfflineFacts("live checks are off for this environment"),
                CheckOutcome("live", CheckStatus.SKIPPED, "live = \"off\" in the config"))
    try:
        from cdkcheck.live import open_account

        if facts_factory is open_account:
            facts = open_account(environment, region, cache_dir=options.cache_dir,
                                 use_rerun_cache=options.use_cache)
        else:
            facts = facts_factory(environment, region)
    except FactUnavailable as unavailable:
        return (OfflineFacts(unavailable.reason, skipped=False),
                CheckOutcome("live", CheckStatus.UNKNOWN, unavailable.reason, required=required))
    return facts, CheckOutcome("live", CheckStatus.RAN)


# ------------------------------------------------------------ helper findings


def _synth_failed(environment: EnvironmentConfig, synth: SynthOutcome | None, app_dir: Path) -> EnvironmentResult:
    failure = synth.failure if synth else "no assembly"
    rule_id = "CDK-SYNTH-TIMEOUT" if synth and synth.timed_out else "CDK-SYNTH-FAILED"
    finding = Finding(
        rule_id=rule_id,
        source=Source.CDK,
        severity=Severity.ERROR,
        message=f"the CDK app in {app_dir} failed to synthesize: {failure}",
        fix="run the app's synth locally (cdk synth) and fix the error shown above",
        blocking=True,
    )
    outcome = CheckOutcome("synth", CheckStatus.UNKNOWN, "synth failed: nothing else could be checked",
                           required=True)
    return EnvironmentResult(name=environment.name, verdict=decide([finding], [outcome]), stacks=(),
                             findings=(finding,), checks=(outcome,), region=environment.region,
                             account=environment.account)


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
                    "the template holds placeholder values that will not deploy",
            stack=_stack_for(stacks, *where),
            fix="run 'cdk synth' once with credentials for "
                f"aws://{where[0] or '<account>'}/{where[1] or '<region>'} (or 'cdk context') "
                "and commit the resulting cdk.context.json",
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


def _common(values):
    distinct = {v for v in values if v}
    return distinct.pop() if len(distinct) == 1 else None


_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def _finding_order(f: Finding):
    return (not f.blocking, _SEVERITY_ORDER[f.severity], f.stack, f.construct_path or "", f.logical_id or "",
            f.rule_id, f.source.value, f.message)
