"""Hypothesis strategies for CloudFormation templates as CDK (or a careless hand) might write them.

Two sources: templates built from scratch with property names taken from the
CloudFormation resource schemas cfn-lint ships, and the rule fixtures under
fixtures/rules/ with random parts replaced, so generated input reaches deep into
the rules instead of stopping at the first missing property. Values mix literals,
numeric strings and every intrinsic function, with references that may point at
nothing, at the resource itself, or round in a cycle.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from cdkcheck.app.assembly import load_template
from cdkcheck.errors import AssemblyError
from cdkcheck.model import Stack

REPO = Path(__file__).resolve().parents[2]
RULE_FIXTURES = REPO / "fixtures" / "rules"

EXTRA_TYPES = (
    "AWS::EC2::VPC", "AWS::EC2::Subnet", "AWS::EC2::NatGateway", "AWS::RDS::DBInstance", "AWS::RDS::DBCluster",
    "AWS::RDS::DBSubnetGroup", "AWS::RDS::DBParameterGroup", "AWS::OpenSearchService::Domain",
    "AWS::ElastiCache::ReplicationGroup", "AWS::ECS::Service", "AWS::ElasticLoadBalancingV2::LoadBalancer",
    "AWS::Lambda::Function", "AWS::CloudFormation::Stack", "AWS::SQS::Queue", "AWS::IAM::Role",
    "AWS::SecretsManager::Secret", "Custom::Generated",
)
PSEUDO = ("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix", "AWS::StackName", "AWS::StackId",
          "AWS::NotificationARNs", "AWS::NoValue")
PARAMETER_TYPES = ("String", "Number", "CommaDelimitedList", "List<Number>", "AWS::EC2::Subnet::Id",
                   "List<AWS::EC2::Subnet::Id>", "AWS::SSM::Parameter::Value<String>", "Bogus")
FUNCTIONS = ("Ref", "Fn::GetAtt", "Fn::Sub", "Fn::Join", "Fn::Select", "Fn::Split", "Fn::GetAZs", "Fn::If",
             "Fn::ImportValue", "Fn::FindInMap", "Fn::Cidr", "Fn::Base64", "Fn::Equals", "Fn::And", "Fn::Or",
             "Fn::Not", "Condition", "Fn::Length", "Fn::ToJsonString", "Fn::Bogus")
EXPORT_NAMES = ("Shared-VpcId", "Shared-SubnetIds", "Shared-DbSubnetGroup", "Missing-Export")


def resource_types(rules=()) -> list[str]:
    return sorted({*EXTRA_TYPES, *(t for rule in rules for t in rule.meta.resource_types)})


@lru_cache(maxsize=None)
def schema_properties(resource_type: str) -> tuple[tuple[str, str], ...]:
    """(property name, JSON type) pairs from cfn-lint's copy of the resource schema; () when it has none."""
    try:
        from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

        schema = PROVIDER_SCHEMA_MANAGER.get_resource_schema("us-east-1", resource_type).schema
    except Exception:  # a custom or unknown type: no schema, names are made up instead
        return ()
    found = []
    for name, spec in sorted((schema.get("properties") or {}).items()):
        kind = spec.get("type") if isinstance(spec, dict) else None
        found.append((name, kind if isinstance(kind, str) else "object"))
    return tuple(found)


def scalars() -> st.SearchStrategy:
    return st.one_of(
        st.none(), st.booleans(), st.integers(-3, 70000), st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(["", "true", "False", "100", "20.5", "-1", "1e309", "gp3", "io1", "io2", "standard",
                         "mysql", "postgres", "sqlserver-ex", "aurora-postgresql", "8.0.35", "db.t3.micro",
                         "t3.small.search", "10.0.0.0/16", "10.0.0.0/28", "not-a-cidr", "us-east-1a", "dummy1a",
                         "${AWS::Region}", "${Missing}", "${!Literal}", "a,b,c", "arn:aws:s3:::bucket"]),
        st.text(max_size=12),
    )


# Values are drawn once over placeholder names and bound to a template's own names afterwards:
# building a fresh recursive strategy per template makes generation, not the test, the slow part.
_RESOURCE, _PARAMETER, _CONDITION = "\x00resource", "\x00parameter", "\x00condition"


def _placeholders(kind: str) -> st.SearchStrategy:
    return st.integers(0, 7).map(lambda i: f"{kind}{i}")


def _values() -> st.SearchStrategy:
    names = st.one_of(_placeholders(_RESOURCE), _placeholders(_PARAMETER), st.sampled_from([*PSEUDO, "Nowhere"]))
    condition = st.one_of(_placeholders(_CONDITION), st.just("NoSuchCondition"))
    leaf = st.one_of(
        scalars(),
        st.builds(lambda n: {"Ref": n}, names),
        st.builds(lambda n, a: {"Fn::GetAtt": [n, a]}, names, st.sampled_from(["Arn", "Endpoint.Address", "Bogus"])),
        st.builds(lambda n: {"Fn::GetAtt": f"{n}.Arn"}, names),
        st.builds(lambda n: {"Fn::Sub": "x-${" + n + "}-${AWS::Region}"}, names),
        st.builds(lambda i, r: {"Fn::Select": [i, {"Fn::GetAZs": r}]}, st.integers(-1, 6),
                  st.sampled_from(["", {"Ref": "AWS::Region"}, "eu-west-1", 5])),
        st.builds(lambda c: {"Condition": c}, condition),
        st.builds(lambda e: {"Fn::ImportValue": e}, st.sampled_from(EXPORT_NAMES)),
        st.builds(lambda b, n, s: {"Fn::Cidr": [b, n, s]}, st.sampled_from(["10.0.0.0/16", {"Ref": "Nowhere"}, 7]),
                  st.integers(-1, 300), st.integers(-1, 40)),
    )
    return st.recursive(
        leaf,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.sampled_from(FUNCTIONS), children, min_size=1, max_size=1),
            st.builds(lambda c, a, b: {"Fn::If": [c, a, b]}, condition, children, children),
            st.builds(lambda sep, items: {"Fn::Join": [sep, items]}, st.sampled_from(["", ",", "-"]),
                      st.lists(children, max_size=3)),
            st.dictionaries(st.text(min_size=1, max_size=10), children, max_size=3),
        ),
        max_leaves=12,
    )


VALUES = _values()


def bind(value: Any, ids: list[str], parameters: list[str], conditions: list[str]) -> Any:
    """Replace placeholder names (also inside Fn::Sub strings) with the template's own names."""
    if isinstance(value, dict):
        return {bind(k, ids, parameters, conditions): bind(v, ids, parameters, conditions) for k, v in value.items()}
    if isinstance(value, list):
        return [bind(v, ids, parameters, conditions) for v in value]
    if isinstance(value, str) and "\x00" in value:
        for kind, names in ((_RESOURCE, ids), (_PARAMETER, parameters), (_CONDITION, conditions)):
            for i in range(7, -1, -1):
                value = value.replace(f"{kind}{i}", names[i % len(names)] if names else "Nowhere")
    return value


@st.composite
def template_bodies(draw, rules=()) -> dict:
    """A template from scratch: a few resources of the rules' types with schema-named properties."""
    count = draw(st.integers(1, 6))
    types = draw(st.lists(st.sampled_from(resource_types(rules)), min_size=count, max_size=count))
    ids = [f"{t.split('::')[-1]}{i}" for i, t in enumerate(types)]
    parameters = {f"Param{i}": {"Type": draw(st.sampled_from(PARAMETER_TYPES)),
                                **({"Default": draw(scalars())} if draw(st.booleans()) else {})}
                  for i in range(draw(st.integers(0, 2)))}
    condition_names = [f"Cond{i}" for i in range(draw(st.integers(0, 2)))]
    value = VALUES.map(lambda v: bind(v, ids, list(parameters), condition_names))
    conditions = {name: draw(st.one_of(
        st.builds(lambda a, b: {"Fn::Equals": [a, b]}, value, value),
        st.just({"Condition": name}),  # a condition that is its own definition
        value,
    )) for name in condition_names}
    resources = {}
    for logical_id, resource_type in zip(ids, types):
        known = schema_properties(resource_type)
        chosen = draw(st.lists(st.sampled_from(known), max_size=6, unique=True)) if known else []
        properties = {name: draw(value) for name, _ in chosen}
        if draw(st.booleans()):
            properties[draw(st.text(min_size=1, max_size=8))] = draw(value)
        spec: dict[str, Any] = {"Type": resource_type, "Properties": properties,
                                "Metadata": {"aws:cdk:path": f"Generated/{logical_id}/Resource"}}
        if draw(st.booleans()):  # may name itself or another resource that depends back: a cycle
            spec["DependsOn"] = draw(st.one_of(st.sampled_from(ids), st.lists(st.sampled_from([*ids, "Nowhere"]),
                                                                              max_size=3)))
        if condition_names and draw(st.booleans()):
            spec["Condition"] = draw(st.sampled_from(condition_names))
        resources[logical_id] = spec
    body: dict[str, Any] = {"Resources": resources}
    if parameters:
        body["Parameters"] = parameters
    if conditions:
        body["Conditions"] = conditions
    if draw(st.booleans()):
        body["Outputs"] = {f"Out{i}": {"Value": draw(value), "Export": {"Name": draw(st.sampled_from(EXPORT_NAMES))}}
                           for i in range(draw(st.integers(1, 2)))}
    if draw(st.booleans()):
        body["Mappings"] = {"Map": {"Key": {"Value": draw(value)}}}
    return body


# ------------------------------------------------------------------ mutated fixtures


@lru_cache(maxsize=1)
def fixture_templates() -> tuple[tuple[str, str], ...]:
    """Every rule fixture template (name, JSON text), the seeds that reach a rule's deeper branches."""
    found = []
    for path in sorted(RULE_FIXTURES.rglob("*.template.json")):
        try:
            text = path.read_text(encoding="utf-8")
            json.loads(text)
        except (OSError, ValueError):
            continue
        found.append((str(path.relative_to(RULE_FIXTURES)), text))
    return tuple(found)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            out.extend(_paths(inner, (*prefix, key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            out.extend(_paths(inner, (*prefix, index)))
    return out


@st.composite
def mutated_fixture_bodies(draw) -> tuple[str, dict]:
    seeds = fixture_templates()
    name, text = draw(st.sampled_from(seeds))
    body = json.loads(text)
    resources = body.get("Resources") if isinstance(body.get("Resources"), dict) else {}
    ids = list(resources)
    parameters = list(body.get("Parameters") or {}) if isinstance(body.get("Parameters"), dict) else []
    conditions = list(body.get("Conditions") or {}) if isinstance(body.get("Conditions"), dict) else []
    value = VALUES.map(lambda v: bind(v, ids, parameters, conditions))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(body) if len(p) >= 3]  # inside a section, below its entries
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = body
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "replace", "delete", "cycle"]))
        if action == "delete" and isinstance(parent, dict):
            del parent[path[-1]]
        elif action == "cycle" and len(ids) >= 1:
            first, second = draw(st.sampled_from(ids)), draw(st.sampled_from(ids))
            if isinstance(resources.get(first), dict) and isinstance(resources.get(second), dict):
                resources[first]["DependsOn"] = [second]
                resources[second]["DependsOn"] = [first]
        else:
            parent[path[-1]] = draw(value)
    return name, body


# ------------------------------------------------------------------ into the model


def stacks_from_bodies(bodies: list[dict], *, regions: list[str | None], accounts: list[str | None],
                       nest: bool = False) -> list[Stack]:
    """Write each body and read it back through the real template reader, as the pipeline does.

    Bodies the reader rejects (no Resources object, a resource without a Type) are
    dropped: that rejection is the reader failing closed, tested in the corpus.
    With `nest`, a stack becomes the nested stack of the first earlier stack that has
    an AWS::CloudFormation::Stack resource, named as the assembly reader names it.
    """
    stacks: list[Stack] = []
    with tempfile.TemporaryDirectory(prefix="cdkcheck-generated-") as directory:
        for index, body in enumerate(bodies):
            path = Path(directory) / f"Stack{index}.template.json"
            path.write_text(json.dumps(body, allow_nan=True), encoding="utf-8")
            try:
                template = load_template(path)
            except AssemblyError:
                continue
            stack = Stack(artifact_id=f"Stack{index}", stack_name=f"Stack{index}", display_name=f"Stack{index}",
                          account=accounts[index % len(accounts)], region=regions[index % len(regions)],
                          template=template)
            parent = next((s for s in stacks if nest and s.template.of_type("AWS::CloudFormation::Stack")), None)
            if parent is not None:
                holder = parent.template.of_type("AWS::CloudFormation::Stack")[0].logical_id
                stack = replace(stack, artifact_id=f"{parent.artifact_id}/{holder}",
                                display_name=f"{parent.display_name}/{holder}", parent=parent.display_name,
                                account=parent.account, region=parent.region)
            stacks.append(stack)
    return stacks
