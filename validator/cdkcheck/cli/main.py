"""Command line: parse, delegate to the pipeline, render, set the exit code.

Exit codes: 0 every environment GO, 1 any NO-GO, 2 usage or configuration
error, 3 INCONCLUSIVE (a required check could not run), 4 internal error,
130 interrupted. Heavy libraries are imported inside commands so that
`cdkcheck --help` stays fast.
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import List, Optional

import typer
from typer.core import TyperGroup

from cdkcheck import __version__

EXIT_USAGE = 2
EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130


class _DefaultToCheck(TyperGroup):
    """`cdkcheck staging` means `cdkcheck check staging`, `cdkcheck` alone `cdkcheck check`; subcommands still win."""

    def parse_args(self, ctx, args):
        passthrough = {"--help", "-h", "--version", "--install-completion", "--show-completion"}
        if not args or (args[0] not in self.commands and args[0] not in passthrough):
            args = ["check", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_DefaultToCheck,
    help="Pre-deployment GO / NO-GO for AWS CDK apps, per environment.\n\n"
         "Usage: cdkcheck [ENV]... [OPTIONS]   (e.g. cdkcheck, or cdkcheck staging production --offline)\n\n"
         "Without ENV: every environment in cdkcheck.toml; without one, every stack as one environment.",
    no_args_is_help=False,
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cdkcheck {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """Pre-deployment GO / NO-GO for AWS CDK apps."""


@app.command("check")
def check_command(
    environments: Optional[List[str]] = typer.Argument(
        None, metavar="[ENV]...", help="Environment names; each gets a verdict. Default: every environment "
                                       "in the config; without a config, every stack as environment 'default'."),
    app_dir: Path = typer.Option(Path("."), "--app", help="The CDK app directory (holds cdk.json)."),
    assembly: Optional[Path] = typer.Option(None, "--assembly", help="Check an existing cloud assembly; no synth."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file (default: cdkcheck.toml, "
                                                                 "else [tool.cdkcheck] in pyproject.toml)."),
    stack: List[str] = typer.Option([], "--stack", help="Only stacks matching this glob (repeatable)."),
    output_format: str = typer.Option("text", "--format", help="text | json | sarif | junit | markdown | github"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report here (atomically)."),
    report: List[str] = typer.Option([], "--report", metavar="FORMAT=FILE",
                                     help="Also write this format to this file (repeatable), e.g. "
                                          "--report sarif=cdkcheck.sarif --report junit=junit.xml."),
    offline: bool = typer.Option(False, "--offline", help="No AWS calls; live checks are reported as skipped."),
    facts: Optional[Path] = typer.Option(None, "--facts", metavar="FILE",
                                         help="Replay account facts recorded by 'cdkcheck snapshot' (no AWS "
                                              "calls; for offline or air-gapped runs)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Ignore every cache: synthesize, analyze and read the "
                                                            "account again."),
    synth_timeout: Optional[float] = typer.Option(None, "--synth-timeout", help="Seconds before a hanging synth "
                                                                                "is stopped (default 300)."),
    max_facts_age: Optional[float] = typer.Option(
        None, "--max-facts-age", metavar="S",
        help="Reuse account answers of earlier runs up to S seconds old (default 0: read the account afresh). "
             "Answers behind a blocking or unknown outcome are always read again."),
    max_snapshot_age: Optional[float] = typer.Option(
        None, "--max-snapshot-age", metavar="HOURS",
        help="With --facts: refuse (UNKNOWN) facts recorded more than HOURS ago."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show every advisory."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress messages."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for internal errors."),
) -> None:
    """Synthesize the app and print GO / NO-GO for each environment."""
    code = _guarded(debug, lambda: _check(
        environments, app_dir=app_dir, assembly=assembly, config=config, stack=stack,
        output_format=output_format, output=output, report=report, offline=offline, no_cache=no_cache,
        synth_timeout=synth_timeout, verbose=verbose, quiet=quiet, facts=facts, max_facts_age=max_facts_age,
        max_snapshot_age=max_snapshot_age))
    raise typer.Exit(code)


def _check(environments, *, app_dir, assembly, config, stack, output_format, output, report, offline, no_cache,
           synth_timeout, verbose, quiet, facts=None, max_facts_age=None, max_snapshot_age=None) -> int:
    from cdkcheck.errors import UsageError
    from cdkcheck.reporters import FORMATS, parse_report_options, render
    from cdkcheck.reporters.presentation import repository_prefix

    if output_format not in FORMATS:
        raise UsageError(f"unknown --format '{output_format}'", hint=f"choose one of {', '.join(FORMATS)}")
    reports = parse_report_options(report)
    if max_facts_age is not None and max_facts_age < 0:
        raise UsageError("--max-facts-age must be 0 or more seconds", hint="0 reads the account afresh")
    if max_snapshot_age is not None and max_snapshot_age <= 0:
        raise UsageError("--max-snapshot-age must be a positive number of hours")
    from cdkcheck.engine.pipeline import RunOptions, check_environments

    options = RunOptions(
        app_dir=app_dir,
        assembly_dir=assembly,
        config_file=config,
        stack_globs=tuple(stack),
        offline=offline,
        use_cache=not no_cache,
        synth_timeout=synth_timeout,
        facts_file=facts,
        max_facts_age=max_facts_age,
        max_snapshot_age_hours=max_snapshot_age,
        outputs=tuple(path for _, path in reports) + ((output,) if output is not None else ()),
    )
    if not environments:
        _note_implicit_environment(app_dir, config, stack)
    with _progress(enabled=not quiet) as progress:
        run = check_environments(environments or [], options, progress=progress)
    # Source paths in SARIF/annotations are relative to the repository, where CI resolves them.
    prefix = repository_prefix(app_dir)
    from cdkcheck.atomic import write_atomic

    for report_format, report_file in reports:
        write_atomic(report_file, render(report_format, run, color=False, verbose=verbose, path_prefix=prefix))
    if output is not None:
        write_atomic(output, render(output_format, run, color=False, verbose=verbose, path_prefix=prefix))
        if output_format != "text":  # the file is for machines; people still see the verdicts
            typer.echo(render("text", run, color=_color(sys.stdout), verbose=verbose), nl=False)
    else:
        typer.echo(render(output_format, run, color=_color(sys.stdout), verbose=verbose, path_prefix=prefix),
                   nl=False)
    return run.exit_code


@app.command("init")
def init_command(
    app_dir: Path = typer.Option(Path("."), "--app", help="The CDK app directory (holds cdk.json)."),
    assembly: Optional[Path] = typer.Option(None, "--assembly", help="Read stacks from this cloud assembly; "
                                                                     "no synth."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Where to write (default: APP/cdkcheck.toml)."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for internal errors."),
) -> None:
    """Write a commented cdkcheck.toml: one environment per CDK Stage or stack-naming pattern. Never overwrites."""
    def action() -> int:
        from cdkcheck.cli.init_config import init_summary, write_initial_config

        target, proposals, leftover = write_initial_config(app_dir, target=output, assembly_dir=assembly)
        typer.echo(f"wrote {target}: {init_summary(proposals, leftover)}")
        typer.echo("  check them with `cdkcheck`" + (f" (or `cdkcheck {proposals[0].name}`)" if proposals else ""))
        return 0

    raise typer.Exit(_guarded(debug, action))


def _note_implicit_environment(app_dir: Path, config: Path | None, stack_globs) -> None:
    from cdkcheck.config import IMPLICIT_ENVIRONMENT, load_config

    loaded = load_config(app_dir, config)
    if not loaded.environments:
        where = f"in {loaded.file}" if loaded.file else "(no cdkcheck.toml)"
        which = "the stacks --stack selects are" if stack_globs else "every stack is"
        typer.echo(f"cdkcheck: note: no environments configured {where}: {which} checked as one "
                   f"environment '{IMPLICIT_ENVIRONMENT}'; `cdkcheck init` writes a cdkcheck.toml that splits "
                   "it per environment", err=True)


def _color(stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


class _progress:
    """Spinner on a terminal; plain timestamped lines in CI logs so long steps never look hung."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._status = None

    def __enter__(self):
        if not self.enabled:
            return lambda message: None
        if sys.stderr.isatty():
            from rich.console import Console

            self._status = Console(stderr=True).status("starting")
            self._status.__enter__()
            return lambda message: self._status.update(message)
        import time

        started = time.monotonic()
        return lambda message: print(f"cdkcheck [{time.monotonic() - started:5.1f}s] {message}",
                                     file=sys.stderr, flush=True)

    def __exit__(self, *exc):
        if self._status is not None:
            self._status.__exit__(*exc)
        return False


def _guarded(debug: bool, action) -> int:
    """One clear message and a distinct exit code; a traceback only with --debug."""
    from cdkcheck.errors import CdkcheckError

    try:
        return action()
    except CdkcheckError as exc:
        if debug:  # the traceback, but the same exit code: scripts branch on it
            traceback.print_exc()
        typer.echo(f"cdkcheck: error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("cdkcheck: interrupted", err=True)
        return EXIT_INTERRUPTED
    except Exception as exc:  # the last line of defence: never a bare traceback
        if debug:
            traceback.print_exc()
        typer.echo(f"cdkcheck: internal error: {type(exc).__name__}: {exc}\n"
                   "  hint: rerun with --debug for the traceback and report it", err=True)
        return EXIT_INTERNAL


@app.command("rules")
def rules_command() -> None:
    """List every rule (id, severity, name, summary) and how folded-in findings block."""
    from cdkcheck.cli.rule_reference import rules_text

    raise typer.Exit(_guarded(False, lambda: typer.echo(rules_text(), nl=False) or 0))


@app.command("explain")
def explain_command(rule_id: str = typer.Argument(..., metavar="ID", help="A rule id, e.g. CDKC-V5.")) -> None:
    """Print one rule's rationale, fix, example and documentation link."""
    from cdkcheck.cli.rule_reference import explain_text

    raise typer.Exit(_guarded(False, lambda: typer.echo(explain_text(rule_id), nl=False) or 0))


@app.command("snapshot")
def snapshot_command(
    environments: List[str] = typer.Argument(..., metavar="ENV...", help="Environments whose accounts to record."),
    output: Path = typer.Option(..., "--output", "-o", help="The facts file to write (JSON, atomically)."),
    app_dir: Path = typer.Option(Path("."), "--app", help="The CDK app directory (holds cdk.json)."),
    assembly: Optional[Path] = typer.Option(None, "--assembly", help="Use an existing cloud assembly; no synth."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file (default: cdkcheck.toml, "
                                                                 "else [tool.cdkcheck] in pyproject.toml)."),
    stack: List[str] = typer.Option([], "--stack", help="Only stacks matching this glob (repeatable)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress messages."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for internal errors."),
) -> None:
    """Record the account facts the checks read (read-only calls), to replay later with --facts FILE."""
    raise typer.Exit(_guarded(debug, lambda: _snapshot(environments, output=output, app_dir=app_dir,
                                                       assembly=assembly, config=config, stack=stack, quiet=quiet)))


def _snapshot(environments, *, output, app_dir, assembly, config, stack, quiet) -> int:
    from cdkcheck.cli.snapshot import take_snapshot
    from cdkcheck.engine.pipeline import RunOptions

    options = RunOptions(app_dir=app_dir, assembly_dir=assembly, config_file=config, stack_globs=tuple(stack))
    with _progress(enabled=not quiet) as progress:
        recorded = take_snapshot(environments, options, output=output, progress=progress)
    unreachable = False
    for entry in recorded:
        where = f"account {entry.account or '?'} {entry.region or '?'}"
        if entry.reason:
            unreachable = True
            typer.echo(f"{entry.name}: no facts recorded ({where}): {entry.reason}")
            continue
        typer.echo(f"{entry.name}: {entry.answered} facts recorded ({where})"
                   + (f"; {len(entry.unavailable)} unanswered: " + "; ".join(entry.unavailable[:3])
                      if entry.unavailable else ""))
    typer.echo(f"wrote {output}")
    return 3 if unreachable else 0


def _register_why() -> None:
    from cdkcheck.cli.why import WHY_HELP, why_command

    app.command("why", help=WHY_HELP, short_help="Explain a failed deploy: root cause, construct, source line, "
                                                 "and whether the gate would have caught it.")(why_command)


_register_why()


def main() -> None:
    _terminate_like_interrupt()
    app()


def _terminate_like_interrupt() -> None:
    """A CI timeout sends SIGTERM: clean up as for Ctrl-C (stop the synth, write no report), not just die."""
    import signal

    def interrupt(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends the process at once
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread (cdkcheck embedded in another program): leave signals alone
        pass


if __name__ == "__main__":
    main()
