"""AWS is only ever read: every call cdkcheck sends is on its read-only list, and the IAM policy matches it.

The autouse `sent_operations` fixture (conftest) records every operation the
sessions cdkcheck creates send in each live test and fails the test on anything
that is not a read; these tests add a full run, the refusal itself, and the policy.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest
from harness import run_live, stack_from

from cdkcheck.facts.live import session as live_session
from cdkcheck.facts.live.session import (READ_ONLY_OPERATIONS, READ_PREFIXES, VALUE_READING_OPERATIONS, WriteRefused,
                                   iam_actions, iam_policy)
from cdkcheck_rules import ALL_RULES

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "rules"


def test_a_full_run_sends_only_reads(aws, sent_operations):
    account = aws("123456789012")
    templates = sorted({p for p in FIXTURES.glob("CDKC-[LP]*/fail*.template.json")})
    stacks = [stack_from(t, account.account, "us-east-1", name=f"{t.parent.name}-{t.stem}") for t in templates]
    run_live([r for r in ALL_RULES if r.meta.needs_live], stacks, account)
    sent = {f"{service}:{operation}" for service, operation in sent_operations}
    assert len(sent) >= 15, sent  # the run really talked to the account
    # the permission and account-setting reads among them
    assert {"iam:ListRoles", "cloudformation:ListExports", "cloudfront:ListDistributions", "apigateway:GetAccount",
            "lambda:GetAccountSettings"} <= sent, sent
    allowed = {f"{s}:{o}" for s, ops in READ_ONLY_OPERATIONS.items() for o in ops}
    assert sent <= allowed
    assert all(op.split(":", 1)[1].startswith(READ_PREFIXES) for op in sent)


def test_a_write_is_refused_before_it_is_sent(aws, sent_operations):
    account = aws()
    session = live_session.new_session(None, "us-east-1")
    client = session.client("ec2")
    vpcs_before = len(account.client("ec2").describe_vpcs()["Vpcs"])
    sent_operations.expected_refusals = {"ec2:CreateVpc"}
    with pytest.raises(WriteRefused, match="ec2:CreateVpc"):
        client.create_vpc(CidrBlock="10.9.0.0/16")
    assert len(account.client("ec2").describe_vpcs()["Vpcs"]) == vpcs_before  # nothing reached the account


def test_a_read_not_on_the_list_is_refused_too(aws, sent_operations):
    aws()
    client = live_session.new_session(None, "us-east-1").client("ec2")
    sent_operations.expected_refusals = {"ec2:DescribeInstances"}  # a read cdkcheck never declared: refused
    with pytest.raises(WriteRefused):
        client.describe_instances()


def test_every_listed_operation_exists_and_reads():
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    for service, operations in READ_ONLY_OPERATIONS.items():
        model = session.client(service).meta.service_model
        for operation in operations:
            assert operation in model.operation_names, f"{service}:{operation} is not a {service} operation"
            assert operation.startswith(READ_PREFIXES), f"{service}:{operation} does not look like a read"


def test_iam_policy_document_lists_exactly_the_actions_used():
    committed = json.loads((REPO / "docs" / "iam-policy.json").read_text())
    assert committed == iam_policy(), "docs/iam-policy.json is stale: regenerate it from iam_policy()"
    actions = committed["Statement"][0]["Action"]
    assert actions == sorted(set(actions)) == iam_actions()
    # apigateway:GET is API Gateway's read action (GetAccount); SimulatePrincipalPolicy only evaluates policies.
    assert all(a.split(":", 1)[1].startswith(("Describe", "Get", "List", "Simulate")) or a == "apigateway:GET"
               for a in actions)


def test_secret_and_parameter_checks_never_read_a_value(aws, sent_operations):
    """CDKC-L10 and CDKC-L6 over secrets that exist: metadata calls only, no value-reading operation."""
    account = aws("123456789012")
    for case in ("CDKC-L10/pass", "CDKC-L6/fail-named"):
        account.seed(json.loads((FIXTURES / f"{case}.seed.json").read_text()))
    stacks = [stack_from(FIXTURES / "CDKC-L10" / "pass.template.json", account.account, "us-east-1", name="Refs",
                         saved=account.saved),
              stack_from(FIXTURES / "CDKC-L6" / "fail-named.template.json", account.account, "us-east-1",
                         name="Named")]
    rules = [r for r in ALL_RULES if r.meta.id in ("CDKC-L10", "CDKC-L6")]
    run = run_live(rules, stacks, account)
    assert run.findings  # the named collisions were found: the calls really happened
    sent = {f"{service}:{operation}" for service, operation in sent_operations}
    assert {"secretsmanager:ListSecrets", "ssm:DescribeParameters"} <= sent
    value_reading = {f"{s}:{o}" for s, ops in VALUE_READING_OPERATIONS.items() for o in ops} | {"ssm:GetParameter"}
    assert not sent & value_reading, sent & value_reading
    assert "not-a-real-secret" not in repr(run.findings)


def test_value_reading_operations_are_never_allowed():
    for service, operations in VALUE_READING_OPERATIONS.items():
        assert not operations & READ_ONLY_OPERATIONS.get(service, frozenset()), service
    assert "secretsmanager:GetSecretValue" not in iam_actions()


@pytest.mark.parametrize("service, call, params", [
    ("secretsmanager", "get_secret_value", {"SecretId": "courtcase/api-key"}),
    ("secretsmanager", "batch_get_secret_value", {"SecretIdList": ["courtcase/api-key"]}),
    ("ssm", "get_parameters", {"Names": ["/courtcase/db-host"], "WithDecryption": True}),
    ("ssm", "get_parameter", {"Name": "/courtcase/db-host", "WithDecryption": True}),
])
def test_reading_a_secret_value_is_refused_before_it_is_sent(aws, sent_operations, service, call, params):
    aws()
    client = live_session.new_session(None, "us-east-1").client(service)
    operation = client.meta.method_to_api_mapping[call]
    sent_operations.expected_refusals = {f"{service}:{operation}"}
    with pytest.raises(WriteRefused, match="secret's value"):
        getattr(client, call)(**params)
