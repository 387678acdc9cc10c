"""The live path under faults: throttling, 5xx, answers slower than the timeout, resets, credentials expiring.

cdkcheck runs as users run it, against a moto server behind fault_proxy.FaultProxy
(AWS_ENDPOINT_URL points at the proxy). Whatever the proxy does, every run ends in
bounded time; a fault that retries absorb changes nothing; a fault that persists
makes the affected checks UNKNOWN with the reason, and the verdict follows: with
live = "required" INCONCLUSIVE (exit 3), with live = "optional" GO with the reasons
listed, and a blocking finding still NO-GO (exit 1).
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import boto3
import pytest

from fault_proxy import Fault, FaultProxy
from robust_cli import run_cdkcheck
from timeouts import scaled

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "live"))
from moto_account import MotoServer  # noqa: E402  (the live tests' moto server process)

pytestmark = pytest.mark.slow  # every run lints the template and talks to a moto server

ACCOUNT = "123456789012"  # moto's account for any access key it has not seen
BOOTSTRAP_PARAMETER = "/cdk-bootstrap/hnb659fds/version"
MAX_ATTEMPTS = 2
# Healthy answers never race a timeout: the read timeout is far beyond what moto needs even on a loaded
# machine. Tests that need a timeout to fire use a fault that never answers ("hang"), with a short one.
HEALTHY_READ_TIMEOUT = scaled(60)
HANG_READ_TIMEOUT = 2.0
# A guard against hangs, not a speed test; the runs take 2-15 s on a quiet machine.
BOUND_SECONDS = scaled(90)

TEMPLATE = {"Resources": {
    "Address": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc"}},
    "Network": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
    "Events": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/aws/sns"}},
}}
BROKEN = {"Resources": {**TEMPLATE["Resources"],
                        # An unsupported property (cfn-lint E3002): CloudFormation refuses the create.
                        "Bad": {"Type": "AWS::EC2::EIP", "Properties": {"Domain": "vpc", "NoSuchProperty": 1}}}}


def write_assembly(directory: Path, template: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Staging.template.json").write_text(json.dumps(template))
    (directory / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {"Staging": {
        "type": "aws:cloudformation:stack", "environment": f"aws://{ACCOUNT}/us-east-1",
        "properties": {"templateFile": "Staging.template.json", "requiresBootstrapStackVersion": 6,
                       "bootstrapStackVersionSsmParameter": BOOTSTRAP_PARAMETER}}}}))
    return directory


@pytest.fixture(scope="module")
def moto():
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    write_assembly(root / "good", TEMPLATE)
    write_assembly(root / "broken", BROKEN)
    (root / "optional.toml").write_text('[environments.staging]\nlive = "optional"\n')
    return root


@pytest.fixture
def proxy(moto):
    moto.reset()
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    session.client("ssm", endpoint_url=moto.url).put_parameter(Name=BOOTSTRAP_PARAMETER, Value="30", Type="String")
    in_front = FaultProxy(moto.url)
    yield in_front
    in_front.close()


def check(workspace: Path, proxy: FaultProxy, *faults: Fault, assembly: str = "good", config: str | None = None):
    proxy.run(*(replace(f) for f in faults))  # fresh counters for every run
    hangs = any(f.action == "hang" for f in faults)
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ENDPOINT_URL": proxy.url, "AWS_MAX_ATTEMPTS": str(MAX_ATTEMPTS),
           "CDKCHECK_AWS_READ_TIMEOUT": str(HANG_READ_TIMEOUT if hangs else HEALTHY_READ_TIMEOUT),
           "CDKCHECK_AWS_CONNECT_TIMEOUT": str(scaled(10)),
           "CDKCHECK_CACHE_DIR": str(workspace / "cache")}
    args = ["staging", "--assembly", assembly, "--format", "json"] + (["--config", config] if config else [])
    started = time.monotonic()
    run = run_cdkcheck(*args, cwd=workspace, env=env, timeout=BOUND_SECONDS * 3)
    took = time.monotonic() - started
    assert "Traceback" not in run.output and "internal error" not in run.output, run.stderr
    assert took < BOUND_SECONDS, f"took {took:.1f} s under {faults}"
    (environment,) = json.loads(run.stdout)["environments"]
    return run, environment


def unknown_checks(environment) -> list[dict]:
    return [c for c in environment["checks"] if c["status"] == "unknown"]


def live_rules_ran(environment) -> list[str]:
    return sorted(c["check"] for c in environment["checks"]
                  if c["check"].startswith("rule:CDKC-L") and c["status"] == "ran")


def test_without_faults_the_account_answers_and_the_verdict_is_go(workspace, proxy):
    run, environment = check(workspace, proxy)
    assert run.code == 0 and environment["verdict"] == "GO", environment
    assert not unknown_checks(environment)
    assert {"rule:CDKC-L1", "rule:CDKC-L8"} <= set(live_rules_ran(environment))
    assert set(proxy.operations()) >= {"sts:GetCallerIdentity", "ec2:DescribeAddresses", "ssm:GetParameter"}


def test_a_throttling_burst_the_retries_absorb_changes_nothing(workspace, proxy):
    run, environment = check(workspace, proxy, Fault("throttle", service="ec2", times=1),
                             Fault("throttle", service="servicequotas", times=1), Fault("error", service="ssm", times=1))
    assert len(proxy.operations("throttle")) == 2 and len(proxy.operations("error")) == 1
    assert run.code == 0 and environment["verdict"] == "GO", unknown_checks(environment)
    assert not unknown_checks(environment)


@pytest.mark.parametrize("fault, reason", [
    (Fault("throttle", service="ec2"), "throttled by AWS (RequestLimitExceeded) after retries"),
    (Fault("error", service="servicequotas"), "503"),
    (Fault("hang", service="ec2"), "did not answer in time"),
    (Fault("reset", service="ssm"), "cannot reach the AWS endpoint"),
    (Fault("expired", after=1), "rejected the credentials (ExpiredToken"),
], ids=["throttling", "5xx", "slower-than-timeout", "connection-reset", "credentials-expire-mid-run"])
def test_a_persistent_fault_makes_the_affected_checks_unknown_and_the_run_inconclusive(workspace, proxy, fault,
                                                                                       reason):
    run, environment = check(workspace, proxy, fault)
    assert run.code == 3 and environment["verdict"] == "INCONCLUSIVE", environment["checks"]
    unknown = unknown_checks(environment)
    assert unknown and all(c["required"] for c in unknown)
    assert all(reason in c["reason"] for c in unknown), unknown
    assert not [f for f in environment["findings"] if f["blocking"]]  # a fault is never read as a failure


def test_expired_credentials_stop_all_further_calls(workspace, proxy):
    run, environment = check(workspace, proxy, Fault("expired", after=1))
    assert run.code == 3
    # The first rejection is fatal: only calls already in flight with it are sent, never one per check.
    assert len(proxy.operations("expired")) <= 8, proxy.log
    assert len(proxy.operations()) <= 9


def test_an_endpoint_that_never_answers_is_inconclusive_in_bounded_time(workspace, proxy):
    run, environment = check(workspace, proxy, Fault("hang"))
    assert run.code == 3 and environment["verdict"] == "INCONCLUSIVE"
    (live,) = [c for c in environment["checks"] if c["check"] == "live"]
    assert live["status"] == "unknown" and "did not answer in time" in live["reason"]


def test_with_live_optional_a_fault_is_reported_but_does_not_hold_the_deploy(workspace, proxy):
    run, environment = check(workspace, proxy, Fault("throttle", service="ec2"), config="optional.toml")
    assert run.code == 0 and environment["verdict"] == "GO"
    unknown = unknown_checks(environment)
    assert unknown and not any(c["required"] for c in unknown)
    assert all("throttled" in c["reason"] for c in unknown)


def test_a_blocking_finding_is_no_go_whatever_the_account_does(workspace, proxy):
    run, environment = check(workspace, proxy, Fault("reset"), assembly="broken")
    assert run.code == 1 and environment["verdict"] == "NO-GO"
    assert any(f["blocking"] and f["logical_id"] == "Bad" for f in environment["findings"])
    assert unknown_checks(environment)  # and the account checks still say why they could not run
