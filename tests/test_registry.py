from cdkcheck.registry import type_schema


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
