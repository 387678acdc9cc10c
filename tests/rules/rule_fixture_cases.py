"""Discovery and loading of the per-rule fixtures under fixtures/rules/<RULE-ID>/.

The layout is documented in fixtures/rules/README.md. Kept apart from the tests
so the parametrized harness and the registry meta-test read fixtures the same way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from cdkcheck.app.assembly import load_template
from cdkcheck.facts.interface import FactUnavailable, OfflineFacts
from cdkcheck.model import Stack
from cdkcheck.ruleset import EnvironmentInfo, Rule, RuleContext

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "rules"
TESTS = REPO / "tests"
LIVE_MARKER = "LIVE"
# pass.template.json, fail-odd-nodes.template.json, or a directory fail-cross-stack/ of several templates.
CASE_NAME = re.compile(r"^(?P<kind>pass|fail)(?P<label>[-_][A-Za-z0-9_-]+)?(?:\.template\.json)?$")
SEED_NAME = re.compile(r"^(?P<kind>pass|fail)(?:[-_][A-Za-z0-9_-]+)?\.seed\.json$")
FIXTURE_ACCOUNT = "123456789012"
FIXTURE_REGION = "us-east-1"


@dataclass(frozen=True)
class FixtureCase:
    rule_id: str
    kind: str  # "pass" or "fail"
    name: str  # "fail-odd-nodes"
    path: Path  # a template file or a directory of templates

    @property
    def expected_file(self) -> Path:
        return self.path.parent / f"{self.name}.expected.json"

    @property
    def env_file(self) -> Path:
        own = self.path.parent / f"{self.name}.env.json"
        return own if own.is_file() else self.path.parent / "env.json"


@dataclass(frozen=True)
class FixtureEnvironment:
    region: str = FIXTURE_REGION
    account: str = FIXTURE_ACCOUNT
    availability_zones: tuple[str, ...] = ()
    options: Mapping[str, Any] = field(default_factory=dict)
    max_deploy_minutes: float = 60.0


class FixtureFacts(OfflineFacts):
    """An account that only knows its availability zones; every other question is 'not looked up'."""

    def __init__(self, availability_zones: tuple[str, ...]):
        super().__init__("static fixture: the account is not consulted", skipped=True)
        self._zones = availability_zones

    def availability_zones(self) -> tuple[str, ...]:
        if not self._zones:
            raise FactUnavailable("the fixture's env.json lists no availability_zones", skipped=True)
        return self._zones


def rule_dir(rule_id: str) -> Path:
    return FIXTURES / rule_id


def is_live_only(rule: Rule) -> bool:
    return rule.meta.needs_live or (rule_dir(rule.meta.id) / LIVE_MARKER).is_file()


def cases(rule_id: str) -> list[FixtureCase]:
    directory = rule_dir(rule_id)
    if not directory.is_dir():
        return []
    found = []
    for path in sorted(directory.iterdir()):
        if path.is_file() and not path.name.endswith(".template.json"):
            continue
        match = CASE_NAME.match(path.name)
        if match is None:
            continue
        name = path.name.removesuffix(".template.json")
        found.append(FixtureCase(rule_id=rule_id, kind=match["kind"], name=name, path=path))
    return found


def seeds(rule_id: str) -> list[Path]:
    directory = rule_dir(rule_id)
    return sorted(p for p in directory.glob("*.seed.json") if SEED_NAME.match(p.name)) if directory.is_dir() else []


def load_environment(case: FixtureCase) -> FixtureEnvironment:
    if not case.env_file.is_file():
        return FixtureEnvironment()
    raw = json.loads(case.env_file.read_text())
    unknown = set(raw) - {"region", "account", "availability_zones", "options", "max_deploy_minutes"}
    if unknown:
        raise ValueError(f"{case.env_file}: unknown keys {sorted(unknown)}")
    return FixtureEnvironment(
        region=raw.get("region", FIXTURE_REGION),
        account=raw.get("account", FIXTURE_ACCOUNT),
        availability_zones=tuple(raw.get("availability_zones", ())),
        options=dict(raw.get("options", {})),
        max_deploy_minutes=float(raw.get("max_deploy_minutes", 60.0)),
    )


def load_stacks(case: FixtureCase, environment: FixtureEnvironment) -> tuple[Stack, ...]:
    files = sorted(case.path.glob("*.template.json")) if case.path.is_dir() else [case.path]
    return tuple(stack_from_template(f, environment) for f in files)


def stack_from_template(path: Path, environment: FixtureEnvironment | None = None, *,
                        name: str | None = None) -> Stack:
    environment = environment or FixtureEnvironment()
    name = name or path.name.removesuffix(".template.json")
    return Stack(
        artifact_id=name,
        stack_name=name,
        display_name=name,
        account=environment.account,
        region=environment.region,
        template=load_template(path),
    )


def context_for(rule: Rule, case: FixtureCase) -> RuleContext:
    environment = load_environment(case)
    return RuleContext(
        environment=EnvironmentInfo(name=f"fixture:{case.name}", account=environment.account,
                                    region=environment.region,
                                    max_deploy_minutes=environment.max_deploy_minutes),
        stacks=load_stacks(case, environment),
        facts=FixtureFacts(environment.availability_zones),
        options={**rule.default_options, **environment.options},
    )


def defined_test_names() -> set[str]:
    """Every `def test_...` name under tests/, for live rules proven by a test named after them."""
    names = set()
    for path in TESTS.rglob("test_*.py"):
        names.update(re.findall(r"^\s*(?:async\s+)?def\s+(test_\w+)", path.read_text(), flags=re.M))
    return names


def live_test_prefix(rule_id: str) -> str:
    """CDKC-L2 -> test_cdkc_l2 (a live rule's test is named test_cdkc_l2 or test_cdkc_l2_<anything>)."""
    return "test_" + rule_id.lower().replace("-", "_")
