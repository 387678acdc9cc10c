"""GO / NO-GO / INCONCLUSIVE from findings and check outcomes. Total: every input has a verdict."""

from __future__ import annotations

from typing import Iterable

from cdkcheck.model import CheckOutcome, CheckStatus, Finding, Verdict


def decide(findings: Iterable[Finding], outcomes: Iterable[CheckOutcome]) -> Verdict:
    if any(f.blocking and f.suppression is None for f in findings):
        return Verdict.NO_GO
    if any(o.status is CheckStatus.UNKNOWN and o.required for o in outcomes):
        return Verdict.INCONCLUSIVE
    return Verdict.GO
