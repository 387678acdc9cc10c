"""The data cdkcheck reasons about: stacks, resources, findings, verdicts.

Plain frozen records. Nothing here renders itself or talks to AWS; reporters
and the engine read these, they never add behaviour to them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Mapping


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "info": 1}[self.value]

    def at_least(self, other: "Severity") -> bool:
        return self.rank >= other.rank


class Source(str, Enum):
    CDKCHECK = "cdkcheck"
    CFN_LINT = "cfn-lint"
    CHECKOV = "checkov"
    CDK = "cdk"
    PREFLIGHT = "cdk-preflight"  # the cdk-preflight rule pack, run by AWS's cloudformation-validate engine


class Verdict(str, Enum):
    GO = "GO"
    NO_GO = "NO-GO"
    INCONCLUSIVE = "INCONCLUSIVE"


class CheckStatus(str, Enum):
    RAN = "ran"
    SKIPPED = "skipped"  # deliberately not run (offline, disabled)
    UNKNOWN = "unknown"  # tried and could not run: never a silent pass


# ---------------------------------------------------------------- templates


@dataclass(frozen=True)
class Resource:
    logical_id: str
    type: str
    properties: Mapping[str, Any]
    construct_path: str | None = None
    depends_on: tuple[str, ...] = ()
    condition: str | None = None
    deletion_policy: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Template:
    """A parsed CloudFormation template; `body` is the JSON as CDK wrote it."""

    path: Path
    body: Mapping[str, Any]
    resources: Mapping[str, Resource]
    sha256: str
    size_bytes: int = 0  # as written: CloudFormation limits the uploaded file's size

    @property
    def parameters(self) -> Mapping[str, Any]:
        return self.body.get("Parameters") or {}

    @property
    def conditions(self) -> Mapping[str, Any]:
        return self.body.get("Conditions") or {}

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.type in types]


@dataclass(frozen=True)
class Annotation:
    """A message CDK attached to a construct during synth (aws:cdk:error/warning/info)."""

    level: Severity
    message: str
    construct_path: str
    stack: str


@dataclass(frozen=True)
class Stack:
    artifact_id: str  # manifest artifact id, unique inside one assembly
    stack_name: str  # the CloudFormation stack name
    display_name: str  # Stage/Stack path as users see it ("Production/Data")
    account: str | None  # None when env-agnostic
    region: str | None
    template: Template
    parent: str | None = None  # display name of the parent, for nested stacks
    requires_bootstrap_version: int | None = None
    bootstrap_version_parameter: str | None = None
    # The roles the CDK CLI deploys with (manifest assumeRoleArn / cloudFormationExecutionRoleArn), CDK's
    # ${AWS::Partition} / ${AWS::AccountId} / ${AWS::Region} placeholders kept; None without the bootstrap roles.
    deploy_role_arn: str | None = None
    cfn_execution_role_arn: str | None = None
    annotations: tuple[Annotation, ...] = ()
    # Construct path -> (file, line) where the user's code created it, when CDK recorded it.
    source_locations: Mapping[str, tuple[str, int]] = field(default_factory=dict)

    @property
    def is_nested(self) -> bool:
        return self.parent is not None

    def construct_path_of(self, logical_id: str | None) -> str | None:
        if logical_id is None:
            return None
        resource = self.template.resources.get(logical_id)
        return resource.construct_path if resource else None


@dataclass(frozen=True)
class MissingContext:
    """An unresolved context lookup listed in the manifest's `missing`."""

    key: str
    provider: str
    props: Mapping[str, Any]


@dataclass(frozen=True)
class Assembly:
    directory: Path
    stacks: tuple[Stack, ...]  # every stack, Stages and nested stacks flattened
    missing_context: tuple[MissingContext, ...] = ()
    validation_reports: tuple[Path, ...] = ()

    def stack(self, display_name: str) -> Stack:
        for s in self.stacks:
            if s.display_name == display_name:
                return s
        raise KeyError(display_name)


# ----------------------------------------------------------------- findings


@dataclass(frozen=True)
class Suppression:
    reason: str
    origin: str  # "config", "metadata", "acknowledge", "cfn-lint", "checkov"
    expires: str | None = None


@dataclass(frozen=True)
class SourceLocation:
    file: str
    line: int | None = None
    kind: str = "source"  # "source" (user's CDK code) or "template"


@dataclass(frozen=True)
class Finding:
    rule_id: str
    source: Source
    severity: Severity
    message: str
    stack: str = ""  # display name; "" for environment-level findings
    logical_id: str | None = None
    construct_path: str | None = None
    property_path: str | None = None
    fix: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    blocking: bool = False
    suppression: Suppression | None = None
    location: SourceLocation | None = None
    # Account-level facts (quota exhaustion) can be reconfigured, never suppressed.
    suppressible: bool = True


@dataclass(frozen=True)
class CheckOutcome:
    """Whether one check ran; UNKNOWN carries the reason it could not."""

    check: str  # e.g. "cfn-lint", "checkov", "live:quotas", "rule:CDKC-R4"
    status: CheckStatus
    reason: str = ""
    required: bool = False  # an UNKNOWN required check makes the verdict INCONCLUSIVE
    stack: str | None = None


@dataclass(frozen=True)
class EnvironmentResult:
    name: str
    verdict: Verdict
    stacks: tuple[str, ...]
    findings: tuple[Finding, ...]
    checks: tuple[CheckOutcome, ...] = ()
    region: str | None = None
    account: str | None = None
    # Free-form facts for reporters (deploy-duration estimate, timings).
    details: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def blocking(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocking and f.suppression is None)

    @property
    def advisories(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if not f.blocking and f.suppression is None)

    @property
    def suppressed(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.suppression is not None)


@dataclass(frozen=True)
class RunResult:
    environments: tuple[EnvironmentResult, ...]

    @property
    def exit_code(self) -> int:
        verdicts = {e.verdict for e in self.environments}
        if Verdict.NO_GO in verdicts:
            return 1
        if Verdict.INCONCLUSIVE in verdicts:
            return 3
        return 0
