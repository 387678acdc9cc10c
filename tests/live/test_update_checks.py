"""Update-aware checks end to end: stacks created in the moto account from template A, cdkcheck run on assembly B.

Each environment of the config selects one stack (one case). The same run is then
recorded with `cdkcheck snapshot` and replayed with `--facts` and no account at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from moto_account import free_port
from typer.testing import CliRunner

from cdkcheck.cli.main import app

ACCOUNT = "123456789012"
U_RULES = ("CDKC-U1", "CDKC-U2", "CDKC-U3", "CDKC-U4", "CDKC-U5", "CDKC-U6")


def _meta(path: str) -> dict:
    return {"Metadata": {"aws:cdk:path": path}}


def _groups(stack: str) -> dict:
    return {g: {"Type": "AWS::RDS::DBSubnetGroup", **_meta(f"{stack}/{g}/Default"),
                "Properties": {"DBSubnetGroupDescription": g, "SubnetIds": ["${subnet_a}", "${subnet_b}"]}}
            for g in ("GroupA", "GroupB")}


def _db(stack: str, policy: str, group: str = "GroupA", **props) -> dict:
    properties = {"Engine": "postgres", "EngineVersion": "15.4", "DBInstanceClass": "db.t3.micro",
                  "AllocatedStorage": "100", "MasterUsername": "app", "DBSubnetGroupName": {"Ref": group}, **props}
    return {"Type": "AWS::RDS::DBInstance", "Properties": properties, "DeletionPolicy": policy,
            "UpdateReplacePolicy": policy, **_meta(f"{stack}/Database/Resource")}


def _secret(stack: str, name: str) -> dict:
    return {"Type": "AWS::SecretsManager::Secret", "Properties": {"Name": name, "GenerateSecretString": {}},
            "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete", **_meta(f"{stack}/ApiKey/Resource")}


def _table(stack: str, key: str) -> dict:
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete",
            **_meta(f"{stack}/Orders/Resource"),
            "Properties": {"KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
                           "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
                           "BillingMode": "PAY_PER_REQUEST"}}


def _harmless(stack: str, code: str, team: str) -> dict:
    role = {"Type": "AWS::IAM::Role", **_meta(f"{stack}/Handler/ServiceRole/Resource"), "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": "lambda.amazonaws.com"}}]}}}
    function = {"Type": "AWS::Lambda::Function", **_meta(f"{stack}/Handler/Resource"), "DependsOn": ["HandlerRole"],
                "Properties": {"Runtime": "python3.12", "Handler": "index.handler", "Code": {"ZipFile": code},
                               "Role": {"Fn::GetAtt": ["HandlerRole", "Arn"]}}}
    queue = {"Type": "AWS::SQS::Queue", **_meta(f"{stack}/Jobs/Resource"), "DeletionPolicy": "Delete",
             "UpdateReplacePolicy": "Delete", "Properties": {"Tags": [{"Key": "team", "Value": team}]}}
    return {"HandlerRole": role, "Handler": function, "Jobs": queue}


def _bucket(stack: str, construct: str) -> dict:
    return {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {"BucketName": "courtcase-exports-123456789012"}, **_meta(f"{stack}/{construct}/Resource")}


# stack -> (deployed resources A, synthesized resources B)
CASES = {
    "Prod-Secret": ({"ApiKey": _secret("Prod-Secret", "courtcase/api-key")},
                    {"ApiKey": _secret("Prod-Secret", "courtcase/api-key-v2")}),
    "Prod-DbNamed": ({**_groups("Prod-DbNamed"), "Database": _db("Prod-DbNamed", "Snapshot",
                                                                  DBInstanceIdentifier="courtcase-db")},
                     {**_groups("Prod-DbNamed"), "Database": _db("Prod-DbNamed", "Snapshot", "GroupB",
                                                                  DBInstanceIdentifier="courtcase-db")}),
    "Prod-DbUnnamed": ({**_groups("Prod-DbUnnamed"), "Database": _db("Prod-DbUnnamed", "Delete")},
                       {**_groups("Prod-DbUnnamed"), "Database": _db("Prod-DbUnnamed", "Delete", "GroupB")}),
    "Prod-Storage": ({**_groups("Prod-Storage"), "Database": _db("Prod-Storage", "Snapshot")},
                     {**_groups("Prod-Storage"), "Database": _db("Prod-Storage", "Snapshot", AllocatedStorage="50")}),
    "Prod-Table": ({"Orders": _table("Prod-Table", "pk")}, {"Orders": _table("Prod-Table", "orderId")}),
    "Prod-Harmless": (_harmless("Prod-Harmless", "def handler(e, c):\n    return 1\n", "search"),
                      _harmless("Prod-Harmless", "def handler(e, c):\n    return 2\n", "platform")),
    "Prod-Refactor": ({"Bucket83908E77": _bucket("Prod-Refactor", "Bucket")},
                      {"StorageBucket19DB2FF8": _bucket("Prod-Refactor", "Storage/Bucket")}),
}
ENVIRONMENTS = {
    "secret": "Prod-Secret", "db-named": "Prod-DbNamed", "db-unnamed": "Prod-DbUnnamed", "storage": "Prod-Storage",
    "table": "Prod-Table", "table-lenient": "Prod-Table", "harmless": "Prod-Harmless", "refactor": "Prod-Refactor",
}
CONFIG = "\n".join(
    [f'[environments.{env}]\nstacks = ["{stack}"]\naccount = "{ACCOUNT}"\nregion = "us-east-1"\n'
     for env, stack in ENVIRONMENTS.items()]
    + ['[environments.table-lenient.rules.CDKC-U5]\nseverity = "warning"\n'])


def _deploy_and_write_assembly(account, directory: Path) -> Path:
    ec2 = account.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    saved = {f"subnet_{zone}": ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=f"us-east-1{zone}")
             ["Subnet"]["SubnetId"] for zone, cidr in (("a", "10.0.0.0/24"), ("b", "10.0.1.0/24"))}

    def filled(resources: dict) -> str:
        text = json.dumps({"Resources": resources}, indent=1)
        for name, value in saved.items():
            text = text.replace("${" + name + "}", value)
        return text

    cloudformation = account.client("cloudformation")
    artifacts = {}
    directory.mkdir(parents=True)
    for stack, (deployed, synthesized) in CASES.items():
        cloudformation.create_stack(StackName=stack, TemplateBody=filled(deployed))
        status = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        assert status == "CREATE_COMPLETE", f"moto could not create {stack}: {status}"
        (directory / f"{stack}.template.json").write_text(filled(synthesized))
        artifacts[stack] = {"type": "aws:cloudformation:stack", "environment": f"aws://{ACCOUNT}/us-east-1",
                            "properties": {"templateFile": f"{stack}.template.json"}}
    (directory / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": artifacts}))
    return directory


def _report(output: str) -> dict[str, dict]:
    document = json.loads(output[output.index("{"):])
    return {e["name"]: e for e in document["environments"]}


def _update_findings(environment: dict) -> list[dict]:
    return [f for f in environment["findings"] if f["rule_id"] in U_RULES]


@pytest.fixture
def update_run(aws, tmp_path):
    account = aws(ACCOUNT)
    assembly = _deploy_and_write_assembly(account, tmp_path / "cdk.out")
    config = tmp_path / "cdkcheck.toml"
    config.write_text(CONFIG)
    arguments = [*ENVIRONMENTS, "--assembly", str(assembly), "--config", str(config)]
    result = CliRunner().invoke(app, [*arguments, "--format", "json", "-q"])
    assert result.exit_code in (0, 1), result.output
    return arguments, _report(result.output)


def _check_cases(report: dict[str, dict]) -> None:
    def blocking(env: str) -> dict[str, dict]:
        return {f["rule_id"]: f for f in _update_findings(report[env]) if f["blocking"]}

    secret = blocking("secret")["CDKC-U5"]
    assert report["secret"]["verdict"] == "NO-GO"
    assert secret["construct_path"] == "Prod-Secret/ApiKey/Resource"
    assert "Name courtcase/api-key -> courtcase/api-key-v2" in secret["message"]
    assert "CDKC-U1" not in blocking("secret"), "a rename replaces without a name collision"

    named = blocking("db-named")
    assert set(named) == {"CDKC-U1"}, named  # Snapshot policy: the data is kept
    assert "DBSubnetGroupName <Ref GroupA> -> <Ref GroupB>" in named["CDKC-U1"]["message"]
    assert named["CDKC-U1"]["construct_path"] == "Prod-DbNamed/Database/Resource"
    assert named["CDKC-U1"]["evidence"]["changes"][0] == {
        "property": "DBSubnetGroupName", "old": "<Ref GroupA>", "new": "<Ref GroupB>",
        "source": "CloudFormation registry schema (createOnlyProperties) as cfn-lint ships it"}

    unnamed = blocking("db-unnamed")
    assert set(unnamed) == {"CDKC-U5"}, unnamed  # no explicit identifier: no collision, but the data goes
    assert "UpdateReplacePolicy is Delete" in unnamed["CDKC-U5"]["message"]
    assert unnamed["CDKC-U5"]["construct_path"] == "Prod-DbUnnamed/Database/Resource"

    storage = blocking("storage")["CDKC-U3"]
    assert "AllocatedStorage 100 -> 50 GiB" in storage["message"]
    assert storage["evidence"]["changes"] == [{"property": "AllocatedStorage", "old": "100", "new": "50"}]

    table = blocking("table")["CDKC-U5"]
    assert report["table"]["verdict"] == "NO-GO"
    assert table["construct_path"] == "Prod-Table/Orders/Resource"
    assert table["evidence"]["changes"][0]["old"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert table["evidence"]["changes"][0]["new"] == [{"AttributeName": "orderId", "KeyType": "HASH"}]
    lenient = _update_findings(report["table-lenient"])
    assert [(f["rule_id"], f["blocking"], f["severity"]) for f in lenient] == [("CDKC-U5", False, "warning")]

    assert report["harmless"]["verdict"] == "GO", report["harmless"]["findings"]
    assert not _update_findings(report["harmless"])

    refactor = _update_findings(report["refactor"])
    assert [(f["rule_id"], f["blocking"]) for f in refactor] == [("CDKC-U6", False)]
    assert refactor[0]["construct_path"] == "Prod-Refactor/Storage/Bucket/Resource"
    assert "Bucket83908E77 (Prod-Refactor/Bucket/Resource)" in refactor[0]["message"]
    assert refactor[0]["evidence"]["changes"] == [
        {"property": "logical id", "old": "Bucket83908E77", "new": "StorageBucket19DB2FF8"}]
    # The advisory explains the move; the name check (CDKC-L6) finds the name taken, which is what fails.
    assert {f["rule_id"] for f in report["refactor"]["findings"] if f["blocking"]} == {"CDKC-L6"}
    for env in ENVIRONMENTS:
        unknown = [c for c in report[env]["checks"] if c["check"].startswith("rule:CDKC-U") and c["status"] != "ran"]
        assert not unknown, (env, unknown)


@pytest.mark.slow
def test_update_checks_against_deployed_stacks(update_run):
    _, report = update_run
    _check_cases(report)


@pytest.mark.slow
def test_update_checks_replay_from_a_snapshot(update_run, tmp_path, monkeypatch, sent_operations):
    arguments, live = update_run
    facts = tmp_path / "facts.json"
    recorded = CliRunner().invoke(app, ["snapshot", *arguments, "-o", str(facts), "-q"])
    assert recorded.exit_code == 0, recorded.output
    questions = {e["question"] for env in json.loads(facts.read_text())["environments"].values() for e in env["facts"]}
    assert "deployed_template" in questions

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")  # no account any more
    sent_before = len(sent_operations)
    replayed = CliRunner().invoke(app, [*arguments, "--facts", str(facts), "--format", "json", "-q"])
    assert replayed.exit_code in (0, 1), replayed.output
    assert len(sent_operations) == sent_before
    report = _report(replayed.output)
    _check_cases(report)

    def shape(environment):
        return sorted((f["rule_id"], f["construct_path"], f["message"], f["blocking"])
                      for f in _update_findings(environment))

    for env in ENVIRONMENTS:
        assert report[env]["verdict"] == live[env]["verdict"], env
        assert shape(report[env]) == shape(live[env]), env


def test_deployed_stacks_and_templates_are_read_afresh_even_when_answers_may_be_reused(aws, tmp_path):
    """A deploy changes them: what an update replaces is judged on the stack as it is now."""
    from cdkcheck.config import EnvironmentConfig
    from cdkcheck.facts.live import open_account

    account = aws(ACCOUNT)
    account.client("cloudformation").create_stack(StackName="Prod-Cached", TemplateBody=json.dumps(
        {"Resources": {"Jobs": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs"}}}}))
    answers = []
    for _ in range(2):
        facts = open_account(EnvironmentConfig(name="prod"), "us-east-1", cache_dir=tmp_path / "cache",
                             max_facts_age=120)
        stack = facts.deployed_stack("Prod-Cached")
        template = facts.deployed_template(stack.stack_id)
        answers.append((stack, template, sum(n for op, n in facts.calls.items() if op.startswith("cloudformation:"))))
    (first, first_template, first_calls), (second, second_template, second_calls) = answers
    assert first == second and first_template == second_template
    assert json.loads(first_template.template_json)["Resources"]["Jobs"]["Properties"] == {"QueueName": "jobs"}
    assert first_calls == 3 and second_calls == 3  # DescribeStacks, ListStackResources, GetTemplate: each run
