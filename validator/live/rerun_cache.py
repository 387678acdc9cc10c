"""Account answers kept for a short while, so a quick rerun does not ask AWS again.

Keyed by everything that decides whose account is read (profile, region,
endpoint, the access key's hash): other credentials never see these answers.
Only answers are kept, never failures, and only for `ttl` seconds.
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

from cdkcheck.live.record import decode, encode

DEFAULT_TTL_SECONDS = 120.0


class RerunCache:
    def __init__(self, directory: Path, identity_parts: tuple[str, ...], ttl: float = DEFAULT_TTL_SECONDS):
        digest = hashlib.sha256("\0".join(identity_parts).encode()).hexdigest()[:32]
        self.path = Path(directory) / f"{digest}.json"
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries = self._load()

    def get(self, key: str) -> tuple[Any] | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or time.time() - entry[0] > self.ttl:
            return None
        try:
            return (decode(entry[1]),)
        except (TypeError, ValueError):
            return None

    def put(self, key: str, value: Any) -> None:
        with self._lock:
            self._entries[key] = [time.time(), encode(value)]
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


def ttl_from_environment() -> float:
    """CDKCHECK_LIVE_CACHE_SECONDS: 0 turns the rerun cache off."""
    raw = os.environ.get("CDKCHECK_LIVE_CACHE_SECONDS")
    if raw is None:
        return DEFAULT_TTL_SECONDS
    try:
        return max(0.0, float(raw))
    except ValueError:
        return DEFAULT_TTL_SECONDS
