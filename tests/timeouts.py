"""Every time bound in the suite, from one setting a slow machine can raise.

CDKCHECK_TEST_TIMEOUT_SCALE (default 1) multiplies each bound: `scaled(60)` is 60 s
on a quiet machine and 180 s with CDKCHECK_TEST_TIMEOUT_SCALE=3. Bounds guard
against hangs; what a test asserts never depends on a healthy process being quick.
"""

from __future__ import annotations

import os


def scale() -> float:
    try:
        value = float(os.environ.get("CDKCHECK_TEST_TIMEOUT_SCALE", "") or 1)
    except ValueError:
        return 1.0
    return value if value > 0 else 1.0


def scaled(seconds: float) -> float:
    return seconds * scale()
