"""Account facts as data: record the answers of a run, replay them later.

A snapshot file holds, per environment, every question the live checks asked
(a facts method and its arguments) with its answer or the reason it had none.
Replaying it answers the same questions with no AWS access at all; a question
the snapshot never saw is UNKNOWN, never guessed.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from pathlib import Path
from typing import Any, Mapping

from cdkcheck.facts import interface as facts_module
from cdkcheck.facts.interface import FACT_QUESTIONS, FactUnavailable

SNAPSHOT_FORMAT = "cdkcheck-facts/1"

_RECORD_TYPES = {
    cls.__name__: cls
    for cls in (facts_module.CallerIdentity, facts_module.SubnetFacts, facts_module.QuotaFacts,
                facts_module.UsageFacts, facts_module.DeployedStack, facts_module.RdsOrderableOption,
                facts_module.RdsEngineVersion, facts_module.OpenSearchInstanceLimits,
                facts_module.SecretFacts, facts_module.DeployedTemplate, facts_module.PermissionDecision,
                facts_module.LambdaConcurrency)
}


# -------------------------------------------------------------------- codec


def encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$type": type(value).__name__, **fields}
    if isinstance(value, frozenset):
        return {"$set": sorted(encode(v) for v in value)}
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode(v) for k, v in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"not a fact value: {type(value).__name__}")


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$set" in value:
        return frozenset(decode(v) for v in value["$set"])
    if "$tuple" in value:
        return tuple(decode(v) for v in value["$tuple"])
    if "$type" in value:
        cls = _RECORD_TYPES.get(value["$type"])
        if cls is None:
            raise ValueError(f"unknown fact record type {value['$type']!r}")
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: decode(v) for k, v in value.items() if k in names})
    return {k: decode(v) for k, v in value.items()}


def question_key(method: str, args: tuple[Any, ...]) -> str:
    return json.dumps([method, encode(tuple(args))], sort_keys=True)


# --------------------------------------------------------------- recording


class RecordingFacts:
    """Passes every question to `inner` and keeps the question with its answer (or the reason it had none)."""

    def __init__(self, inner: Any):
        self._inner = inner
        self._lock = threading.Lock()
        self.entries: dict[str, dict[str, Any]] = {}

    def prefetch(self, questions: tuple[tuple[Any, ...], ...]) -> None:
        self._inner.prefetch(questions)

    def __getattr__(self, name: str):
        if name not in FACT_QUESTIONS:
            raise AttributeError(name)
        method = getattr(self._inner, name)

        def ask(*args: Any) -> Any:
            key = question_key(name, args)
            try:
                answer = method(*args)
            except FactUnavailable as unavailable:
                self._keep(key, name, args, {"unavailable": unavailable.reason})
                raise
            self._keep(key, name, args, {"answer": encode(_for_snapshot(answer))})
            return answer

        return ask

    def _keep(self, key: str, method: str, args: tuple[Any, ...], outcome: dict[str, Any]) -> None:
        with self._lock:
            self.entries[key] = {"question": method, "args": encode(tuple(args))["$tuple"], **outcome}


def _for_snapshot(answer: Any) -> Any:
    # How long the recording session's credentials had left says nothing about a later deploy.
    if isinstance(answer, facts_module.CallerIdentity):
        return dataclasses.replace(answer, seconds_left=None)
    return answer


# ----------------------------------------------------------------- replay


class ReplayFacts:
    """Answers from a snapshot; a question it does not hold is UNKNOWN with that reason."""

    def __init__(self, entries: Mapping[str, Mapping[str, Any]], source: str, recorded_at: str | None = None):
        self._entries = entries
        self._source = source
        self.recorded_at = recorded_at  # when the account was read, "2026-11-29T23:28:21Z"

    def prefetch(self, questions: tuple[tuple[Any, ...], ...]) -> None:
        return None

    def __getattr__(self, name: str):
        if name not in FACT_QUESTIONS:
            raise AttributeError(name)

        def ask(*args: Any) -> Any:
            entry = self._entries.get(question_key(name, args))
            if entry is None:
                raise FactUnavailable(f"{self._source} holds no answer to {name}{_show(args)}; "
                                      "record a new snapshot with 'cdkcheck snapshot'")
            if "unavailable" in entry:
                raise FactUnavailable(f"{entry['unavailable']} (when {self._source} was recorded)")
            return decode(entry["answer"])

        return ask


def _show(args: tuple[Any, ...]) -> str:
    text = ", ".join(repr(a) for a in args)
    return f"({text[:160]})"


# ------------------------------------------------------------------- files


def snapshot_document(environments: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    return {"format": SNAPSHOT_FORMAT, "environments": dict(environments)}


def environment_entry(*, account: str | None, region: str | None, recorder: RecordingFacts,
                      live_reason: str | None = None, read_at: float | None = None) -> dict[str, Any]:
    """`read_at`: when the reading began (epoch seconds; now when not given), kept as recorded_at."""
    entry: dict[str, Any] = {
        "account": account,
        "region": region,
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(read_at)),
        "facts": [recorder.entries[k] for k in sorted(recorder.entries)],
    }
    if live_reason:
        entry["unavailable"] = live_reason
    return entry


def load_replay(path: Path, environment: str) -> ReplayFacts:
    """The answers recorded for `environment`; FactUnavailable when the file or the environment is not usable."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FactUnavailable(f"cannot read the facts snapshot {path}: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != SNAPSHOT_FORMAT:
        raise FactUnavailable(f"{path} is not a cdkcheck facts snapshot (format {SNAPSHOT_FORMAT})")
    environments = document.get("environments") or {}
    recorded = environments.get(environment)
    if not isinstance(recorded, dict):
        known = ", ".join(sorted(environments)) or "none"
        raise FactUnavailable(f"{path} holds no facts for environment '{environment}' (it has: {known})")
    if recorded.get("unavailable"):
        raise FactUnavailable(f"{recorded['unavailable']} (when {path} was recorded)")
    source = f"snapshot {Path(path).name} ({recorded.get('recorded_at', 'undated')})"
    entries = {}
    for item in recorded.get("facts", []):
        try:
            entries[question_key(item["question"], tuple(decode({"$tuple": item["args"]})))] = item
        except (KeyError, TypeError, ValueError) as exc:
            raise FactUnavailable(f"{path}: malformed fact entry {item!r:.120}: {exc}") from None
    recorded_at = recorded.get("recorded_at")
    return ReplayFacts(entries, source, recorded_at if isinstance(recorded_at, str) else None)


def snapshot_age(recorded_at: str | None, now: float | None = None) -> float | None:
    """Seconds since a snapshot's recorded_at; None when it is missing or unreadable."""
    from datetime import datetime, timezone

    if not recorded_at:
        return None
    try:
        read = datetime.strptime(recorded_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return max(0.0, (time.time() if now is None else now) - read.timestamp())
