"""Account answers kept across runs, when a run is told it may reuse them (max_facts_age).

Off by default: every `cdkcheck` run reads the account afresh. With max_facts_age = S
(seconds, config or --max-facts-age), answers younger than S of the facts in
aws_facts.REUSABLE_FACTS are kept in CACHE_DIR/live/ and served instead of a call,
each with the time AWS gave it, so the report can say how old the answers it used were.

Keyed by everything that decides whose account is read (profile, region,
endpoint, the access key's hash): other credentials never see these answers.
Only answers are kept, never failures.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from cdkcheck.facts.live.record import decode, encode


class RerunCache:
    def __init__(self, directory: Path, identity_parts: tuple[str, ...], ttl: float):
        digest = hashlib.sha256("\0".join(identity_parts).encode()).hexdigest()[:32]
        self.path = Path(directory) / f"{digest}.json"
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries = self._load()

    def get(self, key: str) -> tuple[Any, float] | None:
        """(answer, when AWS gave it), or None when there is none younger than `ttl`."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or time.time() - entry[0] > self.ttl:
            return None
        try:
            return decode(entry[1]), float(entry[0])
        except (TypeError, ValueError):
            return None

    def put(self, key: str, value: Any, *, read_at: float | None = None) -> None:
        with self._lock:
            self._entries[key] = [time.time() if read_at is None else read_at, encode(value)]
            text = json.dumps(self._entries)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".facts.", dir=self.path.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, self.path)
        except OSError:
            pass  # a cache that cannot be written only costs a few calls next time

    def _load(self) -> dict[str, list]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        now = time.time()
        if not isinstance(raw, dict):
            return {}
        return {k: v for k, v in raw.items()
                if isinstance(v, list) and len(v) == 2 and isinstance(v[0], (int, float)) and now - v[0] <= self.ttl}
