"""Which stacks belong to an environment."""

from __future__ import annotations

import re
from fnmatch import fnmatchcase
from typing import Iterable, Sequence

from cdkcheck.config import EnvironmentConfig
from cdkcheck.errors import UsageError
from cdkcheck.model import Assembly, Stack


def words(name: str) -> list[str]:
    """'CourtCase-Staging-Network' and 'CourtCaseStagingNetwork' both give court/case/staging/network."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def names_environment(stack: Stack, environment: str) -> bool:
    wanted = words(environment)
    for name in (stack.display_name, stack.stack_name):
        have = words(name)
        if any(have[i:i + len(wanted)] == wanted for i in range(len(have) - len(wanted) + 1)):
            return True
    return False


def matches_glob(stack: Stack, pattern: str) -> bool:
    pattern = pattern.lower()
    return any(fnmatchcase(name.lower(), pattern)
               for name in (stack.display_name, stack.stack_name, stack.artifact_id))


def select_stacks(assembly: Assembly, environment: EnvironmentConfig, cli_globs: Sequence[str] = (),
                  where: str | None = None) -> tuple[Stack, ...]:
    top_level = [s for s in assembly.stacks if not s.is_nested]
    if environment.stacks is not None:
        chosen = [s for s in top_level if any(matches_glob(s, g) for g in environment.stacks)]
        how = f"the globs {list(environment.stacks)} of environment '{environment.name}'"
    elif environment.configured:
        chosen = list(top_level)
        how = "every stack"
    else:
        chosen = [s for s in top_level if names_environment(s, environment.name)]
        how = f"stacks or Stages named with the word '{environment.name}'"
    if cli_globs:
        chosen = [s for s in chosen if any(matches_glob(s, g) for g in cli_globs)]
        how += f" and --stack {' '.join(cli_globs)}"
    if not chosen:
        found = ", ".join(s.display_name for s in top_level) or "(none)"
        raise UsageError(f"no stacks selected for environment '{environment.name}' by {how}", file=where,
                         hint=f"stacks in the app: {found}. Name the environment in cdkcheck.toml "
                              f"with a 'stacks' glob, or pass a matching --stack")
    return tuple(_with_nested(assembly.stacks, chosen))


def _with_nested(all_stacks: Iterable[Stack], chosen: list[Stack]) -> list[Stack]:
    selected = {s.display_name for s in chosen}
    result = list(chosen)
    for stack in all_stacks:  # parents precede their nested stacks in the assembly order
        if stack.parent in selected and stack.display_name not in selected:
            selected.add(stack.display_name)
            result.append(stack)
    return result
