"""False alarms are defects: deployable shapes of real CDK apps are GO, their near misses NO-GO.

Each fixture app (fixtures/apps/shapes_*) synthesizes a `Good` and a `NearMiss` variant in
one synth; the near miss differs by one value just past a limit CloudFormation enforces.
One CLI run per app gives both verdicts. A blocking finding on the good variant is a false
alarm; on the near miss, anything blocking away from the moved property is one too.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cdkcheck.cli.main import app

pytestmark = pytest.mark.slow

runner = CliRunner()

SHAPES = [
    pytest.param(
        "shapes_multiaz",
        {"good": ["ShapesMultiAz-Good-Platform"], "nearmiss": ["ShapesMultiAz-NearMiss-Platform"]},
        {("CDKC-R4", "ShapesMultiAz-NearMiss-Platform/Database/Resource")},
        id="multiaz-gp3-no-iops",
    ),
    pytest.param(
        "shapes_iops",
        {"good": ["ShapesIops-Good-Data", "ShapesIops-Good-Network"],
         "nearmiss": ["ShapesIops-NearMiss-Data", "ShapesIops-NearMiss-Network"]},
        {("CDKC-R5", "ShapesIops-NearMiss-Data/Ledger/Resource"),
         ("CDKC-R5", "ShapesIops-NearMiss-Data/Analytics/Resource")},
        id="io1-and-gp3-at-400",
    ),
    pytest.param(
        "shapes_search",
        {"good": ["ShapesSearch-Good-Api"], "nearmiss": ["ShapesSearch-NearMiss-Api"]},
        {("CDKC-O5", "ShapesSearch-NearMiss-Api/Search/Resource")},
        id="opensearch-vpc-fgac",
    ),
    pytest.param(
        "shapes_cache",
        {"good": ["ShapesCache-Good-Caches"], "nearmiss": ["ShapesCache-NearMiss-Caches"]},
        {("CDKC-E1", "ShapesCache-NearMiss-Caches/Counters")},
        id="elasticache-tls-by-engine",
    ),
    pytest.param(
        "shapes_search_policy",
        {"good": ["ShapesSearchPolicy-Good-Search"], "nearmiss": ["ShapesSearchPolicy-NearMiss-Search"]},
        {("CDKC-O10", "ShapesSearchPolicy-NearMiss-Search/Search/AccessPolicy/Resource/Default")},
        id="opensearch-vpc-ip-policy",
    ),
    pytest.param(
        "shapes_search_standby",
        {"good": ["ShapesSearchStandby-Good-Search"], "nearmiss": ["ShapesSearchStandby-NearMiss-Search"]},
        {("CDKC-O11", "ShapesSearchStandby-NearMiss-Search/Search/Resource")},
        id="opensearch-standby-from-the-feature-flag",
    ),
]


def _describe(findings: list[dict]) -> str:
    return "\n".join(f"  {f['source']} {f['rule_id']} {f['construct_path']}: {f['message']}" for f in findings)


@pytest.mark.parametrize(("app_name", "stacks", "near_miss_reasons"), SHAPES)
def test_deployable_shape_is_go_and_its_near_miss_is_no_go(apps, app_name, stacks, near_miss_reasons):
    result = runner.invoke(app, ["good", "nearmiss", "--app", str(apps / app_name), "--offline",
                                 "--format", "json", "--quiet"], catch_exceptions=False)
    report = json.loads(result.output)
    environments = {e["name"]: e for e in report["environments"]}

    # The globs must pick the intended stacks: a GO over no stacks would prove nothing.
    assert {name: e["stacks"] for name, e in environments.items()} == stacks

    good = environments["good"]
    false_alarms = [f for f in good["findings"] if f["blocking"]]
    assert not false_alarms, f"{app_name}: deployable shape blocked by\n{_describe(false_alarms)}"
    assert good["verdict"] == "GO", f"{app_name}: good is {good['verdict']}: {good['checks']}"

    near_miss = environments["nearmiss"]
    blocking = [f for f in near_miss["findings"] if f["blocking"]]
    reasons = {(f["rule_id"], f["construct_path"]) for f in blocking}
    assert near_miss["verdict"] == "NO-GO"
    assert near_miss_reasons <= reasons, f"{app_name}: near miss blocked by\n{_describe(blocking)}"
    moved = {path for _, path in near_miss_reasons}
    elsewhere = [f for f in blocking if f["construct_path"] not in moved]
    assert not elsewhere, f"{app_name}: near miss also blocked where it matches the good shape\n{_describe(elsewhere)}"
    assert result.exit_code == report["exit_code"] == 1
