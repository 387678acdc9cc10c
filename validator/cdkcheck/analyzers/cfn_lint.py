"""cfn-lint, run in process over each stack's template, folded into findings.

In process because cfn-lint is a plain library with no conflicting pins; the
cost is in building its rule set, so one runner per region is reused across
templates (cfnlint.api.lint builds a new one per call). Measured with cfn-lint
1.58 on the courtcase fixture templates: import 0.4 s, runner set-up 0.3 s once,
then 0.02 s (nested stack, 1 resource) to 0.6 s (37 KB template) per template,
0.13-0.4 s for typical 10-20 KB ones. cfnlint is imported only when a template
actually has to be linted: a fully cached run never pays for the import.

What cfn-lint says about CDK output it did not write by hand (checked on the
courtcase app and on an app using Lambda, API Gateway, Step Functions, S3
auto-delete, CloudFront, ECS and a nested stack, in us-east-1 and eu-west-1):
the BootstrapVersion parameter and CheckBootstrapVersion rule draw nothing,
informational (I*) rules are off unless asked for, and the one recurring
warning is W3005, listed below.
"""

from __future__ import annotations

from collections import defaultdict
from importlib import metadata
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from cdkcheck.analyzers.long_messages import shorten
from cdkcheck.template.redact import redact_findings, secret_values
from cdkcheck.analyzers import AnalyzerReport, analyzer_failed, bind_to_stack
from cdkcheck.analyzers.cache import CacheKey, ResultCache
from cdkcheck.model import CheckOutcome, CheckStatus, Finding, Severity, Source, SourceLocation, Stack, Template

if TYPE_CHECKING:
    from cdkcheck.analyzers.cfn_lint_pool import LintPool

CHECK = "cfn-lint"
DEFAULT_REGION = "us-east-1"
# Bump when the way matches become findings changes, so cached results are redone.
RESULT_FORMAT = "2"

# Rules that fire on what CDK generates, not on what the user wrote, and never affect a deploy.
CDK_NOISE_RULES: dict[str, str] = {
    # CDK adds explicit DependsOn next to a Ref/GetAtt to the same resource (a function on its
    # service role, a state machine on its role, an ECS service on its ALB listener): redundant,
    # harmless, and on nearly every CDK template.
    "W3005": "obsolete DependsOn that CDK itself emits",
    # Fn::Sub with no variables: CDK emits these in generated ARNs and aws-cdk-lib's own
    # template validation excludes the rule for that reason. Style only.
    "W1020": "Fn::Sub without variables, as CDK generates it",
}

_SEVERITY_BY_PREFIX = {"E": Severity.ERROR, "W": Severity.WARNING, "I": Severity.INFO}


def run_cfn_lint(
    stacks: Sequence[Stack],
    *,
    region: str | None,
    ignore: Sequence[str] = (),
    cache: ResultCache | None = None,
    pool: "LintPool | None" = None,
) -> AnalyzerReport:
    """Lint every stack's template (nested stacks included); never raises.

    `ignore` adds rule ids (or prefixes such as "W30") to CDK_NOISE_RULES. With a `pool`, templates
    are linted in parallel in its worker processes; without one, here, one after the other.
    """
    # cdk deploy skips a stack without resources, so nothing in it can fail (cdkcheck.engine.empty_stacks says so);
    # cfn-lint would call the missing Resources section an error.
    stacks = [s for s in stacks if s.template.resources]
    version = _installed_version()
    if version is None:
        return _could_not_run("cfn-lint is not installed in this environment", stacks)
    ignored = sorted(set(CDK_NOISE_RULES) | set(ignore))
    options = {"ignore": ignored, "format": RESULT_FORMAT}

    findings: list[Finding] = []
    pending: dict[tuple[str, str], list[Stack]] = defaultdict(list)  # (template sha, region) -> stacks
    for stack in stacks:
        lint_region = region or stack.region or DEFAULT_REGION
        cached = cache.get(_key(version, stack.template, lint_region, options)) if cache else None
        if cached is None:
            pending[(stack.template.sha256, lint_region)].append(stack)
        else:
            findings.extend(bind_to_stack(f, stack) for f in cached)

    failures: list[str] = []
    notes: list[str] = []
    if pending:
        try:
            linters = pool.linters(ignored) if pool is not None else _Linters(ignored)
        except Exception as exc:  # cfn-lint broken or incompatible: nothing can be linted
            waiting = [s for group in pending.values() for s in group]
            return _could_not_run(f"cfn-lint failed to start: {_describe(exc)}", waiting, findings)
        answers = linters.lint_all([(group[0].template, lint_region) for (_, lint_region), group in pending.items()])
        for ((_, lint_region), group), answer in zip(pending.items(), answers):
            template = group[0].template
            if isinstance(answer, Exception):  # one template must not cost the others their results
                failures.append(f"{template.path.name}: {_describe(answer)}")
                findings.extend(analyzer_failed(CHECK, f"template {template.path}", _describe(answer),
                                                stack=s.display_name) for s in group)
                continue
            used_region, relative = answer
            if used_region != lint_region:
                notes.append(f"cfn-lint {version} does not know region {lint_region}; "
                             f"linted against {used_region}")
            if cache is not None:
                # Cached files outlive the run: no secret value may be written into them.
                relative = redact_findings(relative, secret_values(group))
                cache.put(_key(version, template, lint_region, options), relative)
            for stack in group:
                findings.extend(bind_to_stack(f, stack) for f in relative)

    if failures:
        outcome = CheckOutcome(check=CHECK, status=CheckStatus.UNKNOWN, required=True,
                               reason="cfn-lint failed on " + "; ".join(failures))
    else:
        outcome = CheckOutcome(check=CHECK, status=CheckStatus.RAN, reason="; ".join(sorted(set(notes))))
    return AnalyzerReport(findings=tuple(findings), outcomes=(outcome,))


class _Linters:
    """cfn-lint runners, one per region, built on first use (rule loading is the slow part)."""

    def __init__(self, ignored: Sequence[str]):
        from cfnlint.api import ManualArgs
        from cfnlint.config import ConfigMixIn
        from cfnlint.decode.decode import decode_str
        from cfnlint.helpers import REGIONS
        from cfnlint.runner import Runner

        self._make_config = lambda region: ConfigMixIn(**ManualArgs(regions=[region], ignore_checks=list(ignored)))
        self._runner_class = Runner
        self._decode = decode_str
        self._known_regions = frozenset(REGIONS)
        self._runners: dict[str, Any] = {}

    def lint_all(self, jobs: Sequence[tuple[Template, str]]) -> list[tuple[str, list[Finding]] | Exception]:
        """Each (template, region) linted in turn: (region used, findings), or the exception it raised."""
        answers: list[tuple[str, list[Finding]] | Exception] = []
        for template, region in jobs:
            try:
                answers.append(self.lint(template, region))
            except Exception as exc:
                answers.append(exc)
        return answers

    def prepare(self, region: str) -> None:
        """Build the runner for `region` now, before any template needs it."""
        self._runner(region)

    def _runner(self, region: str) -> tuple[str, Any]:
        if region not in self._known_regions:
            region = DEFAULT_REGION  # a region newer than this cfn-lint: its rules still mostly apply
        runner = self._runners.get(region)
        if runner is None:
            runner = self._runners[region] = self._runner_class(self._make_config(region))
        return region, runner

    def lint(self, template: Template, region: str) -> tuple[str, list[Finding]]:
        region, runner = self._runner(region)
        # The file's own text, so line numbers point into the file users can open.
        text = template.path.read_text(encoding="utf-8")
        body, decode_errors = self._decode(text)
        matches = decode_errors if decode_errors else list(runner.validate_template(body))
        return region, [_finding(m) for m in _distinct(matches)]


def _finding(match: Any) -> Finding:
    """A template-relative finding: bind_to_stack adds stack, construct path and file."""
    rule = match.rule
    logical_id, property_path = _split_path(getattr(match, "path", None) or ())
    message, full = shorten(str(match.message))
    return Finding(
        rule_id=rule.id,
        source=Source.CFN_LINT,
        severity=_SEVERITY_BY_PREFIX.get(rule.id[:1], Severity.WARNING),
        message=message,
        logical_id=logical_id,
        property_path=property_path,
        fix=_fix(rule),
        location=SourceLocation(file="", line=match.linenumber, kind="template"),
        evidence={"column": match.columnnumber, "rule": rule.shortdesc, **full},
    )


def _split_path(path: Iterable[Any]) -> tuple[str | None, str | None]:
    """["Resources", "Db", "Properties", "AllocatedStorage"] -> ("Db", "Properties/AllocatedStorage")."""
    parts = [str(p) for p in path]
    if len(parts) >= 2 and parts[0] == "Resources":
        return parts[1], "/".join(parts[2:]) or None
    return None, "/".join(parts) or None


def _fix(rule: Any) -> str | None:
    description = (getattr(rule, "description", "") or getattr(rule, "shortdesc", "") or "").strip()
    url = (getattr(rule, "source_url", "") or "").strip()
    if description and url:
        return f"{description} ({url})"
    return description or url or None


def _distinct(matches: Iterable[Any]) -> list[Any]:
    """cfn-lint can report one problem twice (once per scenario); keep the first of each."""
    seen: set[tuple] = set()
    kept = []
    for m in matches:
        identity = (m.rule.id, m.linenumber, m.columnnumber, str(m.message))
        if identity not in seen:
            seen.add(identity)
            kept.append(m)
    return kept


def _key(version: str, template: Template, region: str, options: dict) -> CacheKey:
    return CacheKey(analyzer=CHECK, version=version, template_sha256=template.sha256, region=region,
                    options=options)


def _installed_version() -> str | None:
    try:
        return metadata.version("cfn-lint")
    except metadata.PackageNotFoundError:
        return None


def _could_not_run(reason: str, stacks: Sequence[Stack], findings: Sequence[Finding] = ()) -> AnalyzerReport:
    failed = [analyzer_failed(CHECK, f"template {s.template.path}", reason, stack=s.display_name) for s in stacks]
    outcome = CheckOutcome(check=CHECK, status=CheckStatus.UNKNOWN, reason=reason, required=True)
    return AnalyzerReport(findings=(*findings, *failed), outcomes=(outcome,))


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
