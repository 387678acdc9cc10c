"""Properties over generated input: rules, the intrinsic resolver, the deploy estimate, policy and verdict are total.

Totality here means: for any template the reader accepts, every rule returns
(a crash would surface as a CDKC-RULE-CRASHED finding), the resolver answers with a
value or an Unknown, the deploy estimate terminates with finite minutes even
through reference cycles, and every combination of findings and outcomes has a
verdict. Runs are derandomized with no example database, so CI sees the same
examples every time; a wall-clock guard turns a hang into a failure.
"""

from __future__ import annotations

import math
import signal
from contextlib import contextmanager
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdkcheck.config import EnvironmentConfig
from cdkcheck.template.deploy_duration import estimate_environment
from cdkcheck.facts.interface import (
    CallerIdentity, DeployedStack, DeployedTemplate, FactUnavailable, OfflineFacts, OpenSearchInstanceLimits,
    LambdaConcurrency, PermissionDecision, QuotaFacts, RdsEngineVersion, RdsOrderableOption, SecretFacts, SubnetFacts,
    UsageFacts,
)
from cdkcheck.template.intrinsics import (
    Unknown, env_for_stack, exports_of, resolve, resolve_availability_zone, resolve_property, resource_exists,
)
from cdkcheck.template.named_resources import named_types
from cdkcheck.model import (
    CheckOutcome, CheckStatus, EnvironmentResult, Finding, RunResult, Severity, Source, SourceLocation, Suppression,
    Verdict,
)
from cdkcheck.engine.policy import apply_policy
from cdkcheck.engine.rule_runner import run_rules
from cdkcheck_rules import ALL_RULES
from cdkcheck.ruleset import EnvironmentInfo, RuleContext
from cdkcheck.engine.verdict import decide

from timeouts import scaled
from robust_templates import mutated_fixture_bodies, stacks_from_bodies, template_bodies

PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FEW = settings(PROPERTY, max_examples=60)
# Far above any real example on a busy machine; only a loop gets here.
EXAMPLE_SECONDS = scaled(60)

REGIONS = st.lists(st.sampled_from([None, "us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"]),
                   min_size=1, max_size=3)
ACCOUNTS = st.lists(st.sampled_from([None, "123456789012", "210987654321"]), min_size=1, max_size=2)


class TookTooLong(BaseException):
    """Not an Exception: the code under test catches those for totality and would swallow the guard."""


@contextmanager
def no_longer_than(seconds: float):
    def expired(signum, frame):
        raise TookTooLong(f"no answer within {seconds} s: a loop?")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def environment(draw_region, draw_account, minutes=60.0):
    return EnvironmentInfo(name="generated", account=draw_account, region=draw_region, max_deploy_minutes=minutes)


def assert_rules_total(stacks, facts, *, live_required: bool, env: EnvironmentInfo):
    named_types()  # read every registry schema once, outside the time bound (seconds on a loaded machine)
    context = RuleContext(environment=env, stacks=tuple(stacks), facts=facts)
    with no_longer_than(EXAMPLE_SECONDS):
        findings, outcomes = run_rules(ALL_RULES, context, {}, live_required=live_required)
    crashed = [f.message for f in findings if f.rule_id == "CDKC-RULE-CRASHED"]
    assert not crashed, crashed
    known = {rule.meta.id for rule in ALL_RULES}
    assert {f.rule_id for f in findings} <= known
    for outcome in outcomes:
        assert outcome.check.removeprefix("rule:") in known
        assert outcome.status in CheckStatus
        if outcome.status is CheckStatus.UNKNOWN:
            assert outcome.reason.strip(), outcome  # an UNKNOWN always says why
    for finding in findings:
        assert isinstance(finding.message, str) and finding.message.strip()
    return findings, outcomes


def assert_estimate_total(stacks):
    with no_longer_than(EXAMPLE_SECONDS):
        estimate = estimate_environment(stacks)
        for concurrency in (0, 1, 3):
            for upper in (False, True):
                minutes = estimate.total(concurrency, upper=upper)
                assert math.isfinite(minutes) and minutes >= 0
        assert isinstance(estimate.summary(), str)
        estimate.as_evidence()


def assert_resolver_total(stacks, env_region, env_account):
    with no_longer_than(EXAMPLE_SECONDS):
        exports_of(stacks)
        for stack in stacks:
            env = env_for_stack(stack, region=env_region, account=env_account, stacks=stacks,
                                availability_zones=("us-east-1a", "us-east-1b"))
            template = stack.template
            for section in ("Outputs", "Conditions", "Mappings"):
                resolve(template.body.get(section), template, env)
            for resource in template.resources.values():
                assert isinstance(resource_exists(resource, template, env), (bool, Unknown))
                for name, value in resource.properties.items():
                    resolve_property(resource, name, template, env)
                    resolve_property(resource, f"{name}.Nested.Deeper", template, env)
                    resolve_availability_zone(value, template, env)


# ---------------------------------------------------------------- rules, estimate, resolver


@PROPERTY
@given(bodies=st.lists(template_bodies(ALL_RULES), min_size=1, max_size=3), regions=REGIONS, accounts=ACCOUNTS,
       nest=st.booleans(), live_required=st.booleans(), minutes=st.sampled_from([0.0, 5.0, 60.0, 1e9]))
def test_rules_estimate_and_resolver_are_total_on_generated_templates(bodies, regions, accounts, nest,
                                                                      live_required, minutes):
    stacks = stacks_from_bodies(bodies, regions=regions, accounts=accounts, nest=nest)
    env = environment(regions[0], accounts[0], minutes)
    assert_rules_total(stacks, OfflineFacts(), live_required=False, env=env)
    assert_rules_total(stacks, OfflineFacts("no credentials", skipped=False), live_required=live_required, env=env)
    assert_estimate_total(stacks)
    assert_resolver_total(stacks, regions[0], accounts[0])


@PROPERTY
@given(mutated=st.lists(mutated_fixture_bodies(), min_size=1, max_size=3), regions=REGIONS, accounts=ACCOUNTS,
       nest=st.booleans())
def test_rules_estimate_and_resolver_are_total_on_mutated_rule_fixtures(mutated, regions, accounts, nest):
    stacks = stacks_from_bodies([body for _, body in mutated], regions=regions, accounts=accounts, nest=nest)
    env = environment(regions[0], accounts[0])
    assert_rules_total(stacks, OfflineFacts(), live_required=False, env=env)
    assert_estimate_total(stacks)
    assert_resolver_total(stacks, regions[0], accounts[0])


class GeneratedFacts:
    """An account whose every answer is well-typed but otherwise arbitrary, or unavailable."""

    def __init__(self, data):
        self._data = data

    def _draw(self, strategy):
        answer = self._data.draw(st.one_of(st.just(FactUnavailable("generated: not answered")), strategy))
        if isinstance(answer, FactUnavailable):
            raise answer
        return answer

    def prefetch(self, questions):
        return None

    def identity(self):
        return self._draw(st.builds(CallerIdentity, account=st.sampled_from(["123456789012", "999999999999"]),
                                    arn=st.just("arn:aws:sts::123456789012:assumed-role/ci/x"),
                                    seconds_left=st.one_of(st.none(), st.floats(-10, 1e5))))

    def availability_zones(self):
        return self._draw(st.lists(st.sampled_from(["us-east-1a", "us-east-1b", "us-east-1c", "eu-west-1a"]),
                                   unique=True, max_size=4).map(tuple))

    def subnets(self, subnet_ids):
        ids = st.sampled_from(list(subnet_ids) or ["subnet-0"])
        subnet = st.builds(SubnetFacts, subnet_id=ids, vpc_id=st.just("vpc-1"),
                           availability_zone=st.sampled_from(["us-east-1a", "us-east-1b"]),
                           cidr_block=st.sampled_from(["10.0.0.0/24", "10.0.1.0/28", "bogus"]),
                           available_ips=st.integers(0, 300))
        return self._draw(st.lists(subnet, max_size=3).map(lambda found: {s.subnet_id: s for s in found}))

    def quota(self, service, code):
        return self._draw(st.one_of(st.none(), st.builds(QuotaFacts, service=st.just(service), code=st.just(code),
                                                         name=st.just("generated"), value=st.floats(0, 1e4),
                                                         source=st.just("applied"))))

    def usage(self, metric):
        return self._draw(st.builds(UsageFacts, metric=st.just(metric), value=st.floats(0, 1e4),
                                    source=st.just("generated"),
                                    by_zone=st.dictionaries(st.sampled_from(["us-east-1a", "us-east-1b"]),
                                                            st.floats(0, 10), max_size=2)))

    def deployed_stack(self, stack_name):
        return self._draw(st.one_of(st.none(), st.builds(
            DeployedStack, name=st.just(stack_name), stack_id=st.just(f"arn:stack/{stack_name}"),
            status=st.sampled_from(["CREATE_COMPLETE", "ROLLBACK_COMPLETE", "UPDATE_IN_PROGRESS"]),
            logical_ids=st.frozensets(st.text(max_size=6), max_size=3))))

    def deployed_template(self, stack_name):
        bodies = st.sampled_from([
            "{}", "not json", '{"Resources": []}', '{"Resources": {}}',
            '{"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}}}}',
            '{"Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "DeletionPolicy": "Delete", "Properties": '
            '{"DBInstanceIdentifier": "db", "AllocatedStorage": "500", "EngineVersion": "99.9"}}}}',
        ])
        return self._draw(st.one_of(st.none(), st.builds(DeployedTemplate, stack_name=st.just(stack_name),
                                                         template_json=bodies)))

    def secrets(self, secret_ids):
        secret = st.builds(SecretFacts, name=st.sampled_from(list(secret_ids) or ["s"]),
                           arn=st.just("arn:aws:secretsmanager:us-east-1:123456789012:secret:s-AbCdEf"),
                           deleted_date=st.one_of(st.none(), st.just("2026-11-30T00:00:00Z")))
        return self._draw(st.fixed_dictionaries({i: st.one_of(st.none(), secret) for i in secret_ids}))

    def ssm_parameters(self, names):
        return self._draw(st.frozensets(st.sampled_from(list(names) or ["x"]), max_size=len(names)))

    def bootstrap_version(self, parameter_name):
        return self._draw(st.one_of(st.none(), st.integers(-1, 40)))

    def role_exists(self, role_name):
        return self._draw(st.booleans())

    def existing_names(self, kind, names):
        return self._draw(st.frozensets(st.sampled_from(list(names) or ["x"]), max_size=len(names)))

    def rds_orderable(self, engine, engine_version, instance_class):
        option = st.builds(RdsOrderableOption, engine=st.just(engine), engine_version=st.just(engine_version or ""),
                           instance_class=st.just(instance_class),
                           storage_type=st.sampled_from(["gp2", "gp3", "io1", "io2", "standard"]),
                           multi_az_capable=st.booleans(),
                           availability_zones=st.lists(st.sampled_from(["us-east-1a", "us-east-1b"]),
                                                       max_size=2).map(tuple),
                           min_storage_gib=st.one_of(st.none(), st.integers(0, 200)),
                           max_storage_gib=st.one_of(st.none(), st.integers(0, 70000)))
        return self._draw(st.lists(option, max_size=3).map(tuple))

    def rds_engine_version(self, engine, version):
        return self._draw(st.one_of(st.none(), st.builds(
            RdsEngineVersion, engine=st.just(engine), version=st.just(version),
            status=st.sampled_from(["available", "deprecated"]),
            parameter_group_family=st.one_of(st.none(), st.sampled_from(["mysql8.0", "postgres16"])))))

    def opensearch_instance_types(self, engine_version):
        return self._draw(st.frozensets(st.sampled_from(["t3.small.search", "r6g.large.search"]), max_size=2))

    def opensearch_instance_limits(self, engine_version, instance_type):
        return self._draw(st.builds(OpenSearchInstanceLimits, engine_version=st.just(engine_version),
                                    instance_type=st.just(instance_type),
                                    min_instances=st.one_of(st.none(), st.integers(0, 3)),
                                    max_instances=st.one_of(st.none(), st.integers(0, 80))))

    def simulate_principal_policy(self, principal, actions, resources, context=()):
        decision = st.builds(PermissionDecision, action=st.sampled_from(list(actions) or ["x:Y"]),
                             resource=st.sampled_from(list(resources) or ["*"]),
                             decision=st.sampled_from(["allowed", "implicitDeny", "explicitDeny"]),
                             matched=st.lists(st.sampled_from(["Admin", "Deny"]), max_size=2).map(tuple),
                             missing_context=st.lists(st.just("aws:PrincipalTag/team"), max_size=1).map(tuple),
                             allowed_by_boundary=st.one_of(st.none(), st.booleans()),
                             allowed_by_organizations=st.one_of(st.none(), st.booleans()))
        return self._draw(st.lists(decision, max_size=len(actions) + 1).map(tuple))

    def iam_principals(self, kind):
        return self._draw(st.dictionaries(st.sampled_from(["ci", "seed", "cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1"]),
                                          st.just("arn:aws:iam::123456789012:role/x"), max_size=3))

    def registry_type_schema(self, type_name):
        return self._draw(st.one_of(st.none(), st.sampled_from(["{}", "not json", '{"handlers": {"create": '
                                                                '{"permissions": ["acme:CreateThing"]}}}'])))

    def cloudformation_exports(self):
        return self._draw(st.dictionaries(st.sampled_from(["A:Out", "B:Out"]), st.just("arn:stack/Prod"), max_size=2))

    def export_importers(self, export_name):
        return self._draw(st.lists(st.sampled_from(["Consumer", "Prod"]), max_size=2).map(tuple))

    def apigateway_cloudwatch_role(self):
        return self._draw(st.one_of(st.none(), st.just("arn:aws:iam::123456789012:role/apigw")))

    def lambda_concurrency(self):
        return self._draw(st.builds(LambdaConcurrency, limit=st.integers(0, 2000), unreserved=st.integers(0, 2000)))

    def cloudfront_aliases(self):
        return self._draw(st.dictionaries(st.sampled_from(["www.example.com", "a.example.com"]), st.just("E1"),
                                          max_size=2))


@FEW
@given(data=st.data(), mutated=st.lists(mutated_fixture_bodies(), min_size=1, max_size=2), regions=REGIONS,
       accounts=ACCOUNTS, live_required=st.booleans())
def test_rules_are_total_whatever_the_account_answers(data, mutated, regions, accounts, live_required):
    stacks = stacks_from_bodies([body for _, body in mutated], regions=regions, accounts=accounts)
    assert_rules_total(stacks, GeneratedFacts(data), live_required=live_required,
                       env=environment(regions[0], accounts[0]))


def test_a_crashing_rule_would_be_seen():
    """The crash check above is not vacuous: a rule that raises is reported, not swallowed."""
    from cdkcheck.ruleset import Rule

    broken = Rule(meta=replace(ALL_RULES[0].meta, id="CDKC-BROKEN"), evaluate=lambda ctx: [][0])
    findings, outcomes = run_rules([broken], RuleContext(environment("us-east-1", None), (), OfflineFacts()), {},
                                   live_required=False)
    assert [f.rule_id for f in findings] == ["CDKC-RULE-CRASHED"]
    assert outcomes[0].status is CheckStatus.UNKNOWN and outcomes[0].required


# ---------------------------------------------------------------- policy and verdict

_text = st.text(max_size=30)
suppressions = st.one_of(st.none(), st.builds(Suppression, reason=_text, origin=st.sampled_from(["config", "metadata"]),
                                              expires=st.one_of(st.none(), st.just("2000-01-01"))))
findings = st.builds(
    Finding, rule_id=st.sampled_from(["CDKC-D1", "E3004", "W3691", "CKV_AWS_16", "CDKC-RULE-CRASHED",
                                      "CDKC-ANALYZER-FAILED", "CDK-SYNTH-FAILED"]),
    source=st.sampled_from(Source), severity=st.sampled_from(Severity), message=_text, stack=_text,
    logical_id=st.one_of(st.none(), _text), construct_path=st.one_of(st.none(), _text),
    property_path=st.one_of(st.none(), _text), fix=st.one_of(st.none(), _text),
    evidence=st.dictionaries(st.text(max_size=5), st.one_of(st.integers(), _text, st.floats()), max_size=2),
    blocking=st.booleans(), suppression=suppressions,
    location=st.one_of(st.none(), st.builds(SourceLocation, file=_text, line=st.one_of(st.none(), st.integers()),
                                            kind=st.sampled_from(["source", "template"]))),
    suppressible=st.booleans(),
)
outcomes = st.builds(CheckOutcome, check=st.sampled_from(["cfn-lint", "checkov", "live", "synth", "rule:CDKC-D1"]),
                     status=st.sampled_from(CheckStatus), reason=_text, required=st.booleans(),
                     stack=st.one_of(st.none(), _text))
environment_configs = st.builds(
    EnvironmentConfig, name=st.just("generated"), fail_on=st.sampled_from(Severity),
    checkov_blocking=st.lists(st.sampled_from(["*", "CKV_AWS_16", "CKV_AWS_1"]), max_size=2).map(tuple))


@PROPERTY
@given(found=st.lists(findings, max_size=8), checks=st.lists(outcomes, max_size=8))
def test_verdict_is_total_and_follows_its_definition(found, checks):
    verdict = decide(found, checks)
    blocking = any(f.blocking and f.suppression is None for f in found)
    unknown_required = any(o.status is CheckStatus.UNKNOWN and o.required for o in checks)
    expected = Verdict.NO_GO if blocking else Verdict.INCONCLUSIVE if unknown_required else Verdict.GO
    assert verdict is expected
    run = RunResult(environments=(EnvironmentResult("e", verdict, (), tuple(found), tuple(checks)),))
    assert run.exit_code == {Verdict.GO: 0, Verdict.NO_GO: 1, Verdict.INCONCLUSIVE: 3}[verdict]


@PROPERTY
@given(found=st.lists(findings, max_size=8), config=environment_configs)
def test_policy_is_total_and_never_blocks_on_suppressed_or_crash_reports(found, config):
    decided = apply_policy(found, config)
    assert len(decided) == len(found)
    for before, after in zip(found, decided):
        assert replace(after, blocking=before.blocking) == before  # policy only sets `blocking`
        if before.suppression is not None or before.rule_id in ("CDKC-RULE-CRASHED", "CDKC-ANALYZER-FAILED"):
            assert not after.blocking


# ---------------------------------------------------------------- reporters

def _formats():
    from cdkcheck.reporters import FORMATS

    return sorted(FORMATS)


environment_results = st.builds(
    lambda name, found, checks, details: EnvironmentResult(
        name=name, verdict=decide(found, checks), stacks=tuple(sorted({f.stack for f in found})),
        findings=tuple(found), checks=tuple(checks), region="us-east-1", account=None, details=details),
    name=st.text(min_size=1, max_size=12), found=st.lists(findings, max_size=6), checks=st.lists(outcomes, max_size=6),
    details=st.sampled_from([{}, {"synth": {"cached": True, "seconds": 1.5}}]),
)


@pytest.mark.parametrize("fmt", _formats())
@FEW
@given(results=st.lists(environment_results, min_size=0, max_size=3))
def test_every_report_format_renders_any_result(fmt, results):
    from cdkcheck.reporters import render

    run = RunResult(environments=tuple(results))
    with no_longer_than(EXAMPLE_SECONDS):
        text = render(fmt, run) if fmt != "text" else render(fmt, run, color=False, verbose=True)
    assert isinstance(text, str)


# ---------------------------------------------------------------- conditions that fan out

def _conditions_template(conditions: dict):
    from pathlib import Path

    from cdkcheck.model import Resource, Template

    body = {"Conditions": conditions, "Resources": {"Db": {"Type": "AWS::RDS::DBInstance", "Condition": "C0"}}}
    return Template(Path("t.json"), body, {"Db": Resource("Db", "AWS::RDS::DBInstance", {}, condition="C0")}, "0")


@pytest.mark.parametrize("shape", ["self-cycle", "fan-out-chain"])
def test_conditions_are_answered_in_bounded_time(shape):
    if shape == "self-cycle":
        conditions = {"C0": {"Fn::And": [{"Condition": "C0"}, {"Condition": "C0"}]}}
    else:  # no cycle at all: 30 conditions, each using the next one twice
        conditions = {f"C{i}": {"Fn::Or": [{"Condition": f"C{i + 1}"}, {"Condition": f"C{i + 1}"}]} for i in range(30)}
        conditions["C30"] = {"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]}
    template = _conditions_template(conditions)
    with no_longer_than(5):
        answer = resource_exists(template.resources["Db"], template)
    assert isinstance(answer, (bool, Unknown))
