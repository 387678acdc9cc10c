"""`cdkcheck init`: a first, commented cdkcheck.toml from the stacks an app synthesizes.

Environments are proposed from what the app already says: each CDK Stage
becomes one (stacks = ["Staging/*"]), and stacks named with a well-known
environment word become one per word (CourtCase-Staging-Data ->
[environments.staging] stacks = ["*-Staging-*"]). The stacks left over, when
they deploy to several accounts or regions, become one environment per
account/region (one set of credentials answers the live checks of each).
Account and region are filled in where every stack of the environment agrees.
An existing config is never overwritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from cdkcheck.errors import CdkcheckError, UsageError
from cdkcheck.model import Stack
from cdkcheck.engine.selection import words

# Words that name a deployment environment in stack names, in the order environments are listed.
ENVIRONMENT_WORDS = (
    "dev", "development", "sandbox", "test", "testing", "qa", "int", "integration", "uat", "stage", "staging",
    "stg", "preprod", "demo", "prod", "production", "prd",
)
CONFIG_NAME = "cdkcheck.toml"
# Stacks CDK adds for the app (CodePipeline's cross-region replication buckets, named after the pipeline's
# account and region): they follow the stack that made them, so they get no environment of their own.
CDK_SUPPORT_STACK_PREFIXES = ("cross-region-stack-",)
# Shown when init finds at most one environment: the app may choose its stacks from the process environment.
def _app_env_hint(name: str) -> tuple[str, ...]:
    return (
        "# One environment found: if the app picks its stacks from a process variable",
        "# (os.getenv(\"ENVIRONMENT\")), add a table per environment and hand each synth its value:",
        f"# app_env = {{ ENVIRONMENT = {_string(name)} }}  # process variables for this environment's synth",
    )


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


class InitError(CdkcheckError):
    """The app could not be read to propose a config."""


@dataclass(frozen=True)
class ProposedEnvironment:
    name: str
    stacks: tuple[str, ...]  # globs for the `stacks` key
    members: tuple[str, ...]  # display names of the stacks the globs select
    how: str  # "Stage Staging", "stacks named like *-Staging-*"
    account: str | None
    region: str | None


def propose_environments(stacks: Sequence[Stack]) -> tuple[list[ProposedEnvironment], list[str]]:
    """Environments found in the stacks, and the top-level stacks no environment took."""
    top_level = [s for s in stacks if not s.is_nested]
    proposals: list[ProposedEnvironment] = []
    taken: set[str] = set()

    by_stage: dict[str, list[Stack]] = {}
    for s in top_level:
        if "/" in s.display_name:
            by_stage.setdefault(s.display_name.rsplit("/", 1)[0], []).append(s)
    order = {w: i for i, w in enumerate(ENVIRONMENT_WORDS)}
    for stage, members in sorted(by_stage.items(), key=lambda item: (_rank(item[0], order), item[0])):
        name = "-".join(words(stage.rsplit("/", 1)[-1])) or "stage"
        proposals.append(_proposal(name, (f"{stage}/*",), members, f"CDK Stage {stage}"))
        taken.update(s.display_name for s in members)

    by_word: dict[str, list[tuple[Stack, str]]] = {}
    for s in top_level:
        if s.display_name in taken:
            continue
        found = _environment_word(s.display_name)
        if found is not None:
            by_word.setdefault(found[0], []).append((s, found[1]))
    for word, entries in sorted(by_word.items(), key=lambda item: order[item[0]]):
        globs = tuple(sorted({glob for _, glob in entries}))
        members = [s for s, _ in entries]
        proposals.append(_proposal(word, globs, members, "stacks named like " + ", ".join(globs)))
        taken.update(s.display_name for s in members)

    proposals += _per_account_region([s for s in top_level if s.display_name not in taken
                                      and not s.display_name.startswith(CDK_SUPPORT_STACK_PREFIXES)])
    taken.update(name for p in proposals for name in p.members)

    unique: list[ProposedEnvironment] = []
    seen: dict[str, int] = {}
    for p in proposals:  # two Stages called "Prod" under different parents: prod, prod-2
        count = seen.get(p.name, 0) + 1
        seen[p.name] = count
        unique.append(p if count == 1 else ProposedEnvironment(f"{p.name}-{count}", p.stacks, p.members, p.how,
                                                               p.account, p.region))
    leftover = [s.display_name for s in top_level if s.display_name not in taken]
    return unique, leftover


def _per_account_region(stacks: Sequence[Stack]) -> list[ProposedEnvironment]:
    """One environment per account/region when the stacks span several; none when they share one."""
    groups: dict[tuple[str | None, str | None], list[Stack]] = {}
    for s in stacks:
        groups.setdefault((s.account, s.region), []).append(s)
    if len(groups) < 2:
        return []
    common = set.intersection(*(set(words(s.display_name)) for s in stacks))
    proposals = []
    for (account, region), members in sorted(groups.items(), key=lambda item: (item[0][0] or "", item[0][1] or "")):
        own = [w for s in members for w in words(s.display_name) if w not in common]
        name = "-".join(dict.fromkeys(own)) if own and len(members) == 1 else \
            "-".join(part for part in (account, region) if part) or "agnostic"
        how = f"account {account or '(any)'}, region {region or '(any)'}"
        proposals.append(_proposal(name, tuple(sorted(s.display_name for s in members)), members, how))
    return proposals


def _rank(stage: str, order: dict[str, int]) -> int:
    """Stages named like environments in the usual pipeline order (dev, staging, prod); others after."""
    found = _environment_word(stage.rsplit("/", 1)[-1])
    return order[found[0]] if found else len(order)


def _proposal(name: str, globs: tuple[str, ...], members: Sequence[Stack], how: str) -> ProposedEnvironment:
    accounts = {s.account for s in members}
    regions = {s.region for s in members}
    return ProposedEnvironment(
        name=name,
        stacks=globs,
        members=tuple(sorted(s.display_name for s in members)),
        how=how,
        account=accounts.pop() if len(accounts) == 1 else None,
        region=regions.pop() if len(regions) == 1 else None,
    )


def _environment_word(name: str) -> tuple[str, str] | None:
    """("CourtCase-Staging-Data") -> ("staging", "*-Staging-*"): the environment word and a glob for it."""
    lowered = name.lower()
    for word in words(name):
        if word not in ENVIRONMENT_WORDS:
            continue
        start = _word_start(name, lowered, word)
        if start is None:
            continue
        end = start + len(word)
        before = ("*" + (name[start - 1] if not name[start - 1].isalnum() else "")) if start > 0 else ""
        after = ((name[end] if not name[end].isalnum() else "") + "*") if end < len(name) else ""
        return word, before + name[start:end] + after
    return None


def _word_start(name: str, lowered: str, word: str) -> int | None:
    """Where `word` stands in `name` as a whole word (delimited, or a capitalised part of CamelCase)."""
    index = lowered.find(word)
    while index != -1:
        end = index + len(word)
        starts = index == 0 or not name[index - 1].isalnum() or (name[index].isupper()
                                                                   and name[index - 1].islower())
        ends = end == len(name) or not name[end].isalnum() or name[end].isupper() or name[end].isdigit()
        if starts and ends:
            return index
        index = lowered.find(word, index + 1)
    return None


# ------------------------------------------------------------------ rendering


def render_config(proposals: Sequence[ProposedEnvironment], leftover: Sequence[str], source: str) -> str:
    lines = [
        "# cdkcheck configuration: one table per environment cdkcheck gives a GO / NO-GO for.",
        f"# Written by `cdkcheck init` from the stacks {source}; review it, then commit it.",
        "# Run `cdkcheck` (every environment below) or `cdkcheck ENV...`.",
        "",
        "# synth_timeout = 300            # seconds before a hanging synth is stopped",
        "",
        "[defaults]",
        "# Applies to every environment unless the environment sets its own value.",
        '# live = "required"              # live account checks: "required" (no access -> INCONCLUSIVE),',
        '#                                #   "optional" (no access -> skipped) or "off"',
        '# fail_on = "error"              # lowest severity that blocks a deploy: "error", "warning" or "info"',
        "# checkov_blocking = []          # checkov ids that block (\"*\" for all); otherwise checkov advises",
        "# cfn_lint_ignore = []           # cfn-lint rule ids not to run",
        "# cfn_lint_blocking = []         # cfn-lint ids that block besides `cdkcheck rules`' list (\"*\" for all)",
        '# preflight = "blocking"         # the cdk-preflight pack: "blocking", "advisory" or "off"',
        "# max_deploy_minutes = 60        # warn when the estimated first deploy takes longer",
        "",
    ]
    if not proposals:
        lines += [
            "# No CDK Stage or environment word (staging, prod, ...) was found in the stack names,",
            "# so this one environment takes every stack. Split it with `stacks` globs.",
            "[environments.default]",
            'stacks = ["*"]',
            "# account = \"123456789012\"",
            "# region = \"us-east-1\"",
            *_app_env_hint("staging"),
            '# context = { env = "staging" }          # or synth context (cdk.json context, -c env=staging)',
            "",
        ]
    for p in proposals:
        lines += [
            f"[environments.{_key(p.name)}]",
            f"# From {p.how}: {', '.join(p.members)}",
            "stacks = [" + ", ".join(_string(g) for g in p.stacks) + "]",
            f"account = {_string(p.account)}" if p.account else
            '# account = "123456789012"      # the stacks are env-agnostic or disagree',
            f"region = {_string(p.region)}" if p.region else
            '# region = "us-east-1"          # the stacks are env-agnostic or disagree',
            f"# context = {{ env = {_string(p.name)} }}  # context the app needs to synthesize this environment",
            f"# profile = {_string(p.name)}  # AWS profile for the live checks",
            *(_app_env_hint(p.name) if len(proposals) == 1 else ()),
            "",
        ]
    if leftover and proposals:
        lines += ["# Stacks no environment above selects (add them to one, or a new [environments.NAME]):"]
        lines += [f"#   {name}" for name in leftover]
        lines.append("")
    example_env = proposals[0].name if proposals else "default"
    lines += [
        "# A reviewed exception: the finding stays in every report, marked suppressed, and stops blocking.",
        "# [[suppressions]]",
        '# rule = "CKV_AWS_16"                    # rule id or glob',
        '# path = "MyStack/Database/*"            # construct-path glob; a construct covers its children',
        f'# environments = [{_string(example_env)}]  # default: every environment',
        '# reason = "why this does not apply here (10+ characters, for reviewers)"',
        "# expires = 2030-06-30                   # after this date the suppression is reported, not applied",
    ]
    return "\n".join(lines) + "\n"


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _string(name)


def _string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def init_summary(proposals: Sequence[ProposedEnvironment], leftover: Sequence[str]) -> str:
    """What the written file holds, as render_config wrote it."""
    if not proposals:  # render_config's [environments.default] with stacks = ["*"]
        count = len(leftover)
        return f"one environment 'default' with every stack ({count} stack{'s' if count != 1 else ''})"
    found = ", ".join(f"{p.name} ({len(p.members)} stack{'s' if len(p.members) != 1 else ''})" for p in proposals)
    if leftover:
        found += (f"; not in any environment: {', '.join(leftover)} "
                  "(listed in a comment in the file: add them to an environment)")
    return found


# -------------------------------------------------------------------- writing


def existing_config(app_dir: Path, target: Path) -> Path | None:
    """A config this file would replace or shadow: the target itself, or pyproject's [tool.cdkcheck]."""
    if target.exists():
        return target
    pyproject = app_dir / "pyproject.toml"
    if target.parent.resolve() == app_dir.resolve() and pyproject.is_file():
        try:
            import tomllib

            if "cdkcheck" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}):
                return pyproject
        except (OSError, UnicodeDecodeError, ValueError):
            return None
    return None


def write_initial_config(
    app_dir: Path,
    *,
    target: Path | None = None,
    assembly_dir: Path | None = None,
    load_stacks: Callable[[], Sequence[Stack]] | None = None,
) -> tuple[Path, list[ProposedEnvironment], list[str]]:
    """Propose and write the config; refuses (UsageError, exit 2) when one exists already."""
    from cdkcheck.atomic import write_atomic
    from cdkcheck.config import parse_config
    import tomllib

    target = target or app_dir / CONFIG_NAME
    existing = existing_config(app_dir, target)
    if existing is not None:
        raise UsageError("a cdkcheck config exists already; init never overwrites one", file=str(existing),
                         hint="edit it, or move it away and run cdkcheck init again")
    stacks = load_stacks() if load_stacks else _synthesized_stacks(app_dir, assembly_dir)
    proposals, leftover = propose_environments(stacks)
    source = f"in {assembly_dir}" if assembly_dir else "this app synthesizes"
    text = render_config(proposals, leftover, source)
    parse_config(tomllib.loads(text), target)  # what init writes must load: a broken file would be worse than none
    write_atomic(target, text)
    return target, proposals, leftover


def _init_from_assembly(app_dir: Path) -> str:
    from shlex import quote

    if Path(app_dir) == Path("."):
        return "cdkcheck init --assembly cdk.out"
    return f"cdkcheck init --app {quote(str(app_dir))} --assembly {quote(str(Path(app_dir) / 'cdk.out'))}"


def _synthesized_stacks(app_dir: Path, assembly_dir: Path | None) -> Sequence[Stack]:
    from cdkcheck.app.assembly import load_assembly

    if assembly_dir is not None:
        return load_assembly(assembly_dir).stacks
    from cdkcheck.config import DEFAULT_SYNTH_TIMEOUT
    from cdkcheck.app.interpreter import choose_interpreter, explain_missing_cdk
    from cdkcheck.app.synth import default_cache_root, read_cdk_app, synthesize
    from cdkcheck.app.toolchain import explain_toolchain

    app, interpreter = choose_interpreter(read_cdk_app(app_dir), cache_dir=default_cache_root())
    outcome = synthesize(app, extra_context={}, extra_env={}, cache_root=default_cache_root(),
                         timeout=DEFAULT_SYNTH_TIMEOUT)
    missing_cdk = (explain_missing_cdk(interpreter, outcome.failure, app)
                   or explain_toolchain(app, outcome.failure, outcome.node)) \
        if outcome.assembly_dir is None and not outcome.timed_out else None
    if missing_cdk is not None:
        raise InitError(f"the CDK app in {app_dir} failed to synthesize: {missing_cdk[0]}", hint=missing_cdk[1])
    if outcome.assembly_dir is None:
        raise InitError(f"the CDK app in {app_dir} failed to synthesize: {outcome.failure}",
                        hint="fix the app (the error above is its own output), or read a cloud assembly "
                             f"written another way (cdk synth writes cdk.out): `{_init_from_assembly(app_dir)}`")
    return load_assembly(outcome.assembly_dir).stacks
