"""The false-alarm corpus: aws-cdk integ snapshots that deployed must be GO, or NO-GO only for a listed reason.

fixtures/corpus/integ/README.md says where the 169 assemblies come from. Each is checked as
`cdkcheck integ --assembly DIR --offline --config fixtures/corpus/integ/cdkcheck.toml` decides
(corpus_runner.py: the pipeline in process, analyzers batched ahead into the result cache). Every
blocking finding, exit 2 or INCONCLUSIVE must be covered by an entry of exceptions.toml (a version
retired since the snapshot, a placeholder written into it); an entry that covers nothing is stale.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "fixtures" / "corpus" / "integ"
sys.path.insert(0, str(CORPUS))

import corpus_runner as runner  # noqa: E402  (lives beside the data it runs)


# ------------------------------------------------------------- the matching itself (fast)


def _verdict(name, *blocking, verdict="NO-GO", error=None):
    from cdkcheck.model import Finding, Severity, Source

    findings = [Finding(rule_id=rule, source=Source.CFN_LINT, severity=Severity.ERROR, message=message,
                        logical_id=logical_id, blocking=True) for rule, logical_id, message in blocking]
    return runner.AssemblyVerdict(name, verdict, blocking=findings, error=error)


RETIRED = runner.Exception_("a", "W3690", "Db", "3.07.1", "retired since the snapshot")


def test_a_listed_finding_is_explained_and_not_stale():
    verdicts = [_verdict("a", ("W3690", "Db", "Engine version '8.0.mysql_aurora.3.07.1' is deprecated"))]
    assert runner.unexplained(verdicts, [RETIRED]) == []
    assert runner.stale(verdicts, [RETIRED]) == []


def test_an_unlisted_blocking_finding_is_reported():
    verdicts = [_verdict("a", ("W3690", "Db", "... '8.0.mysql_aurora.3.07.1' ..."), ("E3049", "Tg", "HealthCheckPort"))]
    assert [(b.rule, b.logical_id) for b in runner.unexplained(verdicts, [RETIRED])] == [("E3049", "Tg")]


def test_the_same_rule_with_another_value_or_resource_is_not_covered():
    verdicts = [_verdict("a", ("W3690", "Db", "Engine version '8.0.mysql_aurora.3.08.0'"),
                         ("W3690", "Other", "Engine version '8.0.mysql_aurora.3.07.1'"))]
    assert len(runner.unexplained(verdicts, [RETIRED])) == 2
    assert runner.stale(verdicts, [RETIRED]) == [RETIRED]


def test_a_listed_exception_that_no_longer_occurs_is_stale():
    assert runner.stale([_verdict("a", verdict="GO")], [RETIRED]) == [RETIRED]


def test_an_unreadable_or_inconclusive_assembly_is_a_blocker():
    verdicts = [_verdict("b", verdict="ERROR", error="x.template.json: template has no Resources object"),
                _verdict("c", verdict="INCONCLUSIVE")]
    assert [b.rule for b in runner.unexplained(verdicts, [])] == [runner.EXIT_2, "INCONCLUSIVE"]


def test_every_exception_is_justified_and_names_a_corpus_assembly():
    names = {d.name for d in runner.assembly_dirs()}
    exceptions = runner.load_exceptions()
    assert exceptions
    for e in exceptions:
        assert e.assembly in names, e
        assert len(e.justification) > 40, e
    keys = Counter((e.assembly, e.rule, e.logical_id, e.value) for e in exceptions)
    assert [k for k, n in keys.items() if n > 1] == []


def test_the_committed_corpus_is_the_listed_selection():
    selection = json.loads((CORPUS / "selection.json").read_text())
    listed = {a["name"]: a for a in selection["assemblies"]}
    on_disk = {d.name: d for d in runner.assembly_dirs()}
    assert sorted(listed) == sorted(on_disk)
    templates = 0
    for name, entry in listed.items():
        present = sorted(p.relative_to(on_disk[name]).as_posix() for p in on_disk[name].rglob("*.template.json"))
        assert present == sorted(entry["templates"]), name
        templates += len(present)
    assert templates >= 250


# ------------------------------------------------------------- the corpus (slow)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    started = time.monotonic()
    verdicts = runner.check_corpus(tmp_path_factory.mktemp("corpus-cache"))
    seconds = time.monotonic() - started
    print(f"\nintegration corpus: {len(verdicts)} assemblies in {seconds:.0f} s, "
          f"{dict(Counter(v.verdict for v in verdicts))}")
    return verdicts


def _listing(blockers) -> str:
    by_rule = Counter(b.rule for b in blockers)
    return (f"{len(blockers)} ({dict(by_rule.most_common())}):\n  "
            + "\n  ".join(b.describe() for b in blockers[:60]))


@pytest.mark.slow
@pytest.mark.xdist_group("integ-corpus")
def test_every_blocking_finding_on_a_deployed_template_is_a_justified_exception(corpus):
    unexplained = runner.unexplained(corpus, runner.load_exceptions())
    assert not unexplained, ("blocking on templates that deployed, not in fixtures/corpus/integ/exceptions.toml: "
                             + _listing(unexplained))


@pytest.mark.slow
@pytest.mark.xdist_group("integ-corpus")
def test_no_listed_exception_is_stale(corpus):
    stale = runner.stale(corpus, runner.load_exceptions())
    assert not stale, "exceptions.toml entries that no longer block (remove them):\n  " + "\n  ".join(
        f"{e.assembly}: {e.rule} {e.logical_id} {e.value}" for e in stale)


def _cli(directory: Path) -> tuple[int, list[str]]:
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "cdkcheck"), "integ", "--assembly", str(directory), "--offline", "--no-cache",
         "--config", str(CORPUS / "cdkcheck.toml"), "--format", "json", "--quiet"],
        capture_output=True, text=True, cwd=REPO)
    if proc.returncode == 2:
        return 2, []
    report = json.loads(proc.stdout)
    return proc.returncode, sorted(f["rule_id"] for e in report["environments"] for f in e["findings"]
                                   if f.get("blocking"))


@pytest.mark.slow
@pytest.mark.xdist_group("integ-corpus")
def test_the_batched_verdict_is_the_clis(corpus):
    """The in-process batch decides as the command does: one assembly of each verdict, run cold by the CLI."""
    def size(v):  # the smallest of each verdict: two cold analyzer start-ups are the cost
        return sum(p.stat().st_size for p in (CORPUS / "assemblies" / v.name).rglob("*.template.json"))

    picked = {}
    for v in sorted(corpus, key=size):
        picked.setdefault(v.verdict, v)
    for verdict, v in sorted(picked.items()):
        code, rules = _cli(CORPUS / "assemblies" / v.name)
        assert code == v.exit_code, (v.name, verdict, code)
        assert rules == sorted(f.rule_id for f in v.blocking), (v.name, verdict)
