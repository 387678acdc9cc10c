from cdkcheck.template.resource_schemas import type_schema


def test_create_only_and_identity_come_from_cfn_lint_schemas():
    table = type_schema("AWS::DynamoDB::Table")
    assert table.named_by() == "TableName"
    assert "TableName" in table.create_only_top_level
    instance = type_schema("AWS::RDS::DBInstance")
    assert {"DBSubnetGroupName", "DBInstanceIdentifier"} <= instance.create_only_top_level
    assert "AllocatedStorage" not in instance.create_only_top_level


def test_identity_that_the_template_cannot_set_is_not_a_name():
    assert type_schema("AWS::SecretsManager::Secret").named_by() is None  # identified by its ARN


def test_custom_and_unknown_types_have_no_schema():
    assert type_schema("Custom::Anything") is None
    assert type_schema("AWS::NoSuch::Thing") is None


def test_schema_files_read_directly_match_cfn_lints_schema_manager():
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

    from cdkcheck.template.resource_schemas import SCHEMA_REGION, _schema_file

    for type_name in ("AWS::RDS::DBInstance", "AWS::DynamoDB::Table", "AWS::SecretsManager::Secret",
                      "AWS::S3::Bucket", "AWS::OpenSearchService::Domain", "AWS::SQS::Queue"):
        assert _schema_file(type_name) == PROVIDER_SCHEMA_MANAGER.get_resource_schema(SCHEMA_REGION, type_name).schema
