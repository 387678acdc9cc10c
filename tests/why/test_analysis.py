"""Root causes, consequences and what was still in progress, from the fixture streams and templates."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from why_support import CASES, WHY

from cdkcheck.why.analysis import analyze
from cdkcheck.why.events import StackEvent, by_stack, load_events_file
from cdkcheck.why.operations import operation_to_explain, slice_operations
from cdkcheck.why.template import dependencies, depends_on


def _analysis(case, assembly):
    events = [e for file in case["events"] for e in load_events_file(WHY / file)]
    grouped = by_stack(events)
    top_id = next(sid for sid, evs in grouped.items() if evs[0].stack_name == case["stack"])
    operation = operation_to_explain(slice_operations(grouped[top_id])).operation
    top = next(s for s in assembly.stacks if s.stack_name == case["stack"])

    def graph_for(path):
        stack = top
        for logical_id in path:
            stack = next(s for s in assembly.stacks if s.artifact_id == f"{stack.artifact_id}/{logical_id}")
        return dependencies(stack.template.body)

    return analyze(operation, graph_for, grouped.get)


@pytest.mark.parametrize("name", sorted(n for n in CASES if CASES[n]["operation"]))
def test_root_causes_and_what_was_cancelled_are_found(name, incidents_assembly):
    case = CASES[name]
    result = _analysis(case, incidents_assembly)
    assert [r.logical_id for r in result.root_causes] == [c["logical_id"] for c in case["root_causes"]]
    assert [list(r.nested_in) for r in result.root_causes] == [c.get("nested_in", []) for c in case["root_causes"]]
    assert [f.logical_id for f in result.in_progress] == case["in_progress_at_rollback"]
    for cause in result.root_causes:
        assert "cancelled" not in cause.event.reason and "The following resource" not in cause.event.reason


def test_the_seed_incident_cancels_rds_and_opensearch_before_the_rollback(incidents_assembly):
    result = _analysis(CASES["platform-create"], incidents_assembly)
    rollback = result.operation.rollback_start
    cancelled = {f.logical_id: f.event for f in result.in_progress}
    for logical_id in ("DatabaseB269D8BB", "Search14E54FC3"):
        assert cancelled[logical_id].reason == "Resource creation cancelled"
        assert cancelled[logical_id].timestamp < rollback.timestamp
    assert cancelled["DatabaseB269D8BB"].resource_type == "AWS::RDS::DBInstance"
    assert cancelled["Search14E54FC3"].resource_type == "AWS::OpenSearchService::Domain"


def _event(logical_id, status, seconds, reason="", resource_type="AWS::Lambda::Function", stack="S"):
    from datetime import datetime, timezone

    return StackEvent(stack_id="arn:aws:cloudformation:us-east-1:123456789012:stack/S/1", stack_name=stack,
                      logical_id=logical_id, resource_type=resource_type, status=status, reason=reason,
                      timestamp=datetime(2025, 1, 1, tzinfo=timezone.utc) + timedelta(seconds=seconds))


def test_a_failure_of_a_resource_waiting_for_one_that_failed_first_is_a_consequence():
    stack = "AWS::CloudFormation::Stack"
    events = [_event("S", "CREATE_IN_PROGRESS", 0, "User Initiated", stack),
              _event("Role", "CREATE_FAILED", 5, "access denied to iam:CreateRole"),
              _event("Fn", "CREATE_FAILED", 6, "The role defined for the function cannot be assumed by Lambda."),
              _event("Other", "CREATE_FAILED", 6, "something else entirely"),
              _event("S", "ROLLBACK_IN_PROGRESS", 7, "The following resource(s) failed to create: [Role, Fn, Other].",
                     stack)]
    body = {"Resources": {"Role": {"Type": "AWS::IAM::Role"},
                          "Fn": {"Type": "AWS::Lambda::Function",
                                 "Properties": {"Role": {"Fn::GetAtt": ["Role", "Arn"]}}},
                          "Other": {"Type": "AWS::SQS::Queue"}}}
    operation = slice_operations(events)[0]
    result = analyze(operation, lambda path: dependencies(body))
    assert [r.logical_id for r in result.root_causes] == ["Role", "Other"]
    assert [(c.failure.logical_id, c.cause) for c in result.consequences] == [("Fn", "Role")]
    # Without the template both stand as causes: nothing says one waited for the other.
    assert [r.logical_id for r in analyze(operation).root_causes] == ["Role", "Fn", "Other"]


def test_a_refused_template_has_the_stack_event_as_its_cause():
    stack = "AWS::CloudFormation::Stack"
    events = [_event("S", "CREATE_IN_PROGRESS", 0, "User Initiated", stack),
              _event("S", "ROLLBACK_IN_PROGRESS", 1, "Template error: instance of Fn::GetAtt references undefined "
                                                    "resource Nope", stack),
              _event("S", "ROLLBACK_COMPLETE", 3, "", stack)]
    result = analyze(slice_operations(events)[0])
    assert [(r.logical_id, r.event.status) for r in result.root_causes] == [("S", "ROLLBACK_IN_PROGRESS")]


def test_a_nested_stack_without_its_events_stays_the_root_cause_and_says_so():
    events = load_events_file(WHY / "nested.events.json")
    result = analyze(operation_to_explain(slice_operations(events)).operation)
    assert [r.logical_id for r in result.root_causes] == ["DataNestedStackDataNestedStackResourceEC94013D"]
    assert "pass them with another --events" in result.notes[0]


def test_dependencies_follow_refs_getatts_subs_and_depends_on():
    body = {"Resources": {
        "A": {"Type": "T"}, "B": {"Type": "T", "DependsOn": "A"},
        "C": {"Type": "T", "Properties": {"X": {"Fn::Sub": "${B.Arn}/x"}}},
        "D": {"Type": "T", "Properties": {"Y": [{"Ref": "C"}, {"Ref": "AWS::Region"}]}},
        "E": {"Type": "T", "Properties": {"Z": {"Fn::GetAtt": "D.Name"}}}}}
    graph = dependencies(body)
    assert graph == {"A": set(), "B": {"A"}, "C": {"B"}, "D": {"C"}, "E": {"D"}}
    assert depends_on(graph, "E", "A") and not depends_on(graph, "A", "E")
