"""Which stacks belong to an environment."""

from __future__ import annotations

import re
import shlex
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
    """The environment's stacks: its config globs, every stack, or those named with it; --stack narrows them.

    An environment without a config entry whose name no stack carries takes its stacks from --stack.
    """
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
        if not chosen and cli_globs:
            chosen = list(top_level)
            how = "--stack (no stack or Stage is named with the word " f"'{environment.name}')"
    if not chosen:
        raise UsageError(f"no stacks selected for environment '{environment.name}' by {how}", file=where,
                         hint=_nothing_chosen_hint(environment, top_level, where))
    if cli_globs:
        narrowed = [s for s in chosen if any(matches_glob(s, g) for g in cli_globs)]
        if not narrowed:
            names = ", ".join(s.display_name for s in chosen)
            raise UsageError(f"no stacks selected for environment '{environment.name}' by {how} "
                             f"and --stack {' '.join(cli_globs)}", file=where,
                             hint=f"its stacks: {names}; pass a --stack glob that matches one of them, e.g. "
                                  f"`--stack {shlex.quote(chosen[0].display_name)}`")
        chosen = narrowed
    return tuple(_with_nested(assembly.stacks, chosen))


def _nothing_chosen_hint(environment: EnvironmentConfig, top_level: Sequence[Stack], where: str | None) -> str:
    if not top_level:
        return "the app synthesizes no stacks: create a Stack in the app and call app.synth()"
    found = ", ".join(s.display_name for s in top_level)
    if environment.stacks is not None:
        return (f"stacks in the app: {found}. Fix the 'stacks' globs of [environments.{environment.name}] "
                f"in {where or 'the config'}")
    example = shlex.quote(top_level[0].display_name)
    return (f"stacks in the app: {found}. Check every stack with `cdkcheck` (no environment name), choose "
            f"this environment's stacks with `cdkcheck {shlex.quote(environment.name)} --stack {example}`, "
            "or write one environment per Stage or stack name with `cdkcheck init`")


def _with_nested(all_stacks: Iterable[Stack], chosen: list[Stack]) -> list[Stack]:
    selected = {s.display_name for s in chosen}
    result = list(chosen)
    for stack in all_stacks:  # parents precede their nested stacks in the assembly order
        if stack.parent in selected and stack.display_name not in selected:
            selected.add(stack.display_name)
            result.append(stack)
    return result
