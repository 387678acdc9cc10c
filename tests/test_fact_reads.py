"""The answers behind each rule's outcome are known, and those from an earlier run are read again when they decide."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cdkcheck.facts.reads import ReadLedger, reuse_summary
from cdkcheck.model import CheckStatus, Severity
from cdkcheck.engine.pipeline import RunOptions, check_environments
from cdkcheck.engine.rule_runner import run_rules
from cdkcheck.ruleset import EnvironmentInfo, Rule, RuleContext, RuleMeta, Undetermined, Violation


class FakeFacts:
    """An account whose answers to `version` changed since an earlier run kept the old ones."""

    def __init__(self, earlier: dict[str, int], now: dict[str, int], kept_at: float = 1000.0):
        self.earlier, self.now, self.kept_at = earlier, now, kept_at
        self.ledger = ReadLedger()
        self.max_facts_age = 120.0
        self.fresh_only = False
        self.fresh_reads: list[str] = []

    def watch(self):
        return self.ledger.watch()

    def refuse_earlier_answers(self):
        self.fresh_only = True

    def prefetch(self, questions):
        return None

    def deployed_stack(self, stack_name: str):
        return None  # no stack exists yet: nothing to compare with

    def version(self, name: str) -> int:
        if name in self.earlier and not self.fresh_only:
            self.ledger.note(f"version:{name}", self.kept_at, True)
            return self.earlier[name]
        self.fresh_reads.append(name)
        self.ledger.note(f"version:{name}", 2000.0, False)
        return self.now[name]


def _rule(rule_id: str, name: str, outcome: str) -> Rule:
    """A live rule asking the fake account for `name`: a blocking violation (or UNKNOWN) when it is 0."""
    meta = RuleMeta(id=rule_id, name=rule_id.lower(), summary="s", severity=Severity.ERROR, resource_types=(),
                    rationale="r", docs_url="https://example.com", fix="f", needs_live=True)

    def evaluate(ctx):
        if ctx.facts.version(name) == 0:
            stack = ctx.stacks[0] if ctx.stacks else None
            yield (Violation(stack, None, f"{name} is 0") if outcome == "violation"
                   else Undetermined(stack, None, f"{name} unknown"))

    return Rule(meta=meta, evaluate=evaluate)


def test_each_rules_answers_are_recorded_with_whether_an_earlier_run_gave_them():
    facts = FakeFacts(earlier={"a": 0}, now={"a": 1, "b": 1})
    context = RuleContext(environment=EnvironmentInfo("prod", None, None), stacks=(), facts=facts)
    reads = {}
    run_rules([_rule("T-1", "a", "violation"), _rule("T-2", "b", "violation")], context, {}, live_required=True,
              reads=reads)
    assert reads["T-1"].reused == {"version:a"} and reads["T-1"].read_at == {"version:a": 1000.0}
    assert not reads["T-2"].reused and set(reads["T-2"].read_at) == {"version:b"}
    summary = reuse_summary(reads, max_age=120, now=1042.0)
    assert summary == {"source": "live", "max_facts_age_seconds": 120, "reused_answers": 1,
                       "oldest_answer_age_seconds": 42.0}


def test_nested_watches_each_see_what_was_served_inside_them():
    ledger = ReadLedger()
    with ledger.watch() as outer:
        ledger.note("x", 5.0, False)
        with ledger.watch() as inner:
            ledger.note("y", 3.0, True)
    ledger.note("z", 1.0, True)  # nobody watching
    assert set(outer.read_at) == {"x", "y"} and outer.reused == {"y"} and outer.oldest() == 3.0
    assert set(inner.read_at) == {"y"}


def _assembly(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    template = {"Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": "alias/aws/sns"}}}}
    (directory / "Prod.template.json").write_text(json.dumps(template))
    (directory / "manifest.json").write_text(json.dumps({"version": "36.0.0", "artifacts": {"Prod": {
        "type": "aws:cloudformation:stack", "environment": "aws://111111111111/us-east-1",
        "properties": {"templateFile": "Prod.template.json"}}}}))
    return directory


@pytest.mark.slow  # cfn-lint and checkov run on the template
@pytest.mark.parametrize("outcome", ["violation", "unknown"])
def test_a_deciding_outcome_from_an_earlier_runs_answer_is_decided_again_on_a_fresh_one(tmp_path, outcome):
    facts = FakeFacts(earlier={"a": 0, "b": 1}, now={"a": 1, "b": 0})
    rules = [_rule("T-1", "a", outcome), _rule("T-2", "b", outcome)]
    run = check_environments(["prod"], RunOptions(assembly_dir=_assembly(tmp_path / "cdk.out"),
                                                  cache_dir=tmp_path / "cache"),
                             facts_factory=lambda environment, region: facts, rules=rules)
    (environment,) = run.environments
    # T-1 said 0 from the earlier run's answer: asked again, the account now says 1, so it passes.
    # T-2's reused 1 decided nothing that blocks: kept, and reported with its age.
    assert facts.fresh_reads == ["a"]
    assert not [f for f in environment.findings if f.rule_id.startswith("T-")]
    assert {c.check: c.status for c in environment.checks if c.check.startswith("rule:T-")} == \
        {"rule:T-1": CheckStatus.RAN, "rule:T-2": CheckStatus.RAN}
    account_facts = environment.details["account_facts"]
    assert account_facts["reused_answers"] == 1 and account_facts["oldest_answer_age_seconds"] > 0
