"""JUnit XML for CI test-report views: a test suite per environment, a test case per check per stack.

A case fails when the check found something blocking in that stack, errors when
a required check could not run (the INCONCLUSIVE cause), and is skipped when the
check was deliberately not run. Advisory and suppressed findings go to the
case's system-out, so nothing the run saw is dropped. No timings or timestamps:
same run, same bytes.
"""

from __future__ import annotations

import re
from collections import defaultdict
from xml.etree import ElementTree as ET

from cdkcheck.model import CheckOutcome, CheckStatus, EnvironmentResult, Finding, RunResult
from cdkcheck.reporters.presentation import ENVIRONMENT_LEVEL, account_facts_line, check_of, status_word, where


# Characters XML 1.0 cannot hold even escaped (terminal colour codes in a tool's message, for one).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def render_junit(run: RunResult) -> str:
    root = ET.Element("testsuites", name="cdkcheck")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for e in run.environments:
        suite = _suite(e)
        root.append(suite)
        for key in totals:
            totals[key] += int(suite.get(key, "0"))
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root, space="  ")
    text = _XML_INVALID.sub("\ufffd", ET.tostring(root, encoding="unicode"))
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + text + "\n"


def _suite(e: EnvironmentResult) -> ET.Element:
    suite = ET.Element("testsuite", name=f"cdkcheck.{e.name}")
    properties = ET.SubElement(suite, "properties")
    for name, value in (("verdict", e.verdict.value), ("account", e.account or ""), ("region", e.region or "")):
        ET.SubElement(properties, "property", name=name, value=value)
    facts_line = account_facts_line(e.details)
    if facts_line:
        ET.SubElement(properties, "property", name="account_facts", value=facts_line)

    stacks = list(e.stacks)
    findings_by_case: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in e.findings:
        findings_by_case[(check_of(f, e.checks), f.stack or ENVIRONMENT_LEVEL)].append(f)
    outcomes_by_check: dict[str, list[CheckOutcome]] = defaultdict(list)
    for c in e.checks:
        outcomes_by_check[c.check].append(c)

    cases: dict[tuple[str, str], None] = {}
    for check in sorted(outcomes_by_check):
        # A check with a stack-specific outcome only concerns that stack; otherwise every stack.
        specific = {c.stack for c in outcomes_by_check[check] if c.stack}
        general = any(c.stack is None for c in outcomes_by_check[check])
        for stack in (stacks if general or not specific else [s for s in stacks if s in specific]):
            cases[(check, stack)] = None
        for stack in sorted(specific - set(stacks)):
            cases[(check, stack)] = None
    for key in sorted(findings_by_case):
        cases.setdefault(key, None)

    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for check, stack in sorted(cases, key=lambda k: (k[1] == ENVIRONMENT_LEVEL, k[1], k[0])):
        outcomes = [c for c in outcomes_by_check.get(check, []) if c.stack in (None, stack)]
        case = _case(e.name, check, stack, outcomes, findings_by_case.get((check, stack), []))
        suite.append(case)
        counts["tests"] += 1
        for kind, key in (("failure", "failures"), ("error", "errors"), ("skipped", "skipped")):
            if case.find(kind) is not None:
                counts[key] += 1
    for key, value in counts.items():
        suite.set(key, str(value))
    return suite


def _case(environment: str, check: str, stack: str, outcomes: list[CheckOutcome],
          findings: list[Finding]) -> ET.Element:
    case = ET.Element("testcase", name=check, classname=f"cdkcheck.{environment}.{stack}")
    blocking = [f for f in findings if f.blocking and f.suppression is None]
    unknown_required = [c for c in outcomes if c.status is CheckStatus.UNKNOWN and c.required]
    unknown_advisory = [c for c in outcomes if c.status is CheckStatus.UNKNOWN and not c.required]
    skipped = [c for c in outcomes if c.status is CheckStatus.SKIPPED]
    if blocking:
        failure = ET.SubElement(case, "failure", type="NO-GO",
                                message=f"{len(blocking)} blocking finding{'s' if len(blocking) != 1 else ''}")
        failure.text = "\n".join(_line(f) for f in blocking)
    if unknown_required:
        error = ET.SubElement(case, "error", type="INCONCLUSIVE", message="a required check could not run")
        error.text = "\n".join(c.reason for c in unknown_required)
    elif not blocking and not [c for c in outcomes if c.status is CheckStatus.RAN] and (skipped or unknown_advisory):
        reasons = [f"skipped: {c.reason}" for c in skipped] + [f"could not check: {c.reason}" for c in unknown_advisory]
        ET.SubElement(case, "skipped", message="; ".join(dict.fromkeys(reasons)))
    shown = {id(f) for f in blocking}
    rest = [f for f in findings if id(f) not in shown]
    notes = [f"could not check: {c.reason}" for c in unknown_advisory if case.find("skipped") is None]
    if rest or notes:
        out = ET.SubElement(case, "system-out")
        out.text = "\n".join([*(f"{status_word(f)}: {_line(f)}" for f in rest), *notes])
    return case


def _line(f: Finding) -> str:
    text = f"{f.rule_id} [{f.source.value}] {where(f)}: {f.message}"
    if f.location and f.location.kind == "source":
        text += f" (at {f.location.file}:{f.location.line})"
    if f.suppression is not None:
        text += f" (suppressed: {f.suppression.reason})"
    return text
