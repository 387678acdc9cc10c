"""The rule toolkit: what rules of every family share.

* `Resolution`: every selected stack with its ResolutionEnv (region, account, the
  zones the account reported, the exports of the other stacks), built once per run.
* `violation_or_undetermined`: a finding on a resource whose Condition is not
  knowable becomes Undetermined, never a guessed failure.
* `subnet_zone_coverage`: how many distinct availability zones a list of subnet
  ids covers, following Refs and cross-stack imports to AWS::EC2::Subnet
  resources, or asking the account for subnets that already exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from cdkcheck.facts.interface import FactUnavailable
from cdkcheck.template.intrinsics import (
    AzSlot,
    ResolutionEnv,
    ResourceRef,
    Unknown,
    as_number,
    envs_for_stacks,
    follow,
    resolve,
    resolve_availability_zone,
    resolve_property,
    resource_exists,
)
from cdkcheck.model import Resource, Severity, Stack, Template
from cdkcheck.ruleset import Outcome, RuleContext, Undetermined, Violation

SUBNET = "AWS::EC2::Subnet"


# ------------------------------------------------------------- resolution


@dataclass(frozen=True)
class StackView:
    stack: Stack
    env: ResolutionEnv

    @property
    def template(self) -> Template:
        return self.stack.template

    def prop(self, resource: Resource, path: str, default: Any = None) -> Any:
        return resolve_property(resource, path, self.template, self.env, default)

    def value(self, raw: Any) -> Any:
        return resolve(raw, self.template, self.env)

    def number(self, resource: Resource, path: str) -> int | float | Unknown | None:
        """A numeric property: None when absent or not a number (malformed input is cfn-lint's to report)."""
        value = self.prop(resource, path)
        if isinstance(value, Unknown):
            return value
        return as_number(value)

    def text(self, resource: Resource, path: str) -> str | Unknown | None:
        value = self.prop(resource, path)
        if isinstance(value, Unknown):
            return value
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            return str(value)
        return None

    def flag(self, resource: Resource, path: str, default: bool | None = None) -> bool | Unknown | None:
        value = self.prop(resource, path)
        if isinstance(value, Unknown):
            return value
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return default


class Resolution:
    """The stacks of one RuleContext, each with the environment its intrinsics resolve in."""

    def __init__(self, ctx: RuleContext):
        self.ctx = ctx
        region, account = ctx.environment.region, ctx.environment.account
        envs = envs_for_stacks(ctx.stacks, availability_zones=known_zones(ctx), region=region, account=account)
        self.views = tuple(StackView(stack, envs[id(stack)]) for stack in ctx.stacks)
        self._by_template = {id(v.stack.template): v for v in self.views}

    def view_of(self, template: Template | None) -> StackView | None:
        return self._by_template.get(id(template)) if template is not None else None

    def resources(self, *types: str) -> Iterator[tuple[StackView, Resource]]:
        """Resources of these types that may exist (a Condition known to be false drops them)."""
        for view in self.views:
            for resource in view.template.of_type(*types):
                if resource_exists(resource, view.template, view.env) is not False:
                    yield view, resource


def known_zones(ctx: RuleContext) -> tuple[str, ...] | None:
    """The region's zone names when the account told us; None offline (Fn::GetAZs stays unknown)."""
    try:
        zones = ctx.facts.availability_zones()
    except FactUnavailable:
        return None
    except Exception:  # a broken facts source makes the zones unknown, not the rule crash
        return None
    return tuple(zones) if zones else None


def violation_or_undetermined(view: StackView, resource: Resource, message: str, *,
                              evidence: Mapping[str, Any], property_path: str | None,
                              severity: Severity | None = None, fix: str | None = None) -> Outcome:
    exists = resource_exists(resource, view.template, view.env)
    if isinstance(exists, Unknown):
        return Undetermined(view.stack, resource.logical_id,
                            f"created only when condition {resource.condition} holds ({exists.reason}); "
                            f"if it is created: {message}")
    return Violation(view.stack, resource.logical_id, message, evidence=dict(evidence),
                     property_path=property_path, severity=severity, fix=fix)


def undetermined(view: StackView, resource: Resource, what: str, unknown: Unknown) -> Undetermined:
    return Undetermined(view.stack, resource.logical_id, f"{what}: {unknown.reason}")


# ---------------------------------------------------------- subnet zones


@dataclass(frozen=True)
class ZoneCoverage:
    """The zone of each subnet of a list, as far as it can be known.

    Zone keys are ("name", "us-east-1a"), ("id", "use1-az1") or ("slot", region, index)
    for `Fn::Select [i, Fn::GetAZs]` without zone names. Keys of different kinds
    might name the same zone, so only bounds on the distinct count are certain.
    """

    zones: Mapping[str, tuple]  # subnet label -> zone key
    unknown: Mapping[str, str] = field(default_factory=dict)  # subnet label -> why its zone is not known

    @property
    def subnet_count(self) -> int:
        return len(self.zones) + len(self.unknown)

    @property
    def at_least(self) -> int:
        by_kind: dict[str, set] = {}
        for key in self.zones.values():
            by_kind.setdefault(key[0], set()).add(key)
        return max((len(keys) for keys in by_kind.values()), default=0)

    @property
    def at_most(self) -> int:
        return len(set(self.zones.values())) + len(self.unknown)

    def described(self) -> dict[str, str]:
        out = {label: _describe_zone(key) for label, key in self.zones.items()}
        out.update({label: f"unknown ({reason})" for label, reason in self.unknown.items()})
        return out


def _describe_zone(key: tuple) -> str:
    if key[0] == "slot":
        return f"zone #{key[2]} of Fn::GetAZs({key[1] or 'this region'})"
    return str(key[1])


def subnet_zone_coverage(items: Any, view: StackView, resolution: Resolution) -> ZoneCoverage | Unknown:
    """Zones of the subnets in `items` (a resolved SubnetIds list)."""
    if isinstance(items, Unknown):
        return items
    if not isinstance(items, list):
        return Unknown("the subnet list is not a list")
    zones: dict[str, tuple] = {}
    unknown: dict[str, str] = {}
    existing: list[str] = []
    for position, item in enumerate(items):
        if isinstance(item, ResourceRef):
            label = item.logical_id
            key = _zone_of_subnet_resource(item, resolution)
            if isinstance(key, Unknown):
                unknown[label] = key.reason
            else:
                zones[label] = key
        elif isinstance(item, str) and item.startswith("subnet-"):
            existing.append(item)
        elif isinstance(item, Unknown):
            unknown[f"subnet #{position + 1}"] = item.reason
        else:
            unknown[f"subnet #{position + 1}"] = f"{item!r} is not a subnet id"
    if existing:
        _zones_of_existing_subnets(existing, resolution, zones, unknown)
    return ZoneCoverage(zones, unknown)


def _zone_of_subnet_resource(ref: ResourceRef, resolution: Resolution) -> tuple | Unknown:
    subnet = follow(ref)
    if ref.attribute is not None or subnet is None:
        return Unknown(f"{ref.logical_id}{'.' + ref.attribute if ref.attribute else ''} is not a subnet resource")
    if subnet.type != SUBNET:
        return Unknown(f"{ref.logical_id} is a {subnet.type}, not an {SUBNET}")
    view = resolution.view_of(ref.template)
    env = view.env if view else ResolutionEnv()
    props = subnet.properties if isinstance(subnet.properties, Mapping) else {}
    if "AvailabilityZone" in props:
        zone = resolve_availability_zone(props["AvailabilityZone"], ref.template, env)
        if isinstance(zone, AzSlot):
            return ("slot", zone.region, zone.index)
        if isinstance(zone, str):
            return ("name", zone)
        if isinstance(zone, Unknown):
            return Unknown(f"zone of {ref.logical_id}: {zone.reason}")
    if "AvailabilityZoneId" in props:
        zone_id = resolve(props["AvailabilityZoneId"], ref.template, env)
        if isinstance(zone_id, str):
            return ("id", zone_id)
        if isinstance(zone_id, Unknown):
            return Unknown(f"zone of {ref.logical_id}: {zone_id.reason}")
    return Unknown(f"{ref.logical_id} names no availability zone: EC2 picks one at create time")


def _zones_of_existing_subnets(subnet_ids: list[str], resolution: Resolution,
                               zones: dict[str, tuple], unknown: dict[str, str]) -> None:
    try:
        found = resolution.ctx.facts.subnets(tuple(subnet_ids))
    except FactUnavailable as unavailable:
        for subnet_id in subnet_ids:
            unknown[subnet_id] = f"existing subnet, zone known only in the account ({unavailable.reason})"
        return
    except Exception as exc:
        for subnet_id in subnet_ids:
            unknown[subnet_id] = f"existing subnet, the account lookup failed ({type(exc).__name__})"
        return
    for subnet_id in subnet_ids:
        facts = found.get(subnet_id) if isinstance(found, Mapping) else None
        if facts is None:
            unknown[subnet_id] = "not found in the account"
        else:
            zones[subnet_id] = ("name", facts.availability_zone)
