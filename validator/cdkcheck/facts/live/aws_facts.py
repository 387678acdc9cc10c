"""AccountFacts answered by boto3: batched, concurrent, cached, and only ever reads.

Each answer comes from as few calls as the APIs allow: one paginated listing per
kind of thing (every subnet asked for in one describe_subnets, every DB instance
name checked against one describe_db_instances), so the number of calls follows
the kinds of resources in the stacks, not how many there are. Answers are kept
for the run. Across runs, only when asked (max_facts_age) and only for the facts in
REUSABLE_FACTS, an answer may come from RerunCache; every answer served is noted in
`ledger` with when AWS gave it, so what relied on an earlier run's answer can be read
again (`refuse_earlier_answers`).
"""

from __future__ import annotations

import concurrent.futures as futures
import threading
import time
from collections import Counter, defaultdict
from typing import Any, Callable, Iterable

from cdkcheck.facts.interface import (
    CallerIdentity, DeployedStack, DeployedTemplate, FactUnavailable, OpenSearchInstanceLimits, QuotaFacts, RdsEngineVersion,
    RdsOrderableOption, SubnetFacts, UsageFacts,
)
from cdkcheck.facts.reads import ReadLedger
from cdkcheck.facts.live.failures import describe_failure, error_code
from cdkcheck.facts.live.record import question_key
from cdkcheck.facts.live.permission_facts import PermissionFacts
from cdkcheck.facts.live.reference_facts import SecretAndParameterFacts
from cdkcheck.facts.live.session import MAX_CONCURRENCY, WriteRefused, botocore_config

# Credential sources whose expiry nothing renews: a deploy outliving them fails (aws-cdk#19359).
NON_RENEWING_SOURCES = frozenset({"env"})
# Service Quotas answers "no such quota" for codes it does not hold (and for services it does not cover).
_NO_SUCH_QUOTA = {"NoSuchResourceException"}
_GIB = 1024 ** 3
# Facts another run may answer (with max_facts_age): AWS's catalogue (zones, orderable options, engine
# versions, instance types) and settings changed only by deliberate, rare action (quota values, the
# bootstrap version). Never what deploys and people change by the minute: usage counts, free IPs,
# stack states, taken names. A fact not listed here is always read fresh.
REUSABLE_FACTS = frozenset({
    "availability_zones", "quota", "_default_quotas", "bootstrap_version", "rds_orderable", "rds_engine_version",
    "opensearch_instance_types", "opensearch_instance_limits", "registry_type_schema",
})


class BotoAccountFacts(SecretAndParameterFacts, PermissionFacts):
    def __init__(self, session: Any, region: str, *, rerun_cache: Any = None,
                 timeouts: dict[str, float | None] | None = None):
        self._session = session
        self.region = region
        self._config = botocore_config(**(timeouts or {}))
        self._clients: dict[str, Any] = {}
        self._client_lock = threading.Lock()
        self._answers: dict[str, futures.Future] = {}
        self._answers_lock = threading.Lock()
        self._fatal: str | None = None  # set once the account cannot be reached at all
        # service -> reason, once it let a call time out: waiting again per question would turn
        # one silent service into minutes of timeouts.
        self._unresponsive: dict[str, str] = {}
        self._rerun_cache = rerun_cache
        self.max_facts_age = float(getattr(rerun_cache, "ttl", 0.0) or 0.0)
        self.ledger = ReadLedger()
        # key -> (when AWS gave the answer, whether an earlier run did): noted with every answer served.
        self._origin: dict[str, tuple[float, bool]] = {}
        self._fresh_only = False
        self.calls: Counter[str] = Counter()  # "ec2:DescribeSubnets" -> calls sent, for benchmarks

    def watch(self):
        """A context manager yielding the Reads of every answer served on this thread while it is open."""
        return self.ledger.watch()

    def refuse_earlier_answers(self) -> None:
        """From now on no answer of an earlier run is served, not even one already used in this run."""
        self._fresh_only = True

    # ------------------------------------------------------------ plumbing

    def client(self, service: str):
        with self._client_lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(service, region_name=self.region,
                                                              config=self._config)
            return self._clients[service]

    def _call(self, service: str, operation: str, **params: Any) -> dict:
        """One call. Failures stay botocore's exceptions, each carrying `cdkcheck_reason`."""
        client = self.client(service)
        what = f"{service}:{client.meta.method_to_api_mapping.get(operation, operation)}"
        self._stop_if_hopeless(service)
        self.calls[what] += 1
        try:
            return getattr(client, operation)(**params)
        except Exception as exc:
            exc.cdkcheck_reason = self._reason(exc, what)  # type: ignore[attr-defined]
            raise

    def _read(self, service: str, operation: str, **params: Any) -> dict:
        """One call; any failure becomes FactUnavailable with its reason."""
        try:
            return self._call(service, operation, **params)
        except FactUnavailable:
            raise
        except Exception as exc:
            raise FactUnavailable(getattr(exc, "cdkcheck_reason", None) or str(exc)) from None

    def _all(self, service: str, operation: str, key: str, **params: Any) -> list:
        """Every page of a listing as one list (botocore's paginator where it has one)."""
        client = self.client(service)
        if not client.can_paginate(operation):
            items: list = []
            while True:
                page = self._read(service, operation, **params)
                items.extend(page.get(key) or [])
                if not page.get("NextToken"):
                    return items
                params = {**params, "NextToken": page["NextToken"]}
        what = f"{service}:{client.meta.method_to_api_mapping.get(operation, operation)}"
        self._stop_if_hopeless(service)
        items = []
        self.calls[what] += 1
        try:
            for number, page in enumerate(client.get_paginator(operation).paginate(**params)):
                self.calls[what] += 1 if number else 0
                items.extend(page.get(key) or [])
        except Exception as exc:
            raise FactUnavailable(self._reason(exc, what)) from None
        return items

    def _stop_if_hopeless(self, service: str) -> None:
        if self._fatal:
            raise FactUnavailable(self._fatal)
        if service in self._unresponsive:
            raise FactUnavailable(self._unresponsive[service])

    def _reason(self, exc: Exception, what: str) -> str:
        if isinstance(exc, WriteRefused):
            raise exc  # a bug in cdkcheck, never an account's answer
        failure = describe_failure(exc, what)
        if failure.fatal:
            self._fatal = failure.reason
        from botocore.exceptions import ReadTimeoutError

        if isinstance(exc, ReadTimeoutError):
            self._unresponsive[what.split(":", 1)[0]] = failure.reason
        return failure.reason

    def _answer(self, method: str, args: tuple, compute: Callable[[], Any], *, rerun: bool = True) -> Any:
        """Each question is asked once per run; concurrent askers wait for the first."""
        key = question_key(method, args)
        reusable = rerun and self._rerun_cache is not None and method in REUSABLE_FACTS
        with self._answers_lock:
            future = self._answers.get(key)
            if future is not None and self._fresh_only and self._origin.get(key, (0.0, False))[1]:
                future = None  # it relied on an earlier run's answer: ask again
            owner = future is None
            if owner:
                future = self._answers[key] = futures.Future()
        if owner:
            try:
                cached = self._rerun_cache.get(key) if (reusable and not self._fresh_only) else None
                if cached is not None:
                    value, origin = cached[0], (cached[1], True)
                else:
                    started = time.time()
                    with self.ledger.watch() as nested:  # answers this one is made of
                        value = compute()
                    origin = (min(started, nested.oldest() or started), nested.any_reused)
                    if reusable:
                        self._rerun_cache.put(key, value, read_at=origin[0])
                self._origin[key] = origin
                future.set_result(value)
            except BaseException as exc:  # delivered to every asker, the first included
                future.set_exception(exc)
        value = future.result()
        self.ledger.note(key, *self._origin[key])
        return value

    def prefetch(self, questions: tuple[tuple[Any, ...], ...]) -> None:
        todo = [(q[0], tuple(q[1:])) for q in questions if q and hasattr(self, q[0])]
        if len(todo) < 2:
            return
        with futures.ThreadPoolExecutor(max_workers=min(MAX_CONCURRENCY, len(todo)),
                                        thread_name_prefix="cdkcheck-aws") as pool:
            for job in [pool.submit(getattr(self, name), *args) for name, args in todo]:
                try:
                    job.result()
                except Exception:  # surfaces again, with its reason, when the rule asks
                    pass

    # ------------------------------------------------------------ questions

    def identity(self) -> CallerIdentity:
        def compute() -> CallerIdentity:
            found = self._read("sts", "get_caller_identity")
            source, seconds_left = _credential_lifetime(self._session)
            return CallerIdentity(account=found["Account"], arn=found["Arn"], credential_source=source,
                                  seconds_left=seconds_left)

        return self._answer("identity", (), compute)

    def availability_zones(self) -> tuple[str, ...]:
        def compute() -> tuple[str, ...]:
            zones = self._read("ec2", "describe_availability_zones",
                               Filters=[{"Name": "state", "Values": ["available"]}])["AvailabilityZones"]
            return tuple(sorted(z["ZoneName"] for z in zones if z.get("ZoneType", "availability-zone")
                                == "availability-zone"))

        return self._answer("availability_zones", (), compute)

    def subnets(self, subnet_ids: tuple[str, ...]) -> dict[str, SubnetFacts]:
        wanted = tuple(sorted(set(subnet_ids)))
        if not wanted:
            return {}

        def compute() -> dict[str, SubnetFacts]:
            # A filter, not SubnetIds=: one unknown id must not fail the whole batch.
            found = self._all("ec2", "describe_subnets", "Subnets",
                              Filters=[{"Name": "subnet-id", "Values": list(wanted)}])
            return {s["SubnetId"]: SubnetFacts(subnet_id=s["SubnetId"], vpc_id=s["VpcId"],
                                               availability_zone=s["AvailabilityZone"],
                                               cidr_block=s["CidrBlock"],
                                               available_ips=int(s["AvailableIpAddressCount"]))
                    for s in found}

        return dict(self._answer("subnets", (wanted,), compute))

    def quota(self, service: str, code: str) -> QuotaFacts | None:
        if service == "rds":
            quotas = self._rds_account_quotas()
            if code not in quotas:
                return None
            return QuotaFacts(service="rds", code=code, name=code, value=quotas[code][1],
                              source="account-attributes (rds.describe_account_attributes)")

        def compute() -> QuotaFacts | None:
            try:
                found = self._call("service-quotas", "get_service_quota", ServiceCode=service, QuotaCode=code)
            except FactUnavailable:
                raise
            except Exception as exc:
                if error_code(exc) not in _NO_SUCH_QUOTA:
                    raise FactUnavailable(getattr(exc, "cdkcheck_reason", str(exc))) from None
                default = self._default_quotas(service).get(code)
                if default is None:
                    return None
                return QuotaFacts(service=service, code=code, name=default[0], value=default[1],
                                  source="aws-default (servicequotas.list_aws_default_service_quotas)")
            quota = found["Quota"]
            return QuotaFacts(service=service, code=code, name=quota.get("QuotaName", code),
                              value=float(quota["Value"]), source="applied (servicequotas.get_service_quota)")

        return self._answer("quota", (service, code), compute)

    def _default_quotas(self, service: str) -> dict[str, tuple[str, float]]:
        def compute() -> dict[str, tuple[str, float]]:
            try:
                listed = self._all("service-quotas", "list_aws_default_service_quotas", "Quotas",
                                   ServiceCode=service)
            except FactUnavailable:
                return {}  # no published default: the caller falls back to the documented one
            return {q["QuotaCode"]: (q.get("QuotaName", q["QuotaCode"]), float(q["Value"])) for q in listed}

        return self._answer("_default_quotas", (service,), compute)

    def _rds_account_quotas(self) -> dict[str, tuple[float, float]]:
        def compute() -> dict[str, tuple[float, float]]:
            listed = self._read("rds", "describe_account_attributes").get("AccountQuotas") or []
            quotas = {q["AccountQuotaName"]: (float(q["Used"]), float(q["Max"])) for q in listed}
            if "AllocatedStorage" in quotas:
                used, maximum = quotas["AllocatedStorage"]
                # Documented as GiB, but accounts have been seen answering in bytes: a maximum
                # beyond any GiB figure RDS offers is bytes.
                if maximum >= _GIB:
                    quotas["AllocatedStorage"] = (used / _GIB, maximum / _GIB)
            return quotas

        return self._answer("_rds_account_quotas", (), compute)

    def usage(self, metric: str) -> UsageFacts:
        if metric.startswith("rds:"):
            name = metric.split(":", 1)[1]
            quotas = self._rds_account_quotas()
            if name not in quotas:
                raise FactUnavailable(f"rds.describe_account_attributes does not report {name}")
            return UsageFacts(metric=metric, value=quotas[name][0], source="rds.describe_account_attributes")
        counter = _USAGE.get(metric)
        if counter is None:
            raise FactUnavailable(f"no way to count usage metric '{metric}'")
        return self._answer("usage", (metric,), lambda: counter(self))

    def deployed_stack(self, stack_name: str) -> DeployedStack | None:
        def compute() -> DeployedStack | None:
            summary = self._stack_index().get(stack_name)
            if summary is None:
                return None
            resources = [r for r in self._all("cloudformation", "list_stack_resources", "StackResourceSummaries",
                                              StackName=summary["StackId"])
                         if r.get("ResourceStatus") != "DELETE_COMPLETE"]  # rolled back: gone
            return DeployedStack(
                name=summary["StackName"], stack_id=summary["StackId"], status=summary["StackStatus"],
                status_reason=summary.get("StackStatusReason"),
                logical_ids=frozenset(r["LogicalResourceId"] for r in resources),
                nested={r["LogicalResourceId"]: r["PhysicalResourceId"] for r in resources
                        if r.get("ResourceType") == "AWS::CloudFormation::Stack" and r.get("PhysicalResourceId")},
            )

        return self._answer("deployed_stack", (stack_name,), compute)

    def deployed_template(self, stack_name: str) -> DeployedTemplate | None:
        def compute() -> DeployedTemplate | None:
            summary = self._stack_index().get(stack_name)
            if summary is None:
                return None
            # Original: the template as submitted, as CDK wrote it; Processed would expand transforms
            # that the synthesized template still holds unexpanded.
            body = self._read("cloudformation", "get_template", StackName=summary["StackId"],
                              TemplateStage="Original").get("TemplateBody")
            return DeployedTemplate(stack_name=summary["StackName"], template_json=_template_json(body))

        return self._answer("deployed_template", (stack_name,), compute)

    def _stack_index(self) -> dict[str, dict]:
        def compute() -> dict[str, dict]:
            # One listing for every stack of the region instead of one describe per stack.
            stacks = self._all("cloudformation", "describe_stacks", "Stacks")
            index = {s["StackId"]: s for s in stacks}
            index.update({s["StackName"]: s for s in stacks})
            return index

        # Raw listings (with datetimes) stay out of the rerun cache: the answers built from them are kept.
        return self._answer("_stack_index", (), compute, rerun=False)

    def bootstrap_version(self, parameter_name: str) -> int | None:
        def compute() -> int | None:
            try:
                value = self._call("ssm", "get_parameter", Name=parameter_name)["Parameter"]["Value"]
            except FactUnavailable:
                raise
            except Exception as exc:
                if error_code(exc) == "ParameterNotFound":
                    return None
                raise FactUnavailable(getattr(exc, "cdkcheck_reason", str(exc))) from None
            try:
                return int(str(value).strip())
            except ValueError:
                raise FactUnavailable(f"SSM parameter {parameter_name} holds '{value}', not a version number") \
                    from None

        return self._answer("bootstrap_version", (parameter_name,), compute)

    def role_exists(self, role_name: str) -> bool:
        def compute() -> bool:
            try:
                self._call("iam", "get_role", RoleName=role_name)
            except FactUnavailable:
                raise
            except Exception as exc:
                if error_code(exc) in ("NoSuchEntity", "NoSuchEntityException"):
                    return False
                raise FactUnavailable(getattr(exc, "cdkcheck_reason", str(exc))) from None
            return True

        return self._answer("role_exists", (role_name,), compute)

    def existing_names(self, kind: str, names: tuple[str, ...]) -> frozenset[str]:
        wanted = tuple(sorted(set(names)))
        if not wanted:
            return frozenset()
        if kind == "s3-bucket":
            return frozenset(n for n in wanted if self._bucket_taken(n))
        if kind == "iam-role":
            return frozenset(n for n in wanted if self.role_exists(n))
        if kind == "log-group":
            return self._answer("existing_names", (kind, wanted), lambda: self._log_groups_taken(wanted))
        if kind in _NAMES_BY_QUESTION:
            return _NAMES_BY_QUESTION[kind](self, wanted)
        lister = _NAME_LISTINGS.get(kind)
        if lister is None:
            raise FactUnavailable(f"no way to look up names of kind '{kind}'")
        case_insensitive, listing = lister
        taken = self._answer("_names", (kind,), lambda: frozenset(listing(self)))
        if case_insensitive:
            lowered = {t.lower() for t in taken}
            return frozenset(n for n in wanted if n.lower() in lowered)
        return frozenset(n for n in wanted if n in taken)

    def _bucket_taken(self, bucket: str) -> bool:
        def compute() -> bool:
            try:
                self._call("s3", "head_bucket", Bucket=bucket)
            except FactUnavailable:
                raise
            except Exception as exc:
                code = error_code(exc)
                if code in ("404", "NoSuchBucket", "NotFound"):
                    return False
                if code in ("403", "301", "AccessDenied", "PermanentRedirect"):
                    return True  # bucket names are global: another account (or region) holds it
                raise FactUnavailable(getattr(exc, "cdkcheck_reason", str(exc))) from None
            return True

        return self._answer("_bucket_taken", (bucket,), compute)

    def _log_groups_taken(self, names: tuple[str, ...]) -> frozenset[str]:
        taken: set[str] = set()
        for prefix in _common_prefixes(names):
            listed = self._all("logs", "describe_log_groups", "logGroups",
                               **({"logGroupNamePrefix": prefix} if prefix else {}))
            taken.update(g["logGroupName"] for g in listed)
        return frozenset(n for n in names if n in taken)

    def rds_orderable(self, engine: str, engine_version: str | None,
                      instance_class: str) -> tuple[RdsOrderableOption, ...]:
        def compute() -> tuple[RdsOrderableOption, ...]:
            params = {"Engine": engine, "DBInstanceClass": instance_class, "Vpc": True}
            if engine_version:
                params["EngineVersion"] = engine_version
            options = self._all("rds", "describe_orderable_db_instance_options", "OrderableDBInstanceOptions",
                                **params)
            return tuple(
                RdsOrderableOption(
                    engine=o["Engine"], engine_version=o["EngineVersion"], instance_class=o["DBInstanceClass"],
                    storage_type=o.get("StorageType", ""), multi_az_capable=bool(o.get("MultiAZCapable")),
                    availability_zones=tuple(sorted(z["Name"] for z in o.get("AvailabilityZones") or [])),
                    min_storage_gib=o.get("MinStorageSize"), max_storage_gib=o.get("MaxStorageSize"))
                for o in options
            )

        return self._answer("rds_orderable", (engine, engine_version, instance_class), compute)

    def rds_engine_version(self, engine: str, version: str) -> RdsEngineVersion | None:
        def compute() -> RdsEngineVersion | None:
            found = self._all("rds", "describe_db_engine_versions", "DBEngineVersions",
                              Engine=engine, EngineVersion=version, IncludeAll=True)
            # A major-only version ("15") lists every minor of it; RDS creates with an available one.
            exact = ([v for v in found if v.get("EngineVersion") == version]
                     or [v for v in found if v.get("Status", "available") == "available"] or found)
            if not exact:
                return None
            v = exact[0]
            return RdsEngineVersion(engine=v["Engine"], version=v["EngineVersion"],
                                    status=v.get("Status", "available"),
                                    parameter_group_family=v.get("DBParameterGroupFamily"))

        return self._answer("rds_engine_version", (engine, version), compute)

    def opensearch_instance_types(self, engine_version: str) -> frozenset[str]:
        def compute() -> frozenset[str]:
            details = self._all("opensearch", "list_instance_type_details", "InstanceTypeDetails",
                                EngineVersion=engine_version)
            return frozenset(d["InstanceType"] for d in details if d.get("InstanceType"))

        return self._answer("opensearch_instance_types", (engine_version,), compute)

    def opensearch_instance_limits(self, engine_version: str, instance_type: str) -> OpenSearchInstanceLimits:
        def compute() -> OpenSearchInstanceLimits:
            limits = self._read("opensearch", "describe_instance_type_limits", EngineVersion=engine_version,
                                InstanceType=instance_type).get("LimitsByRole") or {}
            data = limits.get("data") or {}
            counts = (data.get("InstanceLimits") or {}).get("InstanceCountLimits") or {}
            storage: dict[str, dict[str, float]] = {}
            for kind in data.get("StorageTypes") or []:
                name = "/".join(p for p in (kind.get("StorageTypeName"), kind.get("StorageSubTypeName")) if p)
                values = {}
                for limit in kind.get("StorageTypeLimits") or []:
                    numbers = [float(v) for v in limit.get("LimitValues") or [] if _is_number(v)]
                    if numbers:
                        values[limit["LimitName"]] = numbers[0]
                storage[name] = values
            return OpenSearchInstanceLimits(engine_version=engine_version, instance_type=instance_type,
                                            min_instances=counts.get("MinimumInstanceCount"),
                                            max_instances=counts.get("MaximumInstanceCount"), storage=storage)

        return self._answer("opensearch_instance_limits", (engine_version, instance_type), compute)


# ------------------------------------------------------------------ usage


def _count(service: str, operation: str, key: str, keep: Callable[[dict], bool] = lambda item: True,
           **params: Any) -> Callable[[BotoAccountFacts], UsageFacts]:
    def counter(facts: BotoAccountFacts) -> UsageFacts:
        items = facts._all(service, operation, key, **params)
        return UsageFacts(metric="", value=float(sum(1 for i in items if keep(i))),
                          source=f"{service}.{operation}")

    return counter


def _nat_gateways(facts: BotoAccountFacts) -> UsageFacts:
    gateways = facts._all("ec2", "describe_nat_gateways", "NatGateways",
                          Filters=[{"Name": "state", "Values": ["pending", "available"]}])
    zones = facts.subnets(tuple(g["SubnetId"] for g in gateways if g.get("SubnetId")))
    by_zone: dict[str, float] = defaultdict(float)
    for g in gateways:
        subnet = zones.get(g.get("SubnetId", ""))
        by_zone[subnet.availability_zone if subnet else "unknown"] += 1
    return UsageFacts(metric="ec2:nat-gateways", value=float(len(gateways)),
                      source="ec2.describe_nat_gateways + ec2.describe_subnets", by_zone=dict(by_zone))


def _cache_nodes(facts: BotoAccountFacts) -> UsageFacts:
    clusters = facts._all("elasticache", "describe_cache_clusters", "CacheClusters")
    return UsageFacts(metric="elasticache:nodes", value=float(sum(int(c.get("NumCacheNodes") or 0) for c in clusters)),
                      source="elasticache.describe_cache_clusters")


def _named(metric: str, counter: Callable[[BotoAccountFacts], UsageFacts]) -> Callable[[BotoAccountFacts], UsageFacts]:
    def named(facts: BotoAccountFacts) -> UsageFacts:
        found = counter(facts)
        return UsageFacts(metric=metric, value=found.value, source=found.source, by_zone=found.by_zone)

    return named


_USAGE: dict[str, Callable[[BotoAccountFacts], UsageFacts]] = {
    "ec2:vpcs": _named("ec2:vpcs", _count("ec2", "describe_vpcs", "Vpcs")),
    "ec2:internet-gateways": _named("ec2:internet-gateways",
                                    _count("ec2", "describe_internet_gateways", "InternetGateways")),
    "ec2:nat-gateways": _nat_gateways,
    "ec2:elastic-ips": _named("ec2:elastic-ips", _count("ec2", "describe_addresses", "Addresses",
                                                        keep=lambda a: a.get("Domain", "vpc") == "vpc")),
    "ec2:network-interfaces": _named("ec2:network-interfaces",
                                     _count("ec2", "describe_network_interfaces", "NetworkInterfaces")),
    "ec2:security-groups": _named("ec2:security-groups",
                                  _count("ec2", "describe_security_groups", "SecurityGroups")),
    "opensearch:domains": _named("opensearch:domains", _count("opensearch", "list_domain_names", "DomainNames")),
    "elbv2:application-load-balancers": _named(
        "elbv2:application-load-balancers",
        _count("elbv2", "describe_load_balancers", "LoadBalancers", keep=lambda lb: lb.get("Type") == "application")),
    "elbv2:target-groups": _named("elbv2:target-groups", _count("elbv2", "describe_target_groups", "TargetGroups")),
    "elasticache:nodes": _cache_nodes,
}


# ------------------------------------------------------------------ names


def _listing(service: str, operation: str, key: str, field: str, **params: Any):
    def listing(facts: BotoAccountFacts) -> Iterable[str]:
        return [item[field] for item in facts._all(service, operation, key, **params) if item.get(field)]

    return listing


# kind -> (AWS compares case-insensitively, listing of every taken name)
_NAME_LISTINGS = {
    "rds-instance": (True, _listing("rds", "describe_db_instances", "DBInstances", "DBInstanceIdentifier")),
    "rds-cluster": (True, _listing("rds", "describe_db_clusters", "DBClusters", "DBClusterIdentifier")),
    "rds-subnet-group": (True, _listing("rds", "describe_db_subnet_groups", "DBSubnetGroups", "DBSubnetGroupName")),
    "opensearch-domain": (False, _listing("opensearch", "list_domain_names", "DomainNames", "DomainName")),
    "elasticache-replication-group": (True, _listing("elasticache", "describe_replication_groups",
                                                     "ReplicationGroups", "ReplicationGroupId")),
    "elasticache-cluster": (True, _listing("elasticache", "describe_cache_clusters", "CacheClusters",
                                           "CacheClusterId")),
    "elasticache-subnet-group": (True, _listing("elasticache", "describe_cache_subnet_groups", "CacheSubnetGroups",
                                                "CacheSubnetGroupName")),
    "cloudwatch-dashboard": (False, _listing("cloudwatch", "list_dashboards", "DashboardEntries", "DashboardName")),
    "dynamodb-table": (False, lambda facts: facts._all("dynamodb", "list_tables", "TableNames")),  # plain names
    "lambda-function": (False, _listing("lambda", "list_functions", "Functions", "FunctionName")),
    "ecr-repository": (False, _listing("ecr", "describe_repositories", "repositories", "repositoryName")),
}


def _alarms_taken(facts: BotoAccountFacts, names: tuple[str, ...]) -> frozenset[str]:
    def compute() -> frozenset[str]:
        taken: set[str] = set()
        for start in range(0, len(names), 100):  # DescribeAlarms takes at most 100 AlarmNames
            found = facts._read("cloudwatch", "describe_alarms", AlarmNames=list(names[start:start + 100]),
                                AlarmTypes=["MetricAlarm", "CompositeAlarm"], MaxRecords=100)
            taken.update(a["AlarmName"] for key in ("MetricAlarms", "CompositeAlarms")
                         for a in found.get(key) or [] if a.get("AlarmName"))
        return frozenset(n for n in names if n in taken)

    return facts._answer("existing_names", ("cloudwatch-alarm", names), compute)


# kind -> its own question: secrets and parameters are asked by name, alarms by name in batches of 100.
_NAMES_BY_QUESTION: dict[str, Callable[[BotoAccountFacts, tuple[str, ...]], frozenset[str]]] = {
    "secretsmanager-secret": lambda facts, names: frozenset(
        n for n, found in facts.secrets(names).items() if found is not None),
    "ssm-parameter": lambda facts, names: facts.ssm_parameters(names),
    "cloudwatch-alarm": _alarms_taken,
}


# ------------------------------------------------------------------ helpers


def _credential_lifetime(session: Any) -> tuple[str | None, float | None]:
    """Where the credentials came from and, when nothing renews them, the seconds they have left."""
    try:
        credentials = session.get_credentials()
    except Exception:
        return None, None
    if credentials is None:
        return None, None
    source = getattr(credentials, "method", None)
    expiry = getattr(credentials, "_expiry_time", None)
    if expiry is None or source not in NON_RENEWING_SOURCES:
        return source, None
    from datetime import datetime, timezone

    return source, max(0.0, (expiry - datetime.now(timezone.utc)).total_seconds())


def _template_json(body: Any) -> str:
    """GetTemplate's body (botocore decodes JSON bodies; YAML stays text) as JSON, secrets masked."""
    import json

    from cdkcheck.template.redact import mask_secrets, template_secrets

    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            from cfnlint.decode import cfn_yaml  # understands !Ref / !GetAtt short forms

            try:
                body = cfn_yaml.loads(body)
            except Exception as exc:
                raise FactUnavailable(f"the deployed template could not be read: {exc}".splitlines()[0]) from None
    if not isinstance(body, dict):
        raise FactUnavailable("the deployed template is not a JSON/YAML object")
    return json.dumps(mask_secrets(body, template_secrets(body)), separators=(",", ":"), default=str)


def _common_prefixes(names: tuple[str, ...]) -> list[str]:
    """Log group names grouped by their first path segment, each group by its longest common prefix."""
    groups: dict[str, list[str]] = defaultdict(list)
    for name in names:
        head = name.split("/", 2)[:2] if name.startswith("/") else name.split("/", 1)[:1]
        groups["/".join(head)].append(name)
    prefixes = []
    for members in groups.values():
        prefix = members[0]
        for other in members[1:]:
            while not other.startswith(prefix):
                prefix = prefix[:-1]
        prefixes.append(prefix)
    return sorted(set(prefixes))


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
