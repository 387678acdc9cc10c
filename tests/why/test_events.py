"""Reading describe-stack-events JSON and cutting it into operations."""

from __future__ import annotations

import json

import pytest
from why_support import CASES, WHY
from typer.testing import CliRunner

from cdkcheck.cli.main import app
from cdkcheck.errors import UsageError
from cdkcheck.why.events import load_events_file
from cdkcheck.why.operations import operation_to_explain, slice_operations


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_fixture_is_describe_stack_events_output_newest_first(name):
    for file in CASES[name]["events"]:
        document = json.loads((WHY / file).read_text())
        assert list(document) == ["StackEvents"]
        stamps = [e["Timestamp"] for e in document["StackEvents"]]
        assert stamps == sorted(stamps, reverse=True)
        for event in document["StackEvents"]:
            assert {"StackId", "EventId", "StackName", "LogicalResourceId", "PhysicalResourceId", "ResourceType",
                    "Timestamp", "ResourceStatus"} <= set(event)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_operation_explained_is_the_last_one_unless_a_cleanup_delete(name):
    case = CASES[name]
    events = load_events_file(WHY / case["events"][0])
    choice = operation_to_explain(slice_operations(events))
    if case["operation"] is None:
        assert choice.operation is None and "nothing failed" in choice.why_not
    else:
        assert [choice.operation.type, choice.operation.final_status] == case["operation"]
        assert choice.operation.complete_history


def test_several_operations_are_told_apart_by_the_stacks_own_events():
    deleted = slice_operations(load_events_file(WHY / "platform-deleted.events.json"))
    assert [(o.type, o.final_status) for o in deleted] == [("CREATE", "ROLLBACK_COMPLETE"),
                                                            ("DELETE", "DELETE_COMPLETE")]
    # The automatic rollback has an OperationId of its own; it still belongs to the create.
    assert len({e.operation_id for e in deleted[0].events}) == 2
    renamed = slice_operations(load_events_file(WHY / "rename-update.events.json"))
    assert [(o.type, o.final_status) for o in renamed] == [("CREATE", "CREATE_COMPLETE"),
                                                            ("UPDATE", "UPDATE_ROLLBACK_COMPLETE")]
    choice = operation_to_explain(deleted)
    assert choice.operation is deleted[0] and "deleted afterwards" in choice.notes[0]


def test_a_history_that_begins_inside_an_operation_says_so(tmp_path):
    document = json.loads((WHY / "rds-storage.events.json").read_text())
    document["StackEvents"] = document["StackEvents"][:-5]  # the oldest events, the stack's start among them, lost
    (tmp_path / "cut.json").write_text(json.dumps(document))
    choice = operation_to_explain(slice_operations(load_events_file(tmp_path / "cut.json")))
    assert choice.operation.type == "CREATE" and not choice.operation.complete_history
    assert "missing" in choice.notes[0]


def test_a_stack_deleted_after_a_successful_create_has_nothing_to_explain(tmp_path):
    document = json.loads((WHY / "healthy.events.json").read_text())
    newest = dict(document["StackEvents"][0], ResourceStatus="DELETE_IN_PROGRESS", EventId="a",
                  Timestamp="2026-07-01T00:00:00.000000+00:00", ResourceStatusReason="User Initiated")
    done = dict(newest, ResourceStatus="DELETE_COMPLETE", EventId="b", Timestamp="2026-07-01T00:00:05.000000+00:00")
    done.pop("ResourceStatusReason")
    document["StackEvents"] = [done, newest, *document["StackEvents"]]
    (tmp_path / "deleted.json").write_text(json.dumps(document))
    choice = operation_to_explain(slice_operations(load_events_file(tmp_path / "deleted.json")))
    assert choice.operation is None and "no failure to explain" in choice.why_not


@pytest.mark.parametrize("content, expected", [
    ("", "events file is empty"),
    ("{\"StackEvents\": [", "not valid JSON"),
    ("{\"Stacks\": []}", "no StackEvents list"),
    ("{\"StackEvents\": []}", "holds no stack events"),
    ("{\"StackEvents\": [{\"StackId\": \"x\"}]}", "StackEvents[0] lacks StackName"),
    ("{\"StackEvents\": [7]}", "StackEvents[0] is not an object"),
])
def test_broken_events_files_are_bad_input_naming_the_file(tmp_path, content, expected):
    path = tmp_path / "events.json"
    path.write_text(content)
    with pytest.raises(UsageError) as raised:
        load_events_file(path)
    assert expected in raised.value.message and raised.value.file == str(path) and raised.value.exit_code == 2


def test_the_cli_answers_bad_input_with_one_message_and_exit_2(tmp_path):
    path = tmp_path / "events.json"
    path.write_text("{\"StackEvents\": []}")
    result = CliRunner().invoke(app, ["why", "Incident-Cache", "--events", str(path), "--offline",
                                      "--app", str(tmp_path)])
    assert result.exit_code == 2
    assert f"cdkcheck: error: {path}: events file holds no stack events" in result.output
    assert "Traceback" not in result.output
    missing = CliRunner().invoke(app, ["why", "Incident-Cache", "--events", str(tmp_path / "nope.json"),
                                       "--offline", "--app", str(tmp_path)])
    assert missing.exit_code == 2 and "events file not found" in missing.output


def test_events_of_another_stack_are_bad_input(tmp_path):
    result = CliRunner().invoke(app, ["why", "Incident-Other", "--events", str(WHY / "cache.events.json"),
                                      "--offline", "--app", str(tmp_path)])
    assert result.exit_code == 2 and "are of stack Incident-Cache, not 'Incident-Other'" in result.output


def test_offline_without_events_is_bad_input(tmp_path):
    result = CliRunner().invoke(app, ["why", "Incident-Cache", "--offline", "--app", str(tmp_path)])
    assert result.exit_code == 2 and "--offline reads no account" in result.output


def test_nothing_to_explain_has_its_own_exit_code(tmp_path):
    result = CliRunner().invoke(app, ["why", "Incident-Healthy", "--events", str(WHY / "healthy.events.json"),
                                      "--offline", "--app", str(tmp_path)])
    assert result.exit_code == 5, result.output
    assert "nothing to explain: the last operation (UPDATE) ended UPDATE_COMPLETE" in result.output


def test_help_lists_every_exit_code():
    result = CliRunner().invoke(app, ["why", "--help"])
    assert result.exit_code == 0
    for code in ("0 ", "2 ", "4 ", "5 ", "6 ", "7 ", "8 ", "9 ", "130 "):
        assert f"  {code}" in result.output, code


def test_no_credentials_is_an_unreachable_account_with_its_own_exit_code(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    result = CliRunner().invoke(app, ["why", "Incident-Cache", "--app", str(tmp_path), "-q"])
    assert result.exit_code == 9, result.output
    assert "no AWS credentials found" in result.output and "--events FILE" in result.output


def test_a_broken_template_file_is_bad_input_naming_it(tmp_path):
    (tmp_path / "template.json").write_text("{\"Resources\": {\"Db\": ")
    result = CliRunner().invoke(app, ["why", "Incident-Cache", "--app", str(tmp_path), "--template",
                                      str(tmp_path / "template.json"), "--events", str(WHY / "cache.events.json"),
                                      "--offline"])
    assert result.exit_code == 2 and f"{tmp_path / 'template.json'}: template is not valid JSON" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name, newest, suffices", [
    ("healthy.events.json", 6, True),          # the update, from its start: nothing failed, no need for the create
    ("healthy.events.json", 5, False),         # the update's start not read yet
    ("rename-update.events.json", 5, True),    # the failed update from its start
    ("rename-update.events.json", 4, False),
    ("platform-deleted.events.json", 2, False),  # only the cleanup delete: the create before it is unread
    ("platform-deleted.events.json", 200, True),
])
def test_paging_stops_once_the_events_reach_back_far_enough(name, newest, suffices):
    from cdkcheck.why.operations import history_suffices

    events = load_events_file(WHY / name)[-newest:]
    assert history_suffices(slice_operations(events)) is suffices
