from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest

from cdkcheck.analyzers import ANALYZER_FAILED
from cdkcheck.analyzers import checkov
from cdkcheck.analyzers.cache import ResultCache
from cdkcheck.analyzers.checkov import CheckovFailed, run_checkov, run_checkov_process
from cdkcheck.model import CheckStatus, Severity, Source
from timeouts import scaled


def result(path: Path, check_id: str, resource: str, lines=(12, 30), **extra) -> dict:
    """One result entry, shaped like checkov 3.2's JSON output."""
    return {"check_id": check_id, "check_name": f"name of {check_id}",
            "check_result": {"result": "FAILED", "evaluated_keys": ["Properties/StorageEncrypted"]},
            "file_abs_path": str(path), "file_path": f"/{path.name}", "file_line_range": list(lines),
            "resource": resource, "severity": None, "guideline": None, **extra}


def payload(failed=(), skipped=(), parsing_errors=()) -> dict:
    return {"check_type": "cloudformation",
            "results": {"passed_checks": [], "failed_checks": list(failed), "skipped_checks": list(skipped),
                        "parsing_errors": list(parsing_errors)},
            "summary": {"failed": len(failed)}}


@pytest.fixture
def fake_checkov(monkeypatch):
    """Replaces the checkov process; records the files of each run."""
    runs: list[list[str]] = []
    answers = {"payload": None}

    def fake(files, *, timeout):
        runs.append([Path(f).name for f in files])
        answer = answers["payload"]
        if isinstance(answer, Exception):
            raise answer
        return answer(files) if callable(answer) else answer

    monkeypatch.setattr(checkov, "run_checkov_process", fake)
    return runs, answers


@pytest.mark.slow
def test_failed_and_skipped_checks_are_folded(orders):
    report = run_checkov(orders.stacks)

    assert [o.status for o in report.outcomes] == [CheckStatus.RAN]
    [unencrypted] = [f for f in report.findings if f.rule_id == "CKV_AWS_16"]
    assert unencrypted.source is Source.CHECKOV and unencrypted.severity is Severity.WARNING
    assert unencrypted.message == "Ensure all data stored in the RDS is securely encrypted at rest"
    assert (unencrypted.stack, unencrypted.logical_id) == ("Prod/Orders", "Database")
    assert unencrypted.construct_path == "Prod/Orders/Database"
    assert unencrypted.property_path == "Properties/StorageEncrypted"
    assert unencrypted.location.line == 12  # the "Database": { line
    assert unencrypted.location.file.endswith("ProdOrders525171E2.template.json")
    assert unencrypted.suppression is None and not unencrypted.blocking

    # Skipped through the template's own Metadata.checkov.skip: reported, as suppressed.
    [public] = [f for f in report.findings if f.rule_id == "CKV_AWS_17"]
    assert public.suppression is not None
    assert (public.suppression.reason, public.suppression.origin) == ("the subnet group is private", "checkov")

    [archive] = [f for f in report.findings if f.stack == "Prod/Orders/Archive" and f.rule_id == "CKV_AWS_27"]
    assert archive.construct_path == "Prod/Orders/Archive/ArchiveQueue"


def test_results_are_cached_per_template(orders, tmp_path, fake_checkov):
    runs, answers = fake_checkov
    orders_template = orders.stacks[0].template.path
    answers["payload"] = payload(failed=[result(orders_template, "CKV_AWS_16", "AWS::RDS::DBInstance.Database")])
    cache = ResultCache(tmp_path)

    first = run_checkov(orders.stacks, cache=cache)
    second = run_checkov(orders.stacks, cache=cache)

    assert runs == [["ProdOrders525171E2.template.json", "ProdOrdersArchiveB8224F7E.nested.template.json"]]
    assert first.findings == second.findings
    [finding] = second.findings
    assert (finding.stack, finding.logical_id, finding.construct_path, finding.location.line) == (
        "Prod/Orders", "Database", "Prod/Orders/Database", 12)
    assert [o.status for o in second.outcomes] == [CheckStatus.RAN]


def test_only_uncached_templates_are_sent(orders, tmp_path, fake_checkov):
    runs, answers = fake_checkov
    answers["payload"] = payload()
    cache = ResultCache(tmp_path)
    run_checkov(orders.stacks[:1], cache=cache)
    run_checkov(orders.stacks, cache=cache)
    assert runs == [["ProdOrders525171E2.template.json"], ["ProdOrdersArchiveB8224F7E.nested.template.json"]]


@pytest.mark.parametrize("required", [False, True])
def test_a_crash_gives_unknown_and_a_finding(orders, tmp_path, fake_checkov, required):
    runs, answers = fake_checkov
    answers["payload"] = CheckovFailed("checkov exited with code 2: KeyError: 'Resources'")
    report = run_checkov(orders.stacks, cache=ResultCache(tmp_path), blocking_required=required)

    [outcome] = report.outcomes
    assert (outcome.check, outcome.status, outcome.required) == ("checkov", CheckStatus.UNKNOWN, required)
    assert "code 2" in outcome.reason
    assert [f.rule_id for f in report.findings] == [ANALYZER_FAILED, ANALYZER_FAILED]
    assert all(f.source is Source.CDKCHECK and f.severity is Severity.WARNING for f in report.findings)
    assert "KeyError" in report.findings[0].message
    assert not any(tmp_path.rglob("*.json"))


def test_a_template_checkov_could_not_parse_is_unknown_the_others_count(orders, fake_checkov):
    runs, answers = fake_checkov
    main, nested = (s.template.path for s in orders.stacks)
    answers["payload"] = payload(failed=[result(main, "CKV_AWS_27", "AWS::SQS::Queue.Queue", lines=(3, 10))],
                                 parsing_errors=[str(nested)])
    report = run_checkov(orders.stacks)
    assert report.outcomes[0].status is CheckStatus.UNKNOWN
    assert "ProdOrdersArchiveB8224F7E.nested.template.json" in report.outcomes[0].reason
    assert {(f.stack, f.rule_id) for f in report.findings} == {
        ("Prod/Orders", "CKV_AWS_27"), ("Prod/Orders/Archive", ANALYZER_FAILED)}


def test_missing_checkov_is_unknown(orders, monkeypatch, fake_checkov):
    monkeypatch.setattr(checkov, "_installed_version", lambda: None)
    report = run_checkov(orders.stacks, blocking_required=True)
    assert report.outcomes[0].status is CheckStatus.UNKNOWN and report.outcomes[0].required
    assert "not installed" in report.outcomes[0].reason
    assert fake_checkov[0] == []


def test_report_shapes(tmp_path):
    template = tmp_path / "t.template.json"
    entry = result(template, "CKV_AWS_16", "AWS::RDS::DBInstance.Db", severity="HIGH",
                   guideline="https://docs.example/ckv_aws_16")
    single = checkov.results_by_file(payload(failed=[entry]))
    several = checkov.results_by_file([payload(failed=[entry]), {"check_type": "secrets", "results": {
        "failed_checks": [result(template, "CKV_SECRET_2", "x")]}}])
    assert single == several
    [finding] = single[template.resolve()]
    assert (finding.logical_id, finding.severity, finding.fix) == ("Db", Severity.ERROR,
                                                                  "https://docs.example/ckv_aws_16")
    assert finding.evidence["checkov_severity"] == "HIGH"
    # A run that found no resources prints only a summary.
    assert checkov.results_by_file({"passed": 0, "failed": 0, "checkov_version": "3.2.459"}) == {}


# ---------------------------------------------------------- the process itself


@pytest.fixture
def fake_python(tmp_path, monkeypatch):
    """Points sys.executable at a script, to see how a misbehaving checkov process is handled."""
    def install(body: str) -> None:
        script = tmp_path / "python"
        script.write_text("#!/bin/sh\n" + body + "\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
        monkeypatch.setattr(sys, "executable", str(script))
    return install


def test_a_hanging_checkov_is_stopped_at_the_timeout(fake_python, tmp_path):
    fake_python("sleep 30")
    with pytest.raises(CheckovFailed, match="did not finish within 0.5 s"):
        run_checkov_process([tmp_path / "t.json"], timeout=0.5)


def test_a_crashing_checkov_reports_its_error(fake_python, tmp_path):
    fake_python("echo 'Traceback (most recent call last):' >&2; echo 'KeyError: boom' >&2; exit 2")
    with pytest.raises(CheckovFailed, match="(?s)code 2.*KeyError: boom"):
        run_checkov_process([tmp_path / "t.json"], timeout=scaled(10))


def test_unreadable_output_is_a_failure(fake_python, tmp_path):
    fake_python("echo 'progress 100%'; exit 0")
    with pytest.raises(CheckovFailed, match="no readable JSON"):
        run_checkov_process([tmp_path / "t.json"], timeout=scaled(10))


def test_the_process_is_offline_and_isolated(fake_python, tmp_path, monkeypatch):
    # The fake echoes its arguments, environment and directory back as a JSON report.
    monkeypatch.setenv("BC_API_KEY", "secret")
    monkeypatch.setenv("CKV_FRAMEWORK", "terraform")
    fake_python('printf \'{"args": "%s", "cwd": "%s", "key": "%s", "update": "%s", "fw": "%s"}\' '
                '"$*" "$PWD" "$BC_API_KEY" "$CKV_SKIP_PACKAGE_UPDATE_CHECK" "$CKV_FRAMEWORK"; exit 1')
    seen = run_checkov_process([tmp_path / "a.json", tmp_path / "b.json"], timeout=scaled(10))
    assert "--skip-download" in seen["args"] and "--framework cloudformation" in seen["args"]
    assert f"--file {tmp_path / 'a.json'} --file {tmp_path / 'b.json'}" in seen["args"]
    assert seen["key"] == "" and seen["fw"] == "" and seen["update"] == "true"
    assert seen["cwd"] != str(Path.cwd())
