"""The incident app's committed assembly, loaded once."""

from __future__ import annotations

import pytest
from why_support import ASSEMBLY


@pytest.fixture(scope="session")
def incidents_assembly():
    from cdkcheck.app.assembly import load_assembly

    return load_assembly(ASSEMBLY)
