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
