"""How Secrets Manager and SSM Parameter Store resolve the ids templates reference them by.

Pure functions over names and ARNs; no AWS access. Sources:
- Secrets Manager SecretId: "The ARN or name of the secret ... For an ARN, we recommend that you specify a
  complete ARN rather than a partial ARN" (a partial ARN lacks the hyphen and six random characters Secrets
  Manager appends): https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen
- SSM parameter ARNs: arn:aws:ssm:REGION:ACCOUNT:parameter/NAME, the leading "/" of a hierarchical name
  dropped: https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from cdkcheck.facts.interface import SecretFacts

# The suffix Secrets Manager appends to a secret's name in its ARN: "-" and six random characters.
_RANDOM_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
# Parameters AWS publishes (AMI ids, service endpoints, Secrets Manager pass-through): not in the account's
# own parameter list (DescribeParameters does not show them), always present where AWS offers them.
AWS_PUBLIC_PARAMETER_PREFIX = "/aws/"


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str  # everything after the fifth colon, e.g. "secret:app/db-AbCdEf" or "parameter/app/x"


def parse_arn(text: str) -> Arn | None:
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return None
    return Arn(*parts[1:])


def secret_arn_of(text: str) -> str:
    """A secret's ARN without what ECS and dynamic references append (":json-key:version-stage:version-id")."""
    parts = text.split(":")
    return ":".join(parts[:7]) if len(parts) > 7 else text


def secret_name_part(secret_id: str) -> str:
    """The name (or name-with-suffix) a secret id carries: the id itself, or what follows 'secret:' in an ARN."""
    arn = parse_arn(secret_id)
    if arn is None:
        return secret_id
    return arn.resource.split(":", 1)[1] if arn.resource.startswith("secret:") else arn.resource


def match_secret(secret_id: str, secrets: Iterable[SecretFacts]) -> SecretFacts | None:
    """The secret `secret_id` resolves to: the same full ARN, or a name / partial ARN naming it.

    A full ARN whose random suffix differs from the secret's names an earlier secret of that name,
    deleted and created again since: it does not resolve.
    """
    secrets = tuple(secrets)
    is_arn = parse_arn(secret_id) is not None
    wanted = secret_arn_of(secret_id) if is_arn else secret_id
    for secret in secrets:
        if is_arn and secret.arn == wanted:
            return secret
    tail = secret_name_part(wanted)
    for secret in secrets:
        if secret.name == tail:
            return secret  # a name, or a partial ARN (no random suffix)
    return None


def names_differing_only_in_suffix(secret_id: str, secrets: Iterable[SecretFacts]) -> SecretFacts | None:
    """A secret whose name is this full ARN's name without the random suffix (the ARN of a recreated secret)."""
    if parse_arn(secret_id) is None:
        return None
    tail = secret_name_part(secret_arn_of(secret_id))
    if not _RANDOM_SUFFIX.search(tail):
        return None
    base = _RANDOM_SUFFIX.sub("", tail)
    return next((s for s in secrets if s.name == base), None)


def secret_id_location(secret_id: str) -> tuple[str | None, str | None]:
    """(account, region) an ARN names; (None, None) for a plain name (the deploy's own account and region)."""
    arn = parse_arn(secret_id)
    return (arn.account or None, arn.region or None) if arn else (None, None)


def ssm_parameter_names(identifier: str) -> tuple[str, ...]:
    """The parameter names an SSM id may stand for: the name itself, or both readings of an ARN's tail."""
    arn = parse_arn(identifier)
    if arn is None:
        return (identifier,)
    tail = arn.resource.split("/", 1)[1] if "/" in arn.resource else ""
    if not tail:
        return ()
    # A hierarchical name drops its leading "/" in the ARN; "parameter/abc" is "abc" or "/abc".
    return ("/" + tail,) if "/" in tail else (tail, "/" + tail)


def is_aws_public_parameter(name: str) -> bool:
    return name.startswith(AWS_PUBLIC_PARAMETER_PREFIX)
