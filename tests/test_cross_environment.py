"""Environments checked against each other (CDKC-X1), and per-environment process variables (app_env).

The CLI tests synthesize the real fixture apps: fixtures/apps/shared_account (staging and
production in one account, names shared or per environment) and fixtures/apps/env_named (the
stack name comes from os.getenv("ENVIRONMENT")).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cdkcheck.cli.main import app
from cdkcheck.config import load_config, parse_config
from cdkcheck.engine.cross_environment import companions
from cdkcheck.ruleset import CrossViolation, EnvironmentView
from cdkcheck.errors import ConfigError
from cdkcheck.model import Resource, Stack, Template
from cdkcheck_rules.stack.cross_environment_names import evaluate, named_by

runner = CliRunner()
REPO = Path(__file__).resolve().parent.parent
SHARED = REPO / "fixtures" / "apps" / "shared_account"
ENV_NAMED = REPO / "fixtures" / "apps" / "env_named"
COLLIDING = {  # construct path in the environment -> the kind of name that collides
    "Ledger-{E}-Data": "stack name 'Ledger-Data'",
    "Ledger-{E}-Monitoring/DbSecret/Resource": "AWS::SecretsManager::Secret Name 'ledger/db-credentials'",
    "Ledger-{E}-Monitoring/Dashboard/Resource": "AWS::CloudWatch::Dashboard DashboardName 'ledger-overview'",
    "Ledger-{E}-Monitoring/Backlog/Resource": "AWS::CloudWatch::Alarm AlarmName 'ledger-jobs-backlog'",
    "Ledger-{E}-Monitoring/QueueUrl/Resource": "AWS::SSM::Parameter Name '/ledger/queue-url'",
    "Ledger-{E}-Monitoring/Exports/Resource": "AWS::S3::Bucket BucketName 'ledger-exports-c0ffee42'",
}


def _run(*args: str):
    result = runner.invoke(app, [*args, "--offline", "--format", "json", "--quiet"], catch_exceptions=False)
    return result, json.loads(result.output) if result.output.startswith("{") else None


def _by_name(report) -> dict:
    return {e["name"]: e for e in report["environments"]}


def _blocking(environment) -> list[dict]:
    return [f for f in environment["findings"] if f["blocking"]]


def _check(environment, check="rule:CDKC-X1") -> dict:
    return next(c for c in environment["checks"] if c["check"] == check)


# ------------------------------------------------------------------ CLI: collisions


@pytest.mark.slow
def test_shared_account_with_shared_names_is_no_go_in_both_naming_the_other():
    result, report = _run("staging", "production", "--app", str(SHARED))
    assert result.exit_code == report["exit_code"] == 1
    environments = _by_name(report)
    for name, other in (("staging", "production"), ("production", "staging")):
        environment = environments[name]
        assert environment["verdict"] == "NO-GO"
        blocking = _blocking(environment)
        # Nothing but the collisions blocks: the app deploys fine on its own.
        assert {f["rule_id"] for f in blocking} == {"CDKC-X1"}, blocking
        title = name.capitalize()
        found = {f["construct_path"]: f for f in blocking}
        assert set(found) == {path.format(E=title) for path in COLLIDING}
        for path, what in COLLIDING.items():
            finding = found[path.format(E=title)]
            assert what in finding["message"] and f"environment '{other}'" in finding["message"]
            assert finding["evidence"]["other_environment"] == other
            assert finding["evidence"]["other_is_in_run"] is True
            other_path = path.format(E=other.capitalize())
            if "/" in path:  # a resource: the other environment's construct path is named
                assert finding["evidence"]["other_construct_path"] == other_path
                assert other_path in finding["message"]
        assert _check(environment)["reason"] == f"compared with {other}"


@pytest.mark.slow
def test_shared_account_with_names_per_environment_is_go_in_both():
    result, report = _run("staging", "production", "--app", str(SHARED),
                          "--config", str(SHARED / "cdkcheck-distinct.toml"))
    environments = _by_name(report)
    assert {n: e["verdict"] for n, e in environments.items()} == {"staging": "GO", "production": "GO"}, \
        [_blocking(e) for e in environments.values()]
    assert result.exit_code == 0
    assert environments["production"]["stacks"] == ["Ledger-Production-Data", "Ledger-Production-Monitoring"]
    assert _check(environments["production"]) == {"check": "rule:CDKC-X1", "status": "ran",
                                                  "reason": "compared with staging", "required": False,
                                                  "stack": None}


@pytest.mark.slow
def test_in_different_accounts_only_the_bucket_name_collides():
    result, report = _run("staging", "production", "--app", str(SHARED),
                          "--config", str(SHARED / "cdkcheck-accounts.toml"))
    assert result.exit_code == 1
    for name, environment in _by_name(report).items():
        blocking = _blocking(environment)
        assert [(f["rule_id"], f["construct_path"]) for f in blocking] == [
            ("CDKC-X1", f"Ledger-{name.capitalize()}-Monitoring/Exports/Resource")]
        assert "unique across all accounts of the aws partition" in blocking[0]["message"]


@pytest.mark.slow
def test_an_environment_outside_the_run_in_the_same_account_is_synthesized_and_compared():
    result, report = _run("production", "--app", str(SHARED))
    assert result.exit_code == 1
    assert [e["name"] for e in report["environments"]] == ["production"]
    blocking = _blocking(report["environments"][0])
    assert {f["construct_path"] for f in blocking} == {p.format(E="Production") for p in COLLIDING}
    assert all(f["evidence"]["other_is_in_run"] is False for f in blocking)
    assert all("environment 'staging' (configured, not checked in this run)" in f["message"] for f in blocking)


@pytest.mark.slow
def test_an_environment_outside_the_run_in_another_account_is_not_synthesized_and_is_named():
    result, report = _run("production", "--app", str(SHARED), "--config", str(SHARED / "cdkcheck-accounts.toml"))
    environment = report["environments"][0]
    assert environment["verdict"] == "GO" and result.exit_code == 0
    reason = _check(environment)["reason"]
    assert "no other environment to compare with" in reason
    assert "not synthesized to compare" in reason and "staging" in reason


@pytest.mark.slow
def test_severity_and_enabled_settings_apply_per_environment(tmp_path):
    config = (SHARED / "cdkcheck.toml").read_text() + (
        '\n[environments.production.rules.CDKC-X1]\nseverity = "warning"\n'
        '\n[environments.staging.rules]\nCDKC-X1 = false\n')
    path = tmp_path / "cdkcheck.toml"
    path.write_text(config)
    result, report = _run("staging", "production", "--app", str(SHARED), "--config", str(path))
    environments = _by_name(report)
    assert _check(environments["staging"])["status"] == "skipped"
    assert not [f for f in environments["staging"]["findings"] if f["rule_id"] == "CDKC-X1"]
    production = environments["production"]
    warnings = [f for f in production["findings"] if f["rule_id"] == "CDKC-X1"]
    assert len(warnings) == len(COLLIDING) and not any(f["blocking"] for f in warnings)
    assert {e: v["verdict"] for e, v in environments.items()} == {"staging": "GO", "production": "GO"}
    assert result.exit_code == 0


# ------------------------------------------------------------------ CLI: app_env


@pytest.mark.slow
def test_app_env_gives_each_environment_its_own_stack():
    result = runner.invoke(app, ["staging", "production", "--app", str(ENV_NAMED), "--offline",
                                 "--format", "json"], catch_exceptions=False)
    report = json.loads(result.stdout)
    environments = _by_name(report)
    assert {n: e["stacks"] for n, e in environments.items()} == {
        "staging": ["Orders-Staging"], "production": ["Orders-Production"]}
    assert {n: e["verdict"] for n, e in environments.items()} == {"staging": "GO", "production": "GO"}
    assert result.exit_code == 0
    # Different process variables, different synths (and cache entries).
    assert "(2 synths)" in result.stderr


@pytest.mark.slow
def test_without_app_env_the_app_synthesizes_its_default_stack_for_every_environment(tmp_path):
    config = tmp_path / "cdkcheck.toml"
    config.write_text('[environments.production]\nstacks = ["Orders-Production"]\n')
    result = runner.invoke(app, ["production", "--app", str(ENV_NAMED), "--config", str(config), "--offline"])
    assert result.exit_code == 2
    assert "no stacks selected for environment 'production'" in result.output and "Orders-Dev" in result.output


@pytest.mark.slow
def test_init_shows_app_env_when_it_finds_one_environment(tmp_path):
    app_dir = tmp_path / "app"
    shutil.copytree(ENV_NAMED, app_dir)
    (app_dir / "cdkcheck.toml").unlink()
    result = runner.invoke(app, ["init", "--app", str(app_dir)])
    assert result.exit_code == 0, result.output
    text = (app_dir / "cdkcheck.toml").read_text()
    assert '# app_env = { ENVIRONMENT = "dev" }' in text
    assert list(load_config(app_dir).environments) == ["dev"]


COURTCASE = REPO / "fixtures" / "apps" / "courtcase"
SAME_PLACE = """
[environments.staging]
account = "111111111111"
region = "us-east-1"
context = { env = "staging" }
stacks = ["CourtCase-Staging-*"]

[environments.production]
account = "111111111111"
region = "us-east-1"
context = { env = "staging" }
stacks = ["CourtCase-Staging-*"]
"""


@pytest.mark.slow
def test_courtcase_staging_and_production_in_one_account_overwrite_each_other(tmp_path):
    """The seed app's history: both environments configured to one account and region deployed the same stacks.

    Each deploy of one replaced the other's stacks; cdkcheck used to call that one deployment and say GO.
    """
    config = tmp_path / "cdkcheck.toml"
    config.write_text(SAME_PLACE)
    result, report = _run("staging", "production", "--app", str(COURTCASE), "--config", str(config))
    assert result.exit_code == 1, result.output
    environments = _by_name(report)
    assert {n: e["verdict"] for n, e in environments.items()} == {"staging": "NO-GO", "production": "NO-GO"}
    for name, environment in environments.items():
        rules = {f["rule_id"] for f in _blocking(environment)}
        assert rules == {"CDKC-X1"}, (name, _blocking(environment))
        stacks = sorted(f["construct_path"] for f in _blocking(environment))
        assert stacks == ["CourtCase-Staging-App", "CourtCase-Staging-Data", "CourtCase-Staging-Network"]
    config.write_text(SAME_PLACE + 'alias_of = "staging"\n')
    result, report = _run("staging", "production", "--app", str(COURTCASE), "--config", str(config))
    assert {n: e["verdict"] for n, e in _by_name(report).items()} == {"staging": "GO", "production": "GO"}, \
        result.output
    assert result.exit_code == 0


# ------------------------------------------------------------------ config: app_env


def test_app_env_is_read_per_environment_over_defaults():
    config = parse_config({"defaults": {"app_env": {"ENVIRONMENT": "dev"}},
                           "environments": {"staging": {"app_env": {"ENVIRONMENT": "staging", "TIER": "2"}},
                                            "dev": {}}}, Path("cdkcheck.toml"))
    assert config.environment("staging").app_env == {"ENVIRONMENT": "staging", "TIER": "2"}
    assert config.environment("dev").app_env == {"ENVIRONMENT": "dev"}


@pytest.mark.parametrize(("app_env", "message"), [
    ({"ENVIRONMENT": 3}, "'environments.staging.app_env.ENVIRONMENT' must be a string, not int"),
    ({"ENVIRONMENT": True}, "must be a string, not bool"),
    ({"MY-VAR": "x"}, "'environments.staging.app_env.MY-VAR' is not a process variable name"),
    ({"CDK_DEFAULT_ACCOUNT": "111111111111"}, "is set by cdkcheck for every synth"),
    ({"CDK_CONTEXT_JSON": "{}"}, "is set by cdkcheck for every synth"),
])
def test_bad_app_env_names_the_file_and_key(tmp_path, app_env, message):
    with pytest.raises(ConfigError) as raised:
        parse_config({"environments": {"staging": {"app_env": app_env}}}, tmp_path / "cdkcheck.toml")
    assert message in raised.value.message and raised.value.file == str(tmp_path / "cdkcheck.toml")


def test_bad_app_env_through_the_cli_is_exit_2_with_the_file(tmp_path):
    (tmp_path / "cdk.json").write_text('{"app": "python3 app.py"}')
    (tmp_path / "cdkcheck.toml").write_text('[environments.staging]\napp_env = { ENVIRONMENT = 1 }\n')
    result = runner.invoke(app, ["staging", "--app", str(tmp_path), "--offline"])
    assert result.exit_code == 2
    assert "cdkcheck.toml" in result.output and "app_env.ENVIRONMENT' must be a string" in result.output
    assert 'ENVIRONMENT = "1"' in result.output
    assert "Traceback" not in result.output


def test_app_env_is_part_of_the_synth_cache_key():
    from cdkcheck.app.synth import read_cdk_app, synth_cache_key, synth_environment

    cdk_app = read_cdk_app(ENV_NAMED)
    keys = {synth_cache_key(cdk_app, {}, synth_environment("111111111111", "us-east-1", env))
            for env in ({}, {"ENVIRONMENT": "staging"}, {"ENVIRONMENT": "production"})}
    assert len(keys) == 3
    assert synth_environment("1", "r", {"ENVIRONMENT": "x"}) == {
        "ENVIRONMENT": "x", "CDK_DEFAULT_ACCOUNT": "1", "CDK_DEFAULT_REGION": "r"}


# ------------------------------------------------------------------ the rule on models


def _stack(name: str, resources: dict, *, account="111111111111", region="us-east-1", stack_name=None,
           parameters=None, conditions=None) -> Stack:
    body = {"Resources": resources, **({"Parameters": parameters} if parameters else {}),
            **({"Conditions": conditions} if conditions else {})}
    raw = json.dumps(body, sort_keys=True).encode()
    parsed = {lid: Resource(logical_id=lid, type=spec["Type"], properties=spec.get("Properties", {}),
                            construct_path=f"{name}/{lid}/Resource", condition=spec.get("Condition"))
              for lid, spec in resources.items()}
    return Stack(artifact_id=name, stack_name=stack_name or name, display_name=name, account=account,
                 region=region, template=Template(path=Path(f"{name}.template.json"), body=body, resources=parsed,
                                                  sha256=hashlib.sha256(raw).hexdigest()))


def _view(name, *stacks, account=None, region=None, companion=False, alias_of=None) -> EnvironmentView:
    return EnvironmentView(name=name, account=account, region=region, stacks=tuple(stacks), companion=companion,
                           alias_of=alias_of)


def _violations(*views) -> list[CrossViolation]:
    return [r for r in evaluate(views) if isinstance(r, CrossViolation)]


def test_names_come_from_the_registry_schemas_plus_the_secret_name():
    assert named_by("AWS::DynamoDB::Table") == "TableName"
    assert named_by("AWS::CloudWatch::Dashboard") == "DashboardName"
    assert named_by("AWS::SecretsManager::Secret") == "Name"
    assert named_by("AWS::SQS::Queue") is None  # identified by its URL: not claimed here
    assert named_by("Custom::Thing") is None


def test_unresolved_names_are_not_compared():
    table = {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": {"Ref": "TableName"}}}
    imported = {"Type": "AWS::SSM::Parameter", "Properties": {"Name": {"Fn::ImportValue": "Shared:Name"},
                                                              "Type": "String", "Value": "x"}}
    a = _stack("A-Staging", {"T": table, "P": imported}, parameters={"TableName": {"Type": "String"}})
    b = _stack("A-Production", {"T": table, "P": imported}, parameters={"TableName": {"Type": "String"}})
    assert _violations(_view("staging", a), _view("production", b)) == []


def test_names_built_from_the_stack_name_resolve_per_stack():
    table = {"Type": "AWS::DynamoDB::Table",
             "Properties": {"TableName": {"Fn::Sub": "${AWS::StackName}-cases"}}}
    a, b = _stack("A-Staging", {"T": table}), _stack("A-Production", {"T": table})
    assert _violations(_view("staging", a), _view("production", b)) == []
    # The same stack name with another template: one stack, whose table is the stack's own (not a second create).
    same = _stack("B-Production", {"T": table, "Q": {"Type": "AWS::SQS::Queue"}}, stack_name="A-Staging")
    found = _violations(_view("staging", a), _view("production", same))
    assert [(v.environment, v.logical_id) for v in found] == [("staging", None), ("production", None)]


def test_iam_names_collide_across_regions_and_case():
    role = lambda name: {"Type": "AWS::IAM::Role", "Properties": {"RoleName": name, "AssumeRolePolicyDocument": {}}}
    a = _stack("A-Staging", {"R": role("Deployer")}, region="us-east-1")
    b = _stack("A-Production", {"R": role("deployer")}, region="eu-west-1")
    found = _violations(_view("staging", a), _view("production", b))
    assert sorted(v.environment for v in found) == ["production", "staging"]
    assert all("IAM names are account-wide" in v.message for v in found)
    group = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/app"}}
    c = _stack("C-Staging", {"L": group}, region="us-east-1")
    d = _stack("C-Production", {"L": group}, region="eu-west-1")
    assert _violations(_view("staging", c), _view("production", d)) == []  # regional names, two regions


def test_unknown_account_is_not_guessed_but_bucket_names_still_compare():
    group = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/app"}}
    bucket = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "app-exports"}}
    a = _stack("A-Staging", {"L": group, "B": bucket}, account=None)
    b = _stack("A-Production", {"L": group, "B": bucket}, account=None)
    results = list(evaluate([_view("staging", a), _view("production", b)]))
    found = [r for r in results if isinstance(r, CrossViolation)]
    assert sorted((v.environment, v.logical_id) for v in found) == [("production", "B"), ("staging", "B")]
    notes = [r.reason for r in results if not isinstance(r, CrossViolation)]
    assert any("not compared" in n and "account or region is not known" in n for n in notes)


def test_the_identical_stack_in_two_environments_overwrites_itself_unless_one_is_an_alias():
    group = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/app"}}
    same = _stack("App", {"L": group})
    found = _violations(_view("staging", same), _view("production", same))
    # One finding per environment, on the stack: its named log group is the shared stack's, not reported again.
    assert [(v.environment, v.logical_id) for v in found] == [("staging", None), ("production", None)]
    assert all("each environment's deploy overwrites the other's" in v.message for v in found)
    assert _violations(_view("staging", same), _view("production", same, alias_of="staging")) == []
    assert _violations(_view("staging", same, alias_of="production"), _view("production", same)) == []


def test_an_alias_with_another_template_still_replaces_the_stack():
    a = _stack("App", {"L": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/app"}}})
    b = _stack("App", {"L": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/app-v2"}}})
    found = _violations(_view("staging", a), _view("production", b, alias_of="staging"))
    assert sorted(v.environment for v in found) == ["production", "staging"]
    assert all("would replace the other's stack" in v.message for v in found)


def test_alias_of_is_validated_strictly():
    base = {"account": "111111111111", "region": "us-east-1"}
    config = parse_config({"environments": {"staging": base, "production": {**base, "alias_of": "staging"}}},
                          Path("cdkcheck.toml"))
    assert config.environment("production").alias_of == "staging"
    assert config.environment("staging").alias_of is None
    cases = {
        "names the environment itself": {"staging": {**base, "alias_of": "staging"}},
        "not a configured environment": {"staging": base, "production": {**base, "alias_of": "stagign"}},
        "is itself an alias": {"a": base, "b": {**base, "alias_of": "a"}, "c": {**base, "alias_of": "b"}},
        "must be a str": {"staging": base, "production": {**base, "alias_of": ["staging"]}},
    }
    for expected, environments in cases.items():
        with pytest.raises(ConfigError) as error:
            parse_config({"environments": environments}, Path("cdkcheck.toml"))
        assert expected in str(error.value) and "cdkcheck.toml" in str(error.value), error.value
    with pytest.raises(ConfigError) as typo:
        parse_config({"environments": {"staging": base, "production": {**base, "alias_of": "stagign"}}},
                     Path("cdkcheck.toml"))
    assert "staging" in (typo.value.hint or "")


def test_a_false_condition_is_never_created():
    group = {"Type": "AWS::Logs::LogGroup", "Condition": "Never", "Properties": {"LogGroupName": "/app"}}
    never = {"Never": {"Fn::Equals": ["a", "b"]}}
    a = _stack("A-Staging", {"L": group}, conditions=never)
    b = _stack("A-Production", {"L": group}, conditions=never)
    assert _violations(_view("staging", a), _view("production", b)) == []


def test_companions_are_the_configured_environments_in_the_same_place_or_the_same_synth():
    config = parse_config({
        "environments": {
            "production": {"account": "111111111111", "region": "us-east-1", "context": {"env": "production"}},
            "staging": {"account": "111111111111", "region": "us-east-1", "context": {"env": "staging"}},
            "dev": {"account": "333333333333", "region": "us-east-1", "context": {"env": "dev"}},
            "preview": {"account": "333333333333", "region": "us-east-1", "context": {"env": "production"}},
            "sandbox": {"context": {"env": "sandbox"}},
        }}, Path("cdkcheck.toml"))
    key = lambda e: json.dumps([dict(e.context), e.account or ""], sort_keys=True)
    selected = [config.environment("production")]
    assert [e.name for e in companions(config, selected, free=False, synth_key=key)] == ["staging"]
    same_synth = lambda e: json.dumps(dict(e.context), sort_keys=True)
    assert [e.name for e in companions(config, selected, free=False, synth_key=same_synth)] == [
        "staging", "preview"]
    assert [e.name for e in companions(config, selected, free=True, synth_key=key)] == [
        "staging", "dev", "preview", "sandbox"]


def test_explain_states_the_facts_and_their_sources():
    result = runner.invoke(app, ["explain", "CDKC-X1"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    for fact in ("unique in the Region", "primaryIdentifier", "createOnlyProperties", "Secrets Manager",
                 "not distinguished by case", "partition", "API_CreateStack.html", "gpbucketnamespaces.html",
                 "API_CreateRole.html"):
        assert fact in text, fact
    listing = runner.invoke(app, ["rules"])
    assert "CDKC-X1" in listing.output and "cross-environment-name-collision" in listing.output


def test_the_stage_reports_only_on_environments_in_the_run_and_names_what_it_could_not_compare():
    from cdkcheck.engine.cross_environment import run_cross_rules
    from cdkcheck_rules import CROSS_ENVIRONMENT_RULES

    config = parse_config({"environments": {"staging": {}, "production": {}, "qa": {}, "dev": {}}},
                          Path("cdkcheck.toml"))
    group = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "/app"}}
    views = [_view("production", _stack("A-Production", {"L": group})),
             _view("staging", _stack("A-Staging", {"L": group}), companion=True)]
    results = run_cross_rules(CROSS_ENVIRONMENT_RULES, views, config.environments, skipped=["dev"],
                              unavailable={"qa": "its synth failed"})
    assert set(results.findings) == {"production"}  # the companion gets no report
    assert [f.construct_path for f in results.findings["production"]] == ["A-Production/L/Resource"]
    (outcome,) = results.outcomes["production"]
    assert outcome.status.value == "ran"
    assert "compared with staging" in outcome.reason and "dev" in outcome.reason
    assert "qa could not be compared: its synth failed" in outcome.reason
