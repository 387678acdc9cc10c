"""Resolve CloudFormation intrinsic functions to concrete values where the template allows.

A pure, total evaluator: it reads a Template and a ResolutionEnv and never raises.
Whatever cannot be known before deploy (a physical id, an SSM-backed parameter,
an export of a stack outside the selection) comes back as `Unknown(reason)`, so a
rule can say *why* it could not decide instead of guessing.

References to resources in the same template resolve to `ResourceRef` objects
rather than values, so rules can follow them (a subnet group's SubnetIds to the
AWS::EC2::Subnet resources and their AvailabilityZone).
"""

from __future__ import annotations

import base64
import ipaddress
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

from cdkcheck.model import Resource, Stack, Template

__all__ = [
    "NO_VALUE",
    "AzSlot",
    "ExportedValue",
    "ResolutionEnv",
    "ResourceRef",
    "Unknown",
    "as_bool",
    "as_number",
    "condition_value",
    "env_for_stack",
    "envs_for_stacks",
    "exports_of",
    "first_unknown",
    "follow",
    "is_unknown",
    "resolve",
    "resolve_availability_zone",
    "resolve_property",
    "resource_exists",
]

# Deeper nesting than this is not a real template; stop instead of recursing on.
_MAX_DEPTH = 64


# ------------------------------------------------------------------ values


@dataclass(frozen=True)
class Unknown:
    """A value that cannot be known before deployment; `reason` says why."""

    reason: str

    def __bool__(self) -> bool:  # an Unknown must never pass for a truthy fact
        return False


class _NoValue:
    """`Ref: AWS::NoValue`: the property is removed, as if never written."""

    _instance: "_NoValue | None" = None

    def __new__(cls) -> "_NoValue":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __bool__(self) -> bool:
        return False


NO_VALUE = _NoValue()


@dataclass(frozen=True)
class ResourceRef:
    """`Ref` (attribute None) or `Fn::GetAtt` to a resource of `template`."""

    logical_id: str
    attribute: str | None = None
    template: Template | None = field(default=None, compare=False, repr=False)

    @property
    def resource(self) -> Resource | None:
        if self.template is None:
            return None
        return self.template.resources.get(self.logical_id)


@dataclass(frozen=True)
class AzSlot:
    """The index-th zone of `Fn::GetAZs` when the zone names are not known.

    Two different slots of the same region are two different zones, which is
    all an AZ-coverage rule needs to know.
    """

    index: int
    region: str | None = None


@dataclass(frozen=True)
class ExportedValue:
    """An `Outputs.*.Export` of one stack: the raw value and the template it lives in."""

    value: Any
    template: Template
    env: "ResolutionEnv"
    stack_name: str | None = None


@dataclass(frozen=True)
class ResolutionEnv:
    region: str | None = None
    account: str | None = None
    availability_zones: tuple[str, ...] | None = None
    stack_name: str | None = None
    # Export name -> value, for the stacks deployed together with this one.
    exports: Mapping[str, ExportedValue] = field(default_factory=dict, compare=False, repr=False)
    # Parameter name -> the value its parent stack passes (nested stacks); overrides the Default.
    parameter_values: Mapping[str, ExportedValue] = field(default_factory=dict, compare=False, repr=False)

    @property
    def partition(self) -> str | None:
        if not self.region:
            return None
        if self.region.startswith("cn-"):
            return "aws-cn"
        if self.region.startswith("us-gov-"):
            return "aws-us-gov"
        return "aws"


# ------------------------------------------------------------- public API


def is_unknown(value: Any) -> bool:
    return isinstance(value, Unknown)


def first_unknown(value: Any, _depth: int = 0) -> Unknown | None:
    """The first Unknown anywhere inside a resolved value, or None."""
    if isinstance(value, Unknown):
        return value
    if _depth > _MAX_DEPTH:
        return None
    if isinstance(value, Mapping):
        items: Iterable[Any] = value.values()
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return None
    for item in items:
        found = first_unknown(item, _depth + 1)
        if found is not None:
            return found
    return None


def resolve(value: Any, template: Template, env: ResolutionEnv | None = None) -> Any:
    """Resolve `value` (any template fragment) as far as the template and env allow.

    Containers are resolved element by element; an element that is unknown stays
    as an `Unknown` inside the container, so partial knowledge is kept.
    """
    try:
        return _Resolver(template, env or ResolutionEnv()).value(value, 0)
    except Exception as exc:  # totality: odd input is an unknown value, never a crash
        return Unknown(f"could not evaluate the expression ({type(exc).__name__})")


def resolve_property(resource: Resource, path: str, template: Template,
                     env: ResolutionEnv | None = None, default: Any = None) -> Any:
    """Resolve `resource.Properties.<path>` (dotted, e.g. "ClusterConfig.InstanceCount").

    Returns `default` when the property is absent or resolves to AWS::NoValue.
    """
    resolver = _Resolver(template, env or ResolutionEnv())
    current: Any = resource.properties
    try:
        for part in path.split("."):
            current = resolver.value(current, 0) if _is_intrinsic(current) else current
            if isinstance(current, Unknown):
                return current
            if not isinstance(current, Mapping) or part not in current:
                return default
            current = current[part]
        result = resolver.value(current, 0)
    except Exception as exc:
        return Unknown(f"could not evaluate {path} ({type(exc).__name__})")
    return default if result is NO_VALUE else result


def condition_value(name: str, template: Template, env: ResolutionEnv | None = None) -> bool | Unknown:
    try:
        return _Resolver(template, env or ResolutionEnv()).condition(name, 0)
    except Exception as exc:
        return Unknown(f"could not evaluate condition {name} ({type(exc).__name__})")


def resource_exists(resource: Resource, template: Template, env: ResolutionEnv | None = None) -> bool | Unknown:
    """False when the resource's Condition is false: such a resource is never created."""
    if not resource.condition:
        return True
    return condition_value(resource.condition, template, env)


def follow(value: Any) -> Resource | None:
    """The resource a ResourceRef points at, if it is one and it exists."""
    return value.resource if isinstance(value, ResourceRef) else None


def as_number(value: Any) -> int | float | None:
    """A resolved scalar as a number; CDK often writes numbers as strings ("100")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return None
            return number if number == number and number not in (float("inf"), float("-inf")) else None
    return None


def as_bool(value: Any) -> bool | None:
    """A resolved scalar as a boolean (CloudFormation accepts "true"/"false" strings)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def resolve_availability_zone(value: Any, template: Template, env: ResolutionEnv | None = None) -> Any:
    """Resolve an AvailabilityZone expression to a zone name, or an AzSlot when only
    its position in `Fn::GetAZs` is known, or Unknown."""
    env = env or ResolutionEnv()
    resolved = resolve(value, template, env)
    if not isinstance(resolved, Unknown):
        return resolved
    slot = _select_getazs_slot(value, template, env)
    return slot if slot is not None else resolved


def env_for_stack(stack: Stack, *, availability_zones: tuple[str, ...] | None = None,
                  region: str | None = None, account: str | None = None,
                  stacks: Iterable[Stack] = ()) -> ResolutionEnv:
    """The resolution environment of one stack, with the exports of `stacks` (deployed with it)
    and, for a nested stack among `stacks`, the parameter values its parent passes."""
    return envs_for_stacks(tuple(stacks) or (stack,), availability_zones=availability_zones, region=region,
                           account=account, only=stack)[id(stack)]


def envs_for_stacks(stacks: Iterable[Stack], *, availability_zones: tuple[str, ...] | None = None,
                    region: str | None = None, account: str | None = None,
                    only: Stack | None = None) -> dict[int, ResolutionEnv]:
    """id(stack) -> ResolutionEnv for stacks deployed together: shared exports, nested parameters
    followed into the parent (itself resolved with its own parent's values, to any depth)."""
    stacks = tuple(stacks)
    if only is not None and all(s is not only for s in stacks):
        stacks = (*stacks, only)
    exports = exports_of(stacks, availability_zones=availability_zones, region=region, account=account)
    by_artifact = {s.artifact_id: s for s in stacks}
    envs: dict[int, ResolutionEnv] = {}

    def env_of(stack: Stack, seen: tuple[int, ...] = ()) -> ResolutionEnv:
        if id(stack) in envs:
            return envs[id(stack)]
        passed: dict[str, ExportedValue] = {}
        parent_id, _, holder_id = stack.artifact_id.rpartition("/")
        parent = by_artifact.get(parent_id) if stack.parent is not None else None
        if parent is not None and id(parent) not in seen:
            parent_env = env_of(parent, (*seen, id(stack)))
            holder = parent.template.resources.get(holder_id)
            values = holder.properties.get("Parameters") if holder is not None and \
                isinstance(holder.properties, Mapping) else None
            if isinstance(values, Mapping):
                passed = {str(k): ExportedValue(v, parent.template, parent_env, parent.stack_name)
                          for k, v in values.items()}
        env = ResolutionEnv(region=stack.region or region, account=stack.account or account,
                            availability_zones=availability_zones, stack_name=stack.stack_name,
                            exports=exports, parameter_values=passed)
        envs[id(stack)] = env
        return env

    for stack in ([only] if only is not None else stacks):
        env_of(stack)
    return envs


def exports_of(stacks: Iterable[Stack], *, availability_zones: tuple[str, ...] | None = None,
               region: str | None = None, account: str | None = None) -> dict[str, ExportedValue]:
    exports: dict[str, ExportedValue] = {}
    for stack in stacks:
        env = ResolutionEnv(region=stack.region or region, account=stack.account or account,
                            availability_zones=availability_zones, stack_name=stack.stack_name)
        outputs = stack.template.body.get("Outputs") if isinstance(stack.template.body, Mapping) else None
        if not isinstance(outputs, Mapping):
            continue
        for output in outputs.values():
            if not isinstance(output, Mapping) or not isinstance(output.get("Export"), Mapping):
                continue
            name = resolve(output["Export"].get("Name"), stack.template, env)
            if isinstance(name, str) and "Value" in output:
                exports[name] = ExportedValue(output["Value"], stack.template, env, stack.stack_name)
    return exports


# --------------------------------------------------------------- internals

_PSEUDO = ("AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix", "AWS::StackName",
           "AWS::StackId", "AWS::NotificationARNs", "AWS::NoValue")
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def _is_intrinsic(value: Any) -> bool:
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    key = next(iter(value))
    return key == "Ref" or (isinstance(key, str) and key.startswith("Fn::"))


def _is_current_region(arg: Any) -> bool:
    """`Fn::GetAZs` of "" or of `Ref AWS::Region` both mean the stack's own region."""
    return arg in ("", None) or (isinstance(arg, Mapping) and dict(arg) == {"Ref": "AWS::Region"})


class _Resolver:
    def __init__(self, template: Template, env: ResolutionEnv):
        self.template = template
        self.env = env
        self._condition_memo: dict[str, bool | Unknown] = {}

    # -- dispatch
    def value(self, value: Any, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            return Unknown("expression nested too deeply to evaluate")
        if isinstance(value, Mapping):
            if len(value) == 1:
                key = next(iter(value))
                if key == "Ref":
                    return self.ref(value[key], depth + 1)
                if isinstance(key, str) and key.startswith("Fn::"):
                    handler = _FUNCTIONS.get(key)
                    if handler is None:
                        return Unknown(f"{key} is not evaluated before deploy")
                    return handler(self, value[key], depth + 1)
            out = {}
            for k, v in value.items():
                resolved = self.value(v, depth + 1)
                if resolved is not NO_VALUE:
                    out[k] = resolved
            return out
        if isinstance(value, (list, tuple)):
            return [r for r in (self.value(v, depth + 1) for v in value) if r is not NO_VALUE]
        return value

    def scalar(self, value: Any, depth: int) -> Any:
        """Resolve and demand a scalar (string/number/bool); anything else is Unknown."""
        resolved = self.value(value, depth)
        if isinstance(resolved, (Unknown, str, int, float, bool)):
            return resolved
        if isinstance(resolved, ResourceRef):
            return _physical(resolved)
        if isinstance(resolved, AzSlot):
            return Unknown("availability zone name known only in the target account")
        return Unknown(f"expected a single value, got {type(resolved).__name__}")

    def string_list(self, value: Any, depth: int) -> Any:
        resolved = self.value(value, depth)
        if isinstance(resolved, Unknown):
            return resolved
        if isinstance(resolved, str):  # a CommaDelimitedList parameter resolves to a list already
            return resolved.split(",")
        if isinstance(resolved, list):
            return resolved
        return Unknown(f"expected a list, got {type(resolved).__name__}")

    # -- Ref
    def ref(self, name: Any, depth: int) -> Any:
        if not isinstance(name, str):
            return Unknown("Ref to a non-string name")
        if name in _PSEUDO:
            return self.pseudo(name)
        parameters = self.template.parameters if isinstance(self.template.body, Mapping) else {}
        if isinstance(parameters, Mapping) and name in parameters:
            passed = self.env.parameter_values.get(name)
            if passed is not None:
                return self.passed_parameter(name, parameters[name], passed, depth)
            return self.parameter(name, parameters[name])
        if name in self.template.resources:
            return ResourceRef(name, None, self.template)
        return Unknown(f"Ref to {name}, which this template does not declare")

    def pseudo(self, name: str) -> Any:
        env = self.env
        known = {
            "AWS::Region": env.region,
            "AWS::AccountId": env.account,
            "AWS::Partition": env.partition,
            "AWS::URLSuffix": None if env.partition is None else
            ("amazonaws.com.cn" if env.partition == "aws-cn" else "amazonaws.com"),
            "AWS::StackName": env.stack_name,
        }
        if name == "AWS::NoValue":
            return NO_VALUE
        value = known.get(name)
        if value is None:
            return Unknown(f"{name} is not known for this environment")
        return value

    def parameter(self, name: str, declaration: Any) -> Any:
        if not isinstance(declaration, Mapping):
            return Unknown(f"parameter {name} is malformed")
        kind = str(declaration.get("Type", "String"))
        if kind.startswith("AWS::SSM::Parameter::Value"):
            source = declaration.get("Default")
            return Unknown(f"parameter {name} is read from SSM ({source}) at deploy time")
        if "Default" not in declaration:
            return Unknown(f"parameter {name} has no default: its value is given at deploy time")
        default = declaration["Default"]
        if kind.startswith("List<") or kind == "CommaDelimitedList":
            if isinstance(default, list):
                return [str(d) for d in default]
            return [part.strip() for part in str(default).split(",")]
        if isinstance(default, (str, int, float, bool)):
            return default
        return Unknown(f"parameter {name} has a non-scalar default")

    def passed_parameter(self, name: str, declaration: Any, passed: "ExportedValue", depth: int) -> Any:
        """A nested stack's parameter: the parent's expression, evaluated in the parent."""
        value = _Resolver(passed.template, passed.env).value(passed.value, depth + 1)
        kind = str(declaration.get("Type", "String")) if isinstance(declaration, Mapping) else "String"
        if (kind.startswith("List<") or kind == "CommaDelimitedList") and isinstance(value, str):
            return [part.strip() for part in value.split(",")]
        if isinstance(value, Unknown):
            return Unknown(f"parameter {name} passed by the parent stack: {value.reason}")
        return value

    # -- conditions
    def condition(self, name: Any, depth: int) -> bool | Unknown:
        if depth > _MAX_DEPTH:
            return Unknown("condition nested too deeply (or circular)")
        conditions = self.template.conditions if isinstance(self.template.body, Mapping) else {}
        if not isinstance(name, str) or not isinstance(conditions, Mapping) or name not in conditions:
            return Unknown(f"condition {name} is not declared")
        # Each condition is evaluated once per resolver: conditions that reuse others would
        # otherwise cost exponential time, and one that reaches itself is circular.
        memo = self._condition_memo
        if name in memo:
            return memo[name]
        memo[name] = Unknown(f"condition {name} refers to itself")
        memo[name] = self.boolean(conditions[name], depth + 1)
        return memo[name]

    def boolean(self, expression: Any, depth: int) -> bool | Unknown:
        if depth > _MAX_DEPTH:
            return Unknown("condition nested too deeply (or circular)")
        if isinstance(expression, Mapping) and len(expression) == 1:
            key, arg = next(iter(expression.items()))
            if key == "Condition":
                return self.condition(arg, depth + 1)
            if key == "Fn::Equals":
                return self.equals(arg, depth + 1)
            if key == "Fn::Not":
                inner = arg[0] if isinstance(arg, list) and len(arg) == 1 else None
                if inner is None:
                    return Unknown("Fn::Not takes a list of one condition")
                result = self.boolean(inner, depth + 1)
                return result if isinstance(result, Unknown) else not result
            if key in ("Fn::And", "Fn::Or"):
                if not isinstance(arg, list) or not arg:
                    return Unknown(f"{key} takes a list of conditions")
                results = [self.boolean(item, depth + 1) for item in arg]
                decisive = key == "Fn::Or"  # Or: any True decides; And: any False decides
                if any(r is decisive for r in results):
                    return decisive
                unknown = next((r for r in results if isinstance(r, Unknown)), None)
                return unknown if unknown is not None else not decisive
        resolved = self.value(expression, depth + 1)
        if isinstance(resolved, Unknown):
            return resolved
        as_boolean = as_bool(resolved)
        return as_boolean if as_boolean is not None else Unknown("not a condition expression")

    def equals(self, arg: Any, depth: int) -> bool | Unknown:
        if not isinstance(arg, list) or len(arg) != 2:
            return Unknown("Fn::Equals takes two values")
        left, right = (self.value(a, depth + 1) for a in arg)
        for side in (left, right):
            unknown = first_unknown(side)
            if unknown is not None:
                return unknown
            if isinstance(side, (ResourceRef, AzSlot)):
                return Unknown("compares a value known only after deploy")
        return _canonical(left) == _canonical(right)


def _canonical(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        number = as_number(value)
        return str(int(number)) if number is not None and float(number).is_integer() else str(value)
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def _physical(ref: ResourceRef) -> Unknown:
    if ref.attribute:
        return Unknown(f"{ref.logical_id}.{ref.attribute} is known only after deploy")
    return Unknown(f"the physical id of {ref.logical_id} is known only after deploy")


# -- Fn:: handlers (resolver, argument, depth) -> value


def _fn_if(r: _Resolver, arg: Any, depth: int) -> Any:
    if not isinstance(arg, list) or len(arg) != 3:
        return Unknown("Fn::If takes [condition, value-if-true, value-if-false]")
    held = r.condition(arg[0], depth + 1)
    if isinstance(held, Unknown):
        return Unknown(f"depends on condition {arg[0]}: {held.reason}")
    return r.value(arg[1] if held else arg[2], depth + 1)


def _fn_select(r: _Resolver, arg: Any, depth: int) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        return Unknown("Fn::Select takes [index, list]")
    index = r.scalar(arg[0], depth + 1)
    if isinstance(index, Unknown):
        return index
    number = as_number(index)
    if number is None or not float(number).is_integer() or number < 0:
        return Unknown(f"Fn::Select index {index!r} is not a non-negative integer")
    items = r.value(arg[1], depth + 1)
    if isinstance(items, Unknown):
        return items
    if not isinstance(items, list):
        return Unknown("Fn::Select over something that is not a list")
    if int(number) >= len(items):
        return Unknown(f"Fn::Select index {int(number)} is past the end of a {len(items)}-item list")
    return items[int(number)]


def _fn_getazs(r: _Resolver, arg: Any, depth: int) -> Any:
    region = "" if _is_current_region(arg) else r.scalar(arg, depth + 1)
    if isinstance(region, Unknown):
        return region
    if region not in ("", r.env.region):
        return Unknown(f"availability zones of region {region} are not known here")
    if r.env.availability_zones is None:
        where = r.env.region or "the target region"
        return Unknown(f"availability zones of {where} are known only in the target account")
    return list(r.env.availability_zones)


def _fn_join(r: _Resolver, arg: Any, depth: int) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        return Unknown("Fn::Join takes [delimiter, list]")
    delimiter = r.scalar(arg[0], depth + 1)
    if not isinstance(delimiter, str):
        return delimiter if isinstance(delimiter, Unknown) else Unknown("Fn::Join delimiter is not a string")
    parts = r.string_list(arg[1], depth + 1)
    if isinstance(parts, Unknown):
        return parts
    out = []
    for part in parts:
        text = _as_text(part)
        if isinstance(text, Unknown):
            return text
        out.append(text)
    return delimiter.join(out)


def _as_text(value: Any) -> Any:
    if isinstance(value, Unknown):
        return value
    if isinstance(value, ResourceRef):
        return _physical(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (str, int, float)):
        return str(value)
    return Unknown(f"cannot turn a {type(value).__name__} into text")


def _fn_split(r: _Resolver, arg: Any, depth: int) -> Any:
    if not isinstance(arg, list) or len(arg) != 2:
        return Unknown("Fn::Split takes [delimiter, string]")
    delimiter, text = r.scalar(arg[0], depth + 1), r.scalar(arg[1], depth + 1)
    for part in (delimiter, text):
        if isinstance(part, Unknown):
            return part
    if not isinstance(delimiter, str) or not delimiter or not isinstance(text, str):
        return Unknown("Fn::Split needs a non-empty delimiter and a string")
    return text.split(delimiter)


def _fn_sub(r: _Resolver, arg: Any, depth: int) -> Any:
    if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping):
        text, variables = arg
    elif isinstance(arg, list) and len(arg) == 1:
        text, variables = arg[0], {}
    else:
        text, variables = arg, {}
    if not isinstance(text, str):
        return Unknown("Fn::Sub needs a string template")
    problems: list[Unknown] = []

    def substitute(match: re.Match) -> str:
        name = match.group(1)
        if name.startswith("!"):  # ${!Literal} is written out as ${Literal}
            return "${" + name[1:] + "}"
        if name in variables:
            value = r.value(variables[name], depth + 1)
        elif "." in name and name.split(".", 1)[0] in r.template.resources:
            value = ResourceRef(name.split(".", 1)[0], name.split(".", 1)[1], r.template)
        else:
            value = r.ref(name, depth + 1)
        rendered = _as_text(value)
        if isinstance(rendered, Unknown):
            problems.append(rendered)
            return ""
        return rendered

    result = _SUB_VARIABLE.sub(substitute, text)
    return problems[0] if problems else result


def _fn_getatt(r: _Resolver, arg: Any, depth: int) -> Any:
    if isinstance(arg, str) and "." in arg:
        logical_id, attribute = arg.split(".", 1)
    elif isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str):
        logical_id = arg[0]
        attribute = r.scalar(arg[1], depth + 1)
        if isinstance(attribute, Unknown):
            return attribute
        attribute = str(attribute)
    else:
        return Unknown("Fn::GetAtt takes [resource, attribute]")
    if logical_id not in r.template.resources:
        return Unknown(f"Fn::GetAtt to {logical_id}, which this template does not declare")
    return ResourceRef(logical_id, attribute, r.template)


def _fn_import_value(r: _Resolver, arg: Any, depth: int) -> Any:
    name = r.scalar(arg, depth + 1)
    if isinstance(name, Unknown):
        return Unknown(f"imported from another stack under a name not known before deploy ({name.reason})")
    exported = r.env.exports.get(name) if isinstance(name, str) else None
    if exported is None:
        return Unknown(f"imported from another stack (export {name} is not among the checked stacks)")
    # Evaluate the export in its own stack, where its Refs point.
    return _Resolver(exported.template, exported.env).value(exported.value, depth + 1)


def _fn_find_in_map(r: _Resolver, arg: Any, depth: int) -> Any:
    if not isinstance(arg, list) or len(arg) not in (3, 4):
        return Unknown("Fn::FindInMap takes [map, top-level key, second-level key]")
    keys = [r.scalar(a, depth + 1) for a in arg[:3]]
    for key in keys:
        if isinstance(key, Unknown):
            return key
    mappings = r.template.body.get("Mappings") if isinstance(r.template.body, Mapping) else None
    try:
        value = mappings[keys[0]][keys[1]][keys[2]]  # type: ignore[index]
    except (KeyError, TypeError, IndexError):
        if len(arg) == 4 and isinstance(arg[3], Mapping) and "DefaultValue" in arg[3]:
            return r.value(arg[3]["DefaultValue"], depth + 1)
        return Unknown(f"Fn::FindInMap {keys} has no entry")
    return r.value(value, depth + 1)


def _fn_cidr(r: _Resolver, arg: Any, depth: int) -> Any:
    if not isinstance(arg, list) or len(arg) != 3:
        return Unknown("Fn::Cidr takes [ipBlock, count, cidrBits]")
    block, count, bits = (r.scalar(a, depth + 1) for a in arg)
    for part in (block, count, bits):
        if isinstance(part, Unknown):
            return part
    count_n, bits_n = as_number(count), as_number(bits)
    if not isinstance(block, str) or count_n is None or bits_n is None:
        return Unknown("Fn::Cidr arguments are not a CIDR block and two numbers")
    try:
        network = ipaddress.ip_network(block, strict=False)
    except ValueError:
        return Unknown(f"Fn::Cidr block {block!r} is not a CIDR")
    count_i, bits_i = int(count_n), int(bits_n)
    new_prefix = network.max_prefixlen - bits_i
    if not 1 <= count_i <= 256 or new_prefix < network.prefixlen or bits_i < 0:
        return Unknown(f"Fn::Cidr cannot split {block} into {count_i} x /{new_prefix}")
    out = []
    for subnet in network.subnets(new_prefix=new_prefix):
        out.append(str(subnet))
        if len(out) == count_i:
            return out
    return Unknown(f"{block} holds fewer than {count_i} /{new_prefix} blocks")


def _fn_base64(r: _Resolver, arg: Any, depth: int) -> Any:
    text = r.scalar(arg, depth + 1)
    if isinstance(text, Unknown):
        return text
    return base64.b64encode(str(text).encode()).decode()


def _condition_as_value(name: str):
    def handler(r: _Resolver, arg: Any, depth: int) -> Any:
        return r.boolean({name: arg}, depth + 1)
    return handler


_FUNCTIONS = {
    "Fn::If": _fn_if,
    "Fn::Select": _fn_select,
    "Fn::GetAZs": _fn_getazs,
    "Fn::Join": _fn_join,
    "Fn::Split": _fn_split,
    "Fn::Sub": _fn_sub,
    "Fn::GetAtt": _fn_getatt,
    "Fn::ImportValue": _fn_import_value,
    "Fn::FindInMap": _fn_find_in_map,
    "Fn::Cidr": _fn_cidr,
    "Fn::Base64": _fn_base64,
    **{name: _condition_as_value(name) for name in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not")},
}


def _select_getazs_slot(value: Any, template: Template, env: ResolutionEnv) -> AzSlot | None:
    """`{"Fn::Select": [i, {"Fn::GetAZs": region}]}` with a known index -> AzSlot(i)."""
    if not (isinstance(value, Mapping) and len(value) == 1 and "Fn::Select" in value):
        return None
    arg = value["Fn::Select"]
    if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[1], Mapping)
            and len(arg[1]) == 1 and "Fn::GetAZs" in arg[1]):
        return None
    resolver = _Resolver(template, env)
    try:
        index = as_number(resolver.scalar(arg[0], 1))
        azs_of = arg[1]["Fn::GetAZs"]
        region = "" if _is_current_region(azs_of) else resolver.scalar(azs_of, 1)
    except Exception:
        return None
    if index is None or not float(index).is_integer() or index < 0 or isinstance(region, Unknown):
        return None
    return AzSlot(int(index), region or env.region)


_SUB_REFERENCE = re.compile(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}")


def references(value: Any) -> Iterator[str]:
    """Logical ids a raw property value points at: Ref, Fn::GetAtt and ${X} / ${X.Attr} inside Fn::Sub."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                yield inner
            elif key == "Fn::GetAtt":
                if isinstance(inner, list) and inner and isinstance(inner[0], str):
                    yield inner[0]
                elif isinstance(inner, str):
                    yield inner.split(".", 1)[0]
            elif key == "Fn::Sub":
                text, variables = (inner[0], inner[1]) if isinstance(inner, list) and len(inner) == 2 else (inner, {})
                local = set(variables) if isinstance(variables, dict) else set()
                if isinstance(text, str):
                    yield from (name for name in _SUB_REFERENCE.findall(text) if name not in local)
                yield from references(variables)
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for item in value:
            yield from references(item)
