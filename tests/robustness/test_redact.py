"""Which values count as secret, and how they are masked wherever a message quotes them."""

from __future__ import annotations

from pathlib import Path

from cdkcheck.model import (
    CheckOutcome, CheckStatus, EnvironmentResult, Finding, Resource, Severity, Source, Stack, Template, Verdict,
)
from cdkcheck.template.redact import MASK, redact_result, redact_text, secret_values


def stack(body: dict) -> Stack:
    resources = {lid: Resource(lid, spec["Type"], spec.get("Properties", {})) for lid, spec in body["Resources"].items()}
    return Stack("S", "S", "S", None, None, Template(Path("S.template.json"), body, resources, "0"))


BODY = {
    "Parameters": {"Hidden": {"Type": "String", "NoEcho": "true", "Default": "hidden-default"},
                   "Shown": {"Type": "String", "Default": "shown-default"}},
    "Resources": {
        "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {
            "SecretString": {"Fn::Join": ["", ["{\"password\":\"", "joined-literal", "\"}"]]},
            "KmsKeyId": "alias/not-secret"}},
        "Db": {"Type": "AWS::RDS::DBInstance", "Properties": {
            "MasterUserPassword": {"Ref": "Hidden"}, "MasterUserSecret": {"SecretArn": "arn:not-secret"},
            "ManageMasterUserPassword": True, "DBInstanceClass": "db.t3.micro"}},
        "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [{
            "Environment": [{"Name": "API_TOKEN", "Value": "container-token"},
                            {"Name": "LOG_LEVEL", "Value": "verbose-logging"}]}]}},
    },
}


def test_secret_values_are_those_secret_by_construction():
    found = secret_values([stack(BODY)], environ={"AWS_SESSION_TOKEN": "session-token-value", "HOME": "/home/user",
                                                  "GITHUB_TOKEN": "short"})
    assert {"hidden-default", "joined-literal", "container-token", "session-token-value"} <= found
    # Names of things, settings and short values are not secrets.
    for value in ("shown-default", "alias/not-secret", "arn:not-secret", "Hidden", "db.t3.micro",
                  "verbose-logging", "/home/user", "short", "True"):
        assert value not in found


def test_every_quoted_form_is_masked():
    secrets = frozenset({"it's a \\ secret\n"})
    for text in ("plain it's a \\ secret\n here", repr(["it's a \\ secret\n"]), '{"p": "it\'s a \\\\ secret\\n"}'):
        assert "secret" not in redact_text(text, secrets), text
        assert MASK in redact_text(text, secrets)


def test_results_are_masked_throughout_and_untouched_without_secrets():
    finding = Finding("E3012", Source.CFN_LINT, Severity.ERROR, "['hunter2-password'] is not of type 'string'",
                      fix="x", evidence={"value": ["hunter2-password"]})
    outcome = CheckOutcome("rule:X", CheckStatus.UNKNOWN, "rule crashed: ValueError('hunter2-password')")
    result = EnvironmentResult("e", Verdict.NO_GO, ("S",), (finding,), (outcome,), details={"note": "hunter2-password"})
    masked = redact_result(result, frozenset({"hunter2-password"}))
    assert "hunter2" not in repr(masked.findings) + repr(masked.checks) + repr(masked.details)
    assert masked.findings[0].evidence == {"value": [MASK]}
    assert redact_result(result, frozenset()) is result
