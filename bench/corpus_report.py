"""cdkcheck's offline verdicts on the deployed-template corpus (fixtures/corpus/integ), and what blocks.

Usage: .venv/bin/python bench/corpus_report.py [--skip-empty-stacks] [--examples 1]

Prints the verdict counts, then every blocking finding grouped by rule id: how many findings and
assemblies, how many of them exceptions.toml lists as right (a version retired since the snapshot,
a placeholder in it), and an example assembly, resource and trimmed message. Every unlisted one is a
false alarm on a template that deployed. `--skip-empty-stacks` checks copies of the assemblies
without their resource-less stacks (which `cdk deploy` skips), to see what else blocks while such
stacks still stop the run with exit 2.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus" / "integ"
sys.path.insert(0, str(CORPUS))

import corpus_runner as runner  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-empty-stacks", action="store_true")
    parser.add_argument("--examples", type=int, default=1, help="examples shown per rule id")
    args = parser.parse_args()

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cdkcheck-corpus-") as cache:
        verdicts = runner.check_corpus(Path(cache), skip_empty_stacks=args.skip_empty_stacks,
                                       progress=lambda m: print(f"[{time.monotonic() - started:5.1f}s] {m}",
                                                                file=sys.stderr))
    seconds = time.monotonic() - started
    exceptions = runner.load_exceptions()
    templates = sum(len(list(d.rglob("*.template.json"))) for d in runner.assembly_dirs())

    print(f"corpus: {len(verdicts)} assemblies, {templates} templates"
          f"{' (resource-less stacks removed)' if args.skip_empty_stacks else ''}; {seconds:.0f} s")
    counts = Counter("exit 2" if v.verdict == "ERROR" else v.verdict for v in verdicts)
    print("verdicts: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    blockers = runner.blockers(verdicts)
    unexplained = set(runner.unexplained(verdicts, exceptions))
    only_listed = [v.name for v in verdicts if v.verdict != "GO"
                   and not any(b in unexplained for b in blockers if b.assembly == v.name)]
    print(f"not GO only for listed reasons: {len(only_listed)}; "
          f"not GO with an unlisted (false) blocker: {len({b.assembly for b in unexplained})}")
    by_rule: dict[str, list] = defaultdict(list)
    for b in blockers:
        by_rule[b.rule].append(b)
    print()
    print("| rule | findings | assemblies | listed (true) | unlisted (false alarm) | example |")
    print("|---|---|---|---|---|---|")
    for rule, found in sorted(by_rule.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        false_alarms = [b for b in found if b in unexplained]
        examples = (false_alarms or found)[:args.examples]
        shown = "; ".join(f"{b.assembly} / {b.logical_id or '-'}: {_trim(b.message)}" for b in examples)
        print(f"| {rule} | {len(found)} | {len({b.assembly for b in found})} | {len(found) - len(false_alarms)} "
              f"| {len(false_alarms)} | {shown} |")
    stale = runner.stale(verdicts, exceptions)
    if stale:
        print(f"\nexceptions.toml entries that no longer block: {len(stale)}")
        for e in stale:
            print(f"  {e.assembly}: {e.rule} {e.logical_id} {e.value}")
    return 0


def _trim(message: str, limit: int = 140) -> str:
    text = " ".join(message.split()).replace("|", "\\|")
    return text if len(text) <= limit else text[:limit - 3] + "..."


if __name__ == "__main__":
    sys.exit(main())
