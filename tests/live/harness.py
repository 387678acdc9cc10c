"""Run live rules against templates and a seeded moto account, through cdkcheck's own facts layer."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from moto_account import SeededAccount, apply_stubs

from cdkcheck.app.assembly import load_template
from cdkcheck.config import EnvironmentConfig, RuleSetting
from cdkcheck.facts.live import open_account
from cdkcheck.model import CheckOutcome, CheckStatus, Finding, Stack
from cdkcheck.engine.rule_runner import run_rules
from cdkcheck.ruleset import EnvironmentInfo, Rule, RuleContext

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "rules"


@dataclass
class LiveRun:
    findings: list[Finding]
    outcomes: list[CheckOutcome]
    facts: Any = None
    stacks: tuple[Stack, ...] = ()

    @property
    def unknown(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if o.status is CheckStatus.UNKNOWN]

    def messages(self) -> str:
        return "\n".join(f.message for f in self.findings)


def stack_from(path: Path, account: str, region: str, name: str | None = None,
               saved: Mapping[str, Any] | None = None, **extra: Any) -> Stack:
    """A stack from a template file; "${name}" placeholders become values the seed saved (subnet ids ...)."""
    if saved:
        import tempfile

        text = path.read_text()
        for key, value in saved.items():
            text = text.replace("${" + key + "}", str(value))
        path_out = Path(tempfile.mkdtemp(prefix="cdkcheck-live-")) / path.name
        path_out.write_text(text)
        path = path_out
    name = name or path.name.removesuffix(".template.json")
    return Stack(artifact_id=name, stack_name=name, display_name=name, account=account, region=region,
                 template=load_template(path), **extra)


def run_live(rules: Sequence[Rule], stacks: Sequence[Stack], account: SeededAccount, *,
             stubs: Sequence[Mapping[str, Any]] = (), environment_account: str | None = None,
             options: Mapping[str, Any] | None = None, region: str = "us-east-1",
             attach: Callable[[Any], None] | None = None) -> LiveRun:
    """`attach(facts)`: a test's own stand-in for a call moto does not serve, on cdkcheck's clients."""
    environment = EnvironmentConfig(name="live-test", account=environment_account, region=region)
    facts = open_account(environment, region)
    apply_stubs(facts, list(stubs))
    if attach is not None:
        attach(facts)
    context = RuleContext(
        environment=EnvironmentInfo(name="live-test", account=environment_account or account.account, region=region),
        stacks=tuple(stacks), facts=facts)
    settings = {rule.meta.id: RuleSetting(options=dict(options or {})) for rule in rules}
    findings, outcomes = run_rules(list(rules), context, settings, live_required=True)
    return LiveRun(findings, outcomes, facts, tuple(stacks))


# ----------------------------------------------------------- rule fixtures


@dataclass(frozen=True)
class SeedCase:
    rule_id: str
    name: str  # "fail-eips"
    seed_file: Path

    @property
    def kind(self) -> str:
        return self.name.split("-", 1)[0].split("_", 1)[0]

    @property
    def templates(self) -> list[Path]:
        directory = self.seed_file.parent
        single = directory / f"{self.name}.template.json"
        if single.is_file():
            return [single]
        if (directory / self.name).is_dir():
            return sorted((directory / self.name).glob("*.template.json"))
        kind_default = directory / f"{self.kind}.template.json"
        return [kind_default] if kind_default.is_file() else []

    def environment(self) -> dict[str, Any]:
        for candidate in (self.seed_file.parent / f"{self.name}.env.json", self.seed_file.parent / "env.json"):
            if candidate.is_file():
                return json.loads(candidate.read_text())
        return {}

    def expected(self) -> dict[str, Any]:
        path = self.seed_file.parent / f"{self.name}.expected.json"
        return json.loads(path.read_text()) if path.is_file() else {}


def seed_cases(rule_ids: Sequence[str]) -> list[SeedCase]:
    found = []
    for rule_id in rule_ids:
        directory = FIXTURES / rule_id
        for seed_file in sorted(directory.glob("*.seed.json")):
            found.append(SeedCase(rule_id, seed_file.name.removesuffix(".seed.json"), seed_file))
    return found
