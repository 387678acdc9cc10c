"""Finding secret and parameter references in templates, and resolving ids as Secrets Manager and SSM do."""

from __future__ import annotations

import json

from cdkcheck.app.assembly import load_template
from cdkcheck.facts.interface import SecretFacts
from cdkcheck.model import Stack
from cdkcheck.template.named_resources import NAME_LOOKUPS, named_types, name_property, unchecked_types
from cdkcheck.template.secret_ids import match_secret, names_differing_only_in_suffix, ssm_parameter_names
from cdkcheck.template.secret_references import SECRETS_MANAGER, SSM, references

ACCOUNT, REGION = "123456789012", "us-east-1"
ARN = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:"
LIVE = SecretFacts(name="app/db", arn=ARN + "app/db-AbCdEf")
DELETED = SecretFacts(name="app/old", arn=ARN + "app/old-XyZ123", deleted_date="2026-12-01T00:00:00+00:00")


def _stack(tmp_path, name: str, body: dict) -> Stack:
    path = tmp_path / f"{name}.template.json"
    path.write_text(json.dumps(body))
    return Stack(artifact_id=name, stack_name=name, display_name=name, account=ACCOUNT, region=REGION,
                 template=load_template(path))


def test_a_secret_resolves_by_name_full_arn_and_partial_arn():
    assert match_secret("app/db", [LIVE]) == LIVE
    assert match_secret(ARN + "app/db-AbCdEf", [LIVE]) == LIVE
    assert match_secret(ARN + "app/db", [LIVE]) == LIVE  # partial ARN: no random suffix
    assert match_secret(ARN + "app/db-AbCdEf:password::", [LIVE]) == LIVE  # ECS json-key form
    assert match_secret("app/old", [LIVE, DELETED]).scheduled_for_deletion
    assert match_secret("app/dbx", [LIVE]) is None


def test_a_full_arn_of_a_recreated_secret_does_not_resolve_and_says_why():
    stale = ARN + "app/db-QqQqQq"
    assert match_secret(stale, [LIVE]) is None
    assert names_differing_only_in_suffix(stale, [LIVE]) == LIVE


def test_ssm_arns_stand_for_names_with_and_without_the_leading_slash():
    assert ssm_parameter_names(f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/app/x") == ("/app/x",)
    assert ssm_parameter_names(f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/flat") == ("flat", "/flat")
    assert ssm_parameter_names("/app/x") == ("/app/x",)


def test_references_the_deploy_creates_are_its_own_across_stacks(tmp_path):
    producer = _stack(tmp_path, "Producer", {
        "Resources": {"Token": {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": "app/token"}},
                      "Flag": {"Type": "AWS::SSM::Parameter", "Properties": {"Name": "/app/flag", "Type": "String",
                                                                            "Value": "on"}}},
        "Outputs": {"TokenArn": {"Value": {"Ref": "Token"}, "Export": {"Name": "token-arn"}}}})
    consumer = _stack(tmp_path, "Consumer", {"Resources": {"Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {
        "ContainerDefinitions": [{"Name": "a", "Image": "x", "Secrets": [
            {"Name": "T", "ValueFrom": {"Fn::ImportValue": "token-arn"}},
            {"Name": "N", "ValueFrom": {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:"
                                                   "${AWS::AccountId}:secret:app/token"}},
            {"Name": "F", "ValueFrom": "/app/flag"}]}]}}}})
    found = references([producer, consumer], region=REGION, account=ACCOUNT)
    assert [(r.service, r.created_by) for r in found] == [
        (SECRETS_MANAGER, "another stack/Token"), (SECRETS_MANAGER, "Producer/Token"), (SSM, "Producer/Flag")]


def test_ids_known_only_at_deploy_time_are_unknown_with_the_reason(tmp_path):
    stack = _stack(tmp_path, "App", {"Resources": {
        "Lookup": {"Type": "Custom::SecretName", "Properties": {"ServiceToken": "arn:aws:lambda:x"}},
        "Domain": {"Type": "AWS::OpenSearchService::Domain", "Properties": {"AdvancedSecurityOptions": {
            "MasterUserOptions": {"MasterUserPassword": {"Fn::Sub": "{{resolve:secretsmanager:${Lookup.Name}"
                                                                    ":SecretString:password::}}"}}}}}}})
    (ref,) = references([stack], region=REGION, account=ACCOUNT)
    assert ref.identifier is None and ref.created_by is None
    assert "Lookup.Name" in ref.unknown


def test_ssm_typed_parameters_are_references_but_aws_public_and_bootstrap_ones_are_not(tmp_path):
    stack = _stack(tmp_path, "App", {"Parameters": {
        "Tag": {"Type": "AWS::SSM::Parameter::Value<String>", "Default": "/app/tag"},
        "Ami": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/aws/service/ami-x"},
        "BootstrapVersion": {"Type": "AWS::SSM::Parameter::Value<String>",
                             "Default": "/cdk-bootstrap/hnb659fds/version"}}, "Resources": {}})
    assert [r.identifier for r in references([stack], region=REGION, account=ACCOUNT)] == ["/app/tag"]


def test_named_types_come_from_the_registry_and_every_lookup_names_one():
    named = named_types()
    for type_name in ("AWS::SecretsManager::Secret", "AWS::SSM::Parameter", "AWS::CloudWatch::Dashboard",
                      "AWS::CloudWatch::Alarm", "AWS::DynamoDB::Table", "AWS::S3::Bucket", "AWS::Lambda::Function"):
        assert type_name in named
    assert set(NAME_LOOKUPS) <= set(named)
    assert name_property("AWS::SQS::Queue") is None  # its identifier is the URL CloudFormation returns
    assert name_property("AWS::SecretsManager::Secret") == "Name"
    assert "AWS::Kinesis::Stream" in unchecked_types()
