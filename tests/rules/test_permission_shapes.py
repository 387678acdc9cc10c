"""Permissions a stack's own services need, on a real CDK app: granted (GO) and not granted (NO-GO).

fixtures/apps/shapes_permissions synthesizes Good and NearMiss variants of three stacks: a Lambda function
in a VPC (CDKC-P2), a log group with a customer managed key (CDKC-P3), a Fargate service whose container
reads a secret (CDKC-P4). The near miss must block exactly at those three constructs, the good one not at all.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cdkcheck.cli.main import app

pytestmark = pytest.mark.slow

runner = CliRunner()

EXPECTED = {
    ("CDKC-P2", "ShapesPermissions-NearMiss-Functions/Worker/Resource"),
    ("CDKC-P3", "ShapesPermissions-NearMiss-Logs/AuditLog/Resource"),
    ("CDKC-P4", "ShapesPermissions-NearMiss-Tasks/Task/Resource"),
}


def test_granted_permissions_are_go_and_missing_ones_block_at_their_construct(apps):
    result = runner.invoke(app, ["good", "nearmiss", "--app", str(apps / "shapes_permissions"), "--offline",
                                 "--format", "json", "--quiet"], catch_exceptions=False)
    report = json.loads(result.output)
    environments = {e["name"]: e for e in report["environments"]}
    assert len(environments["good"]["stacks"]) == len(environments["nearmiss"]["stacks"]) == 3

    good = environments["good"]
    assert good["verdict"] == "GO", [f["message"] for f in good["findings"] if f["blocking"]]
    assert not [f for f in good["findings"] if f["rule_id"].startswith("CDKC-P")]

    near = environments["nearmiss"]
    assert near["verdict"] == "NO-GO"
    blocking = {(f["rule_id"], f["construct_path"]) for f in near["findings"] if f["blocking"]}
    assert blocking == EXPECTED
    messages = {f["rule_id"]: f["message"] for f in near["findings"] if f["blocking"]}
    assert "ec2:CreateNetworkInterface" in messages["CDKC-P2"]
    assert "logs.us-east-1.amazonaws.com" in messages["CDKC-P3"]
    assert "secretsmanager:GetSecretValue" in messages["CDKC-P4"]
