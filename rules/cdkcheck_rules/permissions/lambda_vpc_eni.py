"""CDKC-P2: a Lambda function in a VPC whose execution role may not manage network interfaces.

Lambda checks at create that the role can create, describe and delete ENIs. CDK attaches
AWSLambdaVPCAccessExecutionRole only to roles it creates for the function; a role the app
brings itself (role=...) keeps only what the app gives it.
"""

from __future__ import annotations

from typing import Iterator

from cdkcheck.template.intrinsics import resource_exists
from cdkcheck.model import Severity
from cdkcheck.ruleset import Outcome, Rule, RuleContext, RuleMeta, SourcedFact, Undetermined, Violation
from cdkcheck_rules.permissions.common import stack_env
from cdkcheck_rules.permissions.support import missing, policy_sources, role_of, role_policies

DOCS = "https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html#configuration-vpc-permissions"
# What Lambda verifies when it creates a function attached to a VPC.
ENI_ACTIONS = ("ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface")

META = RuleMeta(
    id="CDKC-P2",
    name="lambda-vpc-eni-permissions",
    summary="A Lambda function attached to a VPC runs with an execution role that may not create, describe and "
            "delete network interfaces.",
    severity=Severity.ERROR,
    resource_types=("AWS::Lambda::Function",),
    rationale=(
        "Lambda creates the function's network interfaces with its execution role and checks the permissions when "
        "the function is created: 'The provided execution role does not have permissions to call "
        "CreateNetworkInterface on EC2' fails the create (aws/aws-cdk#23589). CDK adds "
        "AWSLambdaVPCAccessExecutionRole only to the role it creates for a function; a role passed with role= "
        "keeps only the policies the app attaches. The role's inline policies, the AWS::IAM::Policy and "
        "ManagedPolicy resources attached to it and the AWS managed policies it names (their published documents) "
        "are read from the template; another managed policy, a condition or a permissions boundary makes the check "
        "UNKNOWN."
    ),
    docs_url=DOCS,
    fix="Attach the AWS managed policy service-role/AWSLambdaVPCAccessExecutionRole to the role (CDK: "
        "role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("
        "'service-role/AWSLambdaVPCAccessExecutionRole'))), or let CDK create the function's role.",
    example="lambda_.Function(..., vpc=vpc, role=iam.Role(..., managed_policies=[AWSLambdaBasicExecutionRole]))",
    facts=(SourcedFact("A function in a VPC needs ec2:CreateNetworkInterface, ec2:DescribeNetworkInterfaces and "
                       "ec2:DeleteNetworkInterface on its execution role", DOCS),),
)


def evaluate(ctx: RuleContext) -> Iterator[Outcome]:
    for stack in ctx.stacks:
        functions = stack.template.of_type("AWS::Lambda::Function")
        if not functions:
            continue
        env = stack_env(ctx, stack)
        for function in functions:
            vpc = function.properties.get("VpcConfig") if isinstance(function.properties, dict) else None
            if not isinstance(vpc, dict) or not vpc.get("SubnetIds") or \
                    resource_exists(function, stack.template, env) is False:
                continue
            role = role_of(function.properties.get("Role"), stack, env)
            if isinstance(role, str):
                yield Undetermined(stack, function.logical_id, f"the function is in a VPC and {role}",
                                   required=False)
                continue
            policies = role_policies(role, stack.template, env)
            _, denied, unsure = missing(policies, ENI_ACTIONS, "*", stack)
            if denied:
                yield Violation(
                    stack=stack, logical_id=function.logical_id, property_path="VpcConfig",
                    message=f"the function is attached to a VPC, but its role {role.construct_path or role.logical_id} "
                            f"may not {', '.join(denied)}: Lambda refuses the create ('The provided execution role "
                            "does not have permissions to call CreateNetworkInterface on EC2')",
                    evidence={"role": role.logical_id, "denied": denied, "policies": policy_sources(policies),
                              "docs": DOCS})
            elif unsure:
                yield Undetermined(stack, function.logical_id, "whether the function's role may manage network "
                                                               f"interfaces: {'; '.join(unsure)}", required=False)


RULE = Rule(meta=META, evaluate=evaluate)
