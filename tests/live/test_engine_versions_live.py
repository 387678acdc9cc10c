"""RDS engine versions with an account to ask: its answer wins over cfn-lint's static data, both ways.

The whole pipeline runs (cfn-lint and checkov as themselves, every rule) on a cloud assembly, with the
account a moto server; rds:DescribeDBEngineVersions and DescribeOrderableDBInstanceOptions, which moto does
not serve, are answered by botocore's Stubber on cdkcheck's own clients (tests/live/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from moto_account import apply_stubs

from cdkcheck.facts.live import open_account
from cdkcheck.model import Source, Verdict
from cdkcheck.engine.pipeline import RunOptions, check_environments

pytestmark = pytest.mark.slow  # cfn-lint and checkov run on the template

ACCOUNT = "123456789012"
BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
POLICY_TEMPLATES = Path(__file__).resolve().parents[2] / "fixtures" / "policy"


def database(version: str) -> dict:
    return {"Resources": {"Database": {"Type": "AWS::RDS::DBInstance", "Properties": {
        "Engine": "postgres", "EngineVersion": version, "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20",
        "MasterUsername": "admin", "ManageMasterUserPassword": True, "StorageEncrypted": True}}}}


def engine_versions(*listed: tuple[str, str]) -> dict:
    return {"service": "rds", "call": "describe_db_engine_versions", "response": {"DBEngineVersions": [
        {"Engine": "postgres", "EngineVersion": version, "DBParameterGroupFamily": "postgres" + version.split(".")[0],
         "Status": status} for version, status in listed]}}


def orderable(version: str) -> dict:
    return {"service": "rds", "call": "describe_orderable_db_instance_options", "response": {
        "OrderableDBInstanceOptions": [{"Engine": "postgres", "EngineVersion": version, "DBInstanceClass": "db.t3.micro",
                                        "StorageType": "gp2", "MultiAZCapable": True, "MinStorageSize": 20,
                                        "MaxStorageSize": 6144,
                                        "AvailabilityZones": [{"Name": "us-east-1a"}, {"Name": "us-east-1b"}]}]}}


# Room for one more instance (CDKC-L1 asks; moto does not serve this call).
QUOTAS = {"service": "rds", "call": "describe_account_attributes", "response": {"AccountQuotas": [
    {"AccountQuotaName": "DBInstances", "Used": 1, "Max": 40},
    {"AccountQuotaName": "AllocatedStorage", "Used": 20, "Max": 100000},
    {"AccountQuotaName": "DBSubnetGroups", "Used": 1, "Max": 50}]}}


def check(tmp_path: Path, template: dict, stubs: list[dict]):
    assembly = tmp_path / "cdk.out"
    assembly.mkdir()
    (assembly / "Staging.template.json").write_text(json.dumps(template))
    (assembly / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {"Staging": {
        "type": "aws:cloudformation:stack", "environment": f"aws://{ACCOUNT}/us-east-1",
        "properties": {"templateFile": "Staging.template.json", "requiresBootstrapStackVersion": 6,
                       "bootstrapStackVersionSsmParameter": BOOTSTRAP_PARAMETER}}}}))

    def facts_factory(environment, region):
        facts = open_account(environment, region)
        apply_stubs(facts, [*stubs, QUOTAS])
        return facts

    run = check_environments(["staging"], RunOptions(app_dir=tmp_path, assembly_dir=assembly, use_cache=False,
                                                     cache_dir=tmp_path / "cache"),
                             facts_factory=facts_factory)
    [environment] = run.environments
    return environment


@pytest.fixture
def account(aws):
    seeded = aws(ACCOUNT)
    seeded.client("ssm").put_parameter(Name=BOOTSTRAP_PARAMETER, Value="30", Type="String")
    return seeded


def version_findings(environment, rule_id="W3691"):
    return [f for f in environment.findings if f.source is Source.CFN_LINT and f.rule_id == rule_id]


def test_a_minor_the_account_offers_is_go_though_static_data_calls_it_deprecated(account, tmp_path):
    retired_template = json.loads((POLICY_TEMPLATES / "rds-postgres-retired-minor.template.json").read_text())
    environment = check(tmp_path, retired_template, [engine_versions(("12.19", "available")), orderable("12.19")])
    [finding] = version_findings(environment)  # cfn-lint's static data still says deprecated
    assert not finding.blocking
    assert "RDS accepts it" in finding.message and "the account's region lists postgres 12.19 as available" \
        in finding.message
    assert finding.evidence["engine_version"]["judged_by"] == "account"
    assert not environment.blocking, [f.message for f in environment.blocking]
    assert environment.verdict is Verdict.GO, [(c.check, c.reason) for c in environment.checks]


def test_a_minor_the_account_calls_deprecated_is_no_go_though_static_data_offers_it(account, tmp_path):
    environment = check(tmp_path, database("17.6"), [engine_versions(("17.6", "deprecated")), orderable("17.6")])
    assert not version_findings(environment)  # cfn-lint's static data has 17.6 as current
    assert environment.verdict is Verdict.NO_GO
    [refused] = environment.blocking
    assert refused.rule_id == "CDKC-L3" and "postgres 17.6 is deprecated" in refused.message
    assert refused.evidence["source"] == "rds.describe_db_engine_versions"


def test_a_minor_the_account_does_not_list_is_no_go(account, tmp_path):
    environment = check(tmp_path, database("17.6"), [engine_versions(), orderable("17.6")])
    assert environment.verdict is Verdict.NO_GO
    assert [f.rule_id for f in environment.blocking] == ["CDKC-L3"]
    assert "RDS has no postgres version 17.6" in environment.blocking[0].message


def test_a_major_only_version_is_judged_by_its_available_minors(account, tmp_path):
    # RDS answers a major-only EngineVersion with every minor of it; one available minor is enough.
    environment = check(tmp_path, database("15"),
                        [engine_versions(("15.2", "deprecated"), ("15.10", "available")), orderable("15")])
    [finding] = version_findings(environment)
    assert not finding.blocking and finding.evidence["engine_version"]["judged_by"] == "account"
    assert finding.evidence["engine_version"]["major_only"] is True
    assert not environment.blocking, [f.message for f in environment.blocking]
