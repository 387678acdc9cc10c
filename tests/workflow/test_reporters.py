"""The CI output formats on a hand-built run: structure, escaping, schema validity, determinism."""

from __future__ import annotations

import json
from dataclasses import replace
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from sample_run import sample_run
from workflow_support import SARIF_SCHEMA

from cdkcheck.errors import UsageError
from cdkcheck.model import RunResult
from cdkcheck.reporters import FORMATS, parse_report_options, render
from cdkcheck.reporters.presentation import repository_prefix

MACHINE_FORMATS = ("sarif", "junit", "markdown", "github")


def test_every_format_is_registered():
    assert set(MACHINE_FORMATS) <= set(FORMATS)


@pytest.mark.parametrize("name", MACHINE_FORMATS)
def test_same_run_same_bytes(name):
    first = render(name, sample_run(), path_prefix="infra")
    assert first == render(name, sample_run(), path_prefix="infra")
    assert first.endswith("\n")


def test_sarif_validates_and_carries_suppressions_and_locations():
    document = json.loads(render("sarif", sample_run(), path_prefix="infra"))
    jsonschema.validate(document, json.loads(SARIF_SCHEMA.read_text()))
    results = document["runs"][0]["results"]
    by_rule = {r["ruleId"]: r for r in results}
    located = by_rule["E3002"]["locations"][0]["physicalLocation"]
    assert located == {"artifactLocation": {"uri": "infra/app.py"}, "region": {"startLine": 12}}
    template = by_rule["CKV_AWS_27"]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert template == {"uri": "Shop-Staging.template.json", "uriBaseId": "CDK_ASSEMBLY"}
    # Code scanning rejects a result without a location: environment-level ones point at cdk.json.
    assert by_rule["CDKC-ENV-ACCOUNT"]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == \
        "infra/cdk.json"
    suppression = by_rule["CKV_AWS_16"]["suppressions"][0]
    assert suppression["kind"] == "external" and suppression["justification"].startswith("encrypted by")
    assert by_rule["CDKC-ENV-ACCOUNT"]["level"] == "error"
    notifications = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notifications] == ["rule:CDKC-R8"]


def test_sarif_fingerprints_differ_per_environment():
    run = sample_run()
    staging = run.environments[0]
    twin = replace(staging, name="production")
    document = json.loads(render("sarif", RunResult(environments=(staging, twin))))
    prints = [r["partialFingerprints"]["cdkcheck/v1"] for r in document["runs"][0]["results"]]
    assert len(prints) == 2 * len(staging.findings) and len(set(prints)) == len(prints)


def test_junit_has_a_case_per_check_per_stack():
    root = ET.fromstring(render("junit", sample_run()))
    staging = root.find("testsuite[@name='cdkcheck.staging']")
    cases = {(c.get("classname"), c.get("name")): c for c in staging.findall("testcase")}
    assert ("cdkcheck.staging.Shop-Staging", "cfn-lint") in cases
    assert cases[("cdkcheck.staging.Shop-Staging", "cfn-lint")].find("failure") is not None
    assert cases[("cdkcheck.staging.Shop-Staging", "checkov")].find("failure") is None  # advisory only
    assert cases[("cdkcheck.staging.Shop-Staging", "rule:CDKC-R8")].find("error") is not None
    assert cases[("cdkcheck.staging.Shop-Staging", "live")].find("skipped") is not None
    assert "suppressed: CKV_AWS_16" in cases[("cdkcheck.staging.Shop-Staging", "checkov")].find("system-out").text
    assert staging.get("tests") == str(len(cases))
    assert (root.get("failures"), root.get("errors"), root.get("skipped")) == ("2", "1", "1")


def test_junit_stays_well_formed_with_control_characters_in_a_message():
    run = sample_run()
    staging = run.environments[0]
    coloured = replace(staging.findings[1], message="\x1b[31mred\x1b[0m and a NUL \x00")
    text = render("junit", RunResult((replace(staging, findings=(coloured,)),)))
    failure = ET.fromstring(text).find(".//failure")
    assert "red" in failure.text and "\x1b" not in text and "\x00" not in text


def test_markdown_escapes_table_cells():
    text = render("markdown", sample_run(), path_prefix="infra")
    assert "second line \\| with pipe" in text and "<br>" in text
    assert "&lt;things&gt;" in text
    assert "| staging | ❌ NO-GO |" in text and "infra/app.py:12" in text
    assert "\n\n\n" not in text


def test_github_commands_escape_data_and_properties():
    lines = render("github", sample_run(), path_prefix="infra").splitlines()
    located = next(line for line in lines if "E3002" in line)
    assert located.startswith("::error file=infra/app.py,line=12,title=E3002 (staging%2C blocking)::")
    assert "%0Asecond line" in located  # a newline in the message must not end the command
    info = next(line for line in lines if "CDK-MISSING-CONTEXT" in line)
    assert info.startswith("::notice title=") and "100%25 of" in info
    template_only = next(line for line in lines if "CKV_AWS_27" in line)
    assert "file=" not in template_only  # the template is not in the repository
    assert lines[0].startswith("::error")  # blocking first: GitHub shows only the first few


@pytest.mark.parametrize("value, message", [
    ("sarif", "not FORMAT=FILE"),
    ("yaml=out.yaml", "unknown --report format"),
    ("sarif=", "not FORMAT=FILE"),
])
def test_bad_report_options_are_usage_errors(value, message):
    with pytest.raises(UsageError, match=message):
        parse_report_options([value])


def test_report_options_parse_and_refuse_a_file_twice():
    assert [(f, p.name) for f, p in parse_report_options(["sarif=a.sarif", "junit=b.xml"])] == \
        [("sarif", "a.sarif"), ("junit", "b.xml")]
    with pytest.raises(UsageError, match="twice"):
        parse_report_options(["sarif=a.out", "junit=a.out"])


def test_repository_prefix_is_relative_to_the_git_root(tmp_path, monkeypatch):
    (tmp_path / ".git").mkdir()
    (tmp_path / "infra" / "app").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "infra")
    assert repository_prefix(tmp_path / "infra" / "app") == "infra/app"
    assert repository_prefix(tmp_path) == ""
