"""How long a first deploy (all creates) of an environment's stacks will take, roughly.

CloudFormation creates a stack's resources in parallel, limited only by their
references (Ref, Fn::GetAtt, Fn::Sub, DependsOn), so a stack takes as long as
its slowest chain; a nested stack resource takes as long as its own template.
Stacks wait for the stacks whose exports they import. `cdk deploy --all` deploys
one stack at a time unless given --concurrency, so both the one-at-a-time total
and the fully parallel critical path are reported.

Times are minutes per resource type: a typical figure and an upper bound, each
with where it came from. They are estimates for planning (will the deploy
outlive its credentials?), never a promise.
"""

from __future__ import annotations

import heapq
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Sequence

from cdkcheck.model import Resource, Stack
from cdkcheck.template.intrinsics import references


@dataclass(frozen=True)
class CreationTime:
    typical: float  # minutes
    upper: float
    source: str


# Sources: rule-catalog.md "Typical creation times". Upper bounds follow Terraform's
# default create timeouts where it has one; the rest are marked unverified.
_TERRAFORM = "upper bound: Terraform's default create timeout"
CATALOG: Mapping[str, CreationTime] = {
    "AWS::RDS::DBInstance": CreationTime(15, 40, f"RDS getting-started guide (up to ~20 min); {_TERRAFORM}"),
    "AWS::RDS::DBCluster": CreationTime(10, 30, "Aurora 15-30 min with its instances (unverified)"),
    "AWS::DocDB::DBCluster": CreationTime(10, 30, "as Aurora (unverified)"),
    "AWS::DocDB::DBInstance": CreationTime(10, 40, "as Aurora instances (unverified)"),
    "AWS::Neptune::DBCluster": CreationTime(10, 30, "as Aurora (unverified)"),
    "AWS::Neptune::DBInstance": CreationTime(10, 40, "as Aurora instances (unverified)"),
    "AWS::OpenSearchService::Domain": CreationTime(20, 90, f"OpenSearch guide (typically 15-30 min); {_TERRAFORM}"),
    "AWS::Elasticsearch::Domain": CreationTime(20, 90, f"OpenSearch guide (typically 15-30 min); {_TERRAFORM}"),
    "AWS::ElastiCache::ReplicationGroup": CreationTime(15, 60, f"10-20 min (unverified); {_TERRAFORM}"),
    "AWS::ElastiCache::CacheCluster": CreationTime(10, 40, "10-20 min (unverified)"),
    "AWS::MemoryDB::Cluster": CreationTime(15, 60, "as ElastiCache (unverified)"),
    "AWS::Redshift::Cluster": CreationTime(10, 75, f"unverified; {_TERRAFORM}"),
    "AWS::MSK::Cluster": CreationTime(25, 120, f"unverified; {_TERRAFORM}"),
    "AWS::EKS::Cluster": CreationTime(12, 30, f"unverified; {_TERRAFORM}"),
    "AWS::EKS::Nodegroup": CreationTime(5, 60, f"unverified; {_TERRAFORM}"),
    "AWS::EC2::NatGateway": CreationTime(2, 10, f"1-3 min (unverified); {_TERRAFORM}"),
    "AWS::EC2::TransitGateway": CreationTime(3, 10, f"unverified; {_TERRAFORM}"),
    "AWS::EC2::Instance": CreationTime(2, 10, f"unverified; {_TERRAFORM}"),
    "AWS::AutoScaling::AutoScalingGroup": CreationTime(4, 10, f"unverified; {_TERRAFORM}"),
    "AWS::ECS::Service": CreationTime(5, 30, "waits for the service to reach steady state (unverified)"),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": CreationTime(3, 10, f"unverified; {_TERRAFORM}"),
    "AWS::ElasticLoadBalancing::LoadBalancer": CreationTime(2, 10, "unverified"),
    "AWS::CloudFront::Distribution": CreationTime(5, 30, "unverified"),
    "AWS::CertificateManager::Certificate": CreationTime(3, 30, "DNS validation; waits for the record (unverified)"),
    "AWS::DynamoDB::GlobalTable": CreationTime(5, 30, f"unverified; {_TERRAFORM}"),
    "AWS::Lambda::Function": CreationTime(0.5, 5, "functions in a VPC wait for their network interfaces (unverified)"),
    "AWS::CloudFormation::CustomResource": CreationTime(1, 15, "a Lambda-backed custom resource (unverified)"),
    "AWS::CloudFormation::WaitCondition": CreationTime(1, 60, "waits for a signal (unverified)"),
}
QUICK = CreationTime(0.25, 1, "quick resource: cdkcheck default (unverified)")
MULTI_AZ_RDS = CreationTime(25, 40, f"Multi-AZ 20-40 min (unverified); {_TERRAFORM}")
AURORA_INSTANCE = CreationTime(10, 40, f"Aurora 15-30 min with its cluster (unverified); {_TERRAFORM}")
NESTED_STACK_OVERHEAD = CreationTime(0.5, 1, "nested stack create and completion signal (unverified)")
STACK_OVERHEAD = CreationTime(0.5, 2, "change set creation and execution (unverified)")
CDK_DEFAULT_CONCURRENCY = 1  # `cdk deploy --all` deploys one stack at a time by default


def creation_time(resource: Resource) -> CreationTime:
    if resource.type == "AWS::RDS::DBInstance":
        if resource.properties.get("DBClusterIdentifier"):
            return AURORA_INSTANCE
        if resource.properties.get("MultiAZ") in (True, "true", "True"):
            return MULTI_AZ_RDS
    if resource.type.startswith("Custom::"):
        return CATALOG["AWS::CloudFormation::CustomResource"]
    return CATALOG.get(resource.type, QUICK)


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class PathStep:
    stack: str
    logical_id: str
    type: str
    construct_path: str | None
    typical: float
    upper: float
    source: str


@dataclass(frozen=True)
class StackEstimate:
    stack: str  # display name
    typical: float  # minutes along the slowest chain, overhead included
    upper: float
    critical_path: tuple[PathStep, ...]  # the slowest chain by typical time, first created first
    waits_for: tuple[str, ...]  # stacks whose exports this one imports


@dataclass(frozen=True)
class DeployEstimate:
    stacks: tuple[StackEstimate, ...]  # top-level stacks, in a valid deploy order
    critical_stacks: tuple[str, ...]  # the chain of stacks that bounds a fully parallel deploy
    notes: tuple[str, ...] = ()  # what the estimate could not account for

    def total(self, concurrency: int = CDK_DEFAULT_CONCURRENCY, *, upper: bool = False) -> float:
        """Minutes for all stacks with at most `concurrency` deploying at once (0: unlimited)."""
        return _schedule(self.stacks, concurrency, upper=upper)

    @property
    def slowest_step(self) -> PathStep | None:
        steps = [step for s in self.stacks for step in s.critical_path]
        return max(steps, key=lambda step: (step.typical, step.upper), default=None)

    def summary(self, concurrency: int = CDK_DEFAULT_CONCURRENCY) -> str:
        if not self.stacks:
            return "deploy estimate: no stacks"
        one = f"~{_fmt(self.total(concurrency))} min typical, up to {_fmt(self.total(concurrency, upper=True))} min"
        how = "one stack at a time, the cdk deploy default" if concurrency == 1 else \
            ("independent stacks in parallel" if concurrency == 0 else f"--concurrency {concurrency}")
        text = f"deploy estimate: {one} ({how})"
        if (self.total(0), self.total(0, upper=True)) != (self.total(concurrency), self.total(concurrency, upper=True)):
            text += (f"; with independent stacks in parallel {_fmt(self.total(0))} min typical, "
                     f"up to {_fmt(self.total(0, upper=True))} min")
        slowest = self.slowest_step
        if slowest is not None:
            text += (f"; slowest: {slowest.construct_path or slowest.logical_id} ({slowest.type}, "
                     f"{_fmt(slowest.typical)}-{_fmt(slowest.upper)} min)")
        return text

    def as_evidence(self, concurrency: int = CDK_DEFAULT_CONCURRENCY) -> dict[str, Any]:
        """Plain data for reports: per-stack chains with their minutes."""
        return {
            "concurrency": concurrency,
            "typical_minutes": round(self.total(concurrency), 1),
            "upper_minutes": round(self.total(concurrency, upper=True), 1),
            "critical_path_typical_minutes": round(self.total(0), 1),
            "critical_path_upper_minutes": round(self.total(0, upper=True), 1),
            "critical_stacks": list(self.critical_stacks),
            "stacks": [
                {
                    "stack": s.stack,
                    "typical_minutes": round(s.typical, 1),
                    "upper_minutes": round(s.upper, 1),
                    "waits_for": list(s.waits_for),
                    "slowest_chain": [
                        {"logical_id": p.logical_id, "type": p.type, "construct_path": p.construct_path,
                         "typical_minutes": p.typical, "upper_minutes": p.upper, "source": p.source}
                        for p in s.critical_path
                    ],
                }
                for s in self.stacks
            ],
            "notes": list(self.notes),
        }


def _fmt(minutes: float) -> str:
    return f"{minutes:.0f}" if minutes >= 10 else f"{minutes:.1f}".rstrip("0").rstrip(".")


# ------------------------------------------------------------------ estimate


# The report, CDKC-D1 and CDKC-L9 all ask for the same environment's estimate: answer once.
# Keyed by the stacks' identities; the stacks are kept in the entry so an id cannot be reused.
_RECENT: dict[tuple[int, ...], tuple[tuple[Any, ...], DeployEstimate]] = {}
_RECENT_KEPT = 8
# What an update does to a resource that exists (cdkcheck.updates.stack_diff actions), as time.
UNCHANGED = CreationTime(0, 0, "unchanged by the update")
IN_PLACE = CreationTime(QUICK.typical, QUICK.upper, "updated in place: cdkcheck default (unverified)")

Changes = Mapping[str, Mapping[str, str]]  # artifact id -> logical id -> "add" | "update" | "replace" | ...


def estimate_environment(stacks: Sequence[Stack], env_info: Any = None, changes: Changes | None = None) -> DeployEstimate:
    """The deploy estimate for these stacks (nested ones are folded into their parents).

    `changes` names, for each stack that exists already, what the update does to each
    resource: then only what it creates or replaces counts in full, an in-place update as a
    quick resource, an unchanged one not at all. Without it every stack is a first deploy.
    `env_info` (an EnvironmentInfo) is accepted for symmetry with the other entry points.
    """
    stacks = tuple(stacks)
    key = (id(changes), *map(id, stacks))
    hit = _RECENT.get(key)
    if hit is not None and hit[0][0] is changes and all(a is b for a, b in zip(hit[0][1:], stacks)):
        return hit[1]
    estimate = _estimate(stacks, changes or {})
    if len(_RECENT) >= _RECENT_KEPT:
        _RECENT.clear()
    _RECENT[key] = ((changes, *stacks), estimate)
    return estimate


def _estimate(stacks: tuple[Stack, ...], changes: Changes = {}) -> DeployEstimate:
    notes: list[str] = []
    by_artifact = {s.artifact_id: s for s in stacks}
    top_level = [s for s in stacks if not s.is_nested]
    exporters: dict[str, str] = {}
    for stack in top_level:
        for name in _export_names(stack, by_artifact):
            exporters[name] = stack.display_name
    existing = [s.display_name for s in top_level if s.artifact_id in changes]
    if existing:
        notes.append(f"{len(existing)} of {len(top_level)} stack(s) exist already: only what the update creates or "
                     "replaces is counted in full, an in-place update as a quick resource")

    estimates: dict[str, StackEstimate] = {}
    for stack in top_level:
        typical, upper, path = _stack_critical_path(stack, by_artifact, notes, seen=(), changes=changes)
        imports = {n for n in _import_names(stack, by_artifact, notes)}
        waits_for = tuple(sorted({exporters[n] for n in imports if n in exporters} - {stack.display_name}))
        actions = changes.get(stack.artifact_id)
        # `cdk deploy` skips a stack whose template did not change.
        overhead = UNCHANGED if actions is not None and _untouched(stack, by_artifact, changes) else STACK_OVERHEAD
        estimates[stack.display_name] = StackEstimate(
            stack=stack.display_name,
            typical=typical + overhead.typical,
            upper=upper + overhead.upper,
            critical_path=path,
            waits_for=waits_for,
        )
    ordered = _deploy_order(estimates, notes)
    return DeployEstimate(stacks=ordered, critical_stacks=_critical_stacks(ordered), notes=tuple(notes))


def _untouched(stack: Stack, by_artifact: Mapping[str, Stack], changes: Changes) -> bool:
    return all(changes.get(member.artifact_id) is not None
               and all(a == "unchanged" for a in changes[member.artifact_id].values())
               for member in _family(stack, by_artifact))


def _update_time(action: str | None, resource: Resource, created: CreationTime) -> CreationTime:
    if action == "unchanged":
        return UNCHANGED
    if action == "update" and resource.type != "AWS::CloudFormation::Stack":
        return IN_PLACE
    return created  # added, replaced, maybe replaced; a nested stack counts its own changes


def _stack_critical_path(stack: Stack, by_artifact: Mapping[str, Stack], notes: list[str],
                         seen: tuple[str, ...], changes: Changes = {}) -> tuple[float, float, tuple[PathStep, ...]]:
    """(typical minutes, upper minutes, slowest chain) for one template."""
    resources = stack.template.resources
    actions = changes.get(stack.artifact_id)
    durations: dict[str, CreationTime] = {}
    for logical_id, resource in resources.items():
        time = _resource_time(stack, resource, by_artifact, notes, seen, changes)
        durations[logical_id] = time if actions is None else _update_time(actions.get(logical_id), resource, time)
    edges = {lid: sorted(d for d in _dependencies(r, resources) if d != lid) for lid, r in resources.items()}

    typical_finish = _longest_finish(edges, {k: v.typical for k, v in durations.items()})
    upper_finish = _longest_finish(edges, {k: v.upper for k, v in durations.items()})
    if not resources:
        return 0.0, 0.0, ()
    end = max(typical_finish, key=lambda k: (typical_finish[k][0], k))
    chain = []
    node: str | None = end
    while node is not None:
        resource = resources[node]
        time = durations[node]
        chain.append(PathStep(stack=stack.display_name, logical_id=node, type=resource.type,
                              construct_path=resource.construct_path, typical=time.typical,
                              upper=time.upper, source=time.source))
        node = typical_finish[node][1]
    upper_total = max(finish for finish, _ in upper_finish.values())
    return typical_finish[end][0], upper_total, tuple(reversed(chain))


def _resource_time(stack: Stack, resource: Resource, by_artifact: Mapping[str, Stack], notes: list[str],
                   seen: tuple[str, ...], changes: Changes = {}) -> CreationTime:
    if resource.type != "AWS::CloudFormation::Stack":
        return creation_time(resource)
    nested = by_artifact.get(f"{stack.artifact_id}/{resource.logical_id}")
    if nested is None or nested.artifact_id in seen:
        notes.append(f"{stack.display_name}/{resource.logical_id}: nested stack template not in the assembly; "
                     "counted as a quick resource")
        return CreationTime(NESTED_STACK_OVERHEAD.typical, NESTED_STACK_OVERHEAD.upper,
                            "nested stack whose template is not available")
    typical, upper, _ = _stack_critical_path(nested, by_artifact, notes, seen + (stack.artifact_id,), changes)
    return CreationTime(typical + NESTED_STACK_OVERHEAD.typical, upper + NESTED_STACK_OVERHEAD.upper,
                        f"nested stack {nested.display_name}: its own slowest chain")


def _longest_finish(edges: Mapping[str, list[str]], weight: Mapping[str, float]) -> dict[str, tuple[float, str | None]]:
    """Earliest finish of each node (its weight after its slowest dependency) and that dependency."""
    finish: dict[str, tuple[float, str | None]] = {}
    visiting: set[str] = set()
    for root in edges:
        if root in finish:
            continue
        stack = [(root, iter(edges[root]))]
        visiting.add(root)
        while stack:
            node, children = stack[-1]
            child = next((c for c in children if c in edges and c not in finish and c not in visiting), None)
            if child is not None:
                visiting.add(child)
                stack.append((child, iter(edges[child])))
                continue
            # A reference cycle is a template CloudFormation rejects; its back edge is ignored here.
            done = [(finish[d][0], d) for d in edges[node] if d in finish]
            before, via = max(done, default=(0.0, None))
            finish[node] = (before + weight[node], via)
            visiting.discard(node)
            stack.pop()
    return finish


def _dependencies(resource: Resource, resources: Mapping[str, Resource]) -> set[str]:
    found = set(d for d in resource.depends_on if d in resources)
    found.update(r for r in references(resource.properties) if r in resources)
    return found


# ------------------------------------------------------------- cross-stack


def _family(stack: Stack, by_artifact: Mapping[str, Stack]) -> Iterable[Stack]:
    """A stack and every stack nested under it (they deploy as one)."""
    prefix = stack.artifact_id + "/"
    yield stack
    yield from (s for a, s in by_artifact.items() if a.startswith(prefix))


def _export_names(stack: Stack, by_artifact: Mapping[str, Stack]) -> set[str]:
    names = set()
    for member in _family(stack, by_artifact):
        for output in (member.template.body.get("Outputs") or {}).values():
            export = output.get("Export") if isinstance(output, dict) else None
            name = export.get("Name") if isinstance(export, dict) else None
            if isinstance(name, str):
                names.add(name)
    return names


def _import_names(stack: Stack, by_artifact: Mapping[str, Stack], notes: list[str]) -> set[str]:
    names: set[str] = set()
    for member in _family(stack, by_artifact):
        for value in _import_values(member.template.body.get("Resources") or {}):
            if isinstance(value, str):
                names.add(value)
            else:
                notes.append(f"{member.display_name}: an Fn::ImportValue with a computed name; "
                             "its stack order is not known")
        for value in _import_values(member.template.body.get("Outputs") or {}):
            if isinstance(value, str):
                names.add(value)
    return names


def _import_values(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Fn::ImportValue":
                yield inner
            else:
                yield from _import_values(inner)
    elif isinstance(value, list):
        for item in value:
            yield from _import_values(item)


def _deploy_order(estimates: Mapping[str, StackEstimate], notes: list[str]) -> tuple[StackEstimate, ...]:
    """Stacks in an order that respects imports (ties keep the assembly's order)."""
    position = {name: i for i, name in enumerate(estimates)}
    waiting = {name: set(e.waits_for) for name, e in estimates.items()}
    ready = [(position[n], n) for n, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    ordered: list[StackEstimate] = []
    while ready:
        _, name = heapq.heappop(ready)
        ordered.append(estimates[name])
        for other, deps in waiting.items():
            if name in deps:
                deps.discard(name)
                if not deps:
                    heapq.heappush(ready, (position[other], other))
    if len(ordered) < len(estimates):
        stuck = sorted(set(estimates) - {e.stack for e in ordered})
        notes.append(f"stacks import each other's exports in a cycle: {', '.join(stuck)}")
        ordered.extend(estimates[n] for n in stuck)
    return tuple(ordered)


def _critical_stacks(ordered: Sequence[StackEstimate]) -> tuple[str, ...]:
    finish: dict[str, tuple[float, str | None]] = {}
    for s in ordered:
        before, via = max(((finish[d][0], d) for d in s.waits_for if d in finish), default=(0.0, None))
        finish[s.stack] = (before + s.typical, via)
    if not finish:
        return ()
    node: str | None = max(finish, key=lambda k: finish[k][0])
    chain = []
    while node is not None:
        chain.append(node)
        node = finish[node][1]
    return tuple(reversed(chain))


def _schedule(stacks: Sequence[StackEstimate], concurrency: int, *, upper: bool) -> float:
    """Finish time of a deploy that starts each ready stack, in order, when a slot is free."""
    limit = concurrency if concurrency > 0 else max(len(stacks), 1)
    length = {s.stack: (s.upper if upper else s.typical) for s in stacks}
    done: dict[str, float] = {}
    running: list[tuple[float, str]] = []  # (finish time, stack)
    pending = list(stacks)
    now = 0.0
    while pending or running:
        started = True
        while started and len(running) < limit:
            started = False
            for s in pending:
                if all(d in done for d in s.waits_for):
                    heapq.heappush(running, (now + length[s.stack], s.stack))
                    pending.remove(s)
                    started = True
                    break
        if not running:  # an import cycle: nothing can start; count the rest one after another
            return now + sum(length[s.stack] for s in pending)
        now, name = heapq.heappop(running)
        done[name] = now
    return now
