"""CDKC-P4: an ECS task's execution role may not read the secrets its containers reference.

ECS fetches ContainerDefinitions[].Secrets (and RepositoryCredentials) with the task execution role
when a task starts; without secretsmanager:GetSecretValue / ssm:GetParameters on them every task
stops with ResourceInitializationError, and a service's deploy never stabilizes.
"""

from __future__ import annotations

from typing import Any, Iterator, Mapping

from cdkcheck.template.intrinsics import ResourceRef, resolve, resource_exists
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined, Violation
from cdkcheck.template.iam_policies import reference_in
from cdkcheck_rules.permissions.common import stack_env
from cdkcheck_rules.permissions.support import missing, policy_sources, role_of, role_policies

DOCS = "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html"
SECRET_ACTION = "secretsmanager:GetSecretValue"
PARAMETER_ACTION = "ssm:GetParameters"

META = RuleMeta(
    id="CDKC-P4",
    name="ecs-execution-role-secrets",
    summary="An ECS task definition references secrets (container secrets, private registry credentials) that its "
            "task execution role may not read, or has no execution role at all.",
    severity=Severity.ERROR,
    resource_types=("AWS::ECS::TaskDefinition",),
    rationale=(
        "The ECS agent resolves ContainerDefinitions[].Secrets[].ValueFrom and RepositoryCredentials with the task "
        "execution role when a task starts: without secretsmanager:GetSecretValue (Secrets Manager) or "
        "ssm:GetParameters (Parameter Store) on them every task stops with 'ResourceInitializationError: unable to "
        "pull secrets or registry auth ... AccessDeniedException' (aws/copilot-cli#2641), so an ECS service "
        "created by the same deploy never reaches its desired count and the stack fails or hangs. ECS also "
        "refuses a task definition with secrets and no execution role. CDK grants the read to the execution "
        "role, but silently drops the grant on a role that refuses policy changes (without_policy_updates(), an "
        "imported role). Blocks when a service of the stacks runs the task definition; a warning otherwise."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/secrets-envvar-secrets-manager.html",
    fix="Grant the execution role read on the secret (CDK: secret.grant_read(task_definition.obtain_execution_role()))"
        " or use a role CDK may add policies to.",
    example="ecs.FargateTaskDefinition(..., execution_role=role.without_policy_updates()) with "
            "secrets={'TOKEN': ecs.Secret.from_secrets_manager(secret)}",
    facts=(SourcedFact("The task execution role needs secretsmanager:GetSecretValue / ssm:GetParameters on the "
                       "secrets and parameters containers reference", DOCS),),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    for stack in ctx.stacks:
        tasks = stack.template.of_type("AWS::ECS::TaskDefinition")
        if not tasks:
            continue
        env = stack_env(ctx, stack)
        served = _served(ctx)
        for task in tasks:
            if resource_exists(task, stack.template, env) is False:
                continue
            references = list(_references(task))
            if not references:
                continue
            severity = None if (stack.stack_name, task.logical_id) in served else Severity.WARNING
            execution = task.properties.get("ExecutionRoleArn")
            if not execution:
                yield Violation(stack=stack, logical_id=task.logical_id, property_path="ExecutionRoleArn",
                                message="the task definition references secrets but has no execution role: ECS "
                                        "refuses it ('you must also specify a value for executionRoleArn')",
                                evidence={"references": [p for p, _ in references], "docs": DOCS})
                continue
            role = role_of(execution, stack, env)
            if isinstance(role, str):
                yield Undetermined(stack, task.logical_id, f"the task reads secrets and {role}", required=False)
                continue
            policies = role_policies(role, stack.template, env)
            for path, value in references:
                target, action = _target(value, stack, env)
                if action is None:
                    yield Undetermined(stack, task.logical_id, f"{path}: {target}", required=False)
                    continue
                _, denied, unsure = missing(policies, (action,), target, stack)
                if denied:
                    shown = target.logical_id if isinstance(target, ResourceRef) else target
                    yield Violation(
                        stack=stack, logical_id=task.logical_id, property_path=path, severity=severity,
                        message=f"the execution role {role.construct_path or role.logical_id} may not {action} on "
                                f"{shown}, which {path} references: every task stops with "
                                "'ResourceInitializationError: unable to pull secrets or registry auth'",
                        evidence={"role": role.logical_id, "action": action, "secret": str(shown),
                                  "policies": policy_sources(policies), "docs": DOCS})
                elif unsure:
                    yield Undetermined(stack, task.logical_id, f"{path}: {'; '.join(unsure)}", required=False)


def _references(task: Resource) -> Iterator[tuple[str, Any]]:
    containers = task.properties.get("ContainerDefinitions") if isinstance(task.properties, Mapping) else None
    for index, container in enumerate(containers if isinstance(containers, list) else []):
        if not isinstance(container, Mapping):
            continue
        secrets = container.get("Secrets")
        for number, secret in enumerate(secrets if isinstance(secrets, list) else []):
            if isinstance(secret, Mapping) and secret.get("ValueFrom"):
                yield f"ContainerDefinitions[{index}].Secrets[{number}].ValueFrom", secret["ValueFrom"]
        credentials = container.get("RepositoryCredentials")
        if isinstance(credentials, Mapping) and credentials.get("CredentialsParameter"):
            yield (f"ContainerDefinitions[{index}].RepositoryCredentials.CredentialsParameter",
                   credentials["CredentialsParameter"])


def _target(value: Any, stack: Stack, env) -> tuple[Any, str | None]:
    """(what the role must be allowed on, the action) for a ValueFrom; (reason, None) when unknown."""
    ref = reference_in(value, stack.template)
    if ref is not None and ref.resource is not None:
        if ref.resource.type in ("AWS::SecretsManager::Secret",):
            return ref, SECRET_ACTION
        if ref.resource.type == "AWS::SSM::Parameter":
            return ref, PARAMETER_ACTION
        if ref.resource.type == "AWS::RDS::DBInstance" or ref.resource.type == "AWS::RDS::DBCluster":
            return "an RDS-managed secret (its ARN is known at deploy time)", None
    resolved = resolve(value, stack.template, env)
    if isinstance(resolved, str):
        if ":secretsmanager:" in resolved:
            return ":".join(resolved.split(":")[:7]), SECRET_ACTION  # without a JSON key suffix
        if ":ssm:" in resolved or not resolved.startswith("arn:"):
            return resolved if resolved.startswith("arn:") else resolved, PARAMETER_ACTION
    return "the secret is known only at deploy time", None


def _served(ctx: RuleContext) -> set[tuple[str, str]]:
    """(stack name, task definition logical id) of the task definitions an ECS service of the stacks runs."""
    served: set[tuple[str, str]] = set()
    for stack in ctx.stacks:
        for service in stack.template.of_type("AWS::ECS::Service"):
            ref = reference_in(service.properties.get("TaskDefinition"), stack.template) \
                if isinstance(service.properties, Mapping) else None
            if ref is not None:
                served.add((stack.stack_name, ref.logical_id))
    return served


RULE = Rule(meta=META, evaluate=evaluate)
