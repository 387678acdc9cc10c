"""What updating a deployed stack does to each resource: the deployed template against the synthesized one.

Pure: two templates in, one ResourceChange per logical id out. Which changes replace
a resource comes from the CloudFormation registry schemas cfn-lint ships (a changed
Type or a changed `createOnlyProperties` path replaces; a changed
`conditionalCreateOnlyProperties` path may). A value known only at deploy time (a
parameter without default, an unresolvable condition, an attribute of a resource the
update replaces) leaves the answer undetermined, with the reason: never a guess.

Both templates are resolved the same way (cdkcheck.template.intrinsics), after references are
turned into stable tokens: a Ref to a logical id, a GetAtt, an import, a zone of
Fn::GetAZs and a pseudo parameter mean the same thing in both templates of one stack,
unless the resource they point at is itself replaced (its physical id then changes).
Exports cannot change while another stack imports them, so an import compares by name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from typing import Any, Iterable, Mapping

from cdkcheck.template.intrinsics import NO_VALUE, ResolutionEnv, ResourceRef, Unknown, as_bool, as_number, resolve, \
    references, resource_exists
from cdkcheck.model import Template
from cdkcheck.template.resource_schemas import type_schema

REGISTRY_SOURCE = "CloudFormation registry schema (createOnlyProperties) as cfn-lint ships it"
# A conditionally create-only path the service can never update in place: DynamoDB's UpdateTable takes no key
# schema (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html), so a changed
# KeySchema is a new table.
ALWAYS_REPLACING_CONDITIONAL = {
    ("AWS::DynamoDB::Table", "KeySchema"): "DynamoDB cannot change a table's key schema (UpdateTable has none)",
    ("AWS::DynamoDB::GlobalTable", "KeySchema"): "DynamoDB cannot change a table's key schema (UpdateTable has none)",
}
# Resource types whose replacement or removal loses data, from cfn-lint's StatefulResources.json (rule I3011).
# Nested stacks are compared through their own templates.
NOT_STATEFUL_HERE = {"AWS::CloudFormation::Stack"}
KEEPING_POLICIES = ("Retain", "RetainExceptOnCreate")
_MISSING = object()
MAYBE = "?"  # marks, in a set of replaced logical ids, one that may be replaced


class Action(str, Enum):
    ADD = "add"
    REMOVE = "remove"
    UPDATE = "update"  # in place
    REPLACE = "replace"
    MAY_REPLACE = "may-replace"  # undetermined: see ResourceChange.undetermined
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class ValueChange:
    path: str  # "DBSubnetGroupName", "KeySchema", "Tags/*/Key", or "Type"
    old: Any  # display forms: literals as resolved, references as tokens ("<Ref Subnets>")
    new: Any
    source: str = REGISTRY_SOURCE


@dataclass(frozen=True)
class ResourceChange:
    logical_id: str
    type: str  # the new type (the old one for a removed resource)
    action: Action
    construct_path: str | None  # the new template's aws:cdk:path (the old one's for a removed resource)
    old: Mapping[str, Any] | None = None  # the raw resource entries
    new: Mapping[str, Any] | None = None
    causes: tuple[ValueChange, ...] = ()  # what forces (or may force) the replacement
    undetermined: tuple[tuple[str, str], ...] = ()  # (property path, why it could not be decided)

    @property
    def replaced(self) -> bool:
        return self.action is Action.REPLACE


@dataclass(frozen=True)
class StackDiff:
    stack: str  # display name
    changes: Mapping[str, ResourceChange]  # logical id -> change, removed resources included
    notes: tuple[str, ...] = ()
    old_side: "Side | None" = field(default=None, compare=False, repr=False)
    new_side: "Side | None" = field(default=None, compare=False, repr=False)

    def of(self, *actions: Action) -> list[ResourceChange]:
        return [c for c in self.changes.values() if c.action in actions]

    @property
    def replaced_ids(self) -> frozenset[str]:
        """Replaced logical ids, and "?id" for those that may be replaced (see tokenize)."""
        return frozenset({lid for lid, c in self.changes.items() if c.replaced}
                         | {MAYBE + lid for lid, c in self.changes.items() if c.action is Action.MAY_REPLACE})

    def old_values(self, logical_id: str) -> Any:
        """The deployed resource's properties, resolved (references as tokens)."""
        return resolved_properties(self.old_side, logical_id, frozenset()) if self.old_side else {}

    def new_values(self, logical_id: str) -> Any:
        return resolved_properties(self.new_side, logical_id, self.replaced_ids) if self.new_side else {}

    def actions(self) -> dict[str, str]:
        return {lid: c.action.value for lid, c in self.changes.items()}


@dataclass(frozen=True)
class Side:
    """One template with what resolving it needs, and which of its resources exist."""

    template: Template
    env: ResolutionEnv
    # Logical ids CloudFormation holds (the deployed side): they tell which conditional resources were created.
    existing: frozenset[str] | None = None
    _resolved: dict = field(default_factory=dict, compare=False, repr=False)

    def exists(self, logical_id: str) -> bool:
        resource = self.template.resources.get(logical_id)
        if resource is None:
            return False
        if not resource.condition:
            return True
        if self.existing is not None:
            return logical_id in self.existing
        return resource_exists(resource, self.template, self.env) is not False


# ------------------------------------------------------------------ comparison


def diff_stack(stack: str, old: Side, new: Side) -> StackDiff:
    notes = [f"the template uses the transform {transform}: the resources it generates are known only inside "
             "CloudFormation and are not compared"
             for transform in _transforms(old.template, new.template)]
    old_ids = [lid for lid in old.template.resources if old.exists(lid)]
    new_ids = [lid for lid in new.template.resources if new.exists(lid)]
    old_set, new_set = set(old_ids), set(new_ids)
    common = [lid for lid in new_ids if lid in old_set]
    volatile = _volatile_parameters(old.template, new.template)
    changes: dict[str, ResourceChange] = {}
    for lid in new_ids:
        if lid not in old_set:
            changes[lid] = ResourceChange(lid, new.template.resources[lid].type, Action.ADD, _path(new, lid),
                                          new=_raw(new, lid))
    for lid in old_ids:
        if lid not in new_set:
            changes[lid] = ResourceChange(lid, old.template.resources[lid].type, Action.REMOVE, _path(old, lid),
                                          old=_raw(old, lid))
    if old.template.body == new.template.body and not _referenced(volatile, new.template):
        # The usual case for most stacks: nothing to resolve.
        for lid in common:
            changes[lid] = ResourceChange(lid, new.template.resources[lid].type, Action.UNCHANGED, _path(new, lid),
                                          old=_raw(old, lid), new=_raw(new, lid))
        return StackDiff(stack=stack, changes=changes, notes=tuple(notes), old_side=old, new_side=new)
    replaced: set[str] = set()
    pending = list(common)
    # A replaced resource gets a new physical id, which can in turn replace what refers to it: repeat until stable.
    for _ in range(len(common) + 1):
        for lid in pending:
            changes[lid] = _compare_resource(lid, old, new, frozenset(replaced), volatile)
        newly = ({lid for lid in pending if changes[lid].replaced}
                 | {MAYBE + lid for lid in pending if changes[lid].action is Action.MAY_REPLACE}) - replaced
        if not newly:
            break
        replaced |= newly
        pending = [lid for lid in common if lid not in replaced and _mentions(new, lid, newly)]
    return StackDiff(stack=stack, changes=changes, notes=tuple(notes), old_side=old, new_side=new)


def _compare_resource(lid: str, old: Side, new: Side, replaced: frozenset[str],
                      volatile: frozenset[str] = frozenset()) -> ResourceChange:
    old_raw, new_raw = _raw(old, lid), _raw(new, lid)
    old_type, new_type = old_raw.get("Type"), new_raw.get("Type")
    base = dict(logical_id=lid, type=new_type, construct_path=_path(new, lid), old=old_raw, new=new_raw)
    if old_type != new_type:
        return ResourceChange(action=Action.REPLACE, causes=(ValueChange("Type", old_type, new_type,
                                                                         "a changed resource type"),), **base)
    old_props, new_props = old_raw.get("Properties") or {}, new_raw.get("Properties") or {}
    # The same text means the same values unless it reads a parameter whose value may differ, or a replaced resource.
    if old_props == new_props and not _mentions(new, lid, replaced | volatile):
        same_else = all(old_raw.get(k) == new_raw.get(k) for k in ("DependsOn", "Condition", "DeletionPolicy",
                                                                     "UpdateReplacePolicy"))
        return ResourceChange(action=Action.UNCHANGED if same_else else Action.UPDATE, **base)
    schema = type_schema(new_type)
    if schema is None:
        return ResourceChange(action=Action.UPDATE, undetermined=(
            ("", f"no registry schema for {new_type}: whether the change replaces it is not known"),), **base)
    old_values = resolved_properties(old, lid, frozenset())
    new_values = resolved_properties(new, lid, replaced)
    causes: list[ValueChange] = []
    maybe: list[ValueChange] = []
    undetermined: list[tuple[str, str]] = []
    for path in schema.create_only:
        relation = relate(value_at(old_values, path), value_at(new_values, path))
        if relation is CHANGED:
            causes.append(_value_change(path, old_values, new_values))
        elif isinstance(relation, Unknown):
            undetermined.append((path, relation.reason))
    for path in schema.conditional_create_only:
        relation = relate(value_at(old_values, path), value_at(new_values, path))
        if relation is CHANGED:
            always = ALWAYS_REPLACING_CONDITIONAL.get((new_type, path))
            if always:
                causes.append(_value_change(path, old_values, new_values, always))
            else:
                maybe.append(_value_change(path, old_values, new_values,
                                           "conditionalCreateOnlyProperties: replacement depends on the change"))
                undetermined.append((path, "the registry schema says a change of it may replace the resource, "
                                           "depending on the change"))
        elif isinstance(relation, Unknown):
            undetermined.append((path, relation.reason))
    if causes:
        return ResourceChange(action=Action.REPLACE, causes=tuple(causes), undetermined=tuple(undetermined), **base)
    if undetermined:
        return ResourceChange(action=Action.MAY_REPLACE, causes=tuple(maybe), undetermined=tuple(undetermined),
                              **base)
    return ResourceChange(action=Action.UPDATE, **base)


def _value_change(path: str, old_values: Any, new_values: Any, source: str = REGISTRY_SOURCE) -> ValueChange:
    return ValueChange(path, display(value_at(old_values, path)), display(value_at(new_values, path)), source)


# ------------------------------------------------------------ resolved values


def resolved_properties(side: Side, lid: str, replaced: frozenset[str]) -> Any:
    """The resource's Properties with references as tokens, resolved as far as the template allows."""
    key = (lid, replaced)
    if key not in side._resolved:
        raw = _raw(side, lid).get("Properties") or {}
        side._resolved[key] = resolve(tokenize(raw, side.template, side.env, replaced), side.template, side.env)
    return side._resolved[key]


def tokenize(value: Any, template: Template, env: ResolutionEnv, replaced: frozenset[str] = frozenset()) -> Any:
    """References that mean the same in both templates of a stack, as text the resolver passes through."""
    if isinstance(value, list):
        return [tokenize(v, template, env, replaced) for v in value]
    if not isinstance(value, Mapping):
        return value
    if len(value) == 1:
        key, arg = next(iter(value.items()))
        if key == "Ref" and isinstance(arg, str):
            if arg in template.resources:
                if MAYBE + arg in replaced:
                    return Unknown(f"{arg} may be replaced by this update, and its physical id with it")
                return f"<Ref {arg} (replaced)>" if arg in replaced else f"<Ref {arg}>"
            if arg.startswith("AWS::") and arg != "AWS::NoValue":
                return f"<{arg}>"  # the same stack, account and region on both sides
        if key == "Fn::GetAtt":
            target = _getatt_target(arg)
            if target and target[0] in template.resources:
                if target[0] in replaced or MAYBE + target[0] in replaced:
                    return Unknown(f"{target[0]} is (or may be) replaced: its {target[1]} is known only after the "
                                   "deploy")
                return f"<{target[0]}.{target[1]}>"
        if key == "Fn::ImportValue":
            name = resolve(tokenize(arg, template, env, replaced), template, env)
            if isinstance(name, str):
                return f"<Import {name}>"
        if key == "Fn::GetAZs":
            return ["<AZs>"] if arg in ("", None) or arg == {"Ref": "AWS::Region"} else value
        if key == "Fn::Select" and isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping) \
                and set(arg[1]) == {"Fn::GetAZs"} and as_number(arg[0]) is not None:
            return f"<AZ {as_number(arg[0])}>"  # the same zone as long as the region's zones stay the same
        if key == "Fn::Sub":
            return {"Fn::Sub": _tokenize_sub(arg, template, env, replaced)}
    return {k: tokenize(v, template, env, replaced) for k, v in value.items()}


_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")


def _tokenize_sub(arg: Any, template: Template, env: ResolutionEnv, replaced: frozenset[str]) -> Any:
    text, variables = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
    if not isinstance(text, str):
        return arg
    local = set(variables) if isinstance(variables, Mapping) else set()

    def token(match: re.Match) -> str:
        name = match.group(1)
        if name in local:
            return match.group(0)
        head, _, attribute = name.partition(".")
        if head in template.resources:
            if MAYBE + head in replaced:
                return match.group(0)  # resolves as unknown: known only after the deploy
            if head in replaced:
                return match.group(0) if attribute else f"<Ref {head} (replaced)>"
            return f"<{head}.{attribute}>" if attribute else f"<Ref {head}>"
        if name.startswith("AWS::") and name != "AWS::NoValue":
            return f"<{name}>"
        return match.group(0)

    new_text = _SUB_VARIABLE.sub(token, text)
    if isinstance(variables, Mapping) and variables:
        return [new_text, {k: tokenize(v, template, env, replaced) for k, v in variables.items()}]
    return new_text


def _getatt_target(arg: Any) -> tuple[str, str] | None:
    if isinstance(arg, str) and "." in arg:
        head, attribute = arg.split(".", 1)
        return head, attribute
    if isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, str) for a in arg):
        return arg[0], arg[1]
    return None


def value_at(values: Any, path: str) -> Any:
    """The value at a registry path ("Tags/*/Key"); _MISSING when absent; Unknown when not knowable."""
    current = values
    parts = path.split("/") if path else []
    for index, part in enumerate(parts):
        if isinstance(current, Unknown):
            return current
        if part == "*":
            if not isinstance(current, list):
                return _MISSING
            rest = "/".join(parts[index + 1:])
            return [value_at(item, rest) for item in current]
        if not isinstance(current, Mapping) or part not in current:
            return _MISSING
        current = current[part]
    return current


class _Same:
    def __repr__(self) -> str:
        return "SAME"


class _Changed:
    def __repr__(self) -> str:
        return "CHANGED"


SAME, CHANGED = _Same(), _Changed()


def relate(old: Any, new: Any) -> Any:
    """SAME, CHANGED, or the Unknown that leaves it open. A known difference anywhere decides CHANGED."""
    if old is _MISSING and new is _MISSING:
        return SAME
    unknown = old if isinstance(old, Unknown) else new if isinstance(new, Unknown) else None
    if unknown is None and (isinstance(old, ResourceRef) or isinstance(new, ResourceRef)):
        ref = old if isinstance(old, ResourceRef) else new
        unknown = Unknown(f"{ref.logical_id}{'.' + ref.attribute if ref.attribute else ''} is known only after "
                          "the deploy")
    if unknown is not None:
        return unknown
    if old is _MISSING or new is _MISSING or old is NO_VALUE or new is NO_VALUE:
        present = new if old is _MISSING or old is NO_VALUE else old
        return CHANGED if not _has_unknown(present) else _first_unknown(present)
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return _combine(relate(old.get(k, _MISSING), new.get(k, _MISSING)) for k in {*old, *new})
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return CHANGED
        return _combine(relate(a, b) for a, b in zip(old, new))
    if isinstance(old, (Mapping, list)) or isinstance(new, (Mapping, list)):
        return CHANGED
    return SAME if _scalar(old) == _scalar(new) else CHANGED


def _combine(relations: Iterable[Any]) -> Any:
    unknown = None
    for relation in relations:
        if relation is CHANGED:
            return CHANGED
        if isinstance(relation, Unknown) and unknown is None:
            unknown = relation
    return unknown if unknown is not None else SAME


def _scalar(value: Any) -> str:
    """CloudFormation compares "100" and 100, "true" and true, as the same value."""
    if isinstance(value, bool):
        return str(value).lower()
    number = as_number(value) if isinstance(value, (int, float, str)) else None
    if number is None:
        return str(value)
    return str(int(number)) if float(number).is_integer() else str(number)


def _has_unknown(value: Any) -> bool:
    return _first_unknown(value) is not None


def _first_unknown(value: Any) -> Unknown | None:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, ResourceRef):
        return Unknown(f"{value.logical_id} is known only after the deploy")
    items = value.values() if isinstance(value, Mapping) else value if isinstance(value, list) else ()
    for item in items:
        found = _first_unknown(item)
        if found is not None:
            return found
    return None


def display(value: Any) -> Any:
    """A resolved value as plain data for evidence and messages."""
    if value is _MISSING or value is NO_VALUE:
        return None
    if isinstance(value, Unknown):
        return f"<unknown: {value.reason}>"
    if isinstance(value, ResourceRef):
        return f"<{value.logical_id}{'.' + value.attribute if value.attribute else ''}>"
    if isinstance(value, Mapping):
        return {k: display(v) for k, v in value.items()}
    if isinstance(value, list):
        return [display(v) for v in value]
    return value


def show(value: Any, limit: int = 80) -> str:
    """One-line form of a displayed value, for messages."""
    import json

    if value is None:
        return "(not set)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# ------------------------------------------------------------------ helpers


def _raw(side: Side, lid: str) -> Mapping[str, Any]:
    resources = side.template.body.get("Resources") or {}
    raw = resources.get(lid)
    return raw if isinstance(raw, Mapping) else {}


def _path(side: Side, lid: str) -> str | None:
    resource = side.template.resources.get(lid)
    return resource.construct_path if resource else None


def _mentions(side: Side, lid: str, ids: Iterable[str]) -> bool:
    ids = {i.removeprefix(MAYBE) for i in ids}
    if not ids:
        return False
    properties = _raw(side, lid).get("Properties") or {}
    if "*conditions" in ids and _uses_intrinsics(properties):
        return True
    return bool(_references(properties) & ids)


def _uses_intrinsics(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(k == "Ref" or str(k).startswith("Fn::") or _uses_intrinsics(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_uses_intrinsics(v) for v in value)
    return False


def _references(value: Any) -> set[str]:
    return set(references(value))


def _referenced(parameters: frozenset[str], template: Template) -> bool:
    """Whether a resource may read one of these parameters (a text search: a false hit only costs time)."""
    if not parameters:
        return False
    import json

    text = json.dumps(template.body.get("Resources"))
    return any(f'"Ref": "{p}"' in text or "${" + p in text or p.startswith("*") for p in parameters)


def _volatile_parameters(old: Template, new: Template) -> frozenset[str]:
    """Parameters whose value may differ between the two deploys: changed, without a default, or read at deploy;
    every parameter when the mappings or conditions changed (they may be read through them)."""
    old_parameters, new_parameters = old.parameters, new.parameters
    if (old.body.get("Mappings"), old.body.get("Conditions")) != (new.body.get("Mappings"), new.body.get("Conditions")):
        return frozenset(new_parameters) | {"*conditions"}
    volatile = set()
    for name, declaration in new_parameters.items():
        if not isinstance(declaration, Mapping) or old_parameters.get(name) != declaration \
                or "Default" not in declaration or str(declaration.get("Type", "")).startswith("AWS::SSM::"):
            volatile.add(name)
    return frozenset(volatile)


def _transforms(*templates: Template) -> list[str]:
    found: list[str] = []
    for template in templates:
        transform = template.body.get("Transform")
        for name in transform if isinstance(transform, list) else [transform] if transform else []:
            if isinstance(name, str) and name not in found:
                found.append(name)
    return found


# ----------------------------------------------------------- resource facts


@lru_cache(maxsize=None)
def stateful_types() -> frozenset[str]:
    """cfn-lint's list of resource types that hold data (StatefulResources.json, behind rule I3011)."""
    import json

    from cdkcheck.template.resource_schemas import cfn_lint_data_dir

    data = cfn_lint_data_dir()
    if data is None:
        raise RuntimeError("cfn-lint's data directory was not found: is cfn-lint installed?")
    raw = json.loads((data / "AdditionalSpecs" / "StatefulResources.json").read_text(encoding="utf-8"))
    return frozenset(raw.get("ResourceTypes", {})) - NOT_STATEFUL_HERE


def holds_data(resource_type: str, raw: Mapping[str, Any]) -> bool:
    """A stateful type, except DB instances of a cluster: the cluster holds their data."""
    if resource_type not in stateful_types():
        return False
    properties = raw.get("Properties") or {}
    if resource_type.endswith("::DBInstance") and (properties.get("DBClusterIdentifier")
                                                    or not resource_type.startswith("AWS::RDS::")):
        return False  # Aurora, DocumentDB and Neptune instances
    return True


def keeps_data(resource_type: str, raw: Mapping[str, Any], attribute: str) -> tuple[bool, str]:
    """(the policy keeps the data, the policy as CloudFormation applies it) for DeletionPolicy / UpdateReplacePolicy."""
    from cfnlint.helpers import valid_snapshot_types

    policy = raw.get(attribute)
    if not isinstance(policy, str):
        # CloudFormation's default: Snapshot for RDS instances outside a cluster and RDS clusters, else Delete.
        properties = raw.get("Properties") or {}
        rds_default = resource_type == "AWS::RDS::DBCluster" or (
            resource_type == "AWS::RDS::DBInstance" and not properties.get("DBClusterIdentifier"))
        policy = "Snapshot" if rds_default and attribute == "DeletionPolicy" else "Delete"
        shown = f"{policy} (default)"
    else:
        shown = policy
    keeps = policy in KEEPING_POLICIES or (policy == "Snapshot" and resource_type in valid_snapshot_types)
    return keeps, shown


# Create-only names that the schema's identifier and the Name/<Type>Name pattern miss. A replacement keeps such a
# name and fails like any other custom-named one: a security group's GroupName (unique per VPC; its identifier is
# the generated GroupId) when GroupDescription or VpcId changes (data-dot-all/dataall#1080).
NAMES_BESIDE_IDENTIFIER: Mapping[str, str] = {"AWS::EC2::SecurityGroup": "GroupName"}


def name_property(resource_type: str) -> str | None:
    """The property that gives the resource its physical name, from the registry schema.

    The single create-only primary identifier (TableName, DBInstanceIdentifier, BucketName), else a
    create-only `Name` or `<Type>Name` (a Secret's Name, a queue's QueueName, a role's RoleName), else
    the type's entry in NAMES_BESIDE_IDENTIFIER.
    """
    schema = type_schema(resource_type)
    if schema is None:
        return None
    beside = NAMES_BESIDE_IDENTIFIER.get(resource_type)
    if beside is not None and beside in schema.create_only_top_level:
        return beside
    named = schema.named_by()
    if named:
        return named
    top = schema.create_only_top_level
    for candidate in ("Name", f"{resource_type.rsplit('::', 1)[-1]}Name"):
        if candidate in top:
            return candidate
    return None


def deletion_protected(values: Any) -> tuple[str, Any] | None:
    """(property, value) when the resolved properties turn deletion protection on."""
    if not isinstance(values, Mapping):
        return None
    for key in ("DeletionProtection", "DeletionProtectionEnabled"):
        value = values.get(key)
        if as_bool(value) is True or (isinstance(value, str) and value.upper() == "ACTIVE"):
            return key, value
    return None


def compare_versions(old: str, new: str) -> int | None:
    """-1 when `new` is older than `old`, 0 when equal or not comparable in order, 1 when newer; None if unreadable.

    Versions compare by their numbers ("8.0.mysql_aurora.3.04.0" -> 8, 0, 3, 4, 0); OpenSearch's
    "Elasticsearch_7.10" is older than any "OpenSearch_x". A version that is a prefix of the other
    ("8.0" and "8.0.35") is not ordered: the short form means "the latest of that line".
    """
    def key(version: str) -> tuple[int, tuple[int, ...]] | None:
        family = 1 if version.lower().startswith("opensearch_") else 0
        numbers = tuple(int(n) for n in re.findall(r"\d+", version))
        return (family, numbers) if numbers else None

    a, b = key(str(old)), key(str(new))
    if a is None or b is None:
        return None
    if a[0] != b[0]:
        return 1 if b[0] > a[0] else -1
    for x, y in zip(a[1], b[1]):
        if x != y:
            return 1 if y > x else -1
    return 0
