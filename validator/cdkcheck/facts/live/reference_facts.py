"""Secrets Manager and SSM Parameter Store facts: metadata only, never a value.

Secrets come from one paginated secretsmanager:ListSecrets with IncludePlannedDeletion
(names, ARNs, DeletedDate; no value), shared by every question of the run; parameters from
ssm:DescribeParameters filtered by exact name, 50 names a call (metadata; SecureString
values are never fetched). GetSecretValue, BatchGetSecretValue and GetParameter(s) with
decryption are on no allow-list: session.refuse_writes stops them before they are sent.
"""

from __future__ import annotations

from typing import Any, Mapping

from cdkcheck.facts.interface import SecretFacts
from cdkcheck.template.secret_ids import match_secret

# DescribeParameters' ParameterStringFilter takes at most 50 values.
_PARAMETER_NAMES_PER_CALL = 50


class SecretAndParameterFacts:
    """Mixed into BotoAccountFacts: uses its _answer / _all plumbing."""

    def secrets(self: Any, secret_ids: tuple[str, ...]) -> Mapping[str, SecretFacts | None]:
        wanted = tuple(sorted(set(secret_ids)))
        if not wanted:
            return {}

        def compute() -> dict[str, SecretFacts | None]:
            listed = self._answer("_secret_index", (), lambda: _list_secrets(self))
            return {secret_id: match_secret(secret_id, listed) for secret_id in wanted}

        return dict(self._answer("secrets", (wanted,), compute))

    def ssm_parameters(self: Any, names: tuple[str, ...]) -> frozenset[str]:
        wanted = tuple(sorted(set(names)))
        if not wanted:
            return frozenset()

        def compute() -> frozenset[str]:
            found: set[str] = set()
            for start in range(0, len(wanted), _PARAMETER_NAMES_PER_CALL):
                chunk = list(wanted[start:start + _PARAMETER_NAMES_PER_CALL])
                listed = self._all("ssm", "describe_parameters", "Parameters",
                                   ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": chunk}])
                found.update(p["Name"] for p in listed if p.get("Name"))
            return frozenset(n for n in wanted if n in found)

        return self._answer("ssm_parameters", (wanted,), compute)


def _list_secrets(facts: Any) -> tuple[SecretFacts, ...]:
    listed = facts._all("secretsmanager", "list_secrets", "SecretList", IncludePlannedDeletion=True)
    return tuple(SecretFacts(name=s["Name"], arn=s["ARN"],
                             deleted_date=s["DeletedDate"].isoformat() if hasattr(s.get("DeletedDate"), "isoformat")
                             else (str(s["DeletedDate"]) if s.get("DeletedDate") else None))
                 for s in listed if s.get("Name") and s.get("ARN"))
