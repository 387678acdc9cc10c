"""Every CI output format on the courtcase demo: snapshots, SARIF schema validity, determinism, source lines."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from workflow_support import COURTCASE, REPORT_FORMATS, SARIF_SCHEMA, check_snapshot, courtcase_args, run_cli

# One worker runs them all under `pytest -n 2 --dist loadgroup`, so the session run happens once.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("courtcase-reports")]


@pytest.mark.parametrize("name", sorted(REPORT_FORMATS))
def test_report_matches_snapshot(courtcase_run, name):
    text = courtcase_run.reports[name].read_text(encoding="utf-8")
    check_snapshot(f"courtcase.{REPORT_FORMATS[name]}", text)


def test_courtcase_verdicts_reach_every_format(courtcase_run):
    assert courtcase_run.exit_code == 1  # production is NO-GO
    verdicts = {e["name"]: e["verdict"] for e in courtcase_run.json_report["environments"]}
    assert verdicts == {"staging": "GO", "production": "NO-GO"}
    sarif = json.loads(courtcase_run.reports["sarif"].read_text())
    assert sarif["runs"][0]["properties"]["verdicts"] == verdicts
    junit = ET.parse(courtcase_run.reports["junit"]).getroot()
    suites = {s.get("name"): s for s in junit.findall("testsuite")}
    assert int(suites["cdkcheck.production"].get("failures")) > 0
    assert suites["cdkcheck.staging"].get("failures") == "0"
    markdown = courtcase_run.reports["markdown"].read_text()
    assert "| production | ❌ NO-GO |" in markdown and "| staging | ✅ GO |" in markdown
    github = courtcase_run.reports["github"].read_text()
    assert "::error title=cdkcheck production%3A NO-GO::" in github
    assert "::notice title=cdkcheck staging%3A GO::" in github


def test_sarif_is_valid_against_the_2_1_0_schema(courtcase_run):
    schema = json.loads(SARIF_SCHEMA.read_text())
    document = json.loads(courtcase_run.reports["sarif"].read_text())
    jsonschema.validate(document, schema)
    run = document["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert rule_ids == sorted(set(rule_ids))
    for result in run["results"]:  # code scanning rejects results without a location or a matching rule
        assert result["locations"] and run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"]
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["help"]["text"] and rule["shortDescription"]["text"]


def test_cdkcheck_rule_descriptors_carry_the_rule_catalog(courtcase_run):
    from cdkcheck_rules import ALL_RULES

    metas = {r.meta.id: r.meta for r in ALL_RULES}
    rules = json.loads(courtcase_run.reports["sarif"].read_text())["runs"][0]["tool"]["driver"]["rules"]
    ours = [r for r in rules if r["id"] in metas]
    assert ours, "the courtcase production findings include cdkcheck rules"
    for rule in ours:
        meta = metas[rule["id"]]
        assert rule["shortDescription"]["text"] == meta.summary
        assert meta.fix in rule["help"]["text"]


def test_blocking_findings_point_at_the_line_in_the_users_code(courtcase_run):
    production = next(e for e in courtcase_run.json_report["environments"] if e["name"] == "production")
    audit = next(f for f in production["findings"] if f["rule_id"] == "CDKC-R4")
    location = audit["location"]
    assert location["kind"] == "source" and location["file"] == "courtcase/data.py"
    lines = (COURTCASE / "courtcase" / "data.py").read_text().splitlines()
    created = "\n".join(lines[location["line"] - 1:location["line"] + 3])
    assert "DatabaseInstance(" in created and '"AuditDatabase"' in created
    sarif = json.loads(courtcase_run.reports["sarif"].read_text())
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in sarif["runs"][0]["results"] if r["ruleId"] == "CDKC-R4"}
    assert uris == {"fixtures/apps/courtcase/courtcase/data.py"}  # repository-relative for code scanning
    github = courtcase_run.reports["github"].read_text()
    assert re.search(r"::error file=fixtures/apps/courtcase/courtcase/data\.py,line=%d,title=CDKC-R4 "
                     % location["line"], github)


def test_same_input_same_bytes_from_a_warm_cache(courtcase_run, tmp_path, synth_cache):
    code, _ = run_cli(courtcase_args(tmp_path), synth_cache)
    assert code == courtcase_run.exit_code
    for name, ext in REPORT_FORMATS.items():
        assert (tmp_path / f"courtcase.{ext}").read_bytes() == courtcase_run.reports[name].read_bytes(), name
