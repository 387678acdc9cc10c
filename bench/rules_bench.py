"""Time cdkcheck's rule evaluation on a generated 500-resource template.

Usage: .venv/bin/python bench/rules_bench.py [--resources 500] [--runs 7]

Builds one CloudFormation template mixing what the rules look at (VPCs,
subnets, NAT gateways, RDS, OpenSearch, ECS services, ALBs, ElastiCache,
Lambda in a VPC, SQS), then runs every rule in cdkcheck_rules.ALL_RULES
through cdkcheck.engine.rule_runner.run_rules with offline facts, as the pipeline does,
and prints the median wall time. Target: under 1 second.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from cdkcheck.app.assembly import load_template
from cdkcheck.facts.interface import OfflineFacts
from cdkcheck.model import Stack
from cdkcheck.engine.rule_runner import run_rules
from cdkcheck_rules import ALL_RULES
from cdkcheck.ruleset import EnvironmentInfo, RuleContext

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")


def generate(total: int) -> dict:
    resources: dict[str, dict] = {}

    def add(logical_id: str, kind: str, properties: dict, **extra) -> None:
        resources[logical_id] = {"Type": kind, "Properties": properties,
                                 "Metadata": {"aws:cdk:path": f"Bench/{logical_id}/Resource"}, **extra}

    subnets = []
    for v in range(2):
        add(f"Vpc{v}", "AWS::EC2::VPC", {"CidrBlock": f"10.{v}.0.0/16"})
        for i, zone in enumerate(ZONES):
            for tier, offset in (("Public", 0), ("Private", 64)):
                sid = f"Vpc{v}{tier}{i}"
                add(sid, "AWS::EC2::Subnet", {"VpcId": {"Ref": f"Vpc{v}"}, "AvailabilityZone": zone,
                                               "CidrBlock": f"10.{v}.{offset + i * 4}.0/22"})
                if tier == "Private":
                    subnets.append(sid)
            add(f"Vpc{v}Eip{i}", "AWS::EC2::EIP", {"Domain": "vpc"})
            add(f"Vpc{v}Nat{i}", "AWS::EC2::NatGateway", {"SubnetId": {"Ref": f"Vpc{v}Public{i}"},
                                                           "AllocationId": {"Fn::GetAtt": [f"Vpc{v}Eip{i}", "AllocationId"]}})
    refs = [{"Ref": s} for s in subnets[:3]]
    n = 0
    while len(resources) < total:
        kind = n % 10
        if kind == 0:
            add(f"DbGroup{n}", "AWS::RDS::DBSubnetGroup", {"DBSubnetGroupDescription": "db", "SubnetIds": refs})
            add(f"Db{n}", "AWS::RDS::DBInstance", {
                "Engine": "postgres", "EngineVersion": "17.6", "DBInstanceClass": "db.t4g.medium",
                "AllocatedStorage": "100", "StorageType": "gp3", "MultiAZ": n % 20 == 0,
                "DBSubnetGroupName": {"Ref": f"DbGroup{n}"}, "MasterUsername": "app",
                "ManageMasterUserPassword": True})
        elif kind == 1:
            add(f"Search{n}", "AWS::OpenSearchService::Domain", {
                "EngineVersion": "OpenSearch_2.17",
                "ClusterConfig": {"InstanceType": "m6g.large.search", "InstanceCount": 2, "ZoneAwarenessEnabled": True,
                                  "ZoneAwarenessConfig": {"AvailabilityZoneCount": 2}},
                "EBSOptions": {"EBSEnabled": True, "VolumeSize": 20, "VolumeType": "gp3"},
                "VPCOptions": {"SubnetIds": refs[:2]}})
        elif kind in (2, 3):
            add(f"Service{n}", "AWS::ECS::Service", {
                "DesiredCount": 2, "LaunchType": "FARGATE", "TaskDefinition": f"task{n}",
                "DeploymentConfiguration": {"MaximumPercent": 200, "MinimumHealthyPercent": 100},
                "NetworkConfiguration": {"AwsvpcConfiguration": {"Subnets": refs}}})
        elif kind == 4:
            add(f"Alb{n}", "AWS::ElasticLoadBalancingV2::LoadBalancer", {
                "Type": "application", "Subnets": [{"Ref": f"Vpc0Public{i}"} for i in range(3)]})
        elif kind == 5:
            add(f"CacheGroup{n}", "AWS::ElastiCache::SubnetGroup", {"Description": "cache", "SubnetIds": refs})
            add(f"Cache{n}", "AWS::ElastiCache::ReplicationGroup", {
                "ReplicationGroupDescription": "cache", "Engine": "redis", "CacheNodeType": "cache.t4g.small",
                "NumCacheClusters": 2, "CacheSubnetGroupName": {"Ref": f"CacheGroup{n}"}})
        elif kind == 6:
            add(f"Fn{n}", "AWS::Lambda::Function", {
                "Runtime": "python3.12", "Handler": "index.handler", "Role": "arn:aws:iam::123456789012:role/x",
                "Code": {"ZipFile": "def handler(e, c): return e"},
                "VpcConfig": {"SubnetIds": refs, "SecurityGroupIds": [f"sg-{n % 3}"]}})
        else:
            add(f"Queue{n}", "AWS::SQS::Queue", {"VisibilityTimeout": 30},
                **({"DependsOn": [f"Queue{n - 1}"]} if n % 7 == 0 and f"Queue{n - 1}" in resources else {}))
        n += 1
    return {"Resources": dict(list(resources.items())[:total])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Bench.template.json"
        path.write_text(json.dumps(generate(args.resources)))
        template = load_template(path)
    stack = Stack(artifact_id="Bench", stack_name="Bench", display_name="Bench", account="123456789012",
                  region="us-east-1", template=template)
    context = RuleContext(environment=EnvironmentInfo("bench", "123456789012", "us-east-1"), stacks=(stack,),
                          facts=OfflineFacts())
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        findings, outcomes = run_rules(ALL_RULES, context, {}, live_required=False)
        timings.append(time.perf_counter() - started)
    crashed = [f.message for f in findings if f.rule_id == "CDKC-RULE-CRASHED"]
    print(f"{len(template.resources)} resources, {len(ALL_RULES)} rules, {args.runs} runs: "
          f"median {statistics.median(timings):.3f} s (min {min(timings):.3f}, max {max(timings):.3f}); "
          f"{len(findings)} findings, {sum(o.status.value == 'unknown' for o in outcomes)} unknown outcomes")
    for rule in sorted(ALL_RULES, key=lambda r: r.meta.id):
        started = time.perf_counter()
        run_rules((rule,), context, {}, live_required=False)
        print(f"  {rule.meta.id:<8} {time.perf_counter() - started:.3f} s")
    if crashed:
        print("rules crashed:", *crashed, sep="\n  ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
