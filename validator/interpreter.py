"""Which Python runs a Python CDK app, when cdk.json just says `python3 app.py`.

`cdk init` keeps an app's libraries in `./.venv`; the `python3` on PATH is
often another one (cdkcheck installed with pipx, pre-commit's own
environment, a venv not activated). When that interpreter cannot import
aws_cdk but the app's `.venv` (or `$VIRTUAL_ENV`) can, the app runs with the
latter, as the user meant. Otherwise the synth failure names the interpreter
that ran and how to point the app at the right one.

Cheap on purpose (it runs before every synth, including cached ones): a
venv's site-packages is looked at on disk; only an interpreter whose packages
cannot be seen there is asked, in one short subprocess that finds the module
without importing it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from cdkcheck.synth import CdkApp

CDK_MODULE = "aws_cdk"
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
# Generous: a loaded machine may take seconds to start Python; no answer means "keep the app's command".
PROBE_TIMEOUT_SECONDS = 60.0
_PROBE = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(%r) else 1)" % CDK_MODULE


@dataclass(frozen=True)
class InterpreterChoice:
    named: str  # the interpreter as cdk.json names it: "python3", ".venv/bin/python"
    ran: str | None  # the executable that runs the app (None: not found)
    switched_from: str | None = None  # the interpreter that could not import aws_cdk, when another one is used
    missing_cdk: bool = False  # the interpreter that runs cannot import aws_cdk, and no venv can

    def note(self) -> str | None:
        """For the progress line, when the app does not run with the interpreter cdk.json names."""
        if self.switched_from is None:
            return None
        return f"running the app with {self.ran}: {self.named} ({self.switched_from}) cannot import {CDK_MODULE}"


def choose_interpreter(app: CdkApp, environ: dict[str, str] | None = None) -> tuple[CdkApp, InterpreterChoice | None]:
    """The app to run (its command possibly pointing at the app's venv), and what was decided; None: not Python."""
    environ = dict(os.environ if environ is None else environ)
    words = app.command.split()
    if not words or not _PYTHON.match(Path(words[0]).name):
        return app, None
    named = words[0]
    ran = _locate(named, app.directory, environ)
    if ran is not None and can_import_cdk(ran, app.directory, environ) is not False:
        return app, InterpreterChoice(named=named, ran=ran)
    for candidate in _venv_interpreters(app.directory, environ):
        if ran is not None and os.path.abspath(candidate) == os.path.abspath(ran):
            continue
        if can_import_cdk(candidate, app.directory, environ):
            rest = app.command.lstrip()[len(named):]
            chosen = replace(app, command=shlex.quote(candidate) + rest)
            return chosen, InterpreterChoice(named=named, ran=candidate, switched_from=ran or "not found")
    return app, InterpreterChoice(named=named, ran=ran, missing_cdk=True)


def can_import_cdk(python: str, app_dir: Path, environ: dict[str, str]) -> bool | None:
    """True/False; None when the interpreter did not answer (then nothing is changed)."""
    if _venv_site_packages_have_cdk(Path(python)):
        return True
    try:
        probe = subprocess.run([python, "-c", _PROBE], cwd=app_dir, env=environ, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=PROBE_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        return None if Path(python).exists() else False
    return probe.returncode == 0


def _venv_site_packages_have_cdk(python: Path) -> bool:
    """A venv's interpreter (bin/python next to ../pyvenv.cfg) with aws_cdk in its own site-packages."""
    venv = python.parent.parent  # not resolved: bin/python is a symlink to the base interpreter
    if not (venv / "pyvenv.cfg").is_file():
        return False
    return any((site / CDK_MODULE / "__init__.py").is_file() for site in venv.glob("lib/python*/site-packages"))


def _locate(named: str, app_dir: Path, environ: dict[str, str]) -> str | None:
    if "/" in named:  # relative to the app directory, where the command runs
        path = Path(named) if Path(named).is_absolute() else app_dir / named
        return str(path) if os.access(path, os.X_OK) else None
    return shutil.which(named, path=environ.get("PATH"))


def _venv_interpreters(app_dir: Path, environ: dict[str, str]) -> list[str]:
    """The app's own ./.venv first (where `cdk init` puts it), then an activated one."""
    found = []
    for venv in (app_dir / ".venv", Path(environ["VIRTUAL_ENV"]) if environ.get("VIRTUAL_ENV") else None):
        if venv is None:
            continue
        for name in ("python3", "python"):
            python = venv / "bin" / name
            if os.access(python, os.X_OK):
                found.append(str(python.absolute()))
                break
    return list(dict.fromkeys(found))


def explain_missing_cdk(choice: InterpreterChoice | None, failure: str | None, app: CdkApp) -> tuple[str, str] | None:
    """(what happened, the fix) when the synth failed because the interpreter lacks aws_cdk; else None."""
    if choice is None:
        return None
    lacks = f"No module named '{CDK_MODULE}'" in (failure or "") or f"No module named {CDK_MODULE}" in (failure or "")
    if not (choice.missing_cdk or lacks):
        return None
    who = f"{choice.named} ({choice.ran})" if choice.ran else f"{choice.named} (not found on PATH)"
    what = f"the app ran with {who}, which cannot import {CDK_MODULE}"
    if choice.missing_cdk:
        what += ", and neither ./.venv in the app nor $VIRTUAL_ENV has it"
    venv_python = ".venv/bin/python"
    fix = (f"activate the app's virtualenv before running cdkcheck (source .venv/bin/activate; create it with "
           f"python3 -m venv .venv && .venv/bin/pip install -r requirements.txt), or point cdk.json's \"app\" at it: "
           f"\"app\": \"{venv_python}{app.command.lstrip()[len(choice.named):]}\"")
    return what, fix
