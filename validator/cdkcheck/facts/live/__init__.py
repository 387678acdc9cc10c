"""Live account facts: read-only AWS calls behind the AccountFacts interface."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cdkcheck.config import EnvironmentConfig
from cdkcheck.facts.interface import AccountFacts, FactUnavailable


def open_account(environment: EnvironmentConfig, region: str | None, *, cache_dir: Path | None = None,
                 use_rerun_cache: bool = True, max_facts_age: float | None = None) -> AccountFacts:
    """A session for the environment's account, or FactUnavailable saying why there is none.

    Answers of earlier runs are reused only when `max_facts_age` (else the environment's
    max_facts_age) is above 0 and `use_rerun_cache` (False with --no-cache).

    Missing credentials fail here without a network call; otherwise one
    sts:GetCallerIdentity proves the endpoint answers and the credentials work,
    so an unreachable account costs one bounded timeout, not one per check.
    """
    from cdkcheck.facts.live import session as sessions
    from cdkcheck.facts.live.aws_facts import BotoAccountFacts
    from cdkcheck.facts.live.failures import describe_failure
    from cdkcheck.facts.live.rerun_cache import RerunCache

    try:
        session = sessions.new_session(environment.profile, region)
        region = region or session.region_name
        credentials = session.get_credentials()
        access_key = credentials.access_key if credentials is not None else None
    except Exception as exc:
        raise FactUnavailable(describe_failure(exc, "reading the AWS configuration").reason) from None
    if credentials is None or not access_key:
        where = f"profile '{environment.profile}'" if environment.profile else "the environment, ~/.aws or SSO"
        raise FactUnavailable(f"no AWS credentials found ({where}); configure credentials, or run with --offline")
    if not region:
        raise FactUnavailable(f"no AWS region for environment '{environment.name}': set 'region' in the config "
                              "or AWS_REGION")

    ttl = environment.max_facts_age if max_facts_age is None else max_facts_age
    rerun_cache = None
    if use_rerun_cache and ttl > 0:
        from cdkcheck.app.synth import default_cache_root

        identity_parts = (environment.profile or "", region, os.environ.get("AWS_ENDPOINT_URL", ""),
                          hashlib.sha256(access_key.encode()).hexdigest())
        rerun_cache = RerunCache((cache_dir or default_cache_root()) / "live", identity_parts, ttl)
    facts = BotoAccountFacts(session, region, rerun_cache=rerun_cache,
                             timeouts={"connect_timeout": environment.aws_connect_timeout,
                                       "read_timeout": environment.aws_read_timeout})
    facts.identity()
    return facts
