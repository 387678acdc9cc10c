"""CDKC-T1: an awsvpc (Fargate) service registers in a target group whose target type is instance."""

from __future__ import annotations

from typing import Iterator

from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined
from cdkcheck.template.intrinsics import ResourceRef, Unknown, follow
from cdkcheck_rules.toolkit import Resolution, violation_or_undetermined

SERVICE = "AWS::ECS::Service"
TASK = "AWS::ECS::TaskDefinition"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"

META = RuleMeta(
    id="CDKC-T1",
    name="ecs-awsvpc-target-type",
    summary="An ECS service whose tasks use the awsvpc network mode is attached to a target group of target "
            "type instance.",
    severity=Severity.ERROR,
    resource_types=(SERVICE, TASK, TARGET_GROUP),
    rationale=(
        "Tasks in awsvpc mode (every Fargate task) get their own network interface and register in a target "
        "group by IP address; ECS refuses a target group of target type 'instance' (the default when TargetType "
        "is left out): 'The provided target group ... has target type instance, which is incompatible with the "
        "awsvpc network mode specified in the task definition.' The service's task definition and target groups "
        "are followed through Refs within the selected stacks; others are not checked."
    ),
    docs_url="https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb.html",
    fix="Create the target group with target_type=TargetType.IP (CDK's ecs_patterns and service.attach_to_* do).",
    example="elbv2.ApplicationTargetGroup(port=80, vpc=vpc) without target_type, given to a FargateService's "
            "load balancer.",
    facts=(
        SourcedFact("awsvpc tasks need target groups of target type ip",
                    "https://docs.aws.amazon.com/AmazonECS/latest/developerguide/alb.html"),
        SourcedFact("the service create fails: 'has target type instance, which is incompatible with the awsvpc "
                    "network mode'", "https://github.com/riboseinc/terraform-aws-ecs-gitlab/issues/5"),
    ),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    resolution = Resolution(ctx)
    for view, service in resolution.resources(SERVICE):
        task_ref = view.prop(service, "TaskDefinition")
        task = follow(task_ref)
        if not isinstance(task_ref, ResourceRef) or task is None or task.type != TASK:
            continue
        task_view = resolution.view_of(task_ref.template) or view
        mode = task_view.text(task, "NetworkMode")
        if isinstance(mode, Unknown):
            yield Undetermined(view.stack, service.logical_id, f"the task's NetworkMode: {mode.reason}", required=False)
            continue
        fargate = "FARGATE" in (task_view.prop(task, "RequiresCompatibilities") or [])
        if mode != "awsvpc" and not (mode is None and fargate):
            continue
        balancers = view.prop(service, "LoadBalancers")
        for index, balancer in enumerate(balancers if isinstance(balancers, list) else []):
            group_ref = balancer.get("TargetGroupArn") if isinstance(balancer, dict) else None
            group = follow(group_ref)
            if not isinstance(group_ref, ResourceRef) or group is None or group.type != TARGET_GROUP:
                continue
            group_view = resolution.view_of(group_ref.template) or view
            target_type = group_view.text(group, "TargetType")
            if isinstance(target_type, Unknown):
                yield Undetermined(view.stack, service.logical_id, f"TargetType of {group.logical_id}: "
                                   f"{target_type.reason}", required=False)
                continue
            if (target_type or "instance") != "instance":
                continue
            yield violation_or_undetermined(
                view, service,
                f"target group {group.construct_path or group.logical_id} has target type instance"
                f"{' (the default)' if target_type is None else ''}, which is incompatible with the awsvpc network "
                "mode of the service's tasks: ECS refuses the service",
                evidence={"target_group": group.logical_id, "target_type": target_type or "instance (default)",
                          "network_mode": mode or "awsvpc (Fargate)"},
                property_path=f"Properties/LoadBalancers/{index}/TargetGroupArn")


RULE = Rule(meta=META, evaluate=evaluate)
