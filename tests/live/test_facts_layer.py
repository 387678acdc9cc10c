"""The boto3 facts layer: batched listings, one call per question per run, concurrency, the rerun cache."""

from __future__ import annotations

import time

from cdkcheck.config import EnvironmentConfig
from cdkcheck.facts.live import open_account


BOOTSTRAP = "/cdk-bootstrap/hnb659fds/version"


def _facts(**options):
    return open_account(EnvironmentConfig(name="prod"), "us-east-1", **options)


def _subnets(account, n: int) -> list[str]:
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    return [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.4.{i}.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
            for i in range(n)]


def test_every_subnet_in_one_describe_subnets_and_unknown_ids_left_out(aws, sent_operations):
    account = aws()
    ids = _subnets(account, 6)
    facts = _facts()
    found = facts.subnets(tuple(ids) + ("subnet-00000000000000000",))
    assert set(found) == set(ids)
    assert all(s.available_ips == 251 and s.availability_zone == "us-east-1a" for s in found.values())
    assert facts.calls["ec2:DescribeSubnets"] == 1


def test_a_question_is_asked_once_per_run(aws, sent_operations):
    account = aws()
    account.client("ec2").allocate_address(Domain="vpc")
    facts = _facts()
    assert facts.usage("ec2:elastic-ips").value == 1
    assert facts.usage("ec2:elastic-ips").value == 1
    assert facts.calls["ec2:DescribeAddresses"] == 1


def test_names_of_one_kind_share_one_listing(aws, sent_operations):
    account = aws()
    logs = account.client("logs")
    for name in ("/app/a", "/app/b", "/other/c"):
        logs.create_log_group(logGroupName=name)
    facts = _facts()
    taken = facts.existing_names("log-group", ("/app/a", "/app/b", "/app/z", "/other/c", "/other/d"))
    assert taken == {"/app/a", "/app/b", "/other/c"}
    assert facts.calls["logs:DescribeLogGroups"] == 2  # one per name prefix group, not one per name


def test_prefetch_answers_concurrently_and_keeps_errors_for_the_asker(aws, sent_operations):
    aws()
    facts = _facts()
    facts.prefetch((("usage", "ec2:vpcs"), ("usage", "ec2:security-groups"), ("usage", "no-such-metric"),
                    ("role_exists", "AWSServiceRoleForECS")))
    sent_before = len(sent_operations)
    assert facts.usage("ec2:vpcs").value == 1  # moto's default VPC
    assert facts.role_exists("AWSServiceRoleForECS") is False
    assert len(sent_operations) == sent_before  # answered by the prefetch


def test_by_default_every_run_reads_the_account_afresh(aws, sent_operations, tmp_path):
    account = aws()
    ssm = account.client("ssm")
    assert _facts().bootstrap_version(BOOTSTRAP) is None
    ssm.put_parameter(Name=BOOTSTRAP, Value="30", Type="String")
    second = _facts()
    assert second.bootstrap_version(BOOTSTRAP) == 30
    assert second.calls["ssm:GetParameter"] == 1
    assert not (tmp_path / "cache" / "live").exists()  # nothing kept for a later run either


def test_with_max_facts_age_reusable_answers_come_from_an_earlier_run_with_their_age(aws, sent_operations):
    account = aws()
    ec2, ssm = account.client("ec2"), account.client("ssm")
    ssm.put_parameter(Name=BOOTSTRAP, Value="21", Type="String")
    ec2.allocate_address(Domain="vpc")
    first = _facts(max_facts_age=60)
    assert first.bootstrap_version(BOOTSTRAP) == 21 and first.usage("ec2:elastic-ips").value == 1
    read_by_first = time.time()
    ssm.put_parameter(Name=BOOTSTRAP, Value="30", Type="String", Overwrite=True)
    ec2.allocate_address(Domain="vpc")
    second = _facts(max_facts_age=60)
    with second.watch() as reads:
        assert second.bootstrap_version(BOOTSTRAP) == 21  # within max_facts_age: the earlier answer
        assert second.usage("ec2:elastic-ips").value == 2  # usage is never reused
    assert second.calls["ssm:GetParameter"] == 0 and second.calls["ec2:DescribeAddresses"] == 1
    (reused,) = reads.reused
    assert "bootstrap_version" in reused and reads.read_at[reused] <= read_by_first
    second.refuse_earlier_answers()
    with second.watch() as again:
        assert second.bootstrap_version(BOOTSTRAP) == 30  # read again, even though this run had an answer
    assert not again.reused and second.calls["ssm:GetParameter"] == 1

    time.sleep(0.6)
    assert _facts(max_facts_age=0.5).bootstrap_version(BOOTSTRAP) == 30  # older than allowed: asked again
    ssm.put_parameter(Name=BOOTSTRAP, Value="31", Type="String", Overwrite=True)
    ignoring = open_account(EnvironmentConfig(name="prod"), "us-east-1", use_rerun_cache=False, max_facts_age=60)
    assert ignoring.bootstrap_version(BOOTSTRAP) == 31  # --no-cache


def test_nat_gateways_are_counted_per_zone(aws, sent_operations):
    account = aws()
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    for zone, count in (("us-east-1a", 2), ("us-east-1b", 1)):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.5.{ord(zone[-1])}.0/24", AvailabilityZone=zone)
        for _ in range(count):
            allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
            ec2.create_nat_gateway(SubnetId=subnet["Subnet"]["SubnetId"], AllocationId=allocation)
    usage = _facts().usage("ec2:nat-gateways")
    assert usage.value == 3 and dict(usage.by_zone) == {"us-east-1a": 2, "us-east-1b": 1}


def test_deployed_stack_lists_its_resources(aws, sent_operations):
    account = aws()
    import json

    account.client("cloudformation").create_stack(StackName="Queues", TemplateBody=json.dumps(
        {"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}))
    facts = _facts()
    deployed = facts.deployed_stack("Queues")
    assert deployed.status == "CREATE_COMPLETE" and deployed.logical_ids == {"Queue"}
    assert facts.deployed_stack("Missing") is None
    assert facts.calls["cloudformation:DescribeStacks"] == 1  # one listing for every stack name
