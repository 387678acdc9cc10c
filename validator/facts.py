"""The read-only view of an AWS account that rules may consult.

Rules never see boto3: they ask this interface, and a fact that cannot be had
raises FactUnavailable with the reason, which the engine reports as UNKNOWN
(or as skipped, when live checks were turned off on purpose).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


class FactUnavailable(Exception):
    def __init__(self, reason: str, *, skipped: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.skipped = skipped  # True: deliberately not looked up (offline), not a failure


@dataclass(frozen=True)
class SubnetFacts:
    subnet_id: str
    vpc_id: str
    availability_zone: str
    cidr_block: str
    available_ips: int


@dataclass(frozen=True)
class QuotaFacts:
    service: str
    code: str
    name: str
    value: float
    source: str  # "applied" (Service Quotas), "account-attributes", "default"


@runtime_checkable
class AccountFacts(Protocol):
    """Everything here is a read. Implementations cache within a run."""

    def caller_account(self) -> str: ...

    def availability_zones(self) -> tuple[str, ...]: ...

    def subnets(self, subnet_ids: tuple[str, ...]) -> dict[str, SubnetFacts]: ...

    def quota(self, service: str, code: str) -> QuotaFacts: ...

    def usage(self, metric: str) -> float: ...

    def lookup(self, question: str, **params: Any) -> Any: ...


class OfflineFacts:
    """No account at all: every question is answered 'not looked up'."""

    def __init__(self, reason: str = "offline run (--offline): account not consulted", skipped: bool = True):
        self._reason = reason
        self._skipped = skipped

    def _unavailable(self, *args: Any, **kwargs: Any):
        raise FactUnavailable(self._reason, skipped=self._skipped)

    caller_account = availability_zones = subnets = quota = usage = lookup = _unavailable
