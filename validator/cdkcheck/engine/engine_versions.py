"""RDS engine versions judged as RDS judges them, for cfn-lint's engine-version findings.

cfn-lint's E3690/E3691 (unknown version) and W3690/W3691 (deprecated version)
compare the literal EngineVersion with its static lists. Two things RDS does
differently: a major-only version ("15", what rds.PostgresEngineVersion.VER_15
renders; "8.0" for MySQL) makes RDS pick that major's default minor, so it is
valid while any minor of the major is offered; and the region's own answer
(rds:DescribeDBEngineVersions) is newer than any static list. This module
attaches that judgement to each such finding (evidence["engine_version"] and a
sentence in the message saying what it was judged by); policy.py decides what
blocks from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Iterable, Sequence

from cdkcheck.facts.interface import AccountFacts, FactUnavailable
from cdkcheck.model import Finding, Source, Stack

VERSION_RULES = {"E3690", "E3691", "W3690", "W3691"}
_DATA_MODULE = {"AWS::RDS::DBInstance": "cfnlint.data.schemas.extensions.aws_rds_dbinstance",
                "AWS::RDS::DBCluster": "cfnlint.data.schemas.extensions.aws_rds_dbcluster"}
ACCOUNT = "account"
STATIC = "static"


@dataclass(frozen=True)
class VersionJudgement:
    engine: str
    version: str
    major_only: bool
    offered: bool  # can a new instance or cluster be created with it
    basis: str  # ACCOUNT or STATIC
    detail: str  # one sentence: what was found and where

    def as_evidence(self) -> dict:
        return {"engine": self.engine, "version": self.version, "major_only": self.major_only,
                "offered": self.offered, "judged_by": self.basis, "detail": self.detail}


@dataclass(frozen=True)
class StaticVersions:
    """cfn-lint's lists for one resource type and engine: every version it knows, and the deprecated ones."""

    known: frozenset[str]
    deprecated: frozenset[str]

    def minors_of(self, major: str) -> set[str]:
        return {v for v in self.known | self.deprecated if v.startswith(major + ".")}


@lru_cache(maxsize=None)
def _enums(resource_type: str, filename: str) -> dict[str, frozenset[str]]:
    """Engine -> EngineVersion enum from one of cfn-lint's RDS extension schemas."""
    try:
        text = resources.files(_DATA_MODULE[resource_type]).joinpath(filename).read_text(encoding="utf-8")
    except (KeyError, ModuleNotFoundError, FileNotFoundError):
        return {}
    by_engine: dict[str, frozenset[str]] = {}
    for clause in json.loads(text).get("allOf", []):
        condition = clause.get("if", {}).get("properties", {})
        engine = condition.get("Engine", {}).get("const")
        then = clause.get("then")
        enum = (then.get("properties", {}).get("EngineVersion", {}).get("enum") if isinstance(then, dict)
                else condition.get("EngineVersion", {}).get("enum"))  # the deprecated list puts it in "if"
        if isinstance(engine, str) and isinstance(enum, list):
            by_engine[engine] = frozenset(str(v) for v in enum)
    return by_engine


def static_versions(resource_type: str, engine: str) -> StaticVersions | None:
    known = _enums(resource_type, "engine_version.json").get(engine)
    deprecated = _enums(resource_type, "engine_version_deprecated.json").get(engine, frozenset())
    if known is None and not deprecated:
        return None
    return StaticVersions(known=known or frozenset(), deprecated=deprecated)


def is_major_only(version: str, versions: StaticVersions | None) -> bool:
    """"15" for postgres, "8.0" for mysql: a version that other known versions extend."""
    return versions is not None and bool(versions.minors_of(version))


def judge(resource_type: str, engine: str, version: str, facts: AccountFacts | None) -> VersionJudgement | None:
    """The account's answer when there is one, else cfn-lint's static data; None when neither knows the engine."""
    engine = engine.lower()
    versions = static_versions(resource_type, engine)
    major_only = is_major_only(version, versions)
    if facts is not None:
        try:
            found = facts.rds_engine_version(engine, version)
        except FactUnavailable:
            found = None
            asked = False
        else:
            asked = True
        if asked:
            what = f"{engine} {version}" + (" (major version: RDS picks its default minor)" if major_only else "")
            if found is None:
                return VersionJudgement(engine, version, major_only, False, ACCOUNT,
                                        f"the account's region lists no {what} (rds:DescribeDBEngineVersions)")
            offered = found.status == "available"
            return VersionJudgement(engine, version, major_only, offered, ACCOUNT,
                                    f"the account's region lists {what} as {found.status} "
                                    f"(rds:DescribeDBEngineVersions)")
    if versions is None:
        return None
    if major_only:
        offered_minors = sorted(versions.minors_of(version) & versions.known - versions.deprecated, key=_version_key)
        if offered_minors:
            return VersionJudgement(engine, version, True, True, STATIC,
                                    f"{engine} {version} is a major version and cfn-lint's static data lists "
                                    f"{len(offered_minors)} offered minor version(s) of it (newest "
                                    f"{offered_minors[-1]}); RDS picks the default minor")
        return VersionJudgement(engine, version, True, False, STATIC,
                                f"{engine} {version} is a major version and cfn-lint's static data lists no "
                                "offered minor version of it")
    if version in versions.deprecated:
        return VersionJudgement(engine, version, False, False, STATIC,
                                f"cfn-lint's static data lists {engine} {version} as deprecated "
                                "(no answer from the account for it: judged from cfn-lint's data)")
    if version not in versions.known:
        return VersionJudgement(engine, version, False, False, STATIC,
                                f"cfn-lint's static data has no {engine} {version} "
                                "(no answer from the account for it: judged from cfn-lint's data)")
    return VersionJudgement(engine, version, False, True, STATIC,
                            f"cfn-lint's static data lists {engine} {version} as offered")


def judge_version_findings(findings: Iterable[Finding], stacks: Sequence[Stack],
                           facts: AccountFacts | None) -> list[Finding]:
    """cfn-lint's engine-version findings with the judgement attached; every other finding as it was."""
    by_stack = {s.display_name: s for s in stacks}
    out = []
    for f in findings:
        if f.source is Source.CFN_LINT and f.rule_id in VERSION_RULES:
            judgement = _judge_finding(f, by_stack.get(f.stack), facts)
            if judgement is not None:
                verdict = "RDS accepts it" if judgement.offered else "RDS refuses it"
                f = replace(f, message=f"{f.message} [{verdict}: {judgement.detail}]",
                            evidence={**f.evidence, "engine_version": judgement.as_evidence()})
        out.append(f)
    return out


def _judge_finding(finding: Finding, stack: Stack | None, facts: AccountFacts | None) -> VersionJudgement | None:
    if stack is None or finding.logical_id is None:
        return None
    resource = stack.template.resources.get(finding.logical_id)
    if resource is None or resource.type not in _DATA_MODULE:
        return None
    engine, version = resource.properties.get("Engine"), resource.properties.get("EngineVersion")
    if not isinstance(engine, str) or not isinstance(version, (str, int, float)) or isinstance(version, bool):
        return None  # an intrinsic: cfn-lint judged a resolved value we cannot see
    return judge(resource.type, engine, str(version), facts)


def _version_key(version: str) -> tuple:
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in version.replace("-", ".").split("."))
