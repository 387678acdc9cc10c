"""Values left as the sample code wrote them: `YOUR_ACCOUNT_ID`, `MY-BUCKET`, `xxx`, `<account>`,
`vpc-xxxxxxxx`, `subnet-yyyyyyyy`, `arn:aws:iam::xxxxxxxxxxxx:role/x`.

Sample CDK apps ship with such values; a finding that meets one says so,
because the fix is to fill it in, not what the finding would otherwise ask.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Iterator

_PLACEHOLDER = re.compile(
    r"^(your|my)[-_ ]|[-_]here$|^<.*>$|^\{.*\}$|x{3,}|^(todo|tbd|changeme|change[-_]me|replace[-_]?me|"
    r"account[-_]?(id|number)?|region)$",
    re.IGNORECASE,
)


# EC2-style resource ids: a prefix and 8 or 17 hex digits. A suffix of one repeated letter that is not a hex
# digit (subnet-yyyyyyyy, sg-zzzz) can only be a placeholder; xxx and the other words above are caught anyway.
_ID = re.compile(r"^(vpc|subnet|sg|igw|rtb|eni|acl|nat|eipalloc|vpce|pl|tgw|ami|i|vol|snap|lt|cvpn-endpoint|"
                 r"dopt|pcx|key|fs|fsap|ngw)-([A-Za-z0-9]+)$")
_ARN = re.compile(r"^arn:(aws[a-z-]*):([^:]*):([^:]*):([^:]*):(.+)$")


def looks_like_placeholder(value: str | None) -> bool:
    return bool(value) and (bool(_PLACEHOLDER.search(value.strip())) or placeholder_id(value.strip()))


def placeholder_id(value: str) -> bool:
    """`vpc-xxxxxxxx`, `subnet-yyyyyyyy`: an EC2 id whose digits were never filled in."""
    match = _ID.match(value)
    if match is None:
        return False
    suffix = match.group(2).lower()
    return bool(re.search(r"x{3,}", suffix)) or (len(set(suffix)) == 1 and suffix[0] not in "0123456789abcdef")


def placeholder_arn(value: str) -> bool:
    """An ARN whose account or region field is a placeholder (`arn:aws:iam::xxxxxxxxxxxx:role/r`)."""
    match = _ARN.match(value)
    if match is None or "${" in value:
        return False
    region, account = match.group(3), match.group(4)
    # "aws" owns managed policies (arn:aws:iam::aws:policy/...); wildcards are patterns, not values.
    account_left = bool(account) and account != "aws" and "*" not in account and "?" not in account \
        and placeholder_account(account)
    region_left = bool(region) and "*" not in region and "?" not in region and placeholder_region(region)
    return account_left or region_left


def template_placeholders(value: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """(property path, value) of every literal id or ARN in a template value left as sample code wrote it."""
    if isinstance(value, str):
        if placeholder_id(value) or placeholder_arn(value):
            yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if key in ("Fn::Sub", "Fn::Join"):  # text with ${...} or parts: not a literal id
                continue
            yield from template_placeholders(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from template_placeholders(item, f"{where}[{index}]")


def is_account_id(value: str | None) -> bool:
    return bool(value) and len(value) == 12 and value.isdigit()


def placeholder_account(value: str | None) -> bool:
    """A literal account that is not a 12-digit id (tokens such as ${Token[...]} are not literal)."""
    return bool(value) and not is_account_id(value) and "${Token[" not in value


def placeholder_region(value: str | None) -> bool:
    return bool(value) and "${Token[" not in value and not is_region(value)


def is_region(value: str) -> bool:
    """A region botocore's partition data names, or one a partition's region pattern admits (a newer region)."""
    names, patterns = _partitions()
    return value in names or any(pattern.match(value) for pattern in patterns)


@lru_cache(maxsize=1)
def _partitions() -> tuple[frozenset[str], tuple[re.Pattern, ...]]:
    import botocore

    from pathlib import Path

    try:
        data = json.loads((Path(botocore.__file__).parent / "data" / "partitions.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset(), (re.compile(r"^[a-z]{2,4}(-[a-z]+)?-[a-z]+-\d+$"),)
    names, patterns = set(), []
    for partition in data.get("partitions", []):
        names.update(r for r in partition.get("regions", {}) if not r.endswith("-global"))
        if partition.get("regionRegex"):
            patterns.append(re.compile(partition["regionRegex"]))
    return frozenset(names), tuple(patterns)


def describe_account(value: str) -> str:
    """'YOUR_ACCOUNT_ID' -> "'YOUR_ACCOUNT_ID' (a placeholder, not a 12-digit AWS account id)"."""
    if value.isdigit():
        return f"'{value}' ({len(value)} digits: an AWS account id has 12)"
    return f"'{value}' (a placeholder, not a 12-digit AWS account id)"


def placeholder_values(value: Any) -> list[str]:
    """Every string in a nested value (a lookup's filter, say) that looks like a placeholder."""
    if isinstance(value, str):
        return [value] if looks_like_placeholder(value) else []
    if isinstance(value, dict):
        return [found for v in value.values() for found in placeholder_values(v)]
    if isinstance(value, (list, tuple)):
        return [found for v in value for found in placeholder_values(v)]
    return []
