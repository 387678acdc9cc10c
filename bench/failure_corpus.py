"""cdkcheck on the failure corpus (fixtures/corpus/failures): recall per class and false alarms on the fixes.

Usage: .venv/bin/python bench/failure_corpus.py [--class static|live|update]... [--case ID]... [--json FILE]

Every case is a CloudFormation deploy failure someone reported publicly, rebuilt as the template that failed and
the one that deployed (fixtures/corpus/failures/README.md). Prints one line per case (caught or missed, and by
which finding), then recall over the cases that were knowable before the deploy, per class, and the blocking
findings on fixed variants (false alarms). Live and update cases run against a moto server on loopback.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "corpus" / "failures"
sys.path.insert(0, str(CORPUS))

import failure_runner as runner  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--class", dest="classes", action="append", choices=runner.CLASSES)
    parser.add_argument("--case", dest="cases", action="append", default=[])
    parser.add_argument("--json", type=Path, help="also write every case's result as JSON")
    args = parser.parse_args()

    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="cdkcheck-failures-") as work:
        scores = runner.check_corpus(Path(work), classes=tuple(args.classes or runner.CLASSES),
                                     only=tuple(args.cases),
                                     progress=lambda m: print(f"[{time.monotonic() - started:5.1f}s] {m}",
                                                              file=sys.stderr))
    seconds = time.monotonic() - started
    services = {s.case.meta["service"] for s in scores}
    print(f"failure corpus: {len(scores)} cases, {len(services)} services; {seconds:.0f} s")
    print()
    print("| case | class | knowable | verdict fail / fixed | caught by |")
    print("|---|---|---|---|---|")
    for s in sorted(scores, key=lambda s: (s.case.klass, s.case.id)):
        by = ", ".join(sorted({f"{rule} {logical_id or '-'}" for rule, logical_id, _ in s.caught_by})) or "missed"
        print(f"| {s.case.id} | {s.case.klass} | {'yes' if s.case.knowable else 'no'} "
              f"| {s.fail.verdict} / {s.fixed.verdict} | {by} |")
    print()
    for klass, (caught, knowable) in runner.recall(scores).items():
        share = f"{100 * caught / knowable:.0f}%" if knowable else "-"
        print(f"recall {klass}: {caught}/{knowable} ({share})")
    alarms = [s for s in scores if s.false_alarm]
    print(f"false alarms on fixed variants: {len(alarms)}")
    for s in alarms:
        for rule, logical_id, message in s.fixed.blocking:
            print(f"  {s.case.id}: {rule} {logical_id or '-'}: {' '.join(message.split())[:200]}")
        if s.fixed.error:
            print(f"  {s.case.id}: exit 2: {s.fixed.error.splitlines()[0]}")
    inconclusive = [f"{s.case.id}/{r.variant}" for s in scores for r in (s.fail, s.fixed) if r.verdict == "INCONCLUSIVE"]
    if inconclusive:
        print(f"inconclusive: {', '.join(inconclusive)}")
    if args.json:
        args.json.write_text(json.dumps([{
            "case": s.case.id, "class": s.case.klass, "knowable": s.case.knowable, "caught": s.caught,
            "caught_by": [[r, l] for r, l, _ in s.caught_by], "false_alarm": s.false_alarm,
            "fail": s.fail.verdict, "fixed": s.fixed.verdict} for s in scores], indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
