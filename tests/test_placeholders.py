"""Values left as sample code wrote them are recognised; real ids and names are not."""

from __future__ import annotations

import pytest

from cdkcheck.template.placeholders import (
    describe_account, looks_like_placeholder, placeholder_account, placeholder_region, placeholder_values,
)


@pytest.mark.parametrize("value", [
    "YOUR_ACCOUNT_ID_WITHOUT_HYPHEN", "your-account-id", "MY-BUCKET", "my_vpc", "xxx", "XXXXXXXXXXXX",
    "<account>", "{account-id}", "changeme", "REPLACE_ME", "account-id", "vpc-id-here",
])
def test_placeholders_are_recognised(value):
    assert looks_like_placeholder(value)


@pytest.mark.parametrize("value", [
    "111111111111", "shared-staging", "courtcase-uploads", "myelin-data", "proxy", "us-east-1", "",
])
def test_real_values_are_not_placeholders(value):
    assert not looks_like_placeholder(value)


def test_accounts_that_are_not_twelve_digits_are_placeholders():
    assert placeholder_account("YOUR_ACCOUNT_ID") and placeholder_account("1234-5678-9012")
    assert placeholder_account("12345")
    assert not placeholder_account("111111111111") and not placeholder_account(None)
    assert not placeholder_account("${Token[AWS.AccountId.7]}")  # resolved at deploy time, not a literal
    assert describe_account("12345") == "'12345' (5 digits: an AWS account id has 12)"
    assert describe_account("YOUR_ID") == "'YOUR_ID' (a placeholder, not a 12-digit AWS account id)"


def test_regions_that_are_not_region_names_are_placeholders():
    assert placeholder_region("YOUR_REGION") and placeholder_region("region")
    for real in ("us-east-1", "eu-central-2", "us-gov-west-1", "cn-north-1", "us-isob-east-1", None):
        assert not placeholder_region(real)


def test_placeholders_inside_a_lookup_filter_are_found():
    assert placeholder_values({"filter": {"tag:Name": "MY-VPC"}, "returnAsymmetricSubnets": True,
                               "names": ["real-name", "xxx"]}) == ["MY-VPC", "xxx"]


@pytest.mark.parametrize("value", ["vpc-xxxxxxxxxx", "subnet-xxxxxx", "subnet-yyyyyyyy", "sg-zzzzzzzz", "sg-xxxx"])
def test_ids_left_as_sample_code_wrote_them_are_placeholders(value):
    from cdkcheck.template.placeholders import placeholder_id

    assert placeholder_id(value) and looks_like_placeholder(value)


@pytest.mark.parametrize("value", ["vpc-0a1b2c3d", "subnet-0123456789abcdef0", "sg-web", "i-ffffffff"])
def test_real_ids_and_names_are_not_placeholder_ids(value):
    from cdkcheck.template.placeholders import placeholder_id

    assert not placeholder_id(value)


def test_arns_with_a_placeholder_account_are_found_in_templates():
    from cdkcheck.template.placeholders import template_placeholders

    props = {"Role": "arn:aws:iam::xxxxxxxxxxxx:role/deploy", "Ok": "arn:aws:iam::111111111111:role/deploy",
             "Vpc": {"VpcId": "vpc-xxxxxxxx"}, "Subs": ["subnet-0123456789abcdef0", "subnet-yyyyyyyy"],
             "Sub": {"Fn::Sub": "arn:aws:iam::${AWS::AccountId}:role/x"}}
    assert dict(template_placeholders(props)) == {"Role": "arn:aws:iam::xxxxxxxxxxxx:role/deploy",
                                                  "Vpc.VpcId": "vpc-xxxxxxxx", "Subs[1]": "subnet-yyyyyyyy"}


@pytest.mark.parametrize("region", ["eusc-de-east-1", "us-isob-east-1", "us-gov-west-1", "cn-northwest-1",
                                    "eu-isoe-west-1", "ap-southeast-7", "mx-central-1"])
def test_regions_of_every_partition_in_botocore_are_real(region):
    assert not placeholder_region(region)


@pytest.mark.parametrize("region", ["REGION", "us-east", "xx-east-1", "your-region"])
def test_region_placeholders_are_not_regions(region):
    assert placeholder_region(region)


def test_template_ids_left_from_sample_code_block_and_other_findings_name_them():
    from pathlib import Path

    from cdkcheck.engine.placeholder_values import name_placeholders, placeholder_value_findings
    from cdkcheck.model import Finding, Resource, Severity, Source, Stack, Template

    group = Resource("Subnets", "AWS::RDS::DBSubnetGroup", {"SubnetIds": ["subnet-xxxxxx", "subnet-yyyyyyyy"]},
                     construct_path="Db/Subnets/Default")
    real = Resource("Sg", "AWS::EC2::SecurityGroup", {"VpcId": "vpc-0a1b2c3d4e5f67890"})
    template = Template(path=Path("Db.template.json"), body={}, resources={"Subnets": group, "Sg": real}, sha256="")
    stack = Stack(artifact_id="Db", stack_name="Db", display_name="Db", account="111111111111",
                  region="us-east-1", template=template)
    [found] = placeholder_value_findings([stack])
    assert (found.rule_id, found.logical_id, found.severity) == ("CDKC-PLACEHOLDER-VALUE", "Subnets", Severity.ERROR)
    assert "'subnet-xxxxxx'" in found.message and "'subnet-yyyyyyyy'" in found.message
    live = Finding(rule_id="CDKC-L2", source=Source.CDKCHECK, severity=Severity.ERROR,
                   message="subnet subnet-yyyyyyyy does not exist in account 111111111111 us-east-1")
    [named] = name_placeholders([live])
    assert named.message.endswith("('subnet-yyyyyyyy': a placeholder left from sample code; fill it in)")


@pytest.mark.parametrize("arn", ["arn:aws:iam::aws:policy/AdministratorAccess", "arn:aws:logs:*:*:log-group:x",
                                 "arn:aws:iam::*:role/cdk-*", "arn:aws:s3:::my-bucket/*",
                                 "arn:aws-us-gov:sns:us-gov-west-1:111111111111:topic"])
def test_managed_policies_wildcards_and_real_arns_are_not_placeholders(arn):
    from cdkcheck.template.placeholders import placeholder_arn

    assert not placeholder_arn(arn)


def test_an_arn_placeholder_alone_warns_a_malformed_id_blocks():
    from pathlib import Path

    from cdkcheck.engine.placeholder_values import placeholder_value_findings
    from cdkcheck.model import Resource, Severity, Stack, Template

    rule = Resource("Rule", "AWS::Events::Rule", {"Targets": [{"Arn": "arn:aws:ecs:test-region:12345678:cluster/c"}]})
    template = Template(path=Path("E.template.json"), body={}, resources={"Rule": rule}, sha256="")
    [found] = placeholder_value_findings([Stack("E", "E", "E", "111111111111", "us-east-1", template)])
    assert found.severity == Severity.WARNING and "names nothing that exists" in found.message
