"""What the ElastiCache and OpenSearch policy/standby rules cannot know before deploy is UNKNOWN, never a pass."""

from __future__ import annotations

import json

import pytest

from cdkcheck.facts.interface import OfflineFacts
from cdkcheck_rules.elasticache import encryption as elasticache_encryption
from cdkcheck_rules.elasticache import node_count as elasticache_node_count
from cdkcheck_rules.elasticache import node_type as elasticache_node_type
from cdkcheck_rules.opensearch import access_policy as opensearch_access_policy
from cdkcheck_rules.opensearch import standby_prerequisites as opensearch_standby_prerequisites
from cdkcheck.ruleset import EnvironmentInfo, RuleContext, Undetermined, Violation
from rule_fixture_cases import stack_from_template

DEPLOY_TIME = {"Ref": "CacheEngine"}  # a parameter without a default: given at deploy time
VPC = {"SubnetIds": ["subnet-0123456789abcdef0"]}


def _outcomes(rule, tmp_path, resources):
    path = tmp_path / "Stack.template.json"
    path.write_text(json.dumps({"Parameters": {"CacheEngine": {"Type": "String"}, "Flag": {"Type": "String"}},
                                "Conditions": {"On": {"Fn::Equals": [{"Ref": "Flag"}, "on"]}},
                                "Resources": resources}))
    context = RuleContext(EnvironmentInfo("test", "123456789012", "us-east-1"), (stack_from_template(path),),
                          OfflineFacts())
    return list(rule.evaluate(context))


@pytest.mark.parametrize(("rule", "resources", "reason"), [
    pytest.param(elasticache_encryption.RULE, {"Cache": {"Type": "AWS::ElastiCache::CacheCluster", "Properties": {
        "Engine": DEPLOY_TIME, "NumCacheNodes": 1, "TransitEncryptionEnabled": True}}}, "Engine",
        id="E1-engine-given-at-deploy"),
    pytest.param(elasticache_node_count.RULE, {"Group": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
        "ReplicationGroupDescription": "x", "AutomaticFailoverEnabled": True, "ReplicasPerNodeGroup": 0,
        "CacheParameterGroupName": "team-redis7-params"}}}, "cluster mode",
        id="E2-parameter-group-outside-the-template"),
    pytest.param(elasticache_node_type.RULE, {"Group": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
        "ReplicationGroupDescription": "x", "CacheNodeType": "cache.r6gd.xlarge", "DataTieringEnabled": True,
        "EngineVersion": DEPLOY_TIME}}}, "EngineVersion", id="E4-version-given-at-deploy"),
    pytest.param(opensearch_access_policy.RULE, {"Search": {"Type": "AWS::OpenSearchService::Domain", "Properties": {
        "VPCOptions": VPC, "AccessPolicies": {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"},
                                                             "Action": "es:*", "Condition": {"Fn::If": [
                                                                 "On", {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                                                                 {"Ref": "AWS::NoValue"}]}}]}}}},
        "aws:SourceIp", id="O10-condition-under-fn-if"),
    pytest.param(opensearch_access_policy.RULE, {
        "Search": {"Type": "AWS::OpenSearchService::Domain", "Properties": {"VPCOptions": VPC}},
        "Policy": {"Type": "Custom::OpenSearchAccessPolicy", "Properties": {
            "Create": {"Fn::Sub": "{\"parameters\": {\"DomainName\": \"${Search}\"}}"}}}}, "Create",
        id="O10-call-built-with-fn-sub"),
    pytest.param(opensearch_standby_prerequisites.RULE, {"Search": {"Type": "AWS::OpenSearchService::Domain",
                                                                    "Properties": {"ClusterConfig": {
        "MultiAZWithStandbyEnabled": {"Fn::If": ["On", True, False]}}}}}, "MultiAZWithStandbyEnabled",
        id="O11-standby-under-a-condition"),
])
def test_an_input_known_only_at_deploy_is_unknown(tmp_path, rule, resources, reason):
    outcomes = _outcomes(rule, tmp_path, resources)
    assert outcomes and all(isinstance(o, Undetermined) for o in outcomes), outcomes
    assert any(reason in o.reason for o in outcomes), [o.reason for o in outcomes]


def test_an_unreadable_policy_call_says_nothing_when_no_domain_has_a_vpc_endpoint(tmp_path):
    outcomes = _outcomes(opensearch_access_policy.RULE, tmp_path, {
        "Search": {"Type": "AWS::OpenSearchService::Domain", "Properties": {}},
        "Policy": {"Type": "Custom::OpenSearchAccessPolicy", "Properties": {"Create": {"Fn::Sub": "{}"}}}})
    assert outcomes == []


def test_a_resource_whose_condition_is_unknown_gets_unknown_not_a_failure(tmp_path):
    outcomes = _outcomes(elasticache_encryption.RULE, tmp_path, {"Cache": {
        "Type": "AWS::ElastiCache::CacheCluster", "Condition": "On",
        "Properties": {"Engine": "redis", "NumCacheNodes": 1, "TransitEncryptionEnabled": True}}})
    assert len(outcomes) == 1 and isinstance(outcomes[0], Undetermined)
    assert "Encryption feature is not supported" in outcomes[0].reason
    assert not any(isinstance(o, Violation) for o in outcomes)
