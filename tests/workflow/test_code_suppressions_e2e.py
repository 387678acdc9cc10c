"""Suppressions written in a real CDK app, through synth, checkov and the pipeline."""

from __future__ import annotations

import json
import sys

import pytest
from workflow_support import run_cli

pytestmark = pytest.mark.slow

APP = '''
import aws_cdk as cdk
from aws_cdk import aws_s3 as s3, aws_sqs as sqs

app = cdk.App()
stack = cdk.Stack(app, "Acks-Staging", env=cdk.Environment(account="111111111111", region="us-east-1"))
queue = sqs.Queue(stack, "Queue")
queue.node.add_metadata("cdkcheck:suppress", [{"id": "CKV_AWS_27", "reason": "holds public job ids only"}])
cdk.Annotations.of(queue).add_warning_v2("team:queue-tuning", "visibility timeout is the default")
cdk.Validations.of(queue).acknowledge(cdk.Acknowledgment(id="team:queue-tuning", reason="defaults fit this job"))
bucket = s3.Bucket(stack, "Bucket")
cdk.Validations.of(bucket).acknowledge(
    cdk.Acknowledgment(id="checkov::CKV_AWS_18", reason="access is logged by CloudTrail data events"))
bucket.node.default_child.add_metadata("cdkcheck:suppress", [
    {"id": "CKV_AWS_21", "reason": "objects are immutable build outputs"}])
bucket.node.default_child.add_metadata("checkov", {"skip": [
    {"id": "CKV_AWS_53", "comment": "public access is blocked account-wide"}]})
app.synth()
'''
CONFIG = '''
[environments.staging]
stacks = ["Acks-Staging"]
checkov_blocking = ["*"]

[[suppressions]]
rule = "CKV_AWS_5[456]"
path = "Acks-Staging/Bucket"
reason = "public access is blocked by an organisation SCP"
'''


def test_every_kind_of_suppression_in_one_real_app(tmp_path, synth_cache):
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    (tmp_path / "cdkcheck.toml").write_text(CONFIG)
    code, output = run_cli(["staging", "--app", str(tmp_path), "--offline", "--quiet", "--format", "json",
                            "--output", str(tmp_path / "report.json")], synth_cache)
    report = json.loads((tmp_path / "report.json").read_text())["environments"][0]
    origins = {f["rule_id"]: (f["suppression"] or {}).get("origin") for f in report["findings"]}
    assert origins["CKV_AWS_27"] == "metadata"  # node.add_metadata on the L2 construct
    assert origins["CKV_AWS_21"] == "metadata"  # CfnResource.add_metadata
    assert origins["CKV_AWS_18"] == "acknowledge"  # Validations.acknowledge(checkov::...)
    assert origins["CKV_AWS_53"] == "checkov"  # checkov's own skip metadata
    assert origins["CKV_AWS_54"] == origins["CKV_AWS_55"] == origins["CKV_AWS_56"] == "config"
    ack = next(f for f in report["findings"] if f["rule_id"] == "Annotation::team:queue-tuning")
    assert ack["suppression"]["reason"] == "defaults fit this job" and ack["blocking"] is False
    assert all(f["suppression"] for f in report["findings"]), report["findings"]
    # checkov blocks in this environment, so GO means each of those findings really was suppressed.
    assert (code, report["verdict"]) == (0, "GO"), output
    queue = next(f for f in report["findings"] if f["rule_id"] == "CKV_AWS_27")
    assert queue["location"] == {"file": "app.py", "line": 7, "kind": "source"}
