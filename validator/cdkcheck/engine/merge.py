"""One finding per problem: the same problem reported by several tools becomes one finding.

cfn-lint, CDK's validation report (`CloudFormation-Validate::*`, from the engine aws-cdk-lib embeds) and the
cdk-preflight pack (run here, and `cdk-preflight::*` in CDK's report when the app applies the pack itself)
often describe one problem twice. Findings are the same problem when they are on the same stack, resource
and property and have the same cause, which is read from the ids the tools share:

* the validation engine numbers its cfn-lint-derived rules as cfn-lint does (E1151 in both) and its fatal
  schema variants with F and the same number (F3034 is cfn-lint's E3034);
* a pack rule has the same id whoever ran it.

Only reports by different tools merge: one tool reporting a rule twice at one place means two things.
checkov shares no ids with the others, so its findings stay as they are. Where a
cdkcheck rule and pack rules check the same constraint (OpenSearch, ElastiCache, RDS storage, subnets),
data/same_problem.toml names them; a test runs the pack on each rule's fail fixtures to keep it true.

The finding kept is the strongest (blocking over advisory, unsuppressed over suppressed, then severity,
then cdkcheck, cfn-lint, cdk-preflight, cdk, checkov); every other report of the problem stays in its evidence under
`also_reported_by`, so no source is lost.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from typing import Iterable, Mapping

from cdkcheck.model import Finding, Severity, Source

_LINT_ID = re.compile(r"^([EFWI])(\d{4})$")
_PACK_NAMESPACE = "cdk-preflight::"
_ENGINE_NAMESPACE = "CloudFormation-Validate::"
# cdkcheck's own rules first: their findings carry the evidence (the numbers) and the source line.
_SOURCE_ORDER = {Source.CDKCHECK: 0, Source.CFN_LINT: 1, Source.PREFLIGHT: 2, Source.CDK: 3, Source.CHECKOV: 4}
_SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


# A malformed id left from sample code (vpc-xxxx) is what cfn-lint's and the engine's pattern check (E1151) report.
_SAME_AS_LINT = {"CDKC-PLACEHOLDER-VALUE": "E1151"}


def cause(finding: Finding) -> tuple[str, str] | None:
    """What the finding says is wrong, comparable across tools; None when only its own tool can say."""
    rule = finding.rule_id
    if finding.source is Source.CDKCHECK and rule in _SAME_AS_LINT:
        return ("lint", _SAME_AS_LINT[rule])
    if finding.source is Source.CFN_LINT:
        return _lint_cause(rule)
    if finding.source is Source.PREFLIGHT:
        return ("pack", rule)
    if finding.source is Source.CHECKOV:
        return ("checkov", rule)
    if finding.source is Source.CDK:
        if rule.startswith(_ENGINE_NAMESPACE):
            return _lint_cause(rule.removeprefix(_ENGINE_NAMESPACE))
        if rule.startswith(_PACK_NAMESPACE):
            return ("pack", rule.removeprefix(_PACK_NAMESPACE))
    return None


def _lint_cause(rule: str) -> tuple[str, str] | None:
    match = _LINT_ID.match(rule)
    if match is None:
        return None
    letter, number = match.groups()
    return ("lint", ("E" if letter == "F" else letter) + number)


def _place(finding: Finding) -> tuple[str, str, str] | None:
    if not finding.logical_id:
        return None  # a template-level finding: too coarse to call two of them one problem
    path = re.sub(r"\[(\d+)\]", r"/\1", (finding.property_path or "").replace(".", "/")).strip("/")
    return finding.stack, finding.logical_id, path.removeprefix("Properties/")


def _strength(finding: Finding) -> tuple:
    return (not finding.blocking, finding.suppression is not None, _SEVERITY_ORDER.get(finding.severity, 3),
            _SOURCE_ORDER.get(finding.source, 5))


@lru_cache(maxsize=1)
def same_problem() -> Mapping[str, frozenset[str]]:
    """cdkcheck rule id -> the cdk-preflight rules that report the same problem (data/same_problem.toml)."""
    text = resources.files("cdkcheck").joinpath("data", "same_problem.toml").read_text(encoding="utf-8")
    return {rule_id: frozenset(ids) for rule_id, ids in tomllib.loads(text).items()}


def merge_duplicates(findings: Iterable[Finding]) -> list[Finding]:
    """The findings with each problem reported once (after the policy: the strongest decision is kept)."""
    findings = list(findings)
    parent = list(range(len(findings)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def join(i: int, j: int) -> None:
        parent[root(i)] = root(j)

    at: dict[tuple, list[int]] = {}
    pack_at: dict[tuple, list[int]] = {}
    for index, f in enumerate(findings):
        why, where = cause(f), _place(f)
        if why is not None and where is not None:
            at.setdefault((*where, *why), []).append(index)
        if f.logical_id and why is not None and why[0] == "pack":
            pack_at.setdefault((f.stack, f.logical_id), []).append(index)
    for indices in at.values():
        sources = [findings[i].source for i in indices]
        # One tool reporting a rule twice at one place means two things (E3003: two missing properties).
        if len(indices) > 1 and len(set(sources)) == len(sources):
            for i in indices[1:]:
                join(i, indices[0])
    # A cdkcheck rule and the pack rules its data names as the same problem, on the same resource.
    equivalents = same_problem()
    for index, f in enumerate(findings):
        if f.source is Source.CDKCHECK and f.rule_id in equivalents and f.logical_id:
            for other in pack_at.get((f.stack, f.logical_id), ()):
                if cause(findings[other])[1] in equivalents[f.rule_id]:
                    join(other, index)

    components: dict[int, list[int]] = {}
    for index in range(len(findings)):
        components.setdefault(root(index), []).append(index)
    kept: dict[int, Finding] = {}
    dropped: set[int] = set()
    for indices in components.values():
        if len(indices) < 2:
            continue
        ranked = sorted(indices, key=lambda i: (_strength(findings[i]), i))
        primary, others = findings[ranked[0]], [findings[i] for i in ranked[1:]]
        also = [{"source": o.source.value, "rule_id": o.rule_id, "message": o.message, "blocking": o.blocking}
                for o in others]
        kept[ranked[0]] = replace(primary, evidence={**primary.evidence, "also_reported_by": also})
        dropped.update(ranked[1:])
    return [kept.get(i, f) for i, f in enumerate(findings) if i not in dropped]
