"""The update rules over an account that answers from memory: what is undetermined, and what cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

from cdkcheck.app.assembly import template_from_body
from cdkcheck.config import RuleSetting
from cdkcheck.facts.interface import CallerIdentity, DeployedStack, DeployedTemplate, FactUnavailable
from cdkcheck.facts.live.aws_facts import _template_json
from cdkcheck.model import CheckStatus, Stack
from cdkcheck.engine.rule_runner import run_rules
from cdkcheck_rules import ALL_RULES
from cdkcheck.ruleset import EnvironmentInfo, RuleContext

UPDATE_RULES = [r for r in ALL_RULES if r.meta.id.startswith("CDKC-U")]


class Account:
    def __init__(self, deployed: dict | None, *, template_error: str | None = None):
        self._deployed = deployed
        self._error = template_error

    def identity(self):
        return CallerIdentity(account="123456789012", arn="arn:aws:iam::123456789012:role/ci")

    def prefetch(self, questions):
        return None

    def deployed_stack(self, name):
        if self._deployed is None:
            return None
        return DeployedStack(name="Prod-Data", stack_id="arn:stack/Prod-Data/1", status="UPDATE_COMPLETE")

    def deployed_template(self, stack_id):
        if self._error:
            raise FactUnavailable(self._error)
        return DeployedTemplate("Prod-Data", json.dumps({"Resources": self._deployed}))


def _run(deployed, synthesized, **account):
    stack = Stack(artifact_id="Prod-Data", stack_name="Prod-Data", display_name="Prod-Data", account="123456789012",
                  region="us-east-1", template=template_from_body({"Resources": synthesized}, Path("t.json")))
    context = RuleContext(environment=EnvironmentInfo(name="prod", account="123456789012", region="us-east-1"),
                          stacks=(stack,), facts=Account(deployed, **account))
    return run_rules(UPDATE_RULES, context, {r.meta.id: RuleSetting() for r in UPDATE_RULES}, live_required=True)


def _db(**props):
    return {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete",
            "Properties": {"DBInstanceIdentifier": "app-db", "Engine": "postgres", **props}}


def test_a_change_that_may_replace_is_undetermined_without_making_the_run_inconclusive():
    findings, outcomes = _run({"Db": _db(MultiAZ=False)}, {"Db": _db(MultiAZ=True)})
    assert not findings
    unknown = [o for o in outcomes if o.status is CheckStatus.UNKNOWN]
    assert {o.check for o in unknown} == {"rule:CDKC-U1", "rule:CDKC-U5"}
    assert all(not o.required for o in unknown)
    assert all("may be replaced" in o.reason and "MultiAZ" in o.reason for o in unknown)


def test_a_template_that_cannot_be_read_makes_the_update_checks_unknown_and_required():
    findings, outcomes = _run({"Db": _db()}, {"Db": _db()}, template_error="access denied for GetTemplate")
    assert not findings
    assert {(o.status, o.required) for o in outcomes} == {(CheckStatus.UNKNOWN, True)}
    assert all("access denied" in o.reason for o in outcomes)


def test_a_stack_that_does_not_exist_is_not_compared():
    findings, outcomes = _run(None, {"Db": _db()})
    assert not findings and all(o.status is CheckStatus.RAN for o in outcomes)


def test_a_removed_resource_is_reported_under_its_deployed_construct_path():
    table = {"Type": "AWS::DynamoDB::Table", "Metadata": {"aws:cdk:path": "Prod-Data/Orders/Resource"},
             "Properties": {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}
    findings, _ = _run({"Orders": table, "Q": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain"}},
                       {"Q": {"Type": "AWS::SQS::Queue", "DeletionPolicy": "Retain"}})
    assert [(f.rule_id, f.logical_id, f.construct_path) for f in findings] == [
        ("CDKC-U5", "Orders", "Prod-Data/Orders/Resource")]
    assert "removed from the template and its DeletionPolicy is Delete (default)" in findings[0].message


def test_deployed_templates_are_kept_with_literal_secrets_masked():
    body = {"Parameters": {"Pw": {"Type": "String", "NoEcho": "true", "Default": "hunter2hunter2"}},
            "Resources": {"Db": _db(MasterUserPassword="s3cr3t-literal")}}
    kept = json.loads(_template_json(body))
    assert kept["Parameters"]["Pw"]["Default"] == "***"
    assert kept["Resources"]["Db"]["Properties"]["MasterUserPassword"] == "***"
    assert kept["Resources"]["Db"]["Properties"]["DBInstanceIdentifier"] == "app-db"
    assert json.loads(_template_json(json.dumps(body)))["Resources"]["Db"]["Properties"]["Engine"] == "postgres"


def test_a_transform_is_named_as_what_could_not_be_compared():
    function = {"Type": "AWS::Serverless::Function", "Properties": {"CodeUri": "a"}}
    stack = Stack(artifact_id="Prod-Data", stack_name="Prod-Data", display_name="Prod-Data", account="123456789012",
                  region="us-east-1", template=template_from_body(
                      {"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Fn": function}}, Path("t.json")))
    context = RuleContext(environment=EnvironmentInfo(name="prod", account="123456789012", region="us-east-1"),
                          stacks=(stack,), facts=Account({"Fn": function}))
    rule = next(r for r in UPDATE_RULES if r.meta.id == "CDKC-U1")
    _, outcomes = run_rules([rule], context, {}, live_required=True)
    assert [(o.status, o.required) for o in outcomes] == [(CheckStatus.UNKNOWN, False)]
    assert "AWS::Serverless-2016-10-31" in outcomes[0].reason
