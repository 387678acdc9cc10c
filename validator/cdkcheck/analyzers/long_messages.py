"""Analyzer messages cut to what a reader needs: the offending value and the closest allowed ones.

cfn-lint's enum messages list every allowed value: E3628 prints about 900 EC2
instance types (22 KB), E3062 every RDS class offered for the engine (5 KB).
The short form keeps the value and the few allowed values nearest to it
(difflib), which is where a typo or a wrong generation is found; the full text
goes into the finding's evidence, so the JSON report still has it.
"""

from __future__ import annotations

import ast
import difflib
import re

MAX_MESSAGE_CHARS = 300
CLOSEST_SHOWN = 5
_ENUM = re.compile(r"^(?P<value>.+?) is not one of (?P<allowed>\[.*?\])(?P<rest>.*)$", re.S)


def shorten(message: str) -> tuple[str, dict]:
    """(message to show, evidence to add): unchanged and {} when the message is short already."""
    if len(message) <= MAX_MESSAGE_CHARS:
        return message, {}
    evidence = {"full_message": message}
    match = _ENUM.match(message)
    allowed = _literal_list(match.group("allowed")) if match else None
    if match and allowed:
        value = match.group("value")
        wanted = str(_literal(value))
        closest = difflib.get_close_matches(wanted, [str(a) for a in allowed], n=CLOSEST_SHOWN, cutoff=0)
        short = (f"{value} is not one of the {len(allowed)} allowed values; closest: "
                 f"{', '.join(closest)}{match.group('rest')}")
        if len(short) <= MAX_MESSAGE_CHARS * 2:
            return short, {**evidence, "allowed_count": len(allowed), "closest_allowed": closest}
    cut = message[:MAX_MESSAGE_CHARS].rsplit(" ", 1)[0]
    return f"{cut} ... (cut; the full text is in the JSON report's evidence)", evidence


def _literal_list(text: str) -> list | None:
    value = _literal(text)
    return value if isinstance(value, list) and value else None


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text
