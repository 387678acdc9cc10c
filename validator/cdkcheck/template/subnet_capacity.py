"""How many free IP addresses each subnet needs for what the stacks place in it.

One model for every caller: the static subnet-capacity rule (subnets the stacks
create, capacity from their CIDR) and the live check (subnets that already
exist, capacity from the account's AvailableIpAddressCount).

Per-resource demand, free addresses needed in each subnet it may use:
  OpenSearch / Elasticsearch in a VPC   ceil(3 x data nodes / AZ count)
  RDS instance (Aurora and DocumentDB/Neptune instances too)
                                        instances over the subnet group: ceil(n / subnets), n = 2 for Multi-AZ
  Multi-AZ DB cluster (non-Aurora)      3 instances over the subnet group
  Application / Classic load balancer   8 per subnet
  Network / Gateway load balancer       1 per subnet
  NAT gateway, EC2 instance, ENI        1 (+ secondary private addresses)
  ECS awsvpc service                    ceil(desiredCount x maximumPercent/100 / subnets), maximumPercent 200 by default
  ElastiCache                           1 per node, ceil(nodes / subnets)
  Lambda in a VPC                       1 per subnet per distinct security-group set
  Interface VPC endpoint                1 per subnet
A subnet's usable addresses are 2^(32 - mask) - 5: AWS reserves five in each.

Subnet references are resolved with cdkcheck.template.intrinsics: a Ref to an
AWS::EC2::Subnet, a literal subnet id, a parameter default, a nested stack's
parameter (followed into its parent), and Fn::ImportValue of an export of a
stack in the same environment. What cannot be followed is reported as unknown
placement with the reason, never guessed.
"""

from __future__ import annotations

import ipaddress
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, Sequence

from cdkcheck.template.intrinsics import (
    AzSlot, ResolutionEnv, ResourceRef, Unknown, as_bool, as_number, env_for_stack, resolve,
    resolve_availability_zone, resolve_property, resource_exists,
)
from cdkcheck.model import Resource, Severity, Stack
from cdkcheck.ruleset import Undetermined, Violation

AWS_RESERVED_PER_SUBNET = 5
OPENSEARCH_IPS_PER_DATA_NODE = 3
LOAD_BALANCER_IPS = {"application": 8, "network": 1, "gateway": 1}
CLASSIC_LOAD_BALANCER_IPS = 8
ECS_DEFAULT_MAXIMUM_PERCENT = 200
MULTI_AZ_DB_CLUSTER_INSTANCES = 3


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class SubnetKey:
    """A subnet the stacks create (stack + logical id) or one that exists already (subnet id)."""

    stack: str | None = None  # display name of the creating stack
    logical_id: str | None = None
    subnet_id: str | None = None

    @property
    def existing(self) -> bool:
        return self.subnet_id is not None

    def __str__(self) -> str:
        return self.subnet_id if self.subnet_id else f"{self.stack}/{self.logical_id}"


@dataclass(frozen=True)
class Demand:
    """Free addresses one resource needs in one subnet, and the arithmetic behind it."""

    stack: str  # display name of the stack that declares the resource
    logical_id: str
    resource_type: str
    construct_path: str | None
    count: int
    why: str
    condition: str | None = None  # the resource exists only when this template condition holds (unknown)

    @property
    def label(self) -> str:
        return self.construct_path or f"{self.stack}/{self.logical_id}"


@dataclass(frozen=True)
class SubnetCapacity:
    subnet: SubnetKey
    construct_path: str | None
    cidr_block: str | None
    availability_zone: str | None
    capacity: int | None  # usable addresses; None when not known
    capacity_source: str  # where the capacity figure came from, or why it is unknown
    demands: tuple[Demand, ...]

    @property
    def total(self) -> int:
        return sum(d.count for d in self.demands)

    @property
    def certain_total(self) -> int:
        """Demand of resources that certainly exist (no unresolved condition)."""
        return sum(d.count for d in self.demands if d.condition is None)

    @property
    def headroom(self) -> int | None:
        return None if self.capacity is None else self.capacity - self.total

    @property
    def label(self) -> str:
        where = f" ({self.cidr_block}" + (f", {self.availability_zone})" if self.availability_zone else ")") \
            if self.cidr_block else (f" ({self.availability_zone})" if self.availability_zone else "")
        return f"{self.construct_path or self.subnet}{where}"

    def arithmetic(self) -> str:
        """'6 App/Web/Service/Service [why] + 5 Data/Search/Resource [why] = 11 needed; 11 available (...)'"""
        parts = " + ".join(f"{d.count} {d.label} [{d.why}]" for d in self.demands) or "0"
        need = f"{parts} = {self.total} needed" if len(self.demands) > 1 else f"{parts} needed"
        have = "capacity unknown" if self.capacity is None else f"{self.capacity} available"
        return f"{need}; {have} ({self.capacity_source})"

    def as_evidence(self) -> dict[str, Any]:
        return {
            "subnet": str(self.subnet),
            "construct_path": self.construct_path,
            "cidr_block": self.cidr_block,
            "availability_zone": self.availability_zone,
            "capacity": self.capacity,
            "capacity_source": self.capacity_source,
            "total": self.total,
            "headroom": self.headroom,
            "demand": [
                {"stack": d.stack, "logical_id": d.logical_id, "type": d.resource_type,
                 "construct_path": d.construct_path, "count": d.count, "why": d.why,
                 **({"condition": d.condition} if d.condition else {})}
                for d in self.demands
            ],
            "arithmetic": self.arithmetic(),
        }


@dataclass(frozen=True)
class UnknownPlacement:
    """A resource that uses subnets the model cannot name."""

    stack: Stack
    logical_id: str
    reason: str
    existing_only: bool = False  # True: it can only land in subnets that exist already (a named subnet group)


@dataclass(frozen=True)
class Placement:
    """One resource and the subnets it uses (resolved), for checks beyond the count (ALB AZs)."""

    stack: Stack
    resource: Resource
    subnets: tuple[SubnetKey, ...]


@dataclass(frozen=True)
class CapacityReport:
    subnets: tuple[SubnetCapacity, ...]  # every subnet with demand, and every subnet the stacks create
    unknown: tuple[UnknownPlacement, ...] = ()
    placements: tuple[Placement, ...] = ()
    zones: Mapping[SubnetKey, Any] = field(default_factory=dict)  # zone name, AzSlot or Unknown

    @property
    def existing_subnet_ids(self) -> tuple[str, ...]:
        return tuple(sorted({s.subnet.subnet_id for s in self.subnets if s.subnet.subnet_id}))

    def subnet(self, key: SubnetKey) -> SubnetCapacity | None:
        return next((s for s in self.subnets if s.subnet == key), None)


# ------------------------------------------------------------------ model


def subnet_capacity(stacks: Sequence[Stack], *, availability_zones: tuple[str, ...] | None = None,
                    available_ips: Mapping[str, int] | None = None,
                    available_source: str = "AvailableIpAddressCount from the account") -> CapacityReport:
    """Demand and capacity of every subnet the stacks create or place resources in.

    `available_ips` maps existing subnet ids to their free-address count (from the
    account); without it, existing subnets have unknown capacity.
    """
    model = _Model(stacks, availability_zones)
    for stack in stacks:
        for resource in stack.template.resources.values():
            placer = _PLACERS.get(resource.type)
            if placer is not None:
                model.place(stack, resource, placer)
    model.place_lambdas()
    return model.report(available_ips or {}, available_source)


class _Model:
    def __init__(self, stacks: Sequence[Stack], availability_zones: tuple[str, ...] | None):
        self.stacks = tuple(stacks)
        self.zones = availability_zones
        self.by_template = {id(s.template): s for s in self.stacks}
        self.by_display = {s.display_name: s for s in self.stacks}
        self.by_artifact = {s.artifact_id: s for s in self.stacks}
        self._envs: dict[str, ResolutionEnv] = {}
        self.demands: dict[SubnetKey, list[Demand]] = {}
        self.unknown: list[UnknownPlacement] = []
        self.placements: list[Placement] = []
        self.lambdas: list[tuple[Stack, Resource, tuple[SubnetKey, ...], str, str | None]] = []

    def env(self, stack: Stack) -> ResolutionEnv:
        if stack.artifact_id not in self._envs:
            self._envs[stack.artifact_id] = env_for_stack(stack, availability_zones=self.zones, stacks=self.stacks)
        return self._envs[stack.artifact_id]

    # -- placing
    def place(self, stack: Stack, resource: Resource, placer: "Placer") -> None:
        exists = resource_exists(resource, stack.template, self.env(stack))
        if exists is False:
            return
        condition = resource.condition if isinstance(exists, Unknown) else None
        try:
            found = placer(self, stack, resource)
        except _Unplaceable as unplaceable:
            self.unknown.append(UnknownPlacement(stack, resource.logical_id, unplaceable.reason,
                                                 unplaceable.existing_only))
            return
        if found is None:
            return  # not in a VPC the stacks can name, and not claimed to be
        subnets, per_subnet = found
        if not subnets:
            return
        self.placements.append(Placement(stack, resource, subnets))
        for key, (count, why) in zip(subnets, per_subnet(len(subnets))):
            if count <= 0:
                continue
            self.demands.setdefault(key, []).append(Demand(
                stack=stack.display_name, logical_id=resource.logical_id, resource_type=resource.type,
                construct_path=resource.construct_path, count=count, why=why, condition=condition))

    def place_lambdas(self) -> None:
        """One Hyperplane ENI per subnet and distinct security-group set, shared by the functions using it."""
        groups: dict[tuple[SubnetKey, str], list[tuple[Stack, Resource, str | None]]] = {}
        for stack, resource, subnets, security_groups, condition in self.lambdas:
            for key in subnets:
                groups.setdefault((key, security_groups), []).append((stack, resource, condition))
        for (key, _), members in groups.items():
            stack, resource, condition = members[0]
            others = [m[1].logical_id for m in members[1:]]
            why = "Lambda ENI per subnet and security-group set"
            if others:
                why += f", shared with {', '.join(others)}"
            self.demands.setdefault(key, []).append(Demand(
                stack=stack.display_name, logical_id=resource.logical_id, resource_type=resource.type,
                construct_path=resource.construct_path, count=1, why=why,
                condition=condition if all(m[2] for m in members) else None))

    # -- resolving subnets
    def subnets(self, stack: Stack, value: Any, what: str) -> tuple[SubnetKey, ...]:
        """Subnet keys for a SubnetIds-like expression; raises _Unplaceable when one cannot be named."""
        keys: list[SubnetKey] = []
        for item in self._expand(stack, value, depth=0):
            if isinstance(item, Unknown):
                raise _Unplaceable(f"{what}: {item.reason}")
            keys.append(item)
        return tuple(dict.fromkeys(keys))

    def _expand(self, stack: Stack, value: Any, depth: int) -> Iterator[SubnetKey | Unknown]:
        if depth > 8:
            yield Unknown("subnet reference nested too deeply")
            return
        if isinstance(value, list):
            for item in value:
                yield from self._expand(stack, item, depth + 1)
            return
        passed = self._from_parent(stack, value)
        if passed is not None:
            parent, parent_value = passed
            yield from self._expand(parent, parent_value, depth + 1)
            return
        resolved = resolve(value, stack.template, self.env(stack))
        yield from self._classify(stack, resolved)

    def _classify(self, stack: Stack, resolved: Any) -> Iterator[SubnetKey | Unknown]:
        if isinstance(resolved, list):
            for item in resolved:
                yield from self._classify(stack, item)
        elif isinstance(resolved, ResourceRef) and resolved.attribute in (None, "SubnetId"):
            owner = self.by_template.get(id(resolved.template), stack)
            target = owner.template.resources.get(resolved.logical_id)
            if target is not None and target.type == "AWS::EC2::Subnet":
                yield SubnetKey(stack=owner.display_name, logical_id=resolved.logical_id)
            else:
                yield Unknown(f"{resolved.logical_id} is not an AWS::EC2::Subnet")
        elif isinstance(resolved, str) and resolved.startswith("subnet-"):
            yield SubnetKey(subnet_id=resolved)
        elif isinstance(resolved, str) and "," in resolved:
            for part in resolved.split(","):
                yield from self._classify(stack, part.strip())
        elif isinstance(resolved, Unknown):
            yield resolved
        else:
            yield Unknown(f"{json.dumps(resolved, default=str)[:60]} is not a subnet reference")

    def _from_parent(self, stack: Stack, value: Any) -> tuple[Stack, Any] | None:
        """A nested stack's `Ref: Param` -> the parent's expression passed for Param, in the parent."""
        if not (stack.is_nested and isinstance(value, dict) and set(value) == {"Ref"}):
            return None
        name = value["Ref"]
        if name not in (stack.template.parameters or {}):
            return None
        parent_artifact, _, logical_id = stack.artifact_id.rpartition("/")
        parent = self.by_artifact.get(parent_artifact)
        holder = parent.template.resources.get(logical_id) if parent else None
        passed = (holder.properties.get("Parameters") or {}) if holder else {}
        if not isinstance(passed, dict) or name not in passed:
            return None
        return parent, passed[name]

    def group_subnets(self, stack: Stack, group_value: Any, group_types: tuple[str, ...],
                      subnet_property: str, name_property: str, what: str) -> tuple[SubnetKey, ...] | None:
        """Subnets of a subnet group given by Ref (or by the name the template gives it); None: no group."""
        if group_value is None:
            return None  # no subnet group: the default VPC, which the stacks do not create
        resolved = resolve(group_value, stack.template, self.env(stack))
        if isinstance(resolved, ResourceRef):
            owner = self.by_template.get(id(resolved.template), stack)
            group = owner.template.resources.get(resolved.logical_id)
            if group is not None and group.type in group_types:
                return self.subnets(owner, group.properties.get(subnet_property), f"{what} subnet group")
            raise _Unplaceable(f"{what}: {resolved.logical_id} is not a subnet group")
        if isinstance(resolved, str):
            for owner in self.stacks:
                for group in owner.template.of_type(*group_types):
                    named = resolve(group.properties.get(name_property), owner.template, self.env(owner))
                    if isinstance(named, str) and named.lower() == resolved.lower():
                        return self.subnets(owner, group.properties.get(subnet_property), f"{what} subnet group")
            raise _Unplaceable(f"{what}: subnet group '{resolved}' exists outside these stacks; "
                               "its subnets are known only in the account", existing_only=True)
        reason = resolved.reason if isinstance(resolved, Unknown) else "not a subnet group reference"
        raise _Unplaceable(f"{what} subnet group: {reason}")

    # -- result
    def report(self, available_ips: Mapping[str, int], available_source: str) -> CapacityReport:
        keys = dict.fromkeys(self.demands)
        for stack in self.stacks:
            for subnet in stack.template.of_type("AWS::EC2::Subnet"):
                keys.setdefault(SubnetKey(stack=stack.display_name, logical_id=subnet.logical_id))
        zones: dict[SubnetKey, Any] = {}
        subnets = []
        for key in keys:
            entry = self._subnet(key, available_ips, available_source)
            zones[key] = entry[1]
            subnets.append(entry[0])
        return CapacityReport(subnets=tuple(subnets), unknown=tuple(self.unknown),
                              placements=tuple(self.placements), zones=zones)

    def _subnet(self, key: SubnetKey, available_ips: Mapping[str, int],
                available_source: str) -> tuple[SubnetCapacity, Any]:
        demands = tuple(self.demands.get(key, ()))
        if key.existing:
            count = available_ips.get(key.subnet_id)
            source = available_source if count is not None else \
                "an existing subnet: its free addresses are known only in the account"
            return SubnetCapacity(key, None, None, None, count, source, demands), Unknown("existing subnet")
        stack = self.by_display[key.stack]
        resource = stack.template.resources[key.logical_id]
        env = self.env(stack)
        zone = resolve_availability_zone(resource.properties.get("AvailabilityZone"), stack.template, env)
        zone_text = zone if isinstance(zone, str) else (f"AZ #{zone.index + 1}" if isinstance(zone, AzSlot) else None)
        cidr, capacity, source = _template_subnet_capacity(resource, stack, env)
        return SubnetCapacity(key, resource.construct_path, cidr, zone_text, capacity, source, demands), zone


class _Unplaceable(Exception):
    def __init__(self, reason: str, existing_only: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.existing_only = existing_only


def _template_subnet_capacity(resource: Resource, stack: Stack, env: ResolutionEnv) -> tuple[str | None, int | None, str]:
    raw = resource.properties.get("CidrBlock")
    cidr = resolve(raw, stack.template, env) if raw is not None else None
    if isinstance(cidr, str):
        try:
            network = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            return cidr, None, f"CidrBlock {cidr!r} is not a CIDR"
        if network.version != 4:
            return cidr, None, "IPv6-only subnet: no IPv4 address limit modelled"
        return cidr, usable_addresses(network.prefixlen), \
            f"/{network.prefixlen}: {network.num_addresses} - {AWS_RESERVED_PER_SUBNET} reserved by AWS"
    mask = _mask_without_block(raw, resource, stack, env)
    if mask is not None:
        return None, usable_addresses(mask), \
            f"/{mask}: {2 ** (32 - mask)} - {AWS_RESERVED_PER_SUBNET} reserved by AWS (the block is chosen at deploy)"
    reason = cidr.reason if isinstance(cidr, Unknown) else "no IPv4 CidrBlock"
    return None, None, f"subnet size not known before deploy: {reason}"


def _mask_without_block(raw: Any, resource: Resource, stack: Stack, env: ResolutionEnv) -> int | None:
    """The prefix length when only the block is deploy-time: Fn::Select over Fn::Cidr, or IPAM's netmask."""
    netmask = as_number(resolve_property(resource, "Ipv4NetmaskLength", stack.template, env))
    if netmask is not None and 0 <= netmask <= 32:
        return int(netmask)
    if isinstance(raw, dict) and isinstance(raw.get("Fn::Select"), list) and len(raw["Fn::Select"]) == 2:
        inner = raw["Fn::Select"][1]
        if isinstance(inner, dict) and isinstance(inner.get("Fn::Cidr"), list) and len(inner["Fn::Cidr"]) == 3:
            bits = as_number(resolve(inner["Fn::Cidr"][2], stack.template, env))
            if bits is not None and 0 <= bits <= 32:
                return 32 - int(bits)
    return None


def usable_addresses(prefix_length: int) -> int:
    return max(2 ** (32 - prefix_length) - AWS_RESERVED_PER_SUBNET, 0)


# ------------------------------------------------------------------ placers
# Each returns (subnets, per-subnet demand as a function of the subnet count) or None when the
# resource is not in a VPC; raises _Unplaceable when it is but its subnets cannot be named.

PerSubnet = Callable[[int], list[tuple[int, str]]]
Placer = Callable[[_Model, Stack, Resource], "tuple[tuple[SubnetKey, ...], PerSubnet] | None"]


def _each(count: int, why: str) -> PerSubnet:
    return lambda n: [(count, why)] * n


def _spread(total: int, why: str) -> PerSubnet:
    """`total` addresses spread over the subnets: any one subnet may get ceil(total / n)."""
    def per_subnet(n: int) -> list[tuple[int, str]]:
        share = math.ceil(total / n)
        return [(share, f"{why} over {n} subnet{'s' if n != 1 else ''}, ceil({total}/{n}) = {share}")] * n
    return per_subnet


def _number(stack: Stack, resource: Resource, path: str, model: _Model, default: int) -> int:
    value = resolve_property(resource, path, stack.template, model.env(stack))
    number = as_number(value)
    if isinstance(value, Unknown):
        raise _Unplaceable(f"{path} is not known before deploy: {value.reason}")
    return default if number is None else int(number)


def _flag(stack: Stack, resource: Resource, path: str, model: _Model) -> bool:
    value = resolve_property(resource, path, stack.template, model.env(stack))
    if isinstance(value, Unknown):
        raise _Unplaceable(f"{path} is not known before deploy: {value.reason}")
    return bool(as_bool(value))


def _opensearch(model: _Model, stack: Stack, resource: Resource):
    vpc = resource.properties.get("VPCOptions")
    if not isinstance(vpc, dict) or vpc.get("SubnetIds") is None:
        return None
    subnets = model.subnets(stack, vpc["SubnetIds"], "VPCOptions.SubnetIds")
    nodes = _number(stack, resource, _cluster_path(resource, "InstanceCount"), model, 1)
    zone_aware = _flag(stack, resource, _cluster_path(resource, "ZoneAwarenessEnabled"), model)
    zones = _number(stack, resource, _cluster_path(resource, "ZoneAwarenessConfig.AvailabilityZoneCount"),
                    model, 2) if zone_aware else 1
    share = math.ceil(OPENSEARCH_IPS_PER_DATA_NODE * nodes / zones)
    why = (f"{OPENSEARCH_IPS_PER_DATA_NODE} x {nodes} data node{'s' if nodes != 1 else ''} / {zones} "
           f"AZ{'s' if zones != 1 else ''}, rounded up = {share}")
    return subnets, _each(share, why)


def _cluster_path(resource: Resource, leaf: str) -> str:
    cluster = "ElasticsearchClusterConfig" if resource.type == "AWS::Elasticsearch::Domain" else "ClusterConfig"
    return f"{cluster}.{leaf}"


_DB_SUBNET_GROUPS = ("AWS::RDS::DBSubnetGroup", "AWS::DocDB::DBSubnetGroup", "AWS::Neptune::DBSubnetGroup")
_DB_CLUSTERS = {"AWS::RDS::DBInstance": "AWS::RDS::DBCluster", "AWS::DocDB::DBInstance": "AWS::DocDB::DBCluster",
                "AWS::Neptune::DBInstance": "AWS::Neptune::DBCluster"}


def _db_instance(model: _Model, stack: Stack, resource: Resource):
    cluster_ref = resource.properties.get("DBClusterIdentifier")
    if resource.type != "AWS::RDS::DBInstance" and cluster_ref is None:
        return None
    if cluster_ref is not None:
        cluster = _referenced(model, stack, cluster_ref, _DB_CLUSTERS[resource.type])
        if cluster is None:
            raise _Unplaceable("the instance's DB cluster is not in these stacks", existing_only=True)
        owner, cluster_resource = cluster
        subnets = model.group_subnets(owner, cluster_resource.properties.get("DBSubnetGroupName"),
                                      _DB_SUBNET_GROUPS, "SubnetIds", "DBSubnetGroupName", "DB cluster")
        return (subnets, _spread(1, "1 cluster instance")) if subnets else None
    subnets = model.group_subnets(stack, resource.properties.get("DBSubnetGroupName"), _DB_SUBNET_GROUPS,
                                  "SubnetIds", "DBSubnetGroupName", "DB instance")
    if not subnets:
        return None
    multi_az = _flag(stack, resource, "MultiAZ", model)
    if multi_az:
        return subnets, _spread(2, "Multi-AZ primary + standby")
    return subnets, _spread(1, "1 DB instance")


def _db_cluster(model: _Model, stack: Stack, resource: Resource):
    """A Multi-AZ DB cluster (not Aurora) creates its three instances itself."""
    if resource.properties.get("DBClusterInstanceClass") is None:
        return None  # Aurora: the cluster's DBInstance resources carry the addresses
    subnets = model.group_subnets(stack, resource.properties.get("DBSubnetGroupName"), _DB_SUBNET_GROUPS,
                                  "SubnetIds", "DBSubnetGroupName", "DB cluster")
    if not subnets:
        return None
    return subnets, _spread(MULTI_AZ_DB_CLUSTER_INSTANCES, "Multi-AZ DB cluster writer + 2 readers")


def _referenced(model: _Model, stack: Stack, value: Any, kind: str) -> tuple[Stack, Resource] | None:
    resolved = resolve(value, stack.template, model.env(stack))
    if isinstance(resolved, ResourceRef):
        owner = model.by_template.get(id(resolved.template), stack)
        target = owner.template.resources.get(resolved.logical_id)
        if target is not None and target.type == kind:
            return owner, target
    return None


def _load_balancer(model: _Model, stack: Stack, resource: Resource):
    kind = resolve_property(resource, "Type", stack.template, model.env(stack), default="application")
    per_subnet = LOAD_BALANCER_IPS.get(kind if isinstance(kind, str) else "application", 8)
    subnets = _load_balancer_subnets(model, stack, resource)
    if subnets is None:
        return None
    why = ("ALB minimum per subnet" if per_subnet == 8 else f"{kind} load balancer, 1 per subnet")
    return subnets, _each(per_subnet, why)


def _load_balancer_subnets(model: _Model, stack: Stack, resource: Resource) -> tuple[SubnetKey, ...] | None:
    if resource.properties.get("Subnets") is not None:
        return model.subnets(stack, resource.properties["Subnets"], "Subnets")
    mappings = resource.properties.get("SubnetMappings")
    if isinstance(mappings, list):
        return model.subnets(stack, [m.get("SubnetId") for m in mappings if isinstance(m, dict)], "SubnetMappings")
    return None


def _classic_load_balancer(model: _Model, stack: Stack, resource: Resource):
    if resource.properties.get("Subnets") is None:
        return None
    subnets = model.subnets(stack, resource.properties["Subnets"], "Subnets")
    return subnets, _each(CLASSIC_LOAD_BALANCER_IPS, "Classic Load Balancer minimum per subnet")


def _single(property_name: str, why: str, extra: str | None = None) -> Placer:
    def placer(model: _Model, stack: Stack, resource: Resource):
        if resource.properties.get(property_name) is None:
            return None
        subnets = model.subnets(stack, resource.properties[property_name], property_name)
        count = 1 + (_number(stack, resource, extra, model, 0) if extra else 0)
        return subnets, _each(count, why if count == 1 else f"{why} + {count - 1} secondary = {count}")
    return placer


def _instance(model: _Model, stack: Stack, resource: Resource):
    if resource.properties.get("SubnetId") is not None:
        return model.subnets(stack, resource.properties["SubnetId"], "SubnetId"), _each(1, "EC2 instance")
    interfaces = resource.properties.get("NetworkInterfaces")
    if isinstance(interfaces, list):
        values = [i.get("SubnetId") for i in interfaces if isinstance(i, dict) and i.get("SubnetId") is not None]
        if values:
            subnets = model.subnets(stack, values, "NetworkInterfaces.SubnetId")
            return subnets, _each(1, "EC2 instance network interface")
    return None


def _ecs_service(model: _Model, stack: Stack, resource: Resource):
    awsvpc = resource.properties.get("NetworkConfiguration")
    awsvpc = awsvpc.get("AwsvpcConfiguration") if isinstance(awsvpc, dict) else None
    if not isinstance(awsvpc, dict) or awsvpc.get("Subnets") is None:
        return None
    if resolve_property(resource, "SchedulingStrategy", stack.template, model.env(stack)) == "DAEMON":
        raise _Unplaceable("a DAEMON service places one task per container instance: "
                           "its address demand depends on the cluster's instances")
    subnets = model.subnets(stack, awsvpc["Subnets"], "AwsvpcConfiguration.Subnets")
    desired = _number(stack, resource, "DesiredCount", model, 1)
    maximum = _number(stack, resource, "DeploymentConfiguration.MaximumPercent", model, ECS_DEFAULT_MAXIMUM_PERCENT)
    peak = math.ceil(desired * maximum / 100)
    why = f"{desired} task{'s' if desired != 1 else ''} x {maximum}% maximumPercent = {peak} ENIs"
    return subnets, _spread(peak, why)


def _elasticache_nodes(model: _Model, stack: Stack, resource: Resource) -> tuple[int, str]:
    if resource.type == "AWS::ElastiCache::CacheCluster":
        nodes = _number(stack, resource, "NumCacheNodes", model, 1)
        return nodes, f"{nodes} cache node{'s' if nodes != 1 else ''}"
    node_groups = resource.properties.get("NodeGroupConfiguration")
    if isinstance(node_groups, list) and node_groups:
        replicas = [as_number(resolve(g.get("ReplicaCount", 0), stack.template, model.env(stack)))
                    if isinstance(g, dict) else None for g in node_groups]
        if all(r is not None for r in replicas):
            nodes = sum(int(r) + 1 for r in replicas)
            return nodes, f"{len(node_groups)} shard(s) with their replicas = {nodes} nodes"
    if resource.properties.get("NumNodeGroups") is not None:
        shards = _number(stack, resource, "NumNodeGroups", model, 1)
        replicas = _number(stack, resource, "ReplicasPerNodeGroup", model, 0)
        nodes = shards * (replicas + 1)
        return nodes, f"{shards} shard(s) x (1 + {replicas} replica(s)) = {nodes} nodes"
    nodes = _number(stack, resource, "NumCacheClusters", model, 1)
    return nodes, f"{nodes} cache node{'s' if nodes != 1 else ''}"


def _elasticache(model: _Model, stack: Stack, resource: Resource):
    subnets = model.group_subnets(stack, resource.properties.get("CacheSubnetGroupName"),
                                  ("AWS::ElastiCache::SubnetGroup",), "SubnetIds", "CacheSubnetGroupName",
                                  "cache")
    if not subnets:
        return None
    nodes, why = _elasticache_nodes(model, stack, resource)
    return subnets, _spread(nodes, why)


def _lambda(model: _Model, stack: Stack, resource: Resource):
    vpc = resource.properties.get("VpcConfig")
    if not isinstance(vpc, dict) or vpc.get("SubnetIds") is None:
        return None
    subnets = model.subnets(stack, vpc["SubnetIds"], "VpcConfig.SubnetIds")
    security_groups = json.dumps(_security_group_identity(model, stack, vpc.get("SecurityGroupIds")), sort_keys=True)
    exists = resource_exists(resource, stack.template, model.env(stack))
    model.lambdas.append((stack, resource, subnets, security_groups,
                          resource.condition if isinstance(exists, Unknown) else None))
    model.placements.append(Placement(stack, resource, subnets))
    return None  # demand is added per security-group set once every function is known


def _security_group_identity(model: _Model, stack: Stack, value: Any) -> list[str]:
    resolved = resolve(value, stack.template, model.env(stack)) if value is not None else []
    items = resolved if isinstance(resolved, list) else [resolved]
    out = []
    for item in items:
        if isinstance(item, ResourceRef):
            owner = model.by_template.get(id(item.template), stack)
            out.append(f"{owner.display_name}/{item.logical_id}")
        elif isinstance(item, Unknown):
            out.append(f"unknown:{item.reason}")
        else:
            out.append(str(item))
    return sorted(out)


def _vpc_endpoint(model: _Model, stack: Stack, resource: Resource):
    kind = resolve_property(resource, "VpcEndpointType", stack.template, model.env(stack), default="Gateway")
    if kind not in ("Interface", "GatewayLoadBalancer") or resource.properties.get("SubnetIds") is None:
        return None
    subnets = model.subnets(stack, resource.properties["SubnetIds"], "SubnetIds")
    return subnets, _each(1, f"{kind} VPC endpoint, 1 per subnet")


_PLACERS: Mapping[str, Placer] = {
    "AWS::OpenSearchService::Domain": _opensearch,
    "AWS::Elasticsearch::Domain": _opensearch,
    "AWS::RDS::DBInstance": _db_instance,
    "AWS::DocDB::DBInstance": _db_instance,
    "AWS::Neptune::DBInstance": _db_instance,
    "AWS::RDS::DBCluster": _db_cluster,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _load_balancer,
    "AWS::ElasticLoadBalancing::LoadBalancer": _classic_load_balancer,
    "AWS::EC2::NatGateway": _single("SubnetId", "NAT gateway"),
    "AWS::EC2::NetworkInterface": _single("SubnetId", "network interface", "SecondaryPrivateIpAddressCount"),
    "AWS::EC2::Instance": _instance,
    "AWS::ECS::Service": _ecs_service,
    "AWS::ElastiCache::ReplicationGroup": _elasticache,
    "AWS::ElastiCache::CacheCluster": _elasticache,
    "AWS::Lambda::Function": _lambda,
    "AWS::EC2::VPCEndpoint": _vpc_endpoint,
}
PLACED_TYPES: tuple[str, ...] = tuple(_PLACERS)


def environment_zones(facts: Any) -> tuple[str, ...] | None:
    """The account's availability zones when it can tell, else None (Fn::GetAZs then stays positional)."""
    from cdkcheck.facts.interface import FactUnavailable

    try:
        zones = facts.availability_zones()
    except FactUnavailable:
        return None
    return tuple(zones) if zones else None




def judge_subnet(subnet: SubnetCapacity, stack: Stack | None, logical_id: str | None, *, headroom: int,
                 property_path: str | None = None):
    """Outcomes for one subnet: over capacity, under the wanted headroom, or undecidable.

    Shared by the template rule (subnets the stacks create) and the live rule (existing
    subnets), so both judge the same arithmetic the same way.
    """
    existing = subnet.subnet.existing
    evidence = subnet.as_evidence()
    if subnet.capacity is None:
        yield Undetermined(stack, logical_id, f"{subnet.total} addresses needed, but the {subnet.capacity_source}")
        return
    if subnet.total > subnet.capacity:
        if subnet.certain_total <= subnet.capacity:
            conditions = ", ".join(sorted({d.condition for d in subnet.demands if d.condition}))
            yield Undetermined(stack, logical_id, f"fits unless resources under condition(s) {conditions} "
                                                  f"are created: {subnet.arithmetic()}")
            return
        message = (f"existing subnet {subnet.label} has {subnet.capacity} free addresses but the stacks need "
                   f"{subnet.total}" if existing else
                   f"subnet {subnet.label} needs room for {subnet.total} addresses but has {subnet.capacity}")
        yield Violation(stack=stack, logical_id=logical_id, message=f"{message}: {subnet.arithmetic()}",
                        evidence=evidence, property_path=property_path)
    elif subnet.headroom is not None and subnet.headroom < headroom:
        kind = "existing subnet" if existing else "subnet"
        yield Violation(stack=stack, logical_id=logical_id,
                        message=f"{kind} {subnet.label} would keep only {subnet.headroom} free addresses, "
                                f"below free_ip_headroom {headroom}: {subnet.arithmetic()}",
                        evidence={**evidence, "free_ip_headroom": headroom}, property_path=property_path,
                        severity=Severity.WARNING)
