"""Helpers shared by the permission rules. Not a rule itself."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from cdkcheck.template.intrinsics import ResolutionEnv, env_for_stack
from cdkcheck.model import Stack
from cdkcheck.ruleset import RuleContext

_ARN = re.compile(r"^arn:(?P<partition>[^:]+):(?P<service>[^:]*):(?P<region>[^:]*):(?P<account>[^:]*):(?P<rest>.+)$")


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str  # "role/path/name", "user/name", "assumed-role/name/session", "root"

    @property
    def kind(self) -> str:
        return self.resource.split("/", 1)[0] if "/" in self.resource else self.resource

    @property
    def name(self) -> str:
        """The last path segment (a role or user name), or for an assumed role its role name."""
        parts = self.resource.split("/")
        if parts[0] == "assumed-role" and len(parts) >= 2:
            return parts[1]
        return parts[-1]


def parse_arn(text: object) -> Arn | None:
    if not isinstance(text, str):
        return None
    match = _ARN.match(text)
    if not match:
        return None
    return Arn(match["partition"], match["service"], match["region"], match["account"], match["rest"])


def partition_of(region: str | None) -> str:
    if region and region.startswith("cn-"):
        return "aws-cn"
    if region and region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def with_placeholders(arn: str | None, account: str | None, region: str | None) -> str | None:
    """A manifest role ARN with CDK's ${AWS::Partition} / ${AWS::AccountId} / ${AWS::Region} filled in."""
    if not arn:
        return None
    text = arn.replace("${AWS::Partition}", partition_of(region))
    if account:
        text = text.replace("${AWS::AccountId}", account)
    if region:
        text = text.replace("${AWS::Region}", region)
    return None if "${" in text else text


def root_of(stack: Stack, stacks: Iterable[Stack]) -> Stack:
    """The top-level stack a nested stack deploys with (CloudFormation uses the root's role for all)."""
    by_name = {s.display_name: s for s in stacks}
    seen = set()
    while stack.parent is not None and stack.parent in by_name and stack.display_name not in seen:
        seen.add(stack.display_name)
        stack = by_name[stack.parent]
    return stack


def stack_env(ctx: RuleContext, stack: Stack) -> ResolutionEnv:
    return env_for_stack(stack, region=ctx.environment.region, account=ctx.environment.account, stacks=ctx.stacks)


def iter_resources(stacks: Iterable[Stack], *types: str) -> Iterator:
    for stack in stacks:
        for resource in stack.template.of_type(*types):
            yield stack, resource
