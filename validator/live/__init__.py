"""Live account facts: read-only AWS calls behind the AccountFacts interface."""

from __future__ import annotations

from cdkcheck.config import EnvironmentConfig
from cdkcheck.facts import AccountFacts, FactUnavailable


def open_account(environment: EnvironmentConfig, region: str | None) -> AccountFacts:
    """A session for the environment's account, or FactUnavailable saying why there is none."""
    raise FactUnavailable("live account checks are not available in this build; run with --offline "
                          "or set live = \"optional\"")
