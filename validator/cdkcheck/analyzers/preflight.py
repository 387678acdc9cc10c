"""The cdk-preflight rule pack, run by AWS's validation engine (cloudformation-validate) over each template.

cdk-preflight is a pack of Rego rules for deploy-time failures that resource schemas miss, each backed by
a fail/pass template pair reproduced against AWS; users normally add `Preflight.apply(app)` to their app.
Here the same rules run on any synthesized template, without touching the app, in the engine aws-cdk-lib
itself embeds (`RegoEngine` of the `cloudformation-validate` wheel: Rust, offline, no Node).

Where the rules come from: the PyPI wheel of cdk-preflight, pinned in pyproject.toml. Its rule data
(`lib/rules.generated.js`, the same file the npm package ships) sits inside the wheel's jsii tarball and
is read from there as data: cdkcheck never imports `cdk_preflight`, so the aws-cdk-lib and jsii the wheel
depends on are installed but never loaded. Chosen over the npm package because the npm registry offers only
cdk-preflight 0.0.143 (2,513 rules, 2026-09) while PyPI has the current 1.9.1 (3,361 rules), and because
a pip dependency needs no npm step at install or run time; the cost is the install size of aws-cdk-lib.

What runs: every rule except those the pack marks retired (`upstream: retired`: the engine itself now
blocks the same constraint), pruned to the resource types present in the templates being checked (the
pack declares each rule's types and tests that pruning keeps every rule firing on its own fail template).
Rules are merged into one Rego module per service, as the pack's own plugin does: the engine's compile
time grows with the number of modules. The deploy region (and a concrete account) is passed as the
pack's `_pf_deploy_environment` module, as its enforce plugin does, so region-dependent rules run when
the region is known; results are cached per template hash, pack and engine versions, region and account.

Measured with cloudformation-validate 1.14.0 and cdk-preflight 1.9.1 (CPU time; this project's 2-CPU machine
was shared and loaded, so wall times ran 3-5x higher): reading the rule data 0.3 s; building an engine
0.3 s bare, 0.5 s with courtcase's 442 rules (28 resource types), 0.8 s with the integ corpus' 1,632
rules (186 types), 0.9 s with all 3,282; then a median 11 ms (courtcase) to 25 ms (integ corpus) per
template. Results are cached, so an unchanged template costs nothing on the next run.
The engine is native code called through ctypes (the GIL is released), so it runs in a thread beside cfn-lint
and checkov.
"""

from __future__ import annotations

import json
import re
import tarfile
import threading
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Sequence

from cdkcheck.analyzers import AnalyzerReport, analyzer_failed, bind_to_stack
from cdkcheck.analyzers.cache import CacheKey, ResultCache
from cdkcheck.model import CheckOutcome, CheckStatus, Finding, Severity, Source, SourceLocation, Stack, Template
from cdkcheck.template.redact import redact_findings, secret_values

CHECK = "cdk-preflight"
PACK = "cdk-preflight"
ENGINE = "cloudformation-validate"
# Bump when the way diagnostics become findings changes, so cached results are redone.
RESULT_FORMAT = "1"
RULES_MEMBER = "package/lib/rules.generated.js"
_HEADER = "package cdk_preflight\n\nimport rego.v1\n"
_PACKAGE_LINES = re.compile(r"^(?:package|import)\s.*\n", re.MULTILINE)
_CONCRETE_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_CONCRETE_ACCOUNT = re.compile(r"^\d{12}$")
_SEVERITIES = {"FATAL": Severity.ERROR, "ERROR": Severity.ERROR, "WARN": Severity.WARNING,
               "INFO": Severity.INFO, "DEBUG": Severity.INFO}


class PackUnavailable(Exception):
    """The engine or the rule pack cannot be loaded; the reason says which and why."""


@dataclass(frozen=True)
class PackRule:
    id: str
    service: str
    severity: str  # "ERROR" or "WARN" (doc-only rules report as WARN)
    title: str
    upstream: str  # "none", "pending-engine", "cfn-schema", "retired"
    resource_types: tuple[str, ...]
    rego: str

    @property
    def retired(self) -> bool:
        return self.upstream == "retired"


@dataclass(frozen=True)
class Pack:
    version: str
    engine_version: str
    rules: tuple[PackRule, ...]
    libs: tuple[tuple[str, str], ...]  # (module name, Rego source): shared helpers, always loaded

    @property
    def active(self) -> tuple[PackRule, ...]:
        return tuple(r for r in self.rules if not r.retired)

    def for_types(self, types: Iterable[str] | None) -> tuple[PackRule, ...]:
        """The active rules that can fire on these resource types (all of them when types is None)."""
        if types is None:
            return self.active
        wanted = set(types)
        return tuple(r for r in self.active
                     if not r.resource_types or "*" in r.resource_types or wanted & set(r.resource_types))

    @property
    def versions(self) -> str:
        return f"{PACK} {self.version} / {ENGINE} {self.engine_version}"


@lru_cache(maxsize=1)
def load_pack() -> Pack:
    """The installed pack's rules; raises PackUnavailable. Cached: read once per process."""
    try:
        engine_version = metadata.version(ENGINE)
        distribution = metadata.distribution(PACK)
    except metadata.PackageNotFoundError as exc:
        raise PackUnavailable(f"{exc.name or exc} is not installed in this environment") from None
    tarballs = [f for f in distribution.files or () if f.name.endswith(".jsii.tgz")]
    if not tarballs:
        raise PackUnavailable(f"{PACK} {distribution.version} has no rule data (no .jsii.tgz in the wheel)")
    path = Path(distribution.locate_file(tarballs[0]))
    try:
        text = _member_text(path, RULES_MEMBER)
        rules = [PackRule(id=r["id"], service=r["service"], severity=r["severity"], title=r["title"],
                          upstream=r.get("upstream", "none"), resource_types=tuple(r.get("resourceTypes") or ()),
                          rego=r["rego"])
                 for r in _exported_array(text, "BUNDLED_RULES")]
        libs = [(lib["name"], lib["rego"]) for lib in _exported_array(text, "BUNDLED_LIBS")]
    except (OSError, tarfile.TarError, ValueError, KeyError, TypeError) as exc:
        raise PackUnavailable(f"the rule data of {PACK} {distribution.version} is unreadable "
                              f"({type(exc).__name__}: {exc})") from None
    return Pack(version=distribution.version, engine_version=engine_version, rules=tuple(rules), libs=tuple(libs))


def _member_text(tarball: Path, member: str) -> str:
    # Streamed: the member is read as soon as it is reached, without unpacking the rest.
    with tarfile.open(tarball, "r|gz") as archive:
        for entry in archive:
            if entry.name == member:
                handle = archive.extractfile(entry)
                if handle is None:
                    break
                return handle.read().decode("utf-8")
    raise ValueError(f"{member} not in {tarball.name}")


def _exported_array(source: str, name: str) -> list[dict]:
    """`exports.NAME = [...];` of the generated module: the array is JSON (keys quoted, strings escaped)."""
    match = re.search(rf"^exports\.{name} = (?=\[)", source, re.MULTILINE)
    if match is None:
        raise ValueError(f"exports.{name} not found")
    value, _ = json.JSONDecoder().raw_decode(source, match.end())
    if not isinstance(value, list):
        raise ValueError(f"exports.{name} is not a list")
    return value


# ------------------------------------------------------------------ engines


class Engines:
    """Engines built on demand per (rule set, region, account) and reused; safe to share between threads.

    Building is the expensive part, so one engine serves every template of a batch: its rules are those
    for the union of the batch's resource types.
    """

    def __init__(self):
        self._lock = threading.Lock()
        self._built: dict[tuple, Any] = {}

    def engine_for(self, pack: Pack, types: frozenset[str] | None, region: str | None, account: str | None):
        """An engine with the active rules for `types` (every active rule when None)."""
        rules = pack.for_types(types)
        key = (tuple(r.id for r in rules), region, account)
        with self._lock:
            engine = self._built.get(key)
        if engine is None and rules:
            engine = _build(pack, rules, region, account)
            with self._lock:
                self._built = {key: engine}  # one slot: a batch's engine, the previous one is released
        return engine


def _build(pack: Pack, rules: Sequence[PackRule], region: str | None, account: str | None):
    from cloudformation_validate import EngineConfig, ExternalRuleSource, RegoEngine

    by_service: dict[str, list[str]] = defaultdict(list)
    for rule in rules:
        by_service[rule.service].append(_PACKAGE_LINES.sub("", rule.rego))
    sources = [ExternalRuleSource(name=name, content=rego) for name, rego in pack.libs]
    sources += [ExternalRuleSource(name=f"_pf_service_{service}", content=_HEADER + "\n".join(bodies))
                for service, bodies in by_service.items()]
    environment = _environment_module(region, account)
    if environment:
        sources.append(ExternalRuleSource(name="_pf_deploy_environment", content=environment))
    return RegoEngine(EngineConfig(custom_rules=sources))


def _environment_module(region: str | None, account: str | None) -> str | None:
    if region is None:
        return None  # the pack's region-dependent rules then skip, as they do in a synth without one
    text = f"{_HEADER}\ndeploy_region := {json.dumps(region)}\n"
    if account is not None:
        text += f"deploy_account := {json.dumps(account)}\n"
    return text


def deploy_environment(region: str | None, account: str | None) -> tuple[str | None, str | None]:
    """Region and account as the pack takes them: concrete values only (no tokens or placeholders)."""
    region = region if isinstance(region, str) and _CONCRETE_REGION.match(region) else None
    account = account if region and isinstance(account, str) and _CONCRETE_ACCOUNT.match(account) else None
    return region, account


# ------------------------------------------------------------------ running


def run_preflight(
    stacks: Sequence[Stack],
    *,
    region: str | None,
    account: str | None = None,
    cache: ResultCache | None = None,
    engines: Engines | None = None,
    required: bool = True,
) -> AnalyzerReport:
    """Run the pack over every stack's template (cached templates skipped); never raises."""
    stacks = [s for s in stacks if s.template.resources]  # cdk deploy skips a stack without resources
    try:
        pack = load_pack()
    except PackUnavailable as exc:
        return _could_not_run(str(exc), stacks, required)

    findings: list[Finding] = []
    pending: dict[tuple, list[Stack]] = defaultdict(list)  # (sha, region, account) -> stacks sharing it
    for stack in stacks:
        where = deploy_environment(region or stack.region, account or stack.account)
        cached = cache.get(_key(pack, stack.template, *where)) if cache else None
        if cached is None:
            pending[(stack.template.sha256, *where)].append(stack)
        else:
            findings.extend(bind_to_stack(f, stack) for f in cached)
    if not pending:
        return AnalyzerReport(findings=tuple(findings), outcomes=(_ran(pack),))

    engines = engines or Engines()
    failures: list[str] = []
    by_environment: dict[tuple, list[tuple]] = defaultdict(list)
    for identity in pending:
        by_environment[identity[1:]].append(identity)
    for (where_region, where_account), identities in by_environment.items():
        templates = [pending[i][0].template for i in identities]
        types = _resource_types(templates)
        try:
            engine = engines.engine_for(pack, types, where_region, where_account)
        except Exception as exc:  # a pack the engine cannot compile: nothing here can be checked
            reason = f"the validation engine could not load the rules of {pack.versions}: {_describe(exc)}"
            waiting = [s for i in identities for s in pending[i]]
            failures.append(reason)
            findings.extend(analyzer_failed(CHECK, f"template {s.template.path}", reason, stack=s.display_name)
                            for s in waiting)
            continue
        for identity, template in zip(identities, templates):
            group = pending[identity]
            try:
                relative = validate(engine, template) if engine is not None else []
            except Exception as exc:  # one template must not cost the others their results
                failures.append(f"{template.path.name}: {_describe(exc)}")
                findings.extend(analyzer_failed(CHECK, f"template {template.path}", _describe(exc),
                                                stack=s.display_name) for s in group)
                continue
            if cache is not None:
                relative = redact_findings(relative, secret_values(group))  # cached files outlive the run
                cache.put(_key(pack, template, where_region, where_account), relative)
            for stack in group:
                findings.extend(bind_to_stack(f, stack) for f in relative)

    if failures:
        outcome = CheckOutcome(check=CHECK, status=CheckStatus.UNKNOWN, required=required,
                               reason=f"{pack.versions} failed on " + "; ".join(failures))
    else:
        outcome = _ran(pack)
    return AnalyzerReport(findings=tuple(findings), outcomes=(outcome,))


def validate(engine: Any, template: Template) -> list[Finding]:
    """The pack's findings on one template, template-relative (bind_to_stack places them)."""
    from cloudformation_validate import ValidateConfig

    report = engine.validate_template(str(template.path), ValidateConfig(disable_builtin_rules=True))
    if getattr(report.status, "name", "") == "ERROR":  # the engine could not parse the template at all
        detail = "; ".join(d.message for d in report.diagnostics[:1])
        raise ValueError(f"the engine could not read the template ({detail})")
    return [_finding(d) for d in report.diagnostics]


def _finding(diagnostic: Any) -> Finding:
    entity = diagnostic.entity
    logical_id = getattr(entity, "logical_id", None) if entity is not None else None
    path = diagnostic.property_path
    severity = getattr(diagnostic.severity, "name", str(diagnostic.severity))
    evidence = {"pack_severity": severity}
    if getattr(entity, "resource_type", None):
        evidence["resource_type"] = entity.resource_type
    return Finding(
        rule_id=str(diagnostic.rule_id),
        source=Source.PREFLIGHT,
        severity=_SEVERITIES.get(severity, Severity.WARNING),
        message=str(diagnostic.message),
        logical_id=logical_id or None,
        property_path=path.replace(".", "/") if isinstance(path, str) and path else None,
        fix=" ".join(part for part in (diagnostic.suggested_fix, _in_brackets(diagnostic.documentation_url))
                     if part) or None,
        location=SourceLocation(file="", line=diagnostic.start_line, kind="template"),
        evidence=evidence,
    )


def _in_brackets(url: str | None) -> str | None:
    return f"({url})" if url else None


def _resource_types(templates: Sequence[Template]) -> frozenset[str] | None:
    """The types to prune the rules to; None (every rule) when a template's types cannot be read as written."""
    types: set[str] = set()
    for template in templates:
        if "Transform" in template.body:
            return None  # a macro (SAM, ...) turns resources into others: prune nothing, as the pack itself does
        for resource in template.resources.values():
            if not isinstance(resource.type, str):
                return None
            types.add(resource.type)
    return frozenset(types)


def _key(pack: Pack, template: Template, region: str | None, account: str | None) -> CacheKey:
    return CacheKey(analyzer=CHECK, version=f"{pack.version}+{ENGINE}-{pack.engine_version}",
                    template_sha256=template.sha256, region=region,
                    options={"account": account, "format": RESULT_FORMAT})


def _ran(pack: Pack) -> CheckOutcome:
    return CheckOutcome(check=CHECK, status=CheckStatus.RAN, reason=pack.versions)


def _could_not_run(reason: str, stacks: Sequence[Stack], required: bool) -> AnalyzerReport:
    failed = [analyzer_failed(CHECK, f"template {s.template.path}", reason, stack=s.display_name) for s in stacks]
    outcome = CheckOutcome(check=CHECK, status=CheckStatus.UNKNOWN, reason=reason, required=required)
    return AnalyzerReport(findings=tuple(failed), outcomes=(outcome,))


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
