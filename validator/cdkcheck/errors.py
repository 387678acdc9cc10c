"""Errors a user can act on. The CLI prints them as one message, never a traceback."""

from __future__ import annotations


class CdkcheckError(Exception):
    """Base: carries the file at fault and what to do about it."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.hint = hint

    def __str__(self) -> str:
        where = f"{self.file}: " if self.file else ""
        hint = f"\n  hint: {self.hint}" if self.hint else ""
        return f"{where}{self.message}{hint}"


class UsageError(CdkcheckError):
    """Bad command line, unknown environment, nothing selected."""


class ConfigError(CdkcheckError):
    """cdkcheck.toml / [tool.cdkcheck] / cdk.json is malformed or has unknown keys."""


class AssemblyError(CdkcheckError):
    """A cloud assembly that cannot be read: missing or corrupt manifest or template."""


def closest(word: str, candidates) -> str | None:
    import difflib

    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates) -> str | None:
    match = closest(word, candidates)
    return f"did you mean '{match}'?" if match else None
