"""CDKC-E1..E4, O10 and O11 never raise, whatever the template holds: they yield findings or UNKNOWNs."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, event, example, given, settings, strategies as st

from cdkcheck.app.assembly import load_template
from cdkcheck.facts.interface import OfflineFacts
from cdkcheck.model import Stack
from cdkcheck_rules.elasticache import encryption as elasticache_encryption
from cdkcheck_rules.elasticache import multi_az as elasticache_multi_az
from cdkcheck_rules.elasticache import node_count as elasticache_node_count
from cdkcheck_rules.elasticache import node_type as elasticache_node_type
from cdkcheck_rules.opensearch import access_policy as opensearch_access_policy
from cdkcheck_rules.opensearch import standby_prerequisites as opensearch_standby_prerequisites
from cdkcheck.ruleset import EnvironmentInfo, RuleContext, Undetermined, Violation

MINE = (elasticache_encryption.RULE, elasticache_node_count.RULE, elasticache_multi_az.RULE,
        elasticache_node_type.RULE, opensearch_access_policy.RULE, opensearch_standby_prerequisites.RULE)
IDS = ("A", "B", "C")
TYPES = ("AWS::ElastiCache::CacheCluster", "AWS::ElastiCache::ReplicationGroup", "AWS::ElastiCache::ParameterGroup",
         "AWS::OpenSearchService::Domain", "AWS::Elasticsearch::Domain", "Custom::OpenSearchAccessPolicy",
         "Custom::ElasticsearchAccessPolicy")

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2, 8), st.floats(-1, 3, allow_nan=False), st.sampled_from(
    ["redis", "valkey", "memcached", "7.1", "6.x", "x.1", "1.6.6", "3.2.4", "cache.r6gd.xlarge", "cache.t4g.micro",
     "cache.m3.medium", "r6g.large.search", "t3.small.search", "m4.large.search", "OpenSearch_2.19",
     "Elasticsearch_7.10", "cross-az", "enabled", "yes", "true", "default.redis7.cluster.on", "", "x", "{", "[]",
     '{"Statement": [{"Condition": {"IpAddress": {"aws:SourceIp": "1.2.3.4"}}}]}']))
intrinsics = st.sampled_from(IDS + ("AWS::Region", "AWS::NoValue", "P", "Missing")).map(lambda r: {"Ref": r}) | \
    st.sampled_from(IDS).map(lambda r: {"Fn::GetAtt": [r, "Arn"]}) | \
    st.just({"Fn::ImportValue": "Other:Export"}) | \
    st.just({"Fn::If": ["Unknown", True, False]})
values = st.recursive(scalars | intrinsics,
                      lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.sampled_from(("Statement", "Condition", "IpAddress", "aws:SourceIp",
                                                         "ReplicaCount", "SubnetIds", "parameters", "DomainName",
                                                         "AccessPolicies", "Fn::Join", "cluster-enabled")),
                                        inner, max_size=3),
                      max_leaves=8)
join_parts = st.lists(st.sampled_from(['{"parameters":{"DomainName":"', '","AccessPolicies":"', '"}}', "{", "}"])
                      | intrinsics, max_size=5)
calls = st.builds(lambda parts: {"Fn::Join": ["", parts]}, join_parts) | scalars | values
PROPERTIES = {
    "AWS::ElastiCache::CacheCluster": ("Engine", "EngineVersion", "CacheNodeType", "NumCacheNodes",
                                       "TransitEncryptionEnabled", "AZMode"),
    "AWS::ElastiCache::ReplicationGroup": ("Engine", "EngineVersion", "CacheNodeType", "NumCacheClusters",
                                           "ReplicasPerNodeGroup", "NumNodeGroups", "NodeGroupConfiguration",
                                           "AutomaticFailoverEnabled", "MultiAZEnabled", "TransitEncryptionEnabled",
                                           "AtRestEncryptionEnabled", "AuthToken", "DataTieringEnabled",
                                           "ClusterMode", "CacheParameterGroupName"),
    "AWS::ElastiCache::ParameterGroup": ("Properties",),
    "AWS::OpenSearchService::Domain": ("ClusterConfig", "EngineVersion", "VPCOptions", "AccessPolicies", "DomainName"),
    "AWS::Elasticsearch::Domain": ("ElasticsearchClusterConfig", "ElasticsearchVersion", "VPCOptions",
                                   "AccessPolicies", "DomainName"),
    "Custom::OpenSearchAccessPolicy": ("Create", "Update"),
    "Custom::ElasticsearchAccessPolicy": ("Create", "Update"),
}
flags = st.booleans() | st.sampled_from(["true", "false", "yes"]) | intrinsics
counts = st.integers(-1, 7) | st.sampled_from(["2", "x", 1.5]) | intrinsics
odd = values  # anything at all, now and then
shaped = {
    "AWS::ElastiCache::CacheCluster": st.fixed_dictionaries({}, optional={
        "Engine": st.sampled_from(["redis", "valkey", "memcached", "REDIS"]) | odd,
        "EngineVersion": st.sampled_from(["7.1", "1.6.6", "1.6.22", "6.x", "x"]) | odd,
        "CacheNodeType": st.sampled_from(["cache.r6gd.xlarge", "cache.t4g.micro", "cache.m3.medium", "bad"]) | odd,
        "NumCacheNodes": counts, "TransitEncryptionEnabled": flags,
        "AZMode": st.sampled_from(["cross-az", "single-az"]) | odd}),
    "AWS::ElastiCache::ReplicationGroup": st.fixed_dictionaries({}, optional={
        "Engine": st.sampled_from(["redis", "valkey", "memcached"]) | odd,
        "EngineVersion": st.sampled_from(["7.1", "3.2.4", "4.0.10", "6.0", "6.x"]) | odd,
        "CacheNodeType": st.sampled_from(["cache.r6gd.xlarge", "cache.t4g.small", "cache.m3.medium"]) | odd,
        "NumCacheClusters": counts, "ReplicasPerNodeGroup": counts, "NumNodeGroups": counts,
        "NodeGroupConfiguration": st.lists(st.fixed_dictionaries({}, optional={"ReplicaCount": counts}) | odd,
                                           max_size=3) | odd,
        "AutomaticFailoverEnabled": flags, "MultiAZEnabled": flags, "TransitEncryptionEnabled": flags,
        "AtRestEncryptionEnabled": flags, "AuthToken": st.just("{{resolve:secretsmanager:t}}") | odd,
        "DataTieringEnabled": flags, "ClusterMode": st.sampled_from(["enabled", "disabled"]) | odd,
        "CacheParameterGroupName": st.sampled_from(["default.redis7.cluster.on", "mine", {"Ref": "A"}]) | odd}),
}
cluster_config = st.fixed_dictionaries({}, optional={
    "MultiAZWithStandbyEnabled": flags, "DedicatedMasterEnabled": flags, "DedicatedMasterCount": counts,
    "InstanceType": st.sampled_from(["r6g.large.search", "t3.small.search", "m4.large.search", "bad"]) | odd,
    "DedicatedMasterType": st.sampled_from(["m6g.large.search", "t2.small.search"]) | odd,
    "InstanceCount": counts}) | st.dictionaries(st.sampled_from(("MultiAZWithStandbyEnabled", "DedicatedMasterEnabled",
                                                  "DedicatedMasterCount", "InstanceType", "DedicatedMasterType",
                                                  "InstanceCount")), values, max_size=6)


@st.composite
def resource(draw):
    kind = draw(st.sampled_from(TYPES))
    if kind in shaped and draw(st.integers(0, 3)) > 0:
        body = {"Type": kind, "Properties": draw(shaped[kind])}
        if draw(st.integers(0, 4)) == 0:
            body["Condition"] = draw(st.sampled_from(("Yes", "Unknown", "Missing")))
        return body
    names = PROPERTIES[kind]
    properties = {}
    for name in draw(st.lists(st.sampled_from(names), max_size=len(names), unique=True)):
        if name in ("Create", "Update"):
            properties[name] = draw(calls)
        elif name in ("ClusterConfig", "ElasticsearchClusterConfig"):
            properties[name] = draw(cluster_config | values)
        elif name == "EngineVersion" and kind.endswith("::Domain"):
            properties[name] = draw(st.sampled_from(["OpenSearch_2.19", "Elasticsearch_7.10", "OpenSearch_1.0"])
                                    | values)
        elif name == "VPCOptions":
            properties[name] = draw(st.just({"SubnetIds": ["subnet-1"]}) | values)
        elif name == "AccessPolicies":
            properties[name] = draw(st.just({"Statement": [{"Condition": {"IpAddress": {"aws:SourceIp": "1.2.3.4"}}}]})
                                    | values)
        else:
            properties[name] = draw(values)
    body = {"Type": kind, "Properties": properties}
    if draw(st.integers(0, 4)) == 0:
        body["Condition"] = draw(st.sampled_from(("Yes", "Unknown", "Missing")))
    return body


resources = st.dictionaries(st.sampled_from(IDS), resource(), min_size=1, max_size=3)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=resources, second=resources)
@example(first={"A": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {  # a count that is not a number
    "AutomaticFailoverEnabled": True, "NodeGroupConfiguration": [{"ReplicaCount": "x"}, [1]]}}},
    second={"A": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
        "AutomaticFailoverEnabled": True, "NodeGroupConfiguration": [[1]]}}})
@example(first={"A": {"Type": "AWS::OpenSearchService::Domain", "Properties": {  # a policy that is not a policy
    "VPCOptions": {"SubnetIds": ["subnet-1"]}, "AccessPolicies": {"Statement": True}}}},
    second={"A": {"Type": "AWS::OpenSearchService::Domain", "Properties": {
        "VPCOptions": {"SubnetIds": ["subnet-1"]}, "AccessPolicies": {"Statement": [{"Condition": True}, 3]}}}})
def test_rules_yield_outcomes_and_never_raise(tmp_path_factory, first, second):
    directory = tmp_path_factory.mktemp("t")
    stacks = []
    for name, body in (("One", first), ("Two", second)):
        template = {"Resources": body, "Parameters": {"P": {"Type": "String"}},
                    "Conditions": {"Yes": {"Fn::Equals": ["a", "a"]},
                                   "Unknown": {"Fn::Equals": [{"Ref": "P"}, "a"]}},
                    "Outputs": {"O": {"Value": {"Ref": "A"}, "Export": {"Name": "Other:Export"}}}}
        path = directory / f"{name}.template.json"
        path.write_text(json.dumps(template))
        stacks.append(Stack(artifact_id=name, stack_name=name, display_name=name, account=None,
                            region="us-east-1", template=load_template(path)))
    for rule in MINE:
        context = RuleContext(EnvironmentInfo("fuzz", None, "us-east-1"), tuple(stacks), OfflineFacts(),
                              dict(rule.default_options))
        outcomes = list(rule.evaluate(context))
        assert all(isinstance(o, (Violation, Undetermined)) for o in outcomes)
        event(f"{rule.meta.id}: {sorted({type(o).__name__ for o in outcomes}) or 'nothing'}")
