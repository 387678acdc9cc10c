"""What cdkcheck checks, rendered from the rule metadata: `cdkcheck rules`, `cdkcheck explain`, docs/rules.md.

One source for the list: the registry (cdkcheck_rules.ALL_RULES) for cdkcheck's
own rules, the policy module for how folded-in findings block. Nothing here
decides anything; it only describes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from cdkcheck.errors import UsageError, closest
from cdkcheck.engine.policy import (NEVER_BLOCKING, BlockingEntry, cfn_lint_advisory, cfn_lint_blocking,
                                    preflight_advisory)
from cdkcheck.ruleset import Rule


@dataclass(frozen=True)
class FoldedIn:
    """A finding source other than cdkcheck's rules, and how its findings block."""

    source: str
    ids: str
    blocking: str
    notes: str


def folded_in() -> tuple[FoldedIn, ...]:
    never = ", ".join(sorted(NEVER_BLOCKING))
    listed = len(cfn_lint_blocking())
    return (
        FoldedIn(
            source="cfn-lint",
            ids="every cfn-lint rule (E*, W*, I*), run with the environment's region",
            blocking=f"only the {listed} ids on the reviewed list below block, each because CloudFormation or "
                     "the service refuses the create or update (some narrowed for CDK shapes); every other "
                     "cfn-lint finding is advisory, whatever its severity. An environment blocks on more with "
                     "cfn_lint_blocking (ids, or \"*\" for all)",
            notes="Ids that back cdkcheck's own rules: E3025/E3062 RDS instance class, E3690/E3691/W3690/W3691 RDS "
                  "engine version (judged as RDS does: a major-only version is valid while a minor of it is "
                  "offered; the account's answer wins over static data), E3653 OpenSearch instance type, "
                  "E3059/E3060 subnet CIDR inside the VPC / overlapping (CDKC-V4 covers what they cannot see), "
                  "E3680 ALB subnet count (advisory: one Local Zone subnet is allowed; CDKC-V5 checks the zones). "
                  "Turn rules off per environment with cfn_lint_ignore.",
        ),
        FoldedIn(
            source="cdk-preflight",
            ids="pf-* rules of the cdk-preflight pack, run by AWS's cloudformation-validate engine "
                f"({_pack_summary()})",
            blocking="ERROR rules block (each a deploy failure the pack reproduced against AWS), except those the "
                     f"deployed-template corpus shows false ({len(preflight_advisory())}, listed below with the "
                     "evidence); WARN rules (doc-only) are advisory; retired rules (now blocked by the engine "
                     "itself) are not run. Per environment: preflight = \"advisory\" or \"off\"",
            notes="Runs on every synthesized template without touching the app; an app's own "
                  "`cdk-preflight::<id>` acknowledgements apply. The same problem reported by cfn-lint, CDK's "
                  "validation report or the pack is one finding, with every source in its evidence.",
        ),
        FoldedIn(
            source="checkov",
            ids="CKV_AWS_* CloudFormation checks",
            blocking="advisory, unless the environment's checkov_blocking lists the id (or \"*\")",
            notes="Security posture rather than deploy failure, e.g. CKV_AWS_16/17/157/161 (RDS), CKV_AWS_84/317 "
                  "(OpenSearch).",
        ),
        FoldedIn(
            source="cdk",
            ids="CDK-SYNTH-FAILED, CDK-SYNTH-TIMEOUT, CDK-MISSING-CONTEXT, CDK-ANNOTATION-*, "
                "the validation report's Plugin::rule ids, CDK-VALIDATION-PLUGIN-FAILED",
            blocking="errors block (a failed synth, unresolved context lookups, aws:cdk:error annotations, "
                     "validation-report errors); warnings are advisory",
            notes="CDK-MISSING-CONTEXT covers deploy-failure K4 of the catalog: a stack synthesized without its "
                  "context lookups holds placeholders (dummy1a AZs, dummy-value-for-... parameters) that will "
                  "not deploy. It is reported by the pipeline from the assembly's 'missing' list, so there is "
                  "no separate CDKC-K4 rule reporting it twice.",
        ),
        FoldedIn(
            source="cdkcheck (pipeline)",
            ids=f"CDKC-ENV-ACCOUNT, CDKC-ENV-REGION, CDKC-ENV-PLACEHOLDER, CDKC-PLACEHOLDER-VALUE, {never}",
            blocking=f"the environment-binding checks block; {never} never block (for the first and last, "
                     "the UNKNOWN check beside them decides the verdict)",
            notes="CDKC-ENV-*: a stack bound to another account or region than the environment deploys to, "
                  "or to a placeholder account (YOUR_ACCOUNT_ID, xxx: not a 12-digit id). CDKC-PLACEHOLDER-VALUE: an "
                  "EC2 id or ARN in a template left as sample code wrote it (vpc-xxxxxxxx, subnet-yyyyyyyy, "
                  "arn:aws:iam::xxxxxxxxxxxx:...): a malformed EC2 id blocks (EC2 rejects it), an ARN warns. "
                  "CDKC-EMPTY-STACK: a stack with no resources (or only CDK's metadata resource); cdk deploy "
                  "skips a stack without resources, so it is an advisory.",
        ),
    )


# ------------------------------------------------------------------ rendering


def _all_rules() -> tuple[Rule, ...]:
    from cdkcheck_rules import ALL_RULES, CROSS_ENVIRONMENT_RULES

    return (*ALL_RULES, *CROSS_ENVIRONMENT_RULES)


def _blocking(rule: Rule) -> str:
    level = rule.meta.severity.value
    how = "blocks by default" if level == "error" else "advisory by default"
    extra = " (reads the account; skipped offline)" if rule.meta.needs_live else ""
    return f"{level}, {how}{extra}"


def rules_text(rules: Sequence[Rule] | None = None) -> str:
    rules = tuple(_all_rules() if rules is None else rules)
    width_id = max((len(r.meta.id) for r in rules), default=4)
    width_sev = max((len(r.meta.severity.value) for r in rules), default=8)
    width_name = max((len(r.meta.name) for r in rules), default=4)
    lines = [f"cdkcheck rules ({len(rules)}); an error blocks when fail_on allows, per environment:", ""]
    for r in sorted(rules, key=lambda r: _sort_key(r.meta.id)):
        live = " [live]" if r.meta.needs_live else ""
        lines.append(f"  {r.meta.id:<{width_id}}  {r.meta.severity.value:<{width_sev}}  "
                     f"{r.meta.name:<{width_name}}  {r.meta.summary}{live}")
    lines += ["", "Folded in from other tools:", ""]
    for f in folded_in():
        lines.append(f"  {f.source}: {f.ids}")
        lines.append(f"    blocking: {f.blocking}")
        lines.append(f"    {f.notes}")
    lines += ["", f"cfn-lint error catalogue reviewed ({_review_counts()}; data/cfn_lint_blocking.toml).",
              f"cfn-lint ids that block ({len(cfn_lint_blocking())}):", ""]
    for entry in _blocking_entries():
        lines.append(f"  {entry.rule_id}  {entry.reason}")
        if entry.narrow:
            lines.append(f"         narrowed: {entry.narrow}")
    lines += ["", f"cfn-lint error ids reviewed as advisory ({len(cfn_lint_advisory())}):", ""]
    for entry in _sorted(cfn_lint_advisory().values()):
        lines.append(f"  {entry.rule_id}  {entry.reason}")
    lines += ["", f"cdk-preflight pack ({_pack_summary()}; data/preflight_policy.toml).",
              f"ERROR rules demoted to advisory by the deployed-template corpus ({len(preflight_advisory())}):", ""]
    for demoted in sorted(preflight_advisory().values(), key=lambda d: d.rule_id):
        lines.append(f"  {demoted.rule_id}  {demoted.reason}")
        lines.append(f"    evidence: {demoted.evidence}")
    lines += ["", "Per environment: rules.<ID> = {enabled, severity, options} in cdkcheck.toml; "
                  "`cdkcheck explain ID` for one rule."]
    return "\n".join(lines) + "\n"


def explain_text(rule_id: str, rules: Sequence[Rule] | None = None) -> str:
    rule = find_rule(rule_id, rules)
    meta = rule.meta
    lines = [
        f"{meta.id}  {meta.name}  ({_blocking(rule)})",
        "",
        meta.summary,
        "",
        "Why:",
        _indent(meta.rationale),
        "",
        *_facts_lines(meta),
        "Fix:",
        _indent(meta.fix),
        "",
        "Example:",
        _indent(meta.example),
        "",
        f"Resource types: {', '.join(meta.resource_types)}",
    ]
    if rule.default_options:
        options = ", ".join(f"{k} = {v!r}" for k, v in rule.default_options.items())
        lines.append(f"Options (rules.{meta.id}.options): {options}")
    if not meta.suppressible:
        lines.append("Cannot be suppressed: it describes the account, reconfigure instead.")
    if meta.details is not None:
        lines += ["", "Details:", _indent(meta.details())]
    lines.append(f"Docs: {meta.docs_url}")
    return "\n".join(lines) + "\n"


def _facts_lines(meta) -> list[str]:
    if not meta.facts:
        return []
    lines = ["Facts relied on:"]
    for item in meta.facts:
        lines.append(_indent(item.fact, initial="  - ", subsequent="    "))
        lines.append(f"    source: {item.source}")
    return lines + [""]


def find_rule(rule_id: str, rules: Sequence[Rule] | None = None) -> Rule:
    rules = tuple(_all_rules() if rules is None else rules)
    by_id = {r.meta.id.upper(): r for r in rules}
    by_name = {r.meta.name: r for r in rules}
    wanted = rule_id.strip()
    found = by_id.get(wanted.upper()) or by_name.get(wanted.lower())
    if found is not None:
        return found
    guess = closest(wanted.upper(), by_id) or closest(wanted.lower(), by_name)
    if guess is not None:
        guess = by_name[guess].meta.id if guess in by_name else by_id[guess].meta.id
    hint = f"did you mean '{guess}'?" if guess else "`cdkcheck rules` lists every rule"
    external = _external_hint(wanted)
    raise UsageError(f"unknown rule '{rule_id}'" + (f" ({external})" if external else ""), hint=hint)


def _external_hint(rule_id: str) -> str | None:
    upper = rule_id.upper()
    if upper.startswith("CKV"):
        return "a checkov check: see https://www.checkov.io/5.Policy%20Index/cloudformation.html"
    if upper[:1] in ("E", "W", "I") and upper[1:].isdigit():
        entry = cfn_lint_blocking().get(upper)
        advice = cfn_lint_advisory().get(upper)
        policy = (f"blocks a deploy: {entry.reason}" + (f"; narrowed: {entry.narrow}" if entry.narrow else "")
                  if entry else f"reviewed as an advisory: {advice.reason}" if advice
                  else "an advisory in cdkcheck unless an environment's cfn_lint_blocking names it")
        return (f"a cfn-lint rule, {policy}; see "
                "https://github.com/aws-cloudformation/cfn-lint/blob/main/docs/rules.md")
    if rule_id.lower().startswith("pf-"):
        demoted = preflight_advisory().get(rule_id.lower())
        policy = (f"advisory in cdkcheck: {demoted.reason}" if demoted
                  else "its ERROR rules block, its WARN rules are advisory")
        return (f"a cdk-preflight rule, {policy}; see "
                "https://github.com/badmintoncryer/cdk-preflight/blob/main/docs/rules.md")
    if upper.startswith("CDK-"):
        return "reported by CDK itself: see `cdkcheck rules`"
    return None


def rules_markdown(rules: Sequence[Rule] | None = None) -> str:
    rules = sorted(_all_rules() if rules is None else rules, key=lambda r: _sort_key(r.meta.id))
    out = [
        "# cdkcheck rules",
        "",
        "<!-- Generated from the rule metadata by `python -m cdkcheck.cli.docs > docs/rules.md`; do not edit. -->",
        "",
        "Each rule reports with a severity; whether a finding blocks the deploy is decided per environment "
        "(`fail_on`, default `error`). Configure a rule per environment with "
        "`rules.<ID> = {enabled, severity, options}` in `cdkcheck.toml`. Rules marked *live* read the AWS "
        "account and are skipped with `--offline`.",
        "",
        "| id | name | severity | live | summary |",
        "|---|---|---|---|---|",
    ]
    for r in rules:
        m = r.meta
        out.append(f"| [{m.id}](#{_anchor(m.id, m.name)}) | {m.name} | {m.severity.value} | "
                   f"{'yes' if m.needs_live else ''} | {_cell(m.summary)} |")
    out += ["", "## Folded in from other tools", "", "| source | ids | blocking | notes |", "|---|---|---|---|"]
    for f in folded_in():
        out.append(f"| {f.source} | {_cell(f.ids)} | {_cell(f.blocking)} | {_cell(f.notes)} |")
    out += ["", "## cfn-lint ids that block", "",
            "<!-- From validator/cdkcheck/data/cfn_lint_blocking.toml, the list cdkcheck.engine.policy reads. -->", "",
            "A cfn-lint finding blocks only when its id is here (or the environment's `cfn_lint_blocking` names "
            "it, or `\"*\"`); every other cfn-lint finding is advisory.", "",
            "| id | why the deploy fails | narrowed | source |", "|---|---|---|---|"]
    for entry in _blocking_entries():
        out.append(f"| {entry.rule_id} | {_cell(entry.reason)} | {_cell(entry.narrow or '')} | <{entry.source}> |")
    out += ["", "## cfn-lint error ids reviewed as advisory", "",
            f"Every error rule of the installed cfn-lint is reviewed ({_review_counts()}); these "
            "do not, by themselves, make CloudFormation or the service refuse the deploy.", "",
            "| id | why it does not block | source |", "|---|---|---|"]
    for entry in _sorted(cfn_lint_advisory().values()):
        out.append(f"| {entry.rule_id} | {_cell(entry.reason)} | <{entry.source}> |")
    out += ["", "## cdk-preflight rules demoted to advisory", "",
            "<!-- From validator/cdkcheck/data/preflight_policy.toml. -->", "",
            f"The pack: {_pack_summary()}. ERROR rules block except these, which the deployed-template corpus "
            "(fixtures/corpus/integ) shows false; each is also noted in docs/upstream-notes.md.", "",
            "| id | why it does not block | evidence |", "|---|---|---|"]
    for demoted in sorted(preflight_advisory().values(), key=lambda d: d.rule_id):
        out.append(f"| {demoted.rule_id} | {_cell(demoted.reason)} | {_cell(demoted.evidence)} |")
    for r in rules:
        m = r.meta
        out += ["", f"## {m.id} {m.name}", "", m.summary, "",
                f"- severity: {m.severity.value}" + (" (reads the account)" if m.needs_live else ""),
                f"- resource types: {', '.join(f'`{t}`' for t in m.resource_types)}"]
        if r.default_options:
            out.append("- options: " + ", ".join(f"`{k}` (default `{v!r}`)" for k, v in r.default_options.items()))
        if not m.suppressible:
            out.append("- cannot be suppressed (an account fact: reconfigure instead)")
        out += [f"- docs: <{m.docs_url}>", "", f"**Why.** {m.rationale}", ""]
        if m.facts:
            out += ["**Facts relied on.**", ""]
            out += [f"- {item.fact} ({item.source})" for item in m.facts]
            out.append("")
        out += [f"**Fix.** {m.fix}", "", f"**Example.** {m.example}"]
    return "\n".join(out) + "\n"


def _blocking_entries() -> list[BlockingEntry]:
    return _sorted(cfn_lint_blocking().values())


def _sorted(entries) -> list[BlockingEntry]:
    return sorted(entries, key=lambda e: (e.rule_id[1:], e.rule_id))


def _review_counts() -> str:
    blocking, advisory = cfn_lint_blocking(), cfn_lint_advisory()
    errors = sum(1 for rule_id in blocking if rule_id.startswith("E"))
    return (f"{errors + len(advisory)} error ids: {errors} block, {len(advisory)} advisory; "
            f"plus {len(blocking) - errors} warning ids that block")


def _pack_summary() -> str:
    """The installed pack's rule counts by how cdkcheck treats them."""
    from cdkcheck.analyzers.preflight import PackUnavailable, load_pack

    try:
        pack = load_pack()
    except PackUnavailable as exc:
        return f"not available: {exc}"
    demoted = preflight_advisory()
    active = pack.active
    errors = [r for r in active if r.severity == "ERROR"]
    blocking = [r for r in errors if r.id not in demoted]
    return (f"{pack.versions}: {len(pack.rules)} rules, {len(blocking)} ERROR rules block, "
            f"{len(errors) - len(blocking)} ERROR rules demoted, {len(active) - len(errors)} WARN rules advisory, "
            f"{len(pack.rules) - len(active)} retired rules not run")


def _sort_key(rule_id: str) -> tuple[str, int, str]:
    head, _, tail = rule_id.rpartition("-")
    letters = tail.rstrip("0123456789")
    digits = tail[len(letters):]
    return (f"{head}-{letters}", int(digits) if digits else 0, rule_id)


def _anchor(rule_id: str, name: str) -> str:
    return f"{rule_id} {name}".lower().replace(" ", "-")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _indent(text: str, width: int = 96, initial: str = "  ", subsequent: str = "  ") -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width=width, initial_indent=initial, subsequent_indent=subsequent)) or "  -"
