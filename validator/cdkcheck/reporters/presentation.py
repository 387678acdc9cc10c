"""What several machine-facing reporters share: where a finding is, which check produced it, its rule's help.

Kept free of any one output format so SARIF, JUnit, Markdown and GitHub
annotations describe the same finding the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from cdkcheck.model import CheckOutcome, Finding, Source

# Findings the engine itself emits (not rules in cdkcheck_rules): short description and help.
BUILTIN_RULES: Mapping[str, tuple[str, str]] = {
    "CDK-SYNTH-FAILED": ("The CDK app failed to synthesize",
                         "Nothing else could be checked. Run `cdk synth` locally and fix the error it prints."),
    "CDK-SYNTH-TIMEOUT": ("The CDK app did not finish synthesizing in time",
                          "Raise `synth_timeout` in cdkcheck.toml if the app is just slow, else find what hangs."),
    "CDK-MISSING-CONTEXT": ("A context lookup is unresolved; the template holds placeholder values",
                            "Run `cdk synth` once with credentials for the target account and region and commit "
                            "the resulting cdk.context.json."),
    "CDKC-ENV-ACCOUNT": ("A stack is bound to another account than the environment deploys to",
                         "Set the stack's `env` account for this environment, or fix `account` in cdkcheck.toml."),
    "CDKC-ENV-PLACEHOLDER": ("A stack is bound to a placeholder account (not a 12-digit account id)",
                             "Put the real account id in the stack's `env`, as the sample code it came from asks."),
    "CDKC-PLACEHOLDER-VALUE": ("A template holds an id or ARN left as the sample code wrote it (vpc-xxxxxxxx)",
                               "Put the real id or ARN in the app, or read it from context or a lookup."),
    "CDKC-ENV-REGION": ("A stack is bound to another region than the environment deploys to",
                        "Set the stack's `env` region for this environment, or fix `region` in cdkcheck.toml."),
    "CDKC-ANALYZER-FAILED": ("An analyzer (cfn-lint, checkov or cdk-preflight) could not run",
                             "Its checks are reported as could-not-check; see the message for the cause."),
    "CDKC-RULE-CRASHED": ("A cdkcheck rule raised an error",
                          "The rule's verdict is unknown; report it to the cdkcheck maintainers with the template."),
    "CDKC-SUPPRESSION-EXPIRED": ("A suppression has passed its `expires` date and no longer applies",
                                 "Fix the finding it covered, or renew the suppression with a new date and reason."),
    "CDKC-SUPPRESSION-REFUSED": ("A suppression aimed at a finding that cannot be suppressed was ignored",
                                 "Account-level facts such as quota exhaustion are changed in the account or the "
                                 "environment's config, not suppressed; remove the suppression."),
    "CDKC-SUPPRESSION-INVALID": ("A suppression in the CDK code is malformed and was ignored",
                                 "Give each `cdkcheck:suppress` entry an `id` and a `reason` of 10 or more "
                                 "characters."),
}
HELP_URIS: Mapping[Source, str] = {
    Source.CFN_LINT: "https://github.com/aws-cloudformation/cfn-lint/blob/main/docs/rules.md",
    Source.CHECKOV: "https://www.checkov.io/5.Policy%20Index/cloudformation.html",
    Source.PREFLIGHT: "https://github.com/badmintoncryer/cdk-preflight/blob/main/docs/rules.md",
}
ENVIRONMENT_LEVEL = "(environment)"


@dataclass(frozen=True)
class RuleHelp:
    rule_id: str
    name: str
    short: str
    full: str
    help_text: str
    help_uri: str | None
    source: Source


@lru_cache(maxsize=1)
def _catalog():
    try:
        from cdkcheck_rules import ALL_RULES, CROSS_ENVIRONMENT_RULES
    except ImportError:  # rules package broken: descriptors fall back to the findings' own text
        return {}
    return {rule.meta.id: rule.meta for rule in (*ALL_RULES, *CROSS_ENVIRONMENT_RULES)}


def rule_help(rule_id: str, examples: Iterable[Finding]) -> RuleHelp:
    """Help for one rule id: cdkcheck's catalog where it is ours, else the built-ins, else the finding's message.

    `examples` are the findings with this id, in report order; the first gives the
    text for third-party rules (cfn-lint, checkov), which carry no catalog here.
    """
    first = next(iter(examples))
    meta = _catalog().get(rule_id) if first.source is Source.CDKCHECK else None
    if meta is not None:
        parts = [meta.rationale, f"Fix: {meta.fix}"]
        if meta.example:
            parts.append(f"Example:\n{meta.example}")
        return RuleHelp(rule_id, meta.name, meta.summary, meta.rationale, "\n\n".join(parts),
                        meta.docs_url or None, first.source)
    if rule_id in BUILTIN_RULES:
        short, help_text = BUILTIN_RULES[rule_id]
        return RuleHelp(rule_id, rule_id, short, short, help_text, None, first.source)
    message = _first_line(first.message)
    help_text = f"{first.source.value} {rule_id}: {message}"
    if first.fix:
        help_text += f"\n\nFix: {first.fix}"
    return RuleHelp(rule_id, rule_id, message, message, help_text, HELP_URIS.get(first.source), first.source)


def where(f: Finding) -> str:
    """The construct path people recognise, else stack:logical id, else the stack, else the environment."""
    if f.construct_path:
        return f.construct_path
    if f.logical_id:
        return f"{f.stack}:{f.logical_id}" if f.stack else f.logical_id
    return f.stack or ENVIRONMENT_LEVEL


def source_file(f: Finding, path_prefix: str = "") -> tuple[str, int | None] | None:
    """The user's source file (repository-relative with the prefix) and line, when known."""
    if f.location is None or f.location.kind != "source":
        return None
    return join_path(path_prefix, f.location.file), f.location.line


def join_path(prefix: str, path: str) -> str:
    if not prefix or prefix in (".", "./"):
        return path
    return f"{prefix.rstrip('/')}/{path}"


def check_of(f: Finding, checks: Iterable[CheckOutcome]) -> str:
    """The check a finding belongs to, named as in EnvironmentResult.checks where one matches."""
    names = {c.check for c in checks}
    if f.source is Source.CDKCHECK and f"rule:{f.rule_id}" in names:
        return f"rule:{f.rule_id}"
    if f.source in (Source.CFN_LINT, Source.CHECKOV, Source.PREFLIGHT):
        return f.source.value
    if f.source is Source.CDK:
        return "cdk"
    return f"cdkcheck:{f.rule_id}"


def status_word(f: Finding) -> str:
    if f.suppression is not None:
        return "suppressed"
    return "blocking" if f.blocking else "advisory"


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


def repository_prefix(app_dir: Path) -> str:
    """The app directory relative to its repository root ("" at the root), where CI resolves source paths.

    The repository is the nearest ancestor holding .git; outside one, the current
    directory stands in for it (and an app outside that gets no prefix).
    """
    app = Path(app_dir).resolve()
    for candidate in (app, *app.parents):
        if (candidate / ".git").exists():
            return _relative(app, candidate)
    return _relative(app, Path.cwd().resolve())


def _relative(path: Path, root: Path) -> str:
    try:
        relative = path.relative_to(root).as_posix()
    except ValueError:
        return ""
    return "" if relative == "." else relative


def account_facts_line(details: Mapping | None) -> str | None:
    """How current the account answers behind a verdict are, when that is worth saying.

    Nothing when every answer was read by this run and no reuse was allowed (the default).
    """
    facts = (details or {}).get("account_facts")
    if not facts:
        return None
    if facts.get("source") == "snapshot":
        when = facts.get("read_at") or "at an unknown time"
        age = facts.get("age_seconds")
        return (f"account facts replayed from {facts.get('file')}, read {when}"
                + (f" ({describe_age(age)} ago)" if age is not None else ""))
    reused = facts.get("reused_answers") or 0
    allowed = facts.get("max_facts_age_seconds") or 0
    if not reused:
        return f"account facts all read by this run (reuse up to {allowed:g} s allowed)" if allowed else None
    return (f"account facts: {reused} answer{'s' if reused != 1 else ''} reused from earlier runs, the oldest "
            f"{describe_age(facts.get('oldest_answer_age_seconds') or 0)} old (max_facts_age {allowed:g} s); "
            "answers behind blocking or unknown outcomes were read again")


def describe_age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days"
