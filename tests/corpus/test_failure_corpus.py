"""The failure corpus: publicly reported CloudFormation deploy failures, each as the failing and the fixed template.

fixtures/corpus/failures/README.md describes the cases. The fast tests hold the corpus to its shape (enough
cases and services, every case sourced, the files each class needs); the slow test runs cdkcheck on every case
(static ones offline, live and update ones against the moto server) and requires that no fixed variant blocks
and that every case in baseline.json is still caught. It prints recall per class.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "fixtures" / "corpus" / "failures"
sys.path.insert(0, str(CORPUS))

import failure_runner as runner  # noqa: E402  (lives beside the data it runs)

CASES = runner.load_cases()
BASELINE = json.loads((CORPUS / "baseline.json").read_text(encoding="utf-8"))


def test_the_corpus_is_broad_enough():
    assert len(CASES) >= 45
    assert len({c.meta["service"] for c in CASES}) >= 15
    assert set(Counter(c.klass for c in CASES)) == set(runner.CLASSES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_every_case_is_sourced_and_complete(case):
    meta = case.meta
    assert meta["id"] == case.directory.name
    assert meta["class"] in runner.CLASSES
    assert isinstance(meta["knowable"], bool)
    assert meta["knowable"] or meta.get("not_knowable_because")
    assert len(meta["error"]) > 20 and len(meta["summary"]) > 20
    assert meta["sources"] and all(s.startswith("https://") for s in meta["sources"])
    for variant in runner.VARIANTS:
        template = json.loads(case.template_text(variant))
        assert template["Resources"]
        assert all("aws:cdk:path" in r.get("Metadata", {}) for r in template["Resources"].values()), variant
        if case.live:
            assert (case.directory / f"{variant}.seed.json").is_file()
    assert (case.deployed is not None) == (case.klass == "update")
    assert case.template_text("fail") != case.template_text("fixed") or case.seed("fail") != case.seed("fixed")


def test_the_baseline_names_corpus_cases():
    ids = {c.id for c in CASES}
    assert set(BASELINE["caught"]) <= ids


def test_a_case_is_caught_only_by_a_finding_the_fix_does_not_have():
    case = CASES[0]
    shared = ("E3001", "Bucket", "shared")
    fail = runner.VariantResult(case.id, "fail", "NO-GO", blocking=[shared, ("CDKC-S1", "Policy", "cause")])
    fixed = runner.VariantResult(case.id, "fixed", "NO-GO", blocking=[shared])
    score = runner.CaseScore(case, fail, fixed)
    assert [b[0] for b in score.caught_by] == ["CDKC-S1"] and score.false_alarm
    same = runner.CaseScore(case, runner.VariantResult(case.id, "fail", "NO-GO", blocking=[shared]),
                            runner.VariantResult(case.id, "fixed", "GO"))
    assert same.caught and not same.false_alarm
    assert not runner.CaseScore(case, runner.VariantResult(case.id, "fail", "INCONCLUSIVE"),
                                runner.VariantResult(case.id, "fixed", "GO")).caught


@pytest.mark.slow
@pytest.mark.xdist_group("failure-corpus")
def test_no_fixed_variant_blocks_and_the_baseline_is_still_caught(tmp_path):
    scores = runner.check_corpus(tmp_path)
    figures = runner.recall(scores)
    print("\nfailure corpus recall: " + ", ".join(f"{k} {c}/{n}" for k, (c, n) in figures.items()))
    alarms = [f"{s.case.id}: {s.fixed.error or s.fixed.blocking}" for s in scores if s.false_alarm]
    assert not alarms, "blocking on fixed variants:\n  " + "\n  ".join(alarms)
    missed = sorted(set(BASELINE["caught"]) - {s.case.id for s in scores if s.caught})
    assert not missed, f"cases the baseline says are caught, missed now: {missed}"
    unlisted = sorted({s.case.id for s in scores if s.caught} - set(BASELINE["caught"]))
    assert not unlisted, f"caught but not in baseline.json (add them): {unlisted}"
