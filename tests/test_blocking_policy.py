"""The cfn-lint blocking policy: the reviewed list, its narrowings, and what users see through the real CLI.

Each fixtures/policy template is one stack of one cloud assembly and its own environment (selected by
`stacks`), so one offline CLI run gives every template its own verdict with cfn-lint and checkov as
themselves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest

from cdkcheck.config import EnvironmentConfig, parse_config
from cdkcheck.model import Finding, Severity, Source
from cdkcheck.engine.policy import NARROWINGS, apply_policy, cfn_lint_advisory, cfn_lint_blocking, is_blocking
from cdkcheck.cli.rule_reference import rules_markdown, rules_text

REPO = Path(__file__).resolve().parent.parent
POLICY_TEMPLATES = REPO / "fixtures" / "policy"
DATA_FILE = REPO / "validator" / "cdkcheck" / "data" / "cfn_lint_blocking.toml"
CDKCHECK = Path(sys.executable).parent / "cdkcheck"


def lint_finding(rule_id: str, **changes) -> Finding:
    severity = Severity.ERROR if rule_id.startswith("E") else Severity.WARNING
    return replace(Finding(rule_id=rule_id, source=Source.CFN_LINT, severity=severity, message="m",
                           stack="S", logical_id="R"), **changes)


# ------------------------------------------------------------------ the list itself


def test_every_listed_id_says_why_the_deploy_fails_and_where_that_is_documented():
    entries = cfn_lint_blocking()
    data = tomllib.loads(DATA_FILE.read_text())
    assert set(data) == {"block", "advisory"}
    assert set(entries) == set(data["block"]) and set(cfn_lint_advisory()) == set(data["advisory"])
    assert not set(entries) & set(cfn_lint_advisory())
    for entry in [*entries.values(), *cfn_lint_advisory().values()]:
        assert entry.rule_id[:1] in "EW" and entry.rule_id[1:].isdigit(), entry.rule_id
        assert len(entry.reason) > 30, entry
        assert entry.source.startswith("https://"), entry


def test_every_error_rule_of_the_installed_cfn_lint_is_reviewed():
    """The whole error catalogue, not only the ids seen: a new cfn-lint release with a new E rule fails here."""
    import cfnlint.rules
    import importlib
    import inspect
    import pkgutil

    installed = set()
    for module in pkgutil.walk_packages(cfnlint.rules.__path__, "cfnlint.rules."):
        for _, cls in inspect.getmembers(importlib.import_module(module.name), inspect.isclass):
            if issubclass(cls, cfnlint.rules.CloudFormationLintRule) and str(getattr(cls, "id", "")).startswith("E"):
                installed.add(cls.id)
    assert len(installed) > 200
    reviewed = set(cfn_lint_blocking()) | set(cfn_lint_advisory())
    assert installed - reviewed == set(), "review these cfn-lint ids into data/cfn_lint_blocking.toml"
    assert {i for i in reviewed if i.startswith("E")} - installed == set(), "ids cfn-lint no longer has"


def test_narrowed_ids_and_their_implementations_match():
    narrowed = {rule_id for rule_id, entry in cfn_lint_blocking().items() if entry.narrow}
    assert narrowed == set(NARROWINGS)


def test_the_ids_the_issue_names_block_and_the_false_alarms_do_not():
    listed = set(cfn_lint_blocking())
    assert {"E0000", "E3001", "E3002", "E3003", "E2531", "E3025", "E3062", "E3628", "E3691", "W3691",
            "W3690", "E1151", "E1152", "E1153", "E1154"} <= listed
    environment = EnvironmentConfig(name="e")
    for advisory in ("E3712", "W2501", "E3021", "W3005", "E3030"):
        assert not is_blocking(lint_finding(advisory), environment), advisory
    assert is_blocking(lint_finding("E3628"), environment)
    assert is_blocking(lint_finding("W3691"), environment)  # not judged: cfn-lint's static data stands


def test_an_environment_opts_more_ids_in_and_fail_on_does_not_turn_lint_advice_into_blocks():
    config = parse_config({"environments": {
        "strict": {"cfn_lint_blocking": ["E3712"]},
        "everything": {"cfn_lint_blocking": ["*"]},
        "warnings": {"fail_on": "warning"},
    }}, Path("cdkcheck.toml"))
    advice = [lint_finding("E3712"), lint_finding("W2501")]
    assert [f.blocking for f in apply_policy(advice, config.environment("strict"))] == [True, False]
    assert [f.blocking for f in apply_policy(advice, config.environment("everything"))] == [True, True]
    assert [f.blocking for f in apply_policy(advice, config.environment("warnings"))] == [False, False]


def test_cfn_lint_blocking_must_be_a_list_of_ids():
    from cdkcheck.errors import ConfigError

    with pytest.raises(ConfigError, match="cfn_lint_blocking"):
        parse_config({"environments": {"e": {"cfn_lint_blocking": "E3712"}}}, Path("cdkcheck.toml"))
    with pytest.raises(ConfigError, match="list of strings"):
        parse_config({"environments": {"e": {"cfn_lint_blocking": [3712]}}}, Path("cdkcheck.toml"))


def test_e3510_blocks_only_a_resource_that_is_not_an_arn():
    environment = EnvironmentConfig(name="e")
    path = "Properties/PolicyDocument/Statement/0/Resource/0"
    pattern = " does not match '^(arn:(aws[A-Za-z\\\\-]*?|\\\\*):...)$'"
    mock = lint_finding("E3510", message="'MOCK'" + pattern, property_path=path)
    arn = lint_finding("E3510", message="'arn:aws:iam::12345678:role/TaskRoleA'" + pattern, property_path=path)
    condition = lint_finding("E3510", message="'Bogus' does not match any of the regexes: '...'",
                             property_path="Properties/PolicyDocument/Statement/1/Condition/Bogus")
    assert [is_blocking(f, environment) for f in (mock, arn, condition)] == [True, False, False]


def test_rules_listing_and_docs_show_every_blocking_id_with_its_reason():
    text, markdown = rules_text(), rules_markdown()
    for entry in cfn_lint_blocking().values():
        assert f"  {entry.rule_id}  {entry.reason}" in text
        assert f"| {entry.rule_id} | {entry.reason.replace('|', chr(92) + '|')} |" in markdown
    assert "narrowed: blocks only when the target group sets HealthCheckPort" in text
    for entry in cfn_lint_advisory().values():
        assert f"  {entry.rule_id}  {entry.reason}" in text
        assert f"| {entry.rule_id} | {entry.reason.replace('|', chr(92) + '|')} |" in markdown
    blocking_errors = sum(1 for rule_id in cfn_lint_blocking() if rule_id.startswith("E"))
    counts = f"{blocking_errors + len(cfn_lint_advisory())} error ids: {blocking_errors} block, " \
             f"{len(cfn_lint_advisory())} advisory"
    assert counts in text and counts in markdown


def test_rules_listing_gives_the_packs_policy_with_counts_from_the_installed_pack():
    from cdkcheck.analyzers.preflight import load_pack
    from cdkcheck.engine.policy import preflight_advisory

    pack = load_pack()
    text, markdown = rules_text(), rules_markdown()
    retired = sum(1 for r in pack.rules if r.retired)
    warn = sum(1 for r in pack.active if r.severity == "WARN")
    summary = (f"cdk-preflight {pack.version} / cloudformation-validate {pack.engine_version}: {len(pack.rules)} "
               f"rules, {len(pack.active) - warn - len(preflight_advisory())} ERROR rules block, "
               f"{len(preflight_advisory())} ERROR rules demoted, {warn} WARN rules advisory, "
               f"{retired} retired rules not run")
    assert summary in text and summary in markdown
    for demoted in preflight_advisory().values():
        assert f"  {demoted.rule_id}  {demoted.reason}" in text and demoted.evidence in text


def test_readme_what_blocks_names_the_listed_ids():
    readme = (REPO / "README.md").read_text()
    paragraph = readme[readme.index("What blocks:"):].split("\n\n", 1)[0]
    for rule_id in ("E3712", *NARROWINGS):  # every narrowed id is explained there
        assert rule_id in paragraph, rule_id
    assert "cfn_lint_blocking.toml" in paragraph and "cdkcheck rules" in paragraph


# ------------------------------------------------------------------ through the real CLI


def write_assembly(directory: Path, templates: dict[str, Path]) -> Path:
    directory.mkdir(parents=True)
    artifacts = {}
    for name, source in templates.items():
        (directory / f"{name}.template.json").write_text(source.read_text())
        artifacts[name] = {"type": "aws:cloudformation:stack", "environment": "aws://123456789012/us-east-1",
                           "properties": {"templateFile": f"{name}.template.json"}}
    (directory / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": artifacts}))
    return directory


def run_cli(*args: str, cwd: Path) -> tuple[int, dict, str]:
    completed = subprocess.run([str(CDKCHECK), *args, "--format", "json"], cwd=cwd, capture_output=True,
                               text=True, stdin=subprocess.DEVNULL, timeout=600,
                               env={**os.environ, "CDKCHECK_CACHE_DIR": str(cwd / "cache")})
    assert "Traceback" not in completed.stderr, completed.stderr
    return completed.returncode, json.loads(completed.stdout), completed.stderr


@pytest.fixture(scope="module")
def policy_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("policy")
    templates = {p.name.removesuffix(".template.json"): p for p in sorted(POLICY_TEMPLATES.glob("*.template.json"))}
    write_assembly(root / "cdk.out", templates)
    (root / "cdkcheck.toml").write_text("".join(
        f'[environments."{name}"]\nstacks = ["{name}"]\nlive = "off"\n\n' for name in templates))
    code, report, _ = run_cli(*templates, "--assembly", "cdk.out", "--offline", cwd=root)
    return code, {e["name"]: e for e in report["environments"]}


def cfn_lint_findings(environment: dict, rule_id: str) -> list[dict]:
    return [f for f in environment["findings"] if f["source"] == "cfn-lint" and f["rule_id"] == rule_id]


EXPECTED_VERDICTS = {
    "ecs-dynamic-ports-default-health-check": ("GO", "E3049"),
    "ecs-dynamic-ports-fixed-health-check-port": ("NO-GO", "E3049"),
    "asg-fixed-size-target-tracking": ("GO", "E3712"),
    "alb-one-local-zone-subnet": ("GO", "E3680"),
    "alb-one-regular-zone-subnet": ("NO-GO", "E3680"),
    "rds-postgres-major-only": ("GO", "W3691"),
    "rds-postgres-retired-minor": ("NO-GO", "W3691"),
    "ec2-instance-type-typo": ("NO-GO", "E3628"),
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED_VERDICTS))
def test_each_shape_gets_the_verdict_the_service_would_give(policy_run, name):
    code, environments = policy_run
    assert code == 1  # some of them are NO-GO
    verdict, rule_id = EXPECTED_VERDICTS[name]
    environment = environments[name]
    [finding] = cfn_lint_findings(environment, rule_id)  # cfn-lint says it either way: only the policy differs
    assert environment["verdict"] == verdict, environment["findings"]
    assert finding["blocking"] is (verdict == "NO-GO")
    if verdict == "GO":
        assert environment["summary"]["blocking"] == 0
        if rule_id in cfn_lint_blocking():  # listed, but narrowed away in this shape: the report says so
            assert finding["evidence"]["policy"].startswith("advisory in this shape: ")


@pytest.mark.slow
def test_engine_version_findings_say_what_judged_them_offline(policy_run):
    _, environments = policy_run
    [major] = cfn_lint_findings(environments["rds-postgres-major-only"], "W3691")
    assert "RDS accepts it" in major["message"] and "major version" in major["message"]
    assert major["evidence"]["engine_version"]["judged_by"] == "static"
    assert major["evidence"]["engine_version"]["major_only"] is True
    [retired] = cfn_lint_findings(environments["rds-postgres-retired-minor"], "W3691")
    assert "RDS refuses it" in retired["message"] and "static data" in retired["message"]
    assert "no answer from the account" in retired["message"]
    assert retired["evidence"]["engine_version"] == {
        "detail": retired["evidence"]["engine_version"]["detail"], "engine": "postgres", "judged_by": "static",
        "major_only": False, "offered": False, "version": "12.19"}


@pytest.mark.slow
def test_long_enum_messages_are_cut_to_the_value_and_its_closest_allowed_values(policy_run):
    _, environments = policy_run
    [typo] = cfn_lint_findings(environments["ec2-instance-type-typo"], "E3628")
    assert len(typo["message"]) < 300
    assert typo["message"].startswith("'t3.mcro' is not one of the ")
    assert typo["evidence"]["closest_allowed"][0] == "t3.micro"
    full = typo["evidence"]["full_message"]
    assert len(full) > 10_000 and "'t3.micro'" in full and "'m5.large'" in full


@pytest.mark.slow
def test_an_app_whose_only_stack_is_empty_is_go_with_an_advisory(tmp_path, apps):
    code, report, stderr = run_cli("staging", "--app", str(apps / "empty_stack"), "--offline", cwd=tmp_path)
    [environment] = report["environments"]
    assert code == 0, stderr
    assert environment["verdict"] == "GO"
    [empty] = [f for f in environment["findings"] if f["rule_id"] == "CDKC-EMPTY-STACK"]
    assert empty["blocking"] is False and empty["stack"] == "Placeholder-Staging"
    # Synthesized as `cdk synth` does (version reporting on), the stack holds only CDK's metadata resource.
    assert "creates none of the app's resources" in empty["message"]
    assert not [f for f in environment["findings"] if f["blocking"]]
    text = subprocess.run([str(CDKCHECK), "staging", "--app", str(apps / "empty_stack"), "--offline"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "CDKCHECK_CACHE_DIR": str(tmp_path / "cache")})
    assert text.returncode == 0 and "creates none of the app's resources" in text.stdout, text.stdout + text.stderr


def test_a_stack_with_only_cdk_metadata_is_an_advisory_too(tmp_path):
    from cdkcheck.app.assembly import load_template
    from cdkcheck.engine.empty_stacks import empty_stack_findings
    from cdkcheck.model import Stack

    path = tmp_path / "M.template.json"
    path.write_text(json.dumps({"Resources": {"CDKMetadata": {"Type": "AWS::CDK::Metadata",
                                                              "Properties": {"Analytics": "v2:deflate64:x"},
                                                              "Condition": "CDKMetadataAvailable"}},
                                "Conditions": {"CDKMetadataAvailable": {"Fn::Equals": ["a", "a"]}}}))
    stack = Stack("M", "M", "M", None, "us-east-1", load_template(path))
    queue = tmp_path / "Q.template.json"
    queue.write_text(json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}))
    [finding] = empty_stack_findings([stack, Stack("Q", "Q", "Q", None, "us-east-1", load_template(queue))])
    assert finding.stack == "M" and "only CDK's metadata resource" in finding.message
    assert not apply_policy([finding], EnvironmentConfig(name="e", fail_on=Severity.INFO))[0].blocking
