"""The text report: verdict first, blocking before advisories, colour only where it belongs."""

import io

from cdkcheck.cli.main import _color
from cdkcheck.model import (
    CheckOutcome, CheckStatus, EnvironmentResult, Finding, RunResult, Severity, Source, Suppression, Verdict,
)
from cdkcheck.reporters.text import render_text

BLOCKING = Finding(rule_id="CDKC-R4", source=Source.CDKCHECK, severity=Severity.ERROR, message="storage 10 GiB",
                   stack="App-Prod", construct_path="App-Prod/Db/Resource", fix="use 20 GiB or more\nmore text",
                   blocking=True)
ADVISORY = Finding(rule_id="CKV_AWS_16", source=Source.CHECKOV, severity=Severity.WARNING, message="not encrypted",
                   stack="App-Prod", construct_path="App-Prod/Db/Resource")
SUPPRESSED = Finding(rule_id="CKV_AWS_161", source=Source.CHECKOV, severity=Severity.WARNING, message="no IAM auth",
                     stack="App-Prod", suppression=Suppression(reason="IAM auth is not used here", origin="config"))
RUN = RunResult(environments=(
    EnvironmentResult(name="prod", verdict=Verdict.NO_GO, stacks=("App-Prod",),
                      findings=(BLOCKING, ADVISORY, SUPPRESSED),
                      checks=(CheckOutcome("live", CheckStatus.SKIPPED, "--offline: no AWS calls made"),
                              CheckOutcome("checkov", CheckStatus.UNKNOWN, "checkov timed out", required=False))),
    EnvironmentResult(name="dev", verdict=Verdict.GO, stacks=("App-Dev",), findings=()),
))


def test_layout_verdict_blocking_unknown_advisories_suppressed_skipped():
    text = render_text(RUN)
    prod = text[: text.index("dev: GO")]
    assert prod.startswith("prod: NO-GO")
    order = [prod.index(s) for s in ("blocking (1)", "could not check (1)", "advisories (1)", "suppressed (1)",
                                     "skipped: live")]
    assert order == sorted(order)
    assert "App-Prod/Db/Resource" in prod and "fix: use 20 GiB or more" in prod and "more text" not in prod
    assert "IAM auth is not used here" in prod
    assert "dev: GO" in text and "no blocking findings" in text
    assert text.rstrip().endswith("summary: prod NO-GO, dev GO")


def test_colour_only_when_asked():
    assert "\033[" not in render_text(RUN, color=False)
    assert "\033[1;31mNO-GO\033[0m" in render_text(RUN, color=True)


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_colour_follows_the_terminal_and_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    assert _color(_Tty()) is True
    assert _color(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert _color(_Tty()) is False
    monkeypatch.delenv("NO_COLOR")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert _color(io.StringIO()) is True
