"""Values left as the sample code wrote them: `YOUR_ACCOUNT_ID`, `MY-BUCKET`, `xxx`, `<account>`.

Sample CDK apps ship with such values; a finding that meets one says so,
because the fix is to fill it in, not what the finding would otherwise ask.
"""

from __future__ import annotations

import re
from typing import Any

_PLACEHOLDER = re.compile(
    r"^(your|my)[-_ ]|[-_]here$|^<.*>$|^\{.*\}$|x{3,}|^(todo|tbd|changeme|change[-_]me|replace[-_]?me|"
    r"account[-_]?(id|number)?|region)$",
    re.IGNORECASE,
)


def looks_like_placeholder(value: str | None) -> bool:
    return bool(value) and bool(_PLACEHOLDER.search(value.strip()))


def is_account_id(value: str | None) -> bool:
    return bool(value) and len(value) == 12 and value.isdigit()


def placeholder_account(value: str | None) -> bool:
    """A literal account that is not a 12-digit id (tokens such as ${Token[...]} are not literal)."""
    return bool(value) and not is_account_id(value) and "${Token[" not in value


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)?-[a-z]+-\d+$")  # us-east-1, us-gov-west-1, us-isob-east-1


def placeholder_region(value: str | None) -> bool:
    return bool(value) and not _REGION.match(value) and "${Token[" not in value


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
