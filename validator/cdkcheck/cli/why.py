"""`cdkcheck why STACK [ENV]`: after a failed deploy, the root cause, where it is in the app, what was still
being created, and whether the gate would have caught it."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import List, Optional

import typer

WHY_HELP = """Explain a stack's failed deploy: its root cause, the construct and source line, what was
still being created when it failed, and whether cdkcheck's checks would have stopped it.

\b
Live (read-only): the stack's last operation is read from the account, a deleted stack
too (by its stack id, kept 90 days), with its events and template.
Offline: --events FILE takes what `aws cloudformation describe-stack-events
--stack-name STACK --output json` prints (repeat it for nested stacks' events).
The template comes from --template, else the app (--app, synthesized as `check` does)
or --assembly, else the deployed one.

\b
Exit codes:
  0    a failed operation was explained
  2    bad input (broken or empty events or template file, bad flag or config)
  4    internal error (rerun with --debug and report it)
  5    nothing to explain: the last operation succeeded (or is still running
       without a failure), or the stack has no events
  6    the stack was never created in this account and region (nor deleted
       in the last 90 days)
  7    access denied: grant the actions in docs/iam-policy.json
  8    throttled by AWS after retries: run again later
  9    the account cannot be reached (no or expired credentials, no region,
       no endpoint)
  130  interrupted
"""


def why_command(
    stack: str = typer.Argument(..., metavar="STACK", help="The CloudFormation stack name."),
    environment: Optional[str] = typer.Argument(None, metavar="[ENV]",
                                                help="The environment in cdkcheck.toml (profile, region, rules)."),
    app_dir: Path = typer.Option(Path("."), "--app", help="The CDK app directory (holds cdk.json; source lines "
                                                         "are relative to it)."),
    assembly: Optional[Path] = typer.Option(None, "--assembly", help="Use an existing cloud assembly of the app; "
                                                                     "no synth."),
    events: List[Path] = typer.Option([], "--events", metavar="FILE",
                                      help="describe-stack-events JSON instead of the account (repeatable: add "
                                           "the nested stacks' events)."),
    template: Optional[Path] = typer.Option(None, "--template", metavar="FILE",
                                            help="The template that was deployed (JSON or YAML)."),
    config: Optional[Path] = typer.Option(None, "--config", help="Config file (default: cdkcheck.toml, "
                                                                 "else [tool.cdkcheck] in pyproject.toml)."),
    output_format: str = typer.Option("text", "--format", help="text | json | markdown"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the report here (atomically)."),
    report: List[str] = typer.Option([], "--report", metavar="FORMAT=FILE",
                                     help="Also write this format to this file (repeatable), e.g. "
                                          "--report markdown=why.md --report json=why.json."),
    offline: bool = typer.Option(False, "--offline", help="No AWS calls (needs --events); the checks re-run "
                                                          "offline only."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Synthesize and analyze again."),
    synth_timeout: Optional[float] = typer.Option(None, "--synth-timeout", help="Seconds before a hanging synth "
                                                                                "is stopped."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress messages."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for internal errors."),
) -> None:
    from cdkcheck.cli.main import _guarded

    raise typer.Exit(_guarded(debug, lambda: _why(
        stack, environment, app_dir=app_dir, assembly=assembly, events=events, template=template, config=config,
        output_format=output_format, output=output, reports=report, offline=offline, no_cache=no_cache,
        synth_timeout=synth_timeout, quiet=quiet)))


def _why(stack, environment, *, app_dir, assembly, events, template, config, output_format, output, reports,
         offline, no_cache, synth_timeout, quiet) -> int:
    from cdkcheck.atomic import write_atomic
    from cdkcheck.cli.main import _progress
    from cdkcheck.errors import UsageError
    from cdkcheck.reporters.why import WHY_FORMATS, render_why
    from cdkcheck.why.explain import WhyOptions, explain

    if output_format not in WHY_FORMATS:
        raise UsageError(f"unknown --format '{output_format}'", hint=f"choose one of {', '.join(WHY_FORMATS)}")
    written = _report_options(reports, WHY_FORMATS)
    options = WhyOptions(stack=stack, environment=environment, app_dir=app_dir, assembly_dir=assembly,
                         events_files=tuple(events), template_file=template, config_file=config, offline=offline,
                         use_cache=not no_cache, synth_timeout=synth_timeout)
    with _progress(enabled=not quiet) as progress:
        report = explain(options, progress=progress)
    for name, file in written:
        write_atomic(file, render_why(name, report))
    if output is not None:
        write_atomic(output, render_why(output_format, report))
        if output_format != "text":
            typer.echo(render_why("text", report), nl=False)
    else:
        typer.echo(render_why(output_format, report), nl=False)
    sys.stdout.flush()
    return report.exit_code


def _report_options(values, formats) -> list[tuple[str, Path]]:
    from cdkcheck.errors import UsageError

    found: list[tuple[str, Path]] = []
    for value in values:
        name, sep, file = (part.strip() for part in value.partition("="))
        if not sep or not file:
            raise UsageError(f"--report '{value}' is not FORMAT=FILE", hint="e.g. --report markdown=why.md")
        if name not in formats:
            raise UsageError(f"unknown --report format '{name}'", hint=f"choose one of {', '.join(formats)}")
        found.append((name, Path(file)))
    return found
