"""Live tests: a moto server process on loopback per test session, reset before each test.

Every AWS operation a cdkcheck session sends during a test is recorded (a botocore
hook on the sessions cdkcheck creates) and the test fails if any is not a read.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from moto_account import MotoServer, SeededAccount  # noqa: E402
from timeouts import scaled  # noqa: E402

from cdkcheck.facts.live import session as live_session  # noqa: E402
from cdkcheck.facts.live.session import READ_ONLY_OPERATIONS, READ_PREFIXES  # noqa: E402


class SentOperations(list):
    """(service, operation) pairs; a test that provokes a refusal on purpose names it in expected_refusals."""

    def __init__(self):
        super().__init__()
        self.expected_refusals: set[str] = set()


@pytest.fixture(scope="session")
def moto_server():
    server = MotoServer()
    yield server
    server.stop()


@pytest.fixture
def aws(moto_server, monkeypatch, tmp_path):
    """aws() or aws("222222222222"): credentials reaching that account of a freshly reset moto server."""
    moto_server.reset()
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "2")
    # A healthy moto on a busy machine can take longer than cdkcheck's 6 s default to answer: never race it.
    monkeypatch.setenv("CDKCHECK_AWS_READ_TIMEOUT", str(scaled(60)))
    monkeypatch.setenv("CDKCHECK_AWS_CONNECT_TIMEOUT", str(scaled(10)))
    monkeypatch.setenv("CDKCHECK_CACHE_DIR", str(tmp_path / "cache"))

    def account(account_id: str = "123456789012") -> SeededAccount:
        return SeededAccount(moto_server, monkeypatch, account_id)

    return account


@pytest.fixture(autouse=True)
def sent_operations(monkeypatch):
    """(service, operation) of every call cdkcheck's sessions made in this test; all must be reads."""
    sent = SentOperations()
    original = live_session.new_session

    def recording_session(profile, region):
        session = original(profile, region)

        def record(model=None, **_):
            sent.append((model.service_model.service_name, model.name))

        # Registered ahead of cdkcheck's own guard, so refused calls are seen too.
        session.events.register_first("before-parameter-build", record, unique_id="test-record-operations")
        return session

    monkeypatch.setattr(live_session, "new_session", recording_session)
    yield sent
    not_reads = sorted({f"{s}:{o}" for s, o in sent
                        if not o.startswith(READ_PREFIXES) or o not in READ_ONLY_OPERATIONS.get(s, ())})
    assert set(not_reads) <= sent.expected_refusals, f"cdkcheck sent operations that are not reads: {not_reads}"
