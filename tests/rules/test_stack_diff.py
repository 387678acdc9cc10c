"""The deployed-against-synthesized comparison (cdkcheck.updates.stack_diff), and the estimate of an update."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdkcheck.app.assembly import template_from_body
from cdkcheck.template.deploy_duration import estimate_environment
from cdkcheck.template.intrinsics import ResolutionEnv
from cdkcheck.model import Stack
from cdkcheck.updates.stack_diff import Action, Side, compare_versions, diff_stack, keeps_data, name_property

ENV = ResolutionEnv(region="us-east-1", account="123456789012", stack_name="Prod-Data")


def _template(resources: dict, **sections):
    return template_from_body({"Resources": resources, **sections}, Path("t.json"))


def _diff(old: dict, new: dict, *, old_sections=None, new_sections=None, existing=None):
    old_side = Side(_template(old, **(old_sections or {})), ENV, existing=existing)
    new_side = Side(_template(new, **(new_sections or {})), ENV)
    return diff_stack("Prod-Data", old_side, new_side)


def _db(**props):
    return {"Type": "AWS::RDS::DBInstance", "Properties": {"Engine": "postgres", "AllocatedStorage": "100", **props}}


def _group(name):
    return {"Type": "AWS::RDS::DBSubnetGroup", "Properties": {"DBSubnetGroupName": name,
                                                              "DBSubnetGroupDescription": "d", "SubnetIds": ["s-1"]}}


def test_identical_resources_are_unchanged_and_a_tag_change_updates_in_place():
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "team", "Value": "a"}]}}
    retagged = {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "team", "Value": "b"}]}}
    diff = _diff({"A": bucket, "B": bucket}, {"A": bucket, "B": retagged})
    assert diff.changes["A"].action is Action.UNCHANGED
    assert diff.changes["B"].action is Action.UPDATE


def test_an_identical_template_is_unchanged_throughout():
    resources = {"Db": _db(DBSubnetGroupName={"Ref": "Group"}), "Group": _group("a")}
    diff = _diff(resources, resources)
    assert {c.action for c in diff.changes.values()} == {Action.UNCHANGED}
    assert set(diff.changes) == {"Db", "Group"}


def test_a_changed_create_only_property_replaces_with_old_and_new_values():
    diff = _diff({"Db": _db(DBSubnetGroupName="sg-a")}, {"Db": _db(DBSubnetGroupName="sg-b")})
    change = diff.changes["Db"]
    assert change.action is Action.REPLACE
    assert [(c.path, c.old, c.new) for c in change.causes] == [("DBSubnetGroupName", "sg-a", "sg-b")]


def test_numbers_written_as_strings_compare_equal():
    diff = _diff({"Db": _db(DBName="app", Port=5432)}, {"Db": _db(DBName="app", Port="5432", AllocatedStorage=200)})
    assert diff.changes["Db"].action is Action.UPDATE


def test_a_ref_to_an_unreplaced_resource_is_the_same_value():
    old = {"Group": _group("a"), "Db": _db(DBSubnetGroupName={"Ref": "Group"})}
    new = {"Group": {**_group("a"), "Properties": {**_group("a")["Properties"], "DBSubnetGroupDescription": "x"}},
           "Db": _db(DBSubnetGroupName={"Ref": "Group"}, AllocatedStorage="200")}
    diff = _diff(old, new)
    assert diff.changes["Group"].action is Action.UPDATE
    assert diff.changes["Db"].action is Action.UPDATE


def test_a_replaced_resource_replaces_what_refers_to_it_through_a_create_only_property():
    old = {"Group": _group("a"), "Db": _db(DBSubnetGroupName={"Ref": "Group"})}
    new = {"Group": _group("b"), "Db": _db(DBSubnetGroupName={"Ref": "Group"})}
    diff = _diff(old, new)
    assert diff.changes["Group"].action is Action.REPLACE
    assert diff.changes["Db"].action is Action.REPLACE
    assert diff.changes["Db"].causes[0].new == "<Ref Group (replaced)>"


def test_an_attribute_of_a_replaced_resource_is_undetermined():
    key = {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": "alias/a", "TargetKeyId": "k"}}
    renamed = {"Type": "AWS::KMS::Alias", "Properties": {"AliasName": "alias/b", "TargetKeyId": "k"}}
    db = _db(KmsKeyId={"Fn::GetAtt": ["Alias", "Arn"]})
    diff = _diff({"Alias": key, "Db": db}, {"Alias": renamed, "Db": db})
    assert diff.changes["Alias"].action is Action.REPLACE
    change = diff.changes["Db"]
    assert change.action is Action.MAY_REPLACE
    assert change.undetermined[0][0] == "KmsKeyId"
    assert "Alias is (or may be) replaced" in change.undetermined[0][1]


def test_a_ref_to_a_resource_that_may_be_replaced_is_undetermined():
    old = {"Group": _group("a"), "Db": _db(DBSubnetGroupName={"Ref": "Group"}, MultiAZ=False)}
    new = {"Group": _group("a"), "Db": _db(DBSubnetGroupName={"Ref": "Group"}, MultiAZ=True),
           "Other": _db(DBSubnetGroupName="x")}
    old["Other"] = _db(DBSubnetGroupName="x", DBName={"Ref": "Db"})
    new["Other"] = _db(DBSubnetGroupName="x", DBName={"Ref": "Db"})
    diff = _diff(old, new)
    assert diff.changes["Db"].action is Action.MAY_REPLACE
    other = diff.changes["Other"]
    assert other.action is Action.MAY_REPLACE
    assert ("DBName", "Db may be replaced by this update, and its physical id with it") in other.undetermined


def test_a_parameter_without_default_is_undetermined_and_a_changed_default_replaces():
    parameters = {"Parameters": {"Name": {"Type": "String"}}}
    same = _diff({"Db": _db(DBName={"Ref": "Name"})}, {"Db": _db(DBName={"Ref": "Name"})},
                 old_sections=parameters, new_sections=parameters)
    assert same.changes["Db"].action is Action.MAY_REPLACE
    assert "no default" in same.changes["Db"].undetermined[0][1]
    changed = _diff({"Db": _db(DBName={"Ref": "Name"})}, {"Db": _db(DBName={"Ref": "Name"})},
                    old_sections={"Parameters": {"Name": {"Type": "String", "Default": "a"}}},
                    new_sections={"Parameters": {"Name": {"Type": "String", "Default": "b"}}})
    assert changed.changes["Db"].action is Action.REPLACE


def test_an_import_compares_by_export_name_and_pseudo_parameters_as_themselves():
    db = _db(DBSubnetGroupName={"Fn::ImportValue": "Network:Group"},
             DBName={"Fn::Sub": "${AWS::StackName}db"})
    assert _diff({"Db": db}, {"Db": {**db, "Properties": {**db["Properties"], "AllocatedStorage": "300"}}}) \
        .changes["Db"].action is Action.UPDATE
    other = _db(DBSubnetGroupName={"Fn::ImportValue": "Network:Other"}, DBName={"Fn::Sub": "${AWS::StackName}db"})
    change = _diff({"Db": db}, {"Db": other}).changes["Db"]
    assert change.action is Action.REPLACE
    assert (change.causes[0].old, change.causes[0].new) == ("<Import Network:Group>", "<Import Network:Other>")


def test_a_changed_type_replaces():
    diff = _diff({"Q": {"Type": "AWS::SQS::Queue"}}, {"Q": {"Type": "AWS::SNS::Topic"}})
    assert diff.changes["Q"].action is Action.REPLACE
    assert diff.changes["Q"].causes[0].path == "Type"


def test_conditional_create_only_may_replace_except_a_dynamodb_key_schema_which_always_does():
    maybe = _diff({"Db": _db(MultiAZ=False)}, {"Db": _db(MultiAZ=True)}).changes["Db"]
    assert maybe.action is Action.MAY_REPLACE and maybe.undetermined[0][0] == "MultiAZ"
    table = {"Type": "AWS::DynamoDB::Table", "Properties": {"KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}
    rekeyed = {"Type": "AWS::DynamoDB::Table", "Properties": {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}}
    assert _diff({"T": table}, {"T": rekeyed}).changes["T"].action is Action.REPLACE


def test_added_removed_and_conditional_resources():
    queue = {"Type": "AWS::SQS::Queue"}
    conditional = {**queue, "Condition": "IsProd"}
    sections = {"Conditions": {"IsProd": {"Fn::Equals": ["a", "b"]}}}
    diff = _diff({"Old": queue, "Maybe": conditional}, {"New": queue, "Maybe": conditional},
                 old_sections=sections, new_sections=sections, existing=frozenset({"Old"}))
    assert diff.changes["Old"].action is Action.REMOVE
    assert diff.changes["New"].action is Action.ADD
    assert "Maybe" not in diff.changes  # created on neither side


@pytest.mark.parametrize("old, new, expected", [
    ("15.4", "14.9", -1), ("8.0.35", "8.0.32", -1), ("8.0", "8.0.35", 0), ("15.4", "16.1", 1),
    ("8.0.mysql_aurora.3.04.0", "8.0.mysql_aurora.3.02.0", -1), ("OpenSearch_2.11", "OpenSearch_2.9", -1),
    ("Elasticsearch_7.10", "OpenSearch_1.0", 1), ("OpenSearch_1.3", "Elasticsearch_7.10", -1), ("7.1", "6.2", -1),
    ("latest", "15", None),
])
def test_engine_versions_compare_by_their_numbers(old, new, expected):
    assert compare_versions(old, new) == expected


def test_policies_that_keep_data_and_cloudformations_defaults():
    assert keeps_data("AWS::RDS::DBInstance", {}, "DeletionPolicy") == (True, "Snapshot (default)")
    assert keeps_data("AWS::RDS::DBInstance", {}, "UpdateReplacePolicy") == (False, "Delete (default)")
    assert keeps_data("AWS::DynamoDB::Table", {"UpdateReplacePolicy": "Snapshot"}, "UpdateReplacePolicy")[0] is False
    assert keeps_data("AWS::DynamoDB::Table", {"DeletionPolicy": "RetainExceptOnCreate"}, "DeletionPolicy")[0]


def test_name_properties_come_from_the_registry_schema():
    assert name_property("AWS::RDS::DBInstance") == "DBInstanceIdentifier"
    assert name_property("AWS::SecretsManager::Secret") == "Name"
    assert name_property("AWS::SQS::Queue") == "QueueName"
    assert name_property("AWS::EC2::VPC") is None


def test_the_estimate_of_an_update_counts_only_what_it_creates_or_replaces():
    body = {"Db": {"Type": "AWS::RDS::DBInstance", "Properties": {}}, "Queue": {"Type": "AWS::SQS::Queue"}}
    stack = Stack(artifact_id="Prod-Data", stack_name="Prod-Data", display_name="Prod-Data", account=None,
                  region=None, template=_template(body))
    first = estimate_environment([stack])
    untouched = estimate_environment([stack], changes={"Prod-Data": {"Db": "unchanged", "Queue": "unchanged"}})
    queue_only = estimate_environment([stack], changes={"Prod-Data": {"Db": "update", "Queue": "replace"}})
    replaced = estimate_environment([stack], changes={"Prod-Data": {"Db": "replace", "Queue": "unchanged"}})
    assert first.total() == pytest.approx(15.5)  # the instance plus the change-set overhead
    assert untouched.total() == 0
    assert queue_only.total() < 2
    assert replaced.total() == first.total()
    assert any("exist already" in note for note in untouched.notes)


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

_scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 300), st.sampled_from(["a", "100", "", "sg-a"]))
_intrinsics = st.sampled_from(["Db", "Group", "Missing", "AWS::Region", "AWS::NoValue", "P"]).map(lambda r: {"Ref": r}) \
    | st.sampled_from(["Db", "Group", "Nope"]).map(lambda r: {"Fn::GetAtt": [r, "Arn"]}) \
    | st.just({"Fn::ImportValue": {"Fn::Sub": "${AWS::StackName}-x"}}) \
    | st.just({"Fn::Sub": "${Group}-${Db.Arn}-${P}"}) \
    | st.integers(-1, 3).map(lambda i: {"Fn::Select": [i, {"Fn::GetAZs": ""}]}) \
    | st.just({"Fn::If": ["C", "a", {"Ref": "AWS::NoValue"}]})
_values = st.recursive(_scalars | _intrinsics, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
    st.sampled_from(["DBSubnetGroupName", "KmsKeyId", "AllocatedStorage", "Engine", "EngineVersion", "Key", "Tags",
                     "DBInstanceIdentifier", "MultiAZ", "KeySchema", "BucketName"]), inner, max_size=3), max_leaves=8)
_properties = st.dictionaries(st.sampled_from(["DBSubnetGroupName", "KmsKeyId", "AllocatedStorage", "EngineVersion",
                                               "DBInstanceIdentifier", "MultiAZ", "DeletionProtection", "Tags"]),
                              _values, max_size=4)
_types = st.sampled_from(["AWS::RDS::DBInstance", "AWS::RDS::DBSubnetGroup", "AWS::S3::Bucket", "Custom::X"])
_templates = st.dictionaries(st.sampled_from(["Db", "Group", "Other"]),
                             st.fixed_dictionaries({"Type": _types, "Properties": _properties}), max_size=3)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(old=_templates, new=_templates)
def test_the_comparison_never_raises(old, new):
    sections = {"Parameters": {"P": {"Type": "String"}}, "Conditions": {"C": {"Fn::Equals": [{"Ref": "P"}, "x"]}}}
    diff = _diff(old, new, old_sections=sections, new_sections=sections)
    assert set(diff.changes) == set(old) | set(new)
    for lid in diff.changes:
        diff.old_values(lid), diff.new_values(lid)
