"""The intrinsic-function resolver: concrete values where knowable, Unknown with a reason elsewhere."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cdkcheck.template.intrinsics import (
    NO_VALUE,
    AzSlot,
    ResolutionEnv,
    ResourceRef,
    Unknown,
    as_bool,
    as_number,
    condition_value,
    env_for_stack,
    first_unknown,
    follow,
    is_unknown,
    resolve,
    resolve_availability_zone,
    resolve_property,
    resource_exists,
)
from cdkcheck.model import Resource, Stack, Template

US_EAST_1 = ResolutionEnv(region="us-east-1", account="123456789012",
                          availability_zones=("us-east-1a", "us-east-1b", "us-east-1c"))


def make_template(resources: dict | None = None, **sections) -> Template:
    resources = resources or {}
    body = {"Resources": resources, **sections}
    parsed = {
        lid: Resource(logical_id=lid, type=spec["Type"], properties=spec.get("Properties", {}),
                      construct_path=spec.get("Metadata", {}).get("aws:cdk:path"), condition=spec.get("Condition"))
        for lid, spec in resources.items()
    }
    return Template(path=Path("t.json"), body=body, resources=parsed, sha256="0")


SUBNETS = {
    "SubnetA": {"Type": "AWS::EC2::Subnet",
                "Properties": {"AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}, "CidrBlock": "10.0.0.0/24"}},
    "SubnetB": {"Type": "AWS::EC2::Subnet",
                "Properties": {"AvailabilityZone": {"Fn::Select": [1, {"Fn::GetAZs": {"Ref": "AWS::Region"}}]}}},
    "Group": {"Type": "AWS::RDS::DBSubnetGroup",
              "Properties": {"SubnetIds": [{"Ref": "SubnetA"}, {"Ref": "SubnetB"}],
                             "DBSubnetGroupDescription": "x"}},
}


def test_literals_and_numeric_strings():
    t = make_template()
    assert resolve("100", t) == "100"
    assert as_number(resolve("100", t)) == 100
    assert as_number("12.5") == 12.5
    assert as_number("abc") is None and as_number(True) is None and as_number("nan") is None
    assert as_bool("True") is True and as_bool(False) is False and as_bool("yes") is None
    assert resolve({"a": [1, {"b": "c"}]}, t) == {"a": [1, {"b": "c"}]}


def test_parameters_defaults_and_deploy_time_values():
    t = make_template(Parameters={
        "Size": {"Type": "Number", "Default": "100"},
        "Names": {"Type": "CommaDelimitedList", "Default": "a, b,c"},
        "NoDefault": {"Type": "String"},
        "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>",
                             "Default": "/cdk-bootstrap/hnb659fds/version"},
    })
    assert resolve({"Ref": "Size"}, t) == "100"
    assert resolve({"Ref": "Names"}, t) == ["a", "b", "c"]
    assert "deploy time" in resolve({"Ref": "NoDefault"}, t).reason
    bootstrap = resolve({"Ref": "BootstrapVersion"}, t)
    assert is_unknown(bootstrap) and "/cdk-bootstrap/hnb659fds/version" in bootstrap.reason
    assert is_unknown(resolve({"Ref": "Nope"}, t))


def test_pseudo_parameters_known_only_when_given():
    t = make_template()
    assert resolve({"Ref": "AWS::Region"}, t, US_EAST_1) == "us-east-1"
    assert resolve({"Ref": "AWS::AccountId"}, t, US_EAST_1) == "123456789012"
    assert resolve({"Ref": "AWS::Partition"}, t, ResolutionEnv(region="cn-north-1")) == "aws-cn"
    assert resolve({"Ref": "AWS::Partition"}, t, ResolutionEnv(region="us-gov-west-1")) == "aws-us-gov"
    for name in ("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::StackId"):
        assert is_unknown(resolve({"Ref": name}, t)), name
    assert resolve({"Ref": "AWS::NoValue"}, t) is NO_VALUE


def test_no_value_removes_keys_and_list_items():
    t = make_template(Conditions={"Off": {"Fn::Equals": ["a", "b"]}})
    value = {"Keep": 1, "Drop": {"Ref": "AWS::NoValue"},
             "List": [1, {"Fn::If": ["Off", 2, {"Ref": "AWS::NoValue"}]}]}
    assert resolve(value, t) == {"Keep": 1, "List": [1]}
    res = Resource("R", "AWS::X::Y", {"Gone": {"Ref": "AWS::NoValue"}})
    assert resolve_property(res, "Gone", t) is None
    assert resolve_property(res, "Gone", t, default="absent") == "absent"


def test_refs_and_getatts_to_resources_are_followable():
    t = make_template(SUBNETS)
    ids = resolve_property(t.resources["Group"], "SubnetIds", t, US_EAST_1)
    assert ids == [ResourceRef("SubnetA"), ResourceRef("SubnetB")]
    assert follow(ids[0]) is t.resources["SubnetA"]
    assert resolve({"Fn::GetAtt": ["SubnetA", "AvailabilityZone"]}, t) == ResourceRef("SubnetA", "AvailabilityZone")
    assert resolve({"Fn::GetAtt": "SubnetA.CidrBlock"}, t) == ResourceRef("SubnetA", "CidrBlock")
    assert is_unknown(resolve({"Fn::GetAtt": ["Missing", "Arn"]}, t))
    # A resource's physical id inside a string is not knowable before deploy.
    joined = resolve({"Fn::Join": ["-", ["x", {"Ref": "SubnetA"}]]}, t)
    assert is_unknown(joined) and "SubnetA" in joined.reason


def test_select_over_getazs_with_and_without_zone_names():
    t = make_template(SUBNETS)
    a, b = t.resources["SubnetA"], t.resources["SubnetB"]
    assert resolve_property(a, "AvailabilityZone", t, US_EAST_1) == "us-east-1a"
    assert resolve_property(b, "AvailabilityZone", t, US_EAST_1) == "us-east-1b"
    no_zones = ResolutionEnv(region="us-east-1")
    unknown = resolve_property(a, "AvailabilityZone", t, no_zones)
    assert is_unknown(unknown) and "us-east-1" in unknown.reason
    # Without names, the positions still tell two zones apart.
    assert resolve_availability_zone(a.properties["AvailabilityZone"], t, no_zones) == AzSlot(0, "us-east-1")
    assert resolve_availability_zone(b.properties["AvailabilityZone"], t, no_zones) == AzSlot(1, "us-east-1")
    assert resolve_availability_zone("eu-west-1a", t, no_zones) == "eu-west-1a"
    assert is_unknown(resolve({"Fn::Select": [5, {"Fn::GetAZs": ""}]}, t, US_EAST_1))
    assert is_unknown(resolve({"Fn::GetAZs": "eu-west-1"}, t, US_EAST_1))


def test_conditions_and_if():
    t = make_template(
        Parameters={"Env": {"Type": "String", "Default": "prod"}, "Free": {"Type": "String"}},
        Conditions={
            "IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]},
            "IsDev": {"Fn::Not": [{"Condition": "IsProd"}]},
            "Either": {"Fn::Or": [{"Condition": "IsDev"}, {"Condition": "IsProd"}]},
            "Both": {"Fn::And": [{"Condition": "IsDev"}, {"Condition": "IsProd"}]},
            "Free": {"Fn::Equals": [{"Ref": "Free"}, "x"]},
            "FreeOrProd": {"Fn::Or": [{"Condition": "Free"}, {"Condition": "IsProd"}]},
            "FreeAndDev": {"Fn::And": [{"Condition": "Free"}, {"Condition": "IsDev"}]},
            "FreeAndProd": {"Fn::And": [{"Condition": "Free"}, {"Condition": "IsProd"}]},
            "Loop": {"Condition": "Loop"},
            "Region": {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]},
            "Numbers": {"Fn::Equals": [1, "1"]},
        },
    )
    assert condition_value("IsProd", t) is True
    assert condition_value("IsDev", t) is False
    assert condition_value("Either", t) is True and condition_value("Both", t) is False
    assert is_unknown(condition_value("Free", t))
    assert condition_value("FreeOrProd", t) is True  # one true branch decides an Or
    assert condition_value("FreeAndDev", t) is False  # one false branch decides an And
    assert is_unknown(condition_value("FreeAndProd", t))
    assert is_unknown(condition_value("Loop", t))
    assert is_unknown(condition_value("Region", t)) and condition_value("Region", t, US_EAST_1) is True
    assert condition_value("Numbers", t) is True
    assert resolve({"Fn::If": ["IsProd", 400, 20]}, t) == 400
    unknown = resolve({"Fn::If": ["Free", 400, 20]}, t)
    assert is_unknown(unknown) and "Free" in unknown.reason
    gated = Resource("R", "AWS::X::Y", {}, condition="IsDev")
    assert resource_exists(gated, t) is False
    assert resource_exists(Resource("S", "AWS::X::Y", {}), t) is True


def test_join_sub_split_findinmap_base64():
    t = make_template(
        {"Bucket": {"Type": "AWS::S3::Bucket"}},
        Parameters={"Name": {"Type": "String", "Default": "court"}},
        Mappings={"Sizes": {"prod": {"Storage": 400}}},
    )
    assert resolve({"Fn::Join": ["-", ["a", {"Ref": "Name"}, 3]]}, t) == "a-court-3"
    assert resolve({"Fn::Sub": "${Name}-${AWS::Region}-${!Literal}"}, t, US_EAST_1) == "court-us-east-1-${Literal}"
    assert resolve({"Fn::Sub": ["${X}.${Name}", {"X": {"Fn::Join": ["", ["p", "q"]]}}]}, t) == "pq.court"
    assert is_unknown(resolve({"Fn::Sub": "${Bucket.Arn}/x"}, t))
    assert is_unknown(resolve({"Fn::Sub": "${AWS::Region}"}, t))
    assert resolve({"Fn::Split": [",", "a,b"]}, t) == ["a", "b"]
    assert resolve({"Fn::Select": ["1", {"Fn::Split": [",", "a,b"]}]}, t) == "b"
    assert resolve({"Fn::FindInMap": ["Sizes", "prod", "Storage"]}, t) == 400
    assert is_unknown(resolve({"Fn::FindInMap": ["Sizes", "dev", "Storage"]}, t))
    assert resolve({"Fn::Base64": "hi"}, t) == "aGk="
    assert is_unknown(resolve({"Fn::Transform": {}}, t))


def test_cidr():
    t = make_template()
    assert resolve({"Fn::Cidr": ["10.0.0.0/16", 3, 8]}, t) == ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24"]
    assert resolve({"Fn::Select": [2, {"Fn::Cidr": ["10.0.0.0/24", "4", "4"]}]}, t) == "10.0.0.32/28"
    assert is_unknown(resolve({"Fn::Cidr": ["10.0.0.0/28", 2, 8]}, t))  # /24s do not fit in a /28
    assert is_unknown(resolve({"Fn::Cidr": ["not-a-cidr", 2, 8]}, t))
    assert is_unknown(resolve({"Fn::Cidr": ["10.0.0.0/30", 256, 0]}, t))  # only 4 /32s in a /30


def test_import_value_unknown_unless_exporting_stack_is_checked():
    t = make_template({"G": {"Type": "AWS::RDS::DBSubnetGroup"}})
    imported = resolve({"Fn::ImportValue": "Net:Subnet1"}, t)
    assert is_unknown(imported) and "another stack" in imported.reason

    network = make_template(
        {"Sub1": {"Type": "AWS::EC2::Subnet", "Properties": {"AvailabilityZone": "us-east-1b"}}},
        Outputs={"Out": {"Value": {"Ref": "Sub1"}, "Export": {"Name": {"Fn::Sub": "${AWS::StackName}:Subnet1"}}}},
    )
    net_stack = Stack("Net", "Net", "Net", "1", "us-east-1", network)
    data_stack = Stack("Data", "Data", "Data", "1", "us-east-1", t)
    env = env_for_stack(data_stack, stacks=(net_stack, data_stack))
    ref = resolve({"Fn::ImportValue": "Net:Subnet1"}, t, env)
    assert ref == ResourceRef("Sub1") and follow(ref) is network.resources["Sub1"]
    assert is_unknown(resolve({"Fn::ImportValue": "Other:Subnet1"}, t, env))


def test_first_unknown_finds_nested_unknowns():
    assert first_unknown([1, {"a": Unknown("why")}]) == Unknown("why")
    assert first_unknown({"a": [1, 2]}) is None
    assert not Unknown("x")  # never truthy


# ------------------------------------------------------------- totality

_FUNCTION_NAMES = ["Ref", "Fn::If", "Fn::Select", "Fn::GetAZs", "Fn::Join", "Fn::Split", "Fn::Sub", "Fn::GetAtt",
                   "Fn::ImportValue", "Fn::FindInMap", "Fn::Cidr", "Fn::Base64", "Fn::Equals", "Fn::And", "Fn::Or",
                   "Fn::Not", "Condition", "Fn::Bogus"]
_scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 300), st.floats(allow_nan=True),
                     st.sampled_from(["", "SubnetA", "Group", "IsProd", "AWS::Region", "AWS::NoValue", "${SubnetA}",
                                      "10.0.0.0/16", "${AWS::Region}", "${!x}", "a,b", "Missing", "Loop"]),
                     st.text(max_size=8))
_nested = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(_FUNCTION_NAMES), children, min_size=1, max_size=1),
        st.dictionaries(st.text(max_size=5), children, max_size=3),
    ),
    max_leaves=25,
)
_FUZZ_TEMPLATE = make_template(
    SUBNETS,
    Parameters={"P": {"Type": "Number", "Default": "3"}, "L": {"Type": "CommaDelimitedList"}},
    Conditions={"IsProd": {"Fn::Equals": ["a", "a"]}, "Loop": {"Condition": "Loop"}, "Bad": [1, 2]},
    Mappings={"M": {"a": {"b": [1]}}},
)


@settings(max_examples=400, deadline=None)
@given(value=_nested, with_env=st.booleans())
def test_resolve_is_total(value, with_env):
    env = US_EAST_1 if with_env else ResolutionEnv()
    result = resolve(value, _FUZZ_TEMPLATE, env)
    first_unknown(result)
    resolve_availability_zone(value, _FUZZ_TEMPLATE, env)
    res = Resource("X", "AWS::X::Y", {"A": value, "B": {"C": value}})
    resolve_property(res, "A", _FUZZ_TEMPLATE, env)
    resolve_property(res, "B.C.D", _FUZZ_TEMPLATE, env)
    condition_value("Bad", _FUZZ_TEMPLATE, env)


def test_resolve_survives_pathological_depth():
    deep: object = "x"
    for _ in range(500):
        deep = {"Fn::Select": [0, [deep]]}
    assert is_unknown(resolve(deep, _FUZZ_TEMPLATE))
    malformed_body = Template(path=Path("x"), body={"Resources": {}, "Parameters": ["odd"], "Conditions": "odd"},
                              resources={}, sha256="0")
    assert is_unknown(resolve({"Ref": "P"}, malformed_body))
    assert is_unknown(condition_value("C", malformed_body))


def test_nested_stack_parameters_follow_the_parent():
    parent = make_template({
        "Sub1": {"Type": "AWS::EC2::Subnet", "Properties": {"AvailabilityZone": "us-east-1c"}},
        "Child": {"Type": "AWS::CloudFormation::Stack",
                  "Properties": {"Parameters": {"SubnetParam": {"Ref": "Sub1"}, "Size": "40",
                                                "Ids": {"Fn::Join": [",", ["subnet-1", "subnet-2"]]}}}},
    })
    child = make_template(
        {"G": {"Type": "AWS::RDS::DBSubnetGroup"}},
        Parameters={"SubnetParam": {"Type": "String"}, "Size": {"Type": "Number", "Default": "20"},
                    "Ids": {"Type": "List<AWS::EC2::Subnet::Id>"}, "Free": {"Type": "String"}},
    )
    parent_stack = Stack("Parent", "Parent", "Parent", "1", "us-east-1", parent)
    child_stack = Stack("Parent/Child", "Parent-Child", "Parent/Child", "1", "us-east-1", child, parent="Parent")
    env = env_for_stack(child_stack, stacks=(parent_stack, child_stack))
    ref = resolve({"Ref": "SubnetParam"}, child, env)
    assert ref == ResourceRef("Sub1") and follow(ref) is parent.resources["Sub1"]
    assert resolve({"Ref": "Size"}, child, env) == "40"  # the passed value wins over the Default
    assert resolve({"Ref": "Ids"}, child, env) == ["subnet-1", "subnet-2"]
    assert is_unknown(resolve({"Ref": "Free"}, child, env))
    # Without the parent among the stacks, the parameter is a deploy-time value.
    assert is_unknown(resolve({"Ref": "SubnetParam"}, child, env_for_stack(child_stack)))
