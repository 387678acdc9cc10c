"""Fixtures for the analyzer tests: a captured cloud assembly and stacks built from single templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdkcheck.app.assembly import load_assembly, load_template
from cdkcheck.model import Assembly, Stack

DATA = Path(__file__).resolve().parent / "data"
# A Stage "Prod" with stack "Orders" and nested stack "Archive", synthesized by data/orders_app.py.
ORDERS_ASSEMBLY = DATA / "orders_assembly"


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def orders() -> Assembly:
    return load_assembly(ORDERS_ASSEMBLY)


@pytest.fixture
def make_stack():
    def make(template_path: Path, display_name: str = "Jobs", region: str | None = "us-east-1") -> Stack:
        return Stack(artifact_id=display_name.replace("/", ""), stack_name=display_name.replace("/", "-"),
                     display_name=display_name, account="123456789012", region=region,
                     template=load_template(Path(template_path)))
    return make
