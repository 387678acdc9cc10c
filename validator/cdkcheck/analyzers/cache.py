"""Analyzer results on disk, one JSON file per (analyzer, version, template, region, options).

Keyed by the template's content hash, so changing one template re-analyzes only
that template, and two stacks with identical templates share one entry. The
findings stored are template-relative (no stack name, construct path or file);
analyzers bind them to each stack on the way out.

A cache must never make a run fail: unreadable, corrupt or foreign entries
are misses, and a write that fails is forgotten.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from cdkcheck.model import Finding
from cdkcheck.serialize import finding_from_dict, finding_to_dict, plain

# Bump when the stored layout changes; older entries then simply miss.
ENTRY_FORMAT = 1


@dataclass(frozen=True)
class CacheKey:
    analyzer: str  # "cfn-lint", "checkov"
    version: str  # the analyzer's own version: a new release may find new things
    template_sha256: str
    region: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "analyzer": self.analyzer,
            "version": self.version,
            "template_sha256": self.template_sha256,
            "region": self.region,
            "options": plain(self.options),
        }

    def digest(self) -> str:
        text = json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


class ResultCache:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, key: CacheKey) -> Path:
        digest = key.digest()
        return self.root / digest[:2] / f"{digest}.json"

    def get(self, key: CacheKey) -> tuple[Finding, ...] | None:
        path = self.path_for(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            if entry.get("format") != ENTRY_FORMAT or entry.get("key") != key.as_dict():
                return None
            return tuple(finding_from_dict(item) for item in entry["findings"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None

    def put(self, key: CacheKey, findings: Sequence[Finding]) -> None:
        path = self.path_for(key)
        entry = {"format": ENTRY_FORMAT, "key": key.as_dict(), "findings": [finding_to_dict(f) for f in findings]}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=f".{path.stem[:12]}.", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as out:
                    json.dump(entry, out, sort_keys=True, default=str)
                os.replace(temp, path)  # readers see the old entry or the new one, never half of one
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        except OSError:
            pass  # a read-only or full cache directory costs speed, not correctness
