"""Secret values never reach a report, in any format, nor any file a run writes.

Unique canaries are planted where secrets live: NoEcho parameter defaults,
SecretString, MasterUserPassword, AuthToken, secret-named function and container
environment variables, and this process's own AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN and a secret-named variable. Several are written the wrong way
on purpose (an object where a string belongs), because that is when cfn-lint quotes
the value in its message. Every format in cdkcheck.reporters.FORMATS is run, to
stdout and to --output, and every output and written file is searched.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import pytest

from cdkcheck.reporters import FORMATS
from robust_cli import run_cdkcheck

pytestmark = pytest.mark.slow  # cfn-lint and checkov run on the template


def canary(label: str) -> str:
    return f"CANARY{label}{secrets.token_hex(8)}"


CANARIES = {label: canary(label) for label in (
    "NoEcho", "SecretString", "SecretJson", "MasterPassword", "ClusterPassword", "LambdaToken", "ContainerPassword",
    "AuthToken", "AwsSecretKey", "AwsSessionToken", "EnvPassword")}
ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": CANARIES["AwsSecretKey"],
    "AWS_SESSION_TOKEN": CANARIES["AwsSessionToken"],
    "DATABASE_PASSWORD": CANARIES["EnvPassword"],
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_MAX_ATTEMPTS": "1",
    "CDKCHECK_AWS_CONNECT_TIMEOUT": "1",
}


def template() -> dict:
    c = CANARIES
    return {
        "Parameters": {
            "DbPassword": {"Type": "String", "NoEcho": True, "Default": c["NoEcho"], "AllowedPattern": "^[a-z]+$",
                           "MinLength": 99},
        },
        "Resources": {
            "PlainSecret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": c["SecretString"]}},
            # An object where a string belongs: cfn-lint's E3012 quotes the whole value.
            "JsonSecret": {"Type": "AWS::SecretsManager::Secret",
                           "Properties": {"SecretString": {"username": "admin", "password": c["SecretJson"]}}},
            "Database": {"Type": "AWS::RDS::DBInstance", "Properties": {
                "Engine": "mysql", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20",
                "MasterUsername": "admin", "MasterUserPassword": [c["MasterPassword"]]}},
            "Cluster": {"Type": "AWS::RDS::DBCluster", "Properties": {
                "Engine": "aurora-postgresql", "MasterUsername": "admin", "MasterUserPassword": c["ClusterPassword"]}},
            "Function": {"Type": "AWS::Lambda::Function", "Properties": {
                "Runtime": "python3.12", "Handler": "index.handler", "Code": {"ZipFile": "def handler(e, c): pass"},
                "Role": "arn:aws:iam::111111111111:role/fn",
                "Environment": {"Variables": {"API_TOKEN": {"value": c["LambdaToken"]}}}}},
            "Task": {"Type": "AWS::ECS::TaskDefinition", "Properties": {"ContainerDefinitions": [{
                "Name": "web", "Image": "nginx", "Memory": 512,
                "Environment": [{"Name": "DB_PASSWORD", "Value": [c["ContainerPassword"]]}]}]}},
            "Cache": {"Type": "AWS::ElastiCache::ReplicationGroup", "Properties": {
                "ReplicationGroupDescription": "cache", "CacheNodeType": "cache.t3.micro", "Engine": "redis",
                "TransitEncryptionEnabled": True, "AuthToken": {"token": c["AuthToken"]}}},
        },
    }


MANIFEST = {"version": "36.0.0", "artifacts": {"Staging": {
    "type": "aws:cloudformation:stack", "environment": "aws://111111111111/us-east-1",
    "properties": {"templateFile": "Staging.template.json"}}}}


def leaks(text: str) -> list[str]:
    return sorted(label for label, value in CANARIES.items() if value in text)


def files_under(directory: Path):
    return sorted(p for p in directory.rglob("*") if p.is_file())


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("canary")
    (root / "cdk.out").mkdir()
    (root / "cdk.out" / "manifest.json").write_text(json.dumps(MANIFEST))
    (root / "cdk.out" / "Staging.template.json").write_text(json.dumps(template(), indent=1))
    return root


def test_the_template_really_provokes_quoted_values(workspace):
    """Without redaction the canaries would be in the report: the test below is not vacuous."""
    from cdkcheck.app.assembly import load_assembly
    from cdkcheck.analyzers.cfn_lint import run_cfn_lint

    stack = load_assembly(workspace / "cdk.out").stacks[0]
    raw = run_cfn_lint([stack], region="us-east-1")
    quoted = leaks(" ".join(f.message for f in raw.findings))
    assert {"SecretJson", "MasterPassword"} <= set(quoted), quoted


def run_env(tmp_path: Path, live: bool) -> dict:
    env = {**ENVIRONMENT, "CDKCHECK_CACHE_DIR": str(tmp_path / "cache"),
           "GITHUB_STEP_SUMMARY": str(tmp_path / "step-summary.md")}
    if live:  # the live layer gets the planted credentials and fails to reach anything
        env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:9"
    return env


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_no_format_reveals_a_secret_on_stdout(workspace, fmt, tmp_path):
    run = run_cdkcheck("staging", "--assembly", str(workspace / "cdk.out"), "--format", fmt, "--offline",
                       cwd=tmp_path, env=run_env(tmp_path, live=False))
    assert run.code == 1, run.stderr  # the template is broken on purpose: a verdict, not a crash
    assert fmt == "text" or "staging" in run.stdout
    assert not leaks(run.output), (leaks(run.output), run.output)


@pytest.mark.parametrize("live", [False, True], ids=["offline", "live-unreachable"])
def test_no_written_report_reveals_a_secret(workspace, live, tmp_path):
    reports = tmp_path / "reports"
    written = [f"--report={fmt}={reports / f'report.{fmt}'}" for fmt in sorted(FORMATS)]
    run = run_cdkcheck("staging", "--assembly", str(workspace / "cdk.out"), *([] if live else ["--offline"]),
                       "--format", "json", "--output", str(reports / "output.json"), *written,
                       cwd=tmp_path, env=run_env(tmp_path, live))
    assert run.code in (1, 3), run.stderr
    assert not leaks(run.output), (leaks(run.output), run.output)
    names = sorted(p.name for p in files_under(reports))
    assert names == sorted(["output.json", *(f"report.{fmt}" for fmt in FORMATS)])  # and no temp file beside them
    summary = tmp_path / "step-summary.md"
    for path in [*files_under(reports), *([summary] if summary.exists() else [])]:
        assert not leaks(path.read_text(encoding="utf-8", errors="replace")), path
    if live:  # the planted credentials reached the live layer, which said why it could not answer
        assert "cannot reach the AWS endpoint" in (reports / "output.json").read_text()


def test_the_analyzer_cache_keeps_no_secret_values(workspace, tmp_path):
    cache = tmp_path / "cache"
    run = run_cdkcheck("staging", "--assembly", str(workspace / "cdk.out"), "--offline", cwd=tmp_path,
                       env={**ENVIRONMENT, "CDKCHECK_CACHE_DIR": str(cache)})
    assert run.code == 1, run.stderr
    stored = [p for p in files_under(cache) if leaks(p.read_text(encoding="utf-8", errors="replace"))]
    assert not stored, stored


APP = """
import json, os, pathlib, sys
out = pathlib.Path(os.environ["CDK_OUTDIR"])
if os.environ.get("FAIL_LIKE_A_CARELESS_APP"):
    # A failing app that dumps its settings: the stderr tail goes into the report.
    for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "DATABASE_PASSWORD"):
        print(f"{name}={os.environ.get(name)}", file=sys.stderr)
    print("could not connect to postgres://admin:" + os.environ["DATABASE_PASSWORD"] + "@db:5432", file=sys.stderr)
    sys.exit(1)
(out / "manifest.json").write_text(MANIFEST)
(out / "Staging.template.json").write_text(TEMPLATE)
"""


@pytest.mark.parametrize("failing", [False, True], ids=["app-synthesizes", "app-fails-printing-its-env"])
def test_a_synthesized_app_reveals_no_secret(failing, tmp_path):
    app = tmp_path / "app"
    app.mkdir()
    source = APP.replace("MANIFEST)", f"{json.dumps(json.dumps(MANIFEST))})").replace(
        "TEMPLATE)", f"{json.dumps(json.dumps(template()))})")
    (app / "app.py").write_text(source)
    (app / "cdk.json").write_text(json.dumps({"app": f"{sys.executable} app.py"}))
    env = {**ENVIRONMENT, "CDKCHECK_CACHE_DIR": str(tmp_path / "cache")}
    if failing:
        env["FAIL_LIKE_A_CARELESS_APP"] = "1"
    for fmt in sorted(FORMATS):
        run = run_cdkcheck("staging", "--app", "app", "--offline", "--format", fmt, cwd=tmp_path, env=env)
        assert run.code == 1, run.stderr
        if failing:
            assert "CDK-SYNTH-FAILED" in run.stdout or "CDK-SYNTH-FAILED" in run.stderr
        assert not leaks(run.output), (fmt, leaks(run.output))
