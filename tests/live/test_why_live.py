"""`cdkcheck why` against a moto server: the stack found by name (a deleted one by its stack id through
ListStacks), its template read by stack id, its events paged back to the operation's start.

moto records only a stack's own events (never its resources') and cannot fail a create or an update and
roll it back, so the failure streams of fixtures/why are served by a Stubber for DescribeStackEvents
only, under the stack ids moto gave; DescribeStacks, ListStacks and GetTemplate, and the events of the
stack that never failed, are moto's own. The checks `why` re-runs with the account run against moto too.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from moto_account import PartialStubber
from typer.testing import CliRunner

from cdkcheck.cli.main import app

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
WHY = REPO / "fixtures" / "why"
ASSEMBLY = WHY / "cdk.out"
APP = REPO / "fixtures" / "apps" / "incidents"
PAGE = 25


def _deploy(account, stack: str, body: dict | None = None) -> str:
    """The stack created in moto from the app's template (moto resolves the bootstrap version parameter)."""
    ssm = account.client("ssm")
    try:
        ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="30", Type="String")
    except ssm.exceptions.ParameterAlreadyExists:
        pass
    body = body or json.loads((ASSEMBLY / f"{stack}.template.json").read_text())
    return account.client("cloudformation").create_stack(StackName=stack, TemplateBody=json.dumps(body),
                                                         Capabilities=["CAPABILITY_IAM"])["StackId"]


def _stream(name: str, stack_id: str, *, renamed: dict[str, str] | None = None) -> list[dict]:
    """A fixture stream (newest first) under the stack id moto gave, timestamps as the API parses them."""
    text = (WHY / name).read_text()
    for old, new in (renamed or {}).items():
        text = text.replace(old, new)
    events = json.loads(text)["StackEvents"]
    old_id = events[0]["StackId"]
    for event in events:
        event["StackId"] = stack_id if event["StackId"] == old_id else event["StackId"]
        if event["PhysicalResourceId"] == old_id:
            event["PhysicalResourceId"] = stack_id
        event["Timestamp"] = datetime.fromisoformat(event["Timestamp"])
    return events


def _serve_events(monkeypatch, streams: dict[str, list[dict]], error: tuple[str, str] | None = None) -> list:
    """DescribeStackEvents answered in pages of PAGE from these streams (stack id -> events newest first)."""
    from cdkcheck.facts.live import stack_history

    opened = stack_history.open_history
    stubbers = []

    def open_with_stubs(*args, **kwargs):
        reader = opened(*args, **kwargs)
        stubber = PartialStubber(reader.client)
        if error is not None:
            stubber.stub_error("describe_stack_events", error[0], error[1])
        for stack_id, events in streams.items():
            pages = [events[i:i + PAGE] for i in range(0, len(events), PAGE)]
            for number in reversed(range(len(pages))):  # a page asked for by its token matches before the first
                params = {"StackName": stack_id, **({"NextToken": f"page-{number}"} if number else {})}
                response = {"StackEvents": pages[number],
                            **({"NextToken": f"page-{number + 1}"} if number + 1 < len(pages) else {})}
                stubber.stub("describe_stack_events", response, params)
        stubber.activate()
        stubbers.append(stubber)
        return reader

    monkeypatch.setattr(stack_history, "open_history", open_with_stubs)
    return stubbers


def _why(*args: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(app, ["why", *args, "-q", "--format", "json"])
    start = result.stdout.find("{")
    return result.exit_code, json.loads(result.stdout[start:]) if start >= 0 else {}, result.output


def _called(sent, operation: str) -> int:
    return sum(1 for service, name in sent if service == "cloudformation" and name == operation)


def test_a_create_that_failed_and_rolled_back(aws, monkeypatch, sent_operations, tmp_path):
    account = aws()
    stack_id = _deploy(account, "Incident-SearchNodes")
    events = _stream("search-nodes.events.json", stack_id)
    _serve_events(monkeypatch, {stack_id: events})
    code, report, output = _why("Incident-SearchNodes", "--app", str(tmp_path))  # no app: the deployed template
    assert code == 0, output
    assert report["stack_id"] == stack_id and report["deleted"] is False
    assert report["operation"]["type"] == "CREATE" and report["operation"]["final_status"] == "ROLLBACK_COMPLETE"
    cause = report["root_causes"][0]
    assert (cause["logical_id"], cause["construct_path"]) == ("Logs6819BB44", "Incident-SearchNodes/Logs/Resource")
    assert report["template_source"] == "the deployed template (GetTemplate by stack id)"
    assert ("CDKC-O5", True, "offline") in {(c["rule_id"], c["blocking"], c["checked"]) for c in cause["caught_by"]}
    assert [c["status"] for c in report["checks"]] == ["ran", "ran"]  # offline, then with the (moto) account
    pages = -(-len(events) // PAGE)
    assert _called(sent_operations, "DescribeStackEvents") == pages
    assert _called(sent_operations, "GetTemplate") >= 1 and _called(sent_operations, "DescribeStacks") >= 1


def test_the_same_stack_deleted_afterwards_is_found_by_name_through_its_stack_id(aws, monkeypatch,
                                                                                   sent_operations):
    account = aws()
    stack_id = _deploy(account, "Incident-SearchNodes")
    account.client("cloudformation").delete_stack(StackName="Incident-SearchNodes")
    events = _stream("search-nodes.events.json", stack_id)
    deleting = dict(events[0], EventId="d1", ResourceStatus="DELETE_IN_PROGRESS", ResourceStatusReason="User Initiated",
                    Timestamp=events[0]["Timestamp"] + timedelta(hours=20))
    deleted = dict(deleting, EventId="d2", ResourceStatus="DELETE_COMPLETE",
                   Timestamp=deleting["Timestamp"] + timedelta(seconds=4))
    deleted.pop("ResourceStatusReason")
    _serve_events(monkeypatch, {stack_id: [deleted, deleting, *events]})
    code, report, output = _why("Incident-SearchNodes", "--app", str(APP), "--assembly", str(ASSEMBLY))
    assert code == 0, output
    assert report["stack_id"] == stack_id and report["deleted"] is True
    assert report["events_source"] == f"the account (deleted stack {stack_id})"
    assert any("deleted afterwards" in n for n in report["notes"])
    assert not any("differs" in n for n in report["notes"])  # the app's template is the one deployed
    cause = report["root_causes"][0]
    assert cause["logical_id"] == "Logs6819BB44" and cause["source_location"] == "incidents/search.py:13"
    assert _called(sent_operations, "ListStacks") >= 1


def test_a_nested_stack_failure_is_traced_into_the_nested_stacks_events(aws, monkeypatch):
    account = aws()
    parent = json.loads((ASSEMBLY / "Incident-Nested.template.json").read_text())
    # moto cannot fetch the nested template from the assets bucket: the parent is created without it.
    parent["Resources"] = {k: v for k, v in parent["Resources"].items() if v["Type"] != "AWS::CloudFormation::Stack"}
    parent.pop("Outputs", None)
    stack_id = _deploy(account, "Incident-Nested", parent)
    nested_old = json.loads((WHY / "nested-data.events.json").read_text())["StackEvents"][0]["StackId"]
    nested_id = nested_old.replace(":123456789012:", f":{account.account}:")
    streams = {stack_id: _stream("nested.events.json", stack_id, renamed={nested_old: nested_id}),
               nested_id: _stream("nested-data.events.json", nested_id)}
    _serve_events(monkeypatch, streams)
    code, report, output = _why("Incident-Nested", "--app", str(APP), "--assembly", str(ASSEMBLY))
    assert code == 0, output
    assert any("the app's template differs from the one this create deployed" in n for n in report["notes"])
    cause = report["root_causes"][0]
    assert cause["logical_id"] == "LedgerSubnetGroupEFA36635"
    assert cause["nested_in"] == ["DataNestedStackDataNestedStackResourceEC94013D"]
    assert cause["construct_path"] == "Incident-Nested/Data/Ledger/SubnetGroup/Default"
    assert cause["source_location"] == "incidents/nested.py:12"
    assert "CDKC-R6" in {c["rule_id"] for c in cause["caught_by"] if c["blocking"]}
    assert "EventsD32975C2" in report["in_progress_at_rollback"]


def test_an_update_that_failed_and_rolled_back_is_caught_with_the_account(aws, monkeypatch, sent_operations):
    account = aws()
    before = json.loads((ASSEMBLY / "Incident-Rename.template.json").read_text())
    table = before["Resources"]["OrdersA9B65338"]["Properties"]
    table["KeySchema"][0]["AttributeName"] = table["AttributeDefinitions"][0]["AttributeName"] = "orderId"
    stack_id = _deploy(account, "Incident-Rename", before)
    events = _stream("rename-update.events.json", stack_id)
    _serve_events(monkeypatch, {stack_id: events})
    code, report, output = _why("Incident-Rename", "--app", str(APP), "--assembly", str(ASSEMBLY))
    assert code == 0, output
    assert report["operation"]["type"] == "UPDATE"
    assert report["operation"]["final_status"] == "UPDATE_ROLLBACK_COMPLETE"
    cause = report["root_causes"][0]
    assert cause["logical_id"] == "OrdersA9B65338" and cause["matched_rule"] == "CDKC-U1"
    # The deployed table (orderId) against the app's (customerId): only the account can tell.
    assert ("CDKC-U1", True, "live") in {(c["rule_id"], c["blocking"], c["checked"]) for c in cause["caught_by"]}
    assert not [c for c in cause["caught_by"] if c["rule_id"] == "CDKC-U1" and c["checked"] == "offline"]
    # Paging stops at the update's start: the create's page is never asked for.
    assert _called(sent_operations, "DescribeStackEvents") == 1


def test_a_stack_that_never_failed_has_nothing_to_explain(aws):
    account = aws()
    _deploy(account, "Incident-Healthy")
    code, report, output = _why("Incident-Healthy", "--app", str(APP), "--assembly", str(ASSEMBLY))
    assert code == 5, output
    assert report["operation"] is None and report["root_causes"] == []
    assert report["nothing_to_explain"] == "the last operation (CREATE) ended CREATE_COMPLETE: nothing failed"


def test_a_stack_never_created_has_its_own_exit_code(aws):
    aws()
    result = CliRunner().invoke(app, ["why", "Incident-Nowhere", "-q"])
    assert result.exit_code == 6
    assert "stack 'Incident-Nowhere' does not exist in this account and region" in result.output


@pytest.mark.parametrize("code, message, exit_code, text", [
    ("AccessDenied", "User is not authorized to perform: cloudformation:DescribeStackEvents", 7,
     "access denied for cloudformation:DescribeStackEvents"),
    ("Throttling", "Rate exceeded", 8, "was throttled by AWS"),
])
def test_denied_and_throttled_reads_have_their_own_exit_codes(aws, monkeypatch, sent_operations, code, message,
                                                              exit_code, text):
    account = aws()
    _deploy(account, "Incident-Healthy")
    _serve_events(monkeypatch, {}, error=(code, message))
    result = CliRunner().invoke(app, ["why", "Incident-Healthy", "-q"])
    assert result.exit_code == exit_code, result.output
    assert text in result.output and "Traceback" not in result.output
