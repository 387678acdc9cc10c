"""CDKC-P1 against a moto account: the deploy and execution roles exist in moto's IAM, their policies are
moto's, and only iam:SimulatePrincipalPolicy (which moto does not serve) is answered by a stand-in.

The stand-in reads the principal's policies back from the moto server (inline, attached customer managed,
the permissions boundary) and decides each action as the policy simulator documents it: an explicit Deny
wins, then an Allow, else an implicit deny; a boundary must allow too; a statement with a condition on a
key the request did not supply reports the key as missing. Its answers are validated against IAM's service
model like any Stubber response.
"""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

from botocore.awsrequest import AWSResponse
from botocore.stub import Stubber
from harness import run_live, stack_from

from cdkcheck_rules.permissions import deploy_role

REPO = Path(__file__).resolve().parents[2]
RDS_TEMPLATE = REPO / "fixtures" / "rules" / "CDKC-R4" / "pass.template.json"
ACCOUNT = "123456789012"
DEPLOY = f"cdk-hnb659fds-deploy-role-{ACCOUNT}-us-east-1"
EXEC = f"cdk-hnb659fds-cfn-exec-role-{ACCOUNT}-us-east-1"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}]})
EVERYTHING = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _policy(*actions, effect="Allow", condition=None):
    statement = {"Effect": effect, "Action": list(actions), "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return {"Version": "2012-10-17", "Statement": [statement]}


class PolicySimulator:
    """Answers SimulatePrincipalPolicy on cdkcheck's own IAM client from the policies moto stores."""

    def __init__(self, iam_client, account):
        self.iam = iam_client  # a seeding client of the same moto account
        self.account = account
        self.requests: list[dict] = []

    def attach(self, facts):
        client = facts.client("iam")
        self._validator = Stubber(client)
        client.meta.events.register_first("before-parameter-build.iam.SimulatePrincipalPolicy", self._keep,
                                          unique_id="test-simulator-params")
        client.meta.events.register_first("before-call.iam.SimulatePrincipalPolicy", self._answer,
                                          unique_id="test-simulator")

    def _keep(self, params, context, **_):
        context["simulate_params"] = dict(params)

    def _answer(self, model, context, **_):
        params = context["simulate_params"]
        self.requests.append(params)
        role = params["PolicySourceArn"].rsplit("/", 1)[-1]
        identity, boundary = self._policies(role)
        supplied = {e["ContextKeyName"] for e in params.get("ContextEntries") or []}
        results = []
        for action in params["ActionNames"]:
            for resource in params.get("ResourceArns") or ["*"]:
                decision, matched, missing = self._decide(identity, action, supplied)
                result = {"EvalActionName": action, "EvalResourceName": resource, "EvalDecision": decision,
                          "MatchedStatements": [{"SourcePolicyId": m} for m in matched],
                          "MissingContextValues": missing}
                if boundary is not None:
                    allowed, _, _ = self._decide(boundary, action, supplied)
                    result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": allowed == "allowed"}
                    if allowed != "allowed" and decision == "allowed":
                        result["EvalDecision"] = "implicitDeny"
                results.append(result)
        response = {"EvaluationResults": results, "IsTruncated": False}
        self._validator._validate_operation_response("SimulatePrincipalPolicy", response)
        return AWSResponse(None, 200, {}, None), response

    def _policies(self, role):
        documents = []
        for name in self.iam.list_role_policies(RoleName=role)["PolicyNames"]:
            documents.append((name, self.iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]))
        for attached in self.iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]:
            documents.append((attached["PolicyName"], self._managed(attached["PolicyArn"])))
        arn = (self.iam.get_role(RoleName=role)["Role"].get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        return documents, ([("boundary", self._managed(arn))] if arn else None)

    def _managed(self, arn):
        version = self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        return self.iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]

    @staticmethod
    def _decide(documents, action, supplied):
        allowed, missing = [], []
        for name, document in documents:
            document = json.loads(document) if isinstance(document, str) else document
            for statement in document["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions):
                    continue
                keys = [k for test in (statement.get("Condition") or {}).values() for k in test]
                if any(k not in supplied for k in keys):
                    missing.extend(k for k in keys if k not in supplied)
                    continue
                if statement["Effect"] == "Deny":
                    return "explicitDeny", [name], []
                allowed.append(name)
        if allowed:
            return "allowed", allowed, []
        return "implicitDeny", [], sorted(set(missing))


def _account(aws, exec_policy=EVERYTHING, deploy_policy=EVERYTHING, boundary=None):
    account = aws(ACCOUNT)
    iam = account.client("iam")
    iam.create_role(RoleName="seed", AssumeRolePolicyDocument=TRUST)  # whose session the tests run as
    iam.put_role_policy(RoleName="seed", PolicyName="Deployer", PolicyDocument=json.dumps(
        _policy("sts:AssumeRole")))
    iam.create_role(RoleName=DEPLOY, AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName=DEPLOY, PolicyName="CliPermissions", PolicyDocument=json.dumps(deploy_policy))
    role = {"RoleName": EXEC, "AssumeRolePolicyDocument": TRUST}
    if boundary is not None:
        role["PermissionsBoundary"] = iam.create_policy(PolicyName="Boundary", PolicyDocument=json.dumps(
            boundary))["Policy"]["Arn"]
    iam.create_role(**role)
    managed = iam.create_policy(PolicyName="ExecutionPolicy", PolicyDocument=json.dumps(exec_policy))["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=EXEC, PolicyArn=managed)
    return account


def _run(account):
    stack = stack_from(RDS_TEMPLATE, ACCOUNT, "us-east-1", name="Data",
                       deploy_role_arn=f"arn:${{AWS::Partition}}:iam::{ACCOUNT}:role/{DEPLOY}",
                       cfn_execution_role_arn=f"arn:${{AWS::Partition}}:iam::{ACCOUNT}:role/{EXEC}")
    simulator = PolicySimulator(account.client("iam"), ACCOUNT)
    run = run_live([deploy_role.RULE], [stack], account, attach=simulator.attach)
    return run, simulator


def test_cdkc_p1_default_bootstrap_is_go(aws):
    run, simulator = _run(_account(aws))
    assert not run.findings and not run.unknown, run.messages()
    asked = {a for r in simulator.requests for a in r["ActionNames"]}
    assert {"rds:CreateDBInstance", "ec2:CreateVpc", "secretsmanager:CreateSecret", "sts:AssumeRole",
            "iam:PassRole"} <= asked  # from the registry schemas, not a table
    # one call per principal question, whatever the number of resources
    assert len(simulator.requests) == 3


def test_cdkc_p1_execution_policy_without_the_create_action_blocks_at_the_database(aws):
    narrow = _policy("ec2:*", "secretsmanager:*", "rds:AddTagsToResource", "rds:Describe*", "rds:CreateDBSubnetGroup", "kms:*",
                    "iam:*")
    run, _ = _run(_account(aws, exec_policy=narrow))
    errors = [f for f in run.findings if f.severity.value == "error"]
    assert [f.logical_id for f in errors] == ["DatabaseB269D8BB"], run.messages()
    assert "rds:CreateDBInstance" in errors[0].message and EXEC in errors[0].message
    assert "no policy allows it" in errors[0].message
    warnings = [f for f in run.findings if f.severity.value == "warning"]
    assert all("rds:" in f.message for f in warnings)  # conditional RDS actions: advisories, not blockers


def test_cdkc_p1_permissions_boundary_that_denies_the_action_blocks(aws):
    # The execution policy allows everything; the boundary leaves out rds:CreateDBInstance.
    boundary = _policy("ec2:*", "secretsmanager:*", "kms:*", "iam:*", "rds:Describe*", "rds:AddTagsToResource",
                       "rds:CreateDBSubnetGroup",
                       "rds:ModifyDBInstance")
    run, _ = _run(_account(aws, boundary=boundary))
    errors = [f for f in run.findings if f.severity.value == "error"]
    assert [f.logical_id for f in errors] == ["DatabaseB269D8BB"], run.messages()
    assert "denied by the permissions boundary" in errors[0].message
    assert errors[0].evidence["allowed_by_boundary"] is False


def test_cdkc_p1_deploy_role_that_cannot_pass_the_execution_role_blocks(aws):
    run, _ = _run(_account(aws, deploy_policy=_policy("cloudformation:*", "s3:*", "ssm:GetParameter")))
    errors = [f for f in run.findings if f.severity.value == "error"]
    assert len(errors) == 1 and "may not pass the CloudFormation execution role" in errors[0].message, \
        run.messages()
    assert errors[0].evidence["action"] == "iam:PassRole"


def test_cdkc_p1_condition_on_an_unknown_context_key_is_unknown(aws):
    conditional = _policy("*", condition={"StringEquals": {"aws:PrincipalTag/team": "data"}})
    run, _ = _run(_account(aws, exec_policy=conditional))
    assert not [f for f in run.findings if f.severity.value == "error"], run.messages()
    assert run.unknown and "aws:PrincipalTag/team" in run.unknown[0].reason


def test_cdkc_p1_a_type_cfn_lint_does_not_know_is_read_from_the_registry(aws, tmp_path):
    """A third-party type's handler permissions come from cloudformation:DescribeType (stubbed: moto lacks it)."""
    template = tmp_path / "Widgets.template.json"
    template.write_text(json.dumps({"Resources": {"Widget": {"Type": "Acme::Widgets::Widget",
                                                             "Properties": {"Name": "w"}}}}))
    schema = {"typeName": "Acme::Widgets::Widget", "handlers": {
        "create": {"permissions": ["acme:CreateWidget", "acme:TagResource"]},
        "delete": {"permissions": ["acme:DeleteWidget"]}}}
    account = _account(aws, exec_policy=_policy("acme:TagResource"))
    stack = stack_from(template, ACCOUNT, "us-east-1", name="Widgets",
                       deploy_role_arn=f"arn:${{AWS::Partition}}:iam::{ACCOUNT}:role/{DEPLOY}",
                       cfn_execution_role_arn=f"arn:${{AWS::Partition}}:iam::{ACCOUNT}:role/{EXEC}")
    simulator = PolicySimulator(account.client("iam"), ACCOUNT)
    stubs = [{"service": "cloudformation", "call": "describe_type",
              "params": {"TypeName": "Acme::Widgets::Widget"},
              "response": {"TypeName": "Acme::Widgets::Widget", "Schema": json.dumps(schema)}}]
    run = run_live([deploy_role.RULE], [stack], account, stubs=stubs, attach=simulator.attach)
    errors = [f for f in run.findings if f.severity.value == "error"]
    assert [f.logical_id for f in errors] == ["Widget"], run.messages()
    assert "acme:CreateWidget" in errors[0].message
    assert errors[0].evidence["actions_from"] == "registry schema (cloudformation:DescribeType)"


def test_cdkc_p1_an_update_needs_the_update_handler_and_a_removal_the_delete_handler(aws, tmp_path):
    """A deployed stack (created in moto): changed resources are simulated with update, removed ones with delete."""
    account = _account(aws, exec_policy=_policy("sqs:*", "sns:CreateTopic", "sns:TagResource",
                                                "sns:GetTopicAttributes", "sns:ListTagsForResource"))
    deployed = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"DelaySeconds": 1}},
                              "Topic": {"Type": "AWS::SNS::Topic"}}}
    account.client("cloudformation").create_stack(StackName="Messaging", TemplateBody=json.dumps(deployed))
    changed = tmp_path / "Messaging.template.json"
    changed.write_text(json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue",
                                                           "Properties": {"DelaySeconds": 5}}}}))
    stack = stack_from(changed, ACCOUNT, "us-east-1", name="Messaging",
                       deploy_role_arn=f"arn:${{AWS::Partition}}:iam::{ACCOUNT}:role/{DEPLOY}",
                       cfn_execution_role_arn=f"arn:${{AWS::Partition}}:iam::{ACCOUNT}:role/{EXEC}")
    simulator = PolicySimulator(account.client("iam"), ACCOUNT)
    run = run_live([deploy_role.RULE], [stack], account, attach=simulator.attach)
    asked = {a for r in simulator.requests for a in r["ActionNames"]}
    assert "sqs:SetQueueAttributes" in asked and "sqs:CreateQueue" not in asked  # update, not create
    assert "sns:DeleteTopic" in asked  # the removed topic
    errors = [f for f in run.findings if f.severity.value == "error"]
    assert [f.logical_id for f in errors] == ["Topic"] and "sns:DeleteTopic" in errors[0].message, run.messages()
