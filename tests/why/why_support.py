"""Paths and expectations of the `cdkcheck why` fixtures (fixtures/why, fixtures/apps/incidents)."""

from __future__ import annotations

import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
WHY = REPO / "fixtures" / "why"
APP = REPO / "fixtures" / "apps" / "incidents"
ASSEMBLY = WHY / "cdk.out"
CASES = json.loads((WHY / "cases.json").read_text())
