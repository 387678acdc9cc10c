"""CDKC-P3: a log group encrypted with a KMS key whose key policy does not let CloudWatch Logs use it.

CloudWatch Logs encrypts with the key as the service principal logs.REGION.amazonaws.com, which
only the key policy can allow (the account-root statement delegates to IAM policies, and a
service principal has none). CDK does not add that statement when a log group gets a key.
"""

from __future__ import annotations

import fnmatch
from typing import Any, Iterator, Mapping

from cdkcheck.template.intrinsics import resolve, resource_exists
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined, Violation
from cdkcheck.template.iam_policies import reference_in
from cdkcheck_rules.permissions.common import stack_env

DOCS = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html"
# The operations CloudWatch Logs performs with the key for a log group (the guide's statement also
# allows kms:ReEncrypt* and kms:Describe*).
NEEDED = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey")

META = RuleMeta(
    id="CDKC-P3",
    name="log-group-key-policy",
    summary="A CloudWatch Logs log group is encrypted with a KMS key of the stack whose key policy does not allow "
            "the CloudWatch Logs service principal to use it.",
    severity=Severity.ERROR,
    resource_types=("AWS::Logs::LogGroup",),
    rationale=(
        "CloudWatch Logs checks the key when the log group is created and fails the create: 'The specified KMS "
        "key does not exist or is not allowed to be used with Arn ...' (aws/aws-cdk#28304). Only a key policy "
        "statement naming the service principal logs.REGION.amazonaws.com (or '*') with kms:Encrypt*, "
        "kms:Decrypt* and kms:GenerateDataKey* lets it: the default key policy's account-root statement "
        "delegates to IAM policies, which a service principal does not have. A key of another stack or account "
        "is UNKNOWN (its policy is not in the template)."
    ),
    docs_url=DOCS,
    fix="Add the CloudWatch Logs statement to the key policy (CDK: key.add_to_resource_policy(iam.PolicyStatement("
        "principals=[iam.ServicePrincipal(f'logs.{region}.amazonaws.com')], actions=['kms:Encrypt*', "
        "'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'], resources=['*'])))",
    example="logs.LogGroup(self, 'Audit', encryption_key=kms.Key(self, 'Key'))",
    facts=(SourcedFact("The key policy must allow logs.REGION.amazonaws.com kms:Encrypt*, kms:Decrypt*, "
                       "kms:ReEncrypt*, kms:GenerateDataKey*, kms:Describe*", DOCS),),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    for stack in ctx.stacks:
        groups = [g for g in stack.template.of_type("AWS::Logs::LogGroup")
                  if isinstance(g.properties, Mapping) and g.properties.get("KmsKeyId")]
        if not groups:
            continue
        env = stack_env(ctx, stack)
        region = env.region
        for group in groups:
            if resource_exists(group, stack.template, env) is False:
                continue
            ref = reference_in(group.properties["KmsKeyId"], stack.template)
            key = ref.resource if ref is not None else None
            if key is None or key.type != "AWS::KMS::Key":
                yield Undetermined(stack, group.logical_id, "the log group's KMS key is not created by this stack: "
                                                            "its key policy is not in the template", required=False)
                continue
            if not region:
                yield Undetermined(stack, group.logical_id, "the region (and so the CloudWatch Logs service "
                                                            "principal) is not known", required=False)
                continue
            policy = resolve(key.properties.get("KeyPolicy"), stack.template, env)
            allowed, denied_by = _allowed(policy, f"logs.{region}.amazonaws.com")
            lacking = [a for a in NEEDED if a not in allowed]
            if denied_by:
                lacking = sorted(set(lacking) | set(denied_by))
            if lacking:
                yield Violation(
                    stack=stack, logical_id=group.logical_id, property_path="KmsKeyId",
                    message=f"the key policy of {key.construct_path or key.logical_id} does not allow "
                            f"logs.{region}.amazonaws.com {', '.join(lacking)}: CloudWatch Logs refuses the log "
                            "group's create ('The specified KMS key ... is not allowed to be used')",
                    evidence={"key": key.logical_id, "service_principal": f"logs.{region}.amazonaws.com",
                              "missing": lacking, "docs": DOCS})


def _allowed(policy: Any, principal: str) -> tuple[set[str], list[str]]:
    """The NEEDED actions the policy allows the service principal, and those a Deny takes away."""
    allowed: set[str] = set()
    denied: list[str] = []
    statements = policy.get("Statement") if isinstance(policy, Mapping) else None
    if isinstance(statements, Mapping):
        statements = [statements]
    for statement in statements if isinstance(statements, list) else []:
        if not isinstance(statement, Mapping) or not _names(statement.get("Principal"), principal):
            continue
        actions = statement.get("Action")
        actions = [actions] if isinstance(actions, str) else \
            [a for a in actions if isinstance(a, str)] if isinstance(actions, list) else []
        covered = {n for n in NEEDED if any(fnmatch.fnmatchcase(n.lower(), a.lower()) for a in actions)}
        if statement.get("Effect", "Allow") == "Deny":
            if not statement.get("Condition"):
                denied.extend(sorted(covered))
        else:
            allowed |= covered
    return allowed - set(denied), denied


def _names(value: Any, principal: str) -> bool:
    if value == "*":
        return True
    if not isinstance(value, Mapping):
        return False
    for kind, names in value.items():
        names = names if isinstance(names, list) else [names]
        if kind == "AWS" and "*" in names:
            return True
        if kind == "Service" and any(n in (principal, "logs.amazonaws.com") for n in names):
            return True
    return False


RULE = Rule(meta=META, evaluate=evaluate)
