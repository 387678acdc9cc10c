"""Fixtures of `cdkcheck why`: the incident app's event streams, its committed assembly and expectations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WHY = REPO / "fixtures" / "why"
APP = REPO / "fixtures" / "apps" / "incidents"
ASSEMBLY = WHY / "cdk.out"
CASES = json.loads((WHY / "cases.json").read_text())


@pytest.fixture(scope="session")
def incidents_assembly():
    from cdkcheck.app.assembly import load_assembly

    return load_assembly(ASSEMBLY)
