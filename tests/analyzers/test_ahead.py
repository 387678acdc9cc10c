"""Analyzers run ahead: worker processes and an early checkov give the same findings, results are
shared instead of recomputed, and nothing is left running."""

from __future__ import annotations

import stat
import sys
import threading
import time
from dataclasses import replace

import pytest

from cdkcheck.analyzers import ANALYZER_FAILED, cfn_lint, checkov
from cdkcheck.analyzers.ahead import AnalysisAhead, AnalysisJob, SharedResults
from cdkcheck.analyzers.cache import CacheKey, ResultCache
from cdkcheck.serialize import finding_to_dict
from cdkcheck.analyzers.cfn_lint import run_cfn_lint
from cdkcheck.analyzers.cfn_lint_pool import LintPool
from cdkcheck.analyzers.checkov import CheckovFailed, WarmCheckov, run_checkov
from cdkcheck.app.assembly import load_template
from cdkcheck.model import CheckStatus, Finding, Severity, Source
from timeouts import scaled


def as_dicts(report):
    return [finding_to_dict(f) for f in report.findings]


@pytest.mark.slow
def test_a_lint_pool_gives_the_findings_linting_in_process_gives(orders):
    pool = LintPool(2)
    try:
        pooled = run_cfn_lint(orders.stacks, region="eu-west-1", pool=pool)
        again = run_cfn_lint(orders.stacks, region="eu-west-1", ignore=["W2501"], pool=pool)  # workers reused
    finally:
        pool.close()
    in_process = run_cfn_lint(orders.stacks, region="eu-west-1")
    assert as_dicts(pooled) == as_dicts(in_process)
    assert {f.rule_id for f in pooled.findings} >= {"E3034", "W2501", "W3691"}
    assert "W2501" not in {f.rule_id for f in again.findings}
    assert [o.status for o in pooled.outcomes] == [CheckStatus.RAN]


def test_a_dying_worker_gives_unknown_and_a_finding_per_stack(orders, tmp_path, monkeypatch):
    script = tmp_path / "python"
    script.write_text("#!/bin/sh\necho 'ImportError: cfnlint is broken' >&2\nexit 3\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setattr(sys, "executable", str(script))
    pool = LintPool(2)
    try:
        report = run_cfn_lint(orders.stacks, region="eu-west-1", pool=pool)
    finally:
        pool.close()
    [outcome] = report.outcomes
    assert outcome.status is CheckStatus.UNKNOWN and "cfnlint is broken" in outcome.reason
    assert {f.stack for f in report.findings if f.rule_id == ANALYZER_FAILED} == {s.display_name for s in orders.stacks}


@pytest.mark.slow
def test_a_warm_checkov_gives_the_findings_a_fresh_process_gives(orders):
    warm = WarmCheckov()
    try:
        early = run_checkov(orders.stacks, warm=warm)
        later = run_checkov(orders.stacks, warm=warm)  # used up: this run starts its own process
    finally:
        warm.close()
    fresh = run_checkov(orders.stacks)
    assert as_dicts(early) == as_dicts(fresh) == as_dicts(later)
    assert early.findings and [o.status for o in early.outcomes] == [CheckStatus.RAN]


def test_an_unused_warm_checkov_is_stopped_and_refuses_to_run_after_close(orders):
    warm = WarmCheckov()
    process = warm._running.proc
    warm.close()
    assert process.wait(timeout=scaled(10)) is not None
    report = run_checkov(orders.stacks, warm=warm)
    [outcome] = report.outcomes
    assert outcome.status is CheckStatus.UNKNOWN and "stopping" in outcome.reason
    with pytest.raises(CheckovFailed):
        checkov.run_checkov_process([], timeout=10, warm=warm)


def finding(rule_id: str = "X1") -> Finding:
    return Finding(rule_id=rule_id, source=Source.CHECKOV, severity=Severity.WARNING, message="m")


def test_shared_results_wait_for_a_reserved_template_then_answer():
    shared = SharedResults(None)
    key = CacheKey(analyzer="checkov", version="1", template_sha256="abc")
    shared.reserve("checkov", ["abc"])
    answers = []
    reader = threading.Thread(target=lambda: answers.append(shared.get(key)))
    reader.start()
    time.sleep(0.2)
    assert reader.is_alive() and not answers  # still being analyzed: waits rather than missing
    shared.put(key, [finding()])
    shared.release("checkov", ["abc"])
    reader.join(timeout=scaled(5))
    assert answers == [(finding(),)]


def test_a_released_template_with_no_result_is_a_miss(tmp_path):
    shared = SharedResults(ResultCache(tmp_path))
    key = CacheKey(analyzer="cfn-lint", version="1", template_sha256="abc", region="us-east-1")
    shared.reserve("cfn-lint", ["abc"])
    shared.release("cfn-lint", ["abc"])  # the early analysis failed: nothing stored
    assert shared.get(key) is None
    shared.put(key, [finding("E1")])
    assert ResultCache(tmp_path).get(key) == (finding("E1"),)  # written through to disk


@pytest.mark.slow
def test_environments_read_what_was_analyzed_ahead_without_running_anything_again(orders, tmp_path, monkeypatch):
    expected_lint = as_dicts(run_cfn_lint(orders.stacks, region="eu-west-1"))
    scans, lints = [], []
    real_scan, real_lint = checkov.run_checkov_process, cfn_lint._Linters.lint
    monkeypatch.setattr(checkov, "run_checkov_process", lambda files, **kw: scans.append(files) or real_scan(files, **kw))
    monkeypatch.setattr(cfn_lint._Linters, "lint", lambda self, t, r: lints.append(t) or real_lint(self, t, r))

    ahead = AnalysisAhead(ResultCache(tmp_path), lint_workers=2)
    try:
        ahead.warm_up(region="eu-west-1")
        ahead.submit([AnalysisJob(orders.stacks, "eu-west-1"), AnalysisJob(orders.stacks[:1], "eu-west-1")])
        ahead.submit([AnalysisJob(orders.stacks, "eu-west-1")])  # already under way: nothing new
        lint = run_cfn_lint(orders.stacks, region="eu-west-1", cache=ahead.results)
        scan = run_checkov(orders.stacks, cache=ahead.results)
    finally:
        ahead.close()
    assert len(scans) == 1 and len(scans[0]) == len(orders.stacks)  # one checkov run, ahead, for both jobs
    assert lints == []  # linted in the pool's workers, never again here
    assert as_dicts(lint) == expected_lint
    assert scan.findings and [o.status for o in scan.outcomes] == [CheckStatus.RAN]
    assert not [t for t in threading.enumerate() if t.name.startswith(("cdkcheck-", "cfn-lint-feeder"))]


@pytest.mark.slow
def test_a_template_cfn_lint_fails_on_in_a_worker_costs_only_that_template(orders, tmp_path):
    vanished = tmp_path / "Gone.template.json"
    vanished.write_text(orders.stacks[0].template.path.read_text().replace("Queue", "Qeue", 1))
    gone = replace(orders.stacks[0], display_name="Prod/Gone", template=load_template(vanished))
    vanished.unlink()  # read into the model, then deleted: cfn-lint raises reading it
    pool = LintPool(1)
    try:
        report = run_cfn_lint([gone, *orders.stacks], region="eu-west-1", pool=pool)
    finally:
        pool.close()
    [outcome] = report.outcomes
    assert outcome.status is CheckStatus.UNKNOWN and "Gone.template.json: FileNotFoundError" in outcome.reason
    assert [f.stack for f in report.findings if f.rule_id == ANALYZER_FAILED] == ["Prod/Gone"]
    assert {f.stack for f in report.findings if f.rule_id == "E3034"} == {"Prod/Orders", "Prod/Orders/Archive"}


@pytest.mark.slow
def test_the_pack_runs_ahead_once_per_template_and_environments_read_its_results(data_dir, make_stack, tmp_path,
                                                                                 monkeypatch):
    from cdkcheck.analyzers import preflight

    stacks = [make_stack(data_dir / "preflight" / "aurora-serverless-v1.template.json"),
              make_stack(data_dir / "preflight" / "aurora-serverless-v2.template.json", display_name="Fixed")]
    validated = []
    real_validate = preflight.validate
    monkeypatch.setattr(preflight, "validate", lambda engine, t: validated.append(t.path.name) or
                        real_validate(engine, t))
    ahead = AnalysisAhead(ResultCache(tmp_path), lint_workers=1)
    try:
        ahead.submit([AnalysisJob(tuple(stacks), "us-east-1"), AnalysisJob(tuple(stacks[:1]), "us-east-1")])
        ahead.submit([AnalysisJob(tuple(stacks), "us-east-1", preflight=False)])  # an environment with it off
        report = preflight.run_preflight(stacks, region="us-east-1", cache=ahead.results)
    finally:
        ahead.close()
    assert sorted(validated) == sorted(s.template.path.name for s in stacks)  # ahead only, once each
    assert {f.rule_id for f in report.findings} == {"pf-rds-engine-mode-serverless-retired",
                                                   "pf-cloudfront-acm-cert-region"}
    assert not [t for t in threading.enumerate() if t.name.startswith("cdkcheck-")]
