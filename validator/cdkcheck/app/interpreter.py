"""Which Python runs a Python CDK app, when cdk.json just says `python3 app.py`.

`cdk init` keeps an app's libraries in `./.venv`; the `python3` on PATH is
often another one (cdkcheck installed with pipx, pre-commit's own
environment, a venv not activated). When that interpreter cannot import
aws_cdk but the app's `.venv` (or one above it in the repository,
or `$VIRTUAL_ENV`) can, the app runs with the latter, as
the user meant. Otherwise the synth failure names the interpreter
that ran and how to point the app at the right one.

Cheap on purpose (it runs before every synth, including cached ones): a
venv's site-packages is looked at on disk; only an interpreter whose packages
cannot be seen there is asked, in one short subprocess that finds the module
without importing it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from cdkcheck.app.synth import CdkApp

CDK_MODULE = "aws_cdk"
_PYTHON = re.compile(r"^python(\d+(\.\d+)?)?$")
# Generous: a loaded machine may take seconds to start Python; no answer means "keep the app's command".
PROBE_TIMEOUT_SECONDS = 60.0
_PROBE = ("import importlib.util, json, os, sys; spec = importlib.util.find_spec(%r); "
          "print(json.dumps({'found': bool(spec), 'executable': sys.executable, "
          "'paths': [p for p in sys.path if p and os.path.isdir(p)]}))" % CDK_MODULE)
_IMPORT_ENV = ("PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONNOUSERSITE", "PYTHONUSERBASE", "PYENV_VERSION",
               "VIRTUAL_ENV", "CONDA_PREFIX", "HOME")
MEMO_ENTRIES_KEPT = 32


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


def choose_interpreter(app: CdkApp, environ: dict[str, str] | None = None,
                       cache_dir: Path | None = None) -> tuple[CdkApp, InterpreterChoice | None]:
    """The app to run (its command possibly pointing at the app's venv), and what was decided; None: not Python.

    With `cache_dir`, an interpreter's answer is remembered until its import path changes on disk.
    """
    environ = dict(os.environ if environ is None else environ)
    words = app.command.split()
    if not words or not _PYTHON.match(Path(words[0]).name):
        return app, None
    named = words[0]
    memo = _ProbeMemo(cache_dir / "interpreters.json" if cache_dir else None)
    ran = _locate(named, app.directory, environ)
    if ran is not None and can_import_cdk(ran, app.directory, environ, memo) is not False:
        return app, InterpreterChoice(named=named, ran=ran)
    for candidate in _venv_interpreters(app.directory, environ):
        if ran is not None and os.path.abspath(candidate) == os.path.abspath(ran):
            continue
        if can_import_cdk(candidate, app.directory, environ, memo):
            rest = app.command.lstrip()[len(named):]
            chosen = replace(app, command=shlex.quote(candidate) + rest)
            return chosen, InterpreterChoice(named=named, ran=candidate, switched_from=ran or "not found")
    return app, InterpreterChoice(named=named, ran=ran, missing_cdk=True)


def can_import_cdk(python: str, app_dir: Path, environ: dict[str, str],
                   memo: "_ProbeMemo | None" = None) -> bool | None:
    """True/False; None when the interpreter did not answer (then nothing is changed)."""
    if _venv_site_packages_have_cdk(Path(python)):
        return True
    memo = memo or _ProbeMemo(None)
    key = _memo_key(python, app_dir, environ)
    known = memo.get(key)
    if known is not None:
        return known
    try:
        probe = subprocess.run([python, "-c", _PROBE], cwd=app_dir, env=environ, stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=PROBE_TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired):
        return None if Path(python).exists() else False
    try:
        answer = json.loads(probe.stdout)
    except ValueError:  # not a Python that runs the probe: let the synth itself say what happens
        return None
    found = bool(answer.get("found"))
    # What decides the answer: the import path's directories (an install changes their mtime).
    paths = [p for p in answer.get("paths", []) if isinstance(p, str) and Path(p) != app_dir.absolute()]
    memo.put(key, found, [answer.get("executable", ""), *paths])
    return found


class _ProbeMemo:
    """Probe answers in one small JSON file; an entry holds while every directory it names is unchanged."""

    def __init__(self, path: Path | None):
        self.path = path
        self._entries: dict | None = None

    def _load(self) -> dict:
        if self._entries is None:
            self._entries = {}
            if self.path is not None:
                try:
                    loaded = json.loads(self.path.read_text(encoding="utf-8"))
                    self._entries = loaded if isinstance(loaded, dict) else {}
                except (OSError, ValueError):
                    pass
        return self._entries

    def get(self, key: str) -> bool | None:
        entry = self._load().get(key)
        if not isinstance(entry, dict) or not isinstance(entry.get("stamps"), dict):
            return None
        if any(_stamp(path) != stamp for path, stamp in entry["stamps"].items()):
            return None
        return bool(entry.get("found"))

    def put(self, key: str, found: bool, paths: list[str]) -> None:
        if self.path is None:
            return
        entries = self._load()
        entries[key] = {"found": found, "stamps": {p: _stamp(p) for p in paths if p}}
        try:
            from cdkcheck.atomic import write_atomic

            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, json.dumps(dict(list(entries.items())[-MEMO_ENTRIES_KEPT:]), sort_keys=True))
        except OSError:  # a memo that cannot be written costs a probe next time, nothing else
            pass


def _stamp(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _memo_key(python: str, app_dir: Path, environ: dict[str, str]) -> str:
    """The interpreter and what steers its import path (pyenv shims pick a version per directory)."""
    local_version = app_dir / ".python-version"
    parts = [python, os.path.realpath(python), str(_stamp(os.path.realpath(python))), str(app_dir.absolute()),
             str(_stamp(str(local_version))), *(environ.get(name, "") for name in _IMPORT_ENV)]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


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
    """Where the app's libraries usually are, in order.

    The app's own ./.venv (where `cdk init` puts it), one above it up to the repository root (an app in
    infra/ of a repository with one venv), then an activated one.
    """
    venvs = [directory / ".venv" for directory in _up_to_repository_root(app_dir.absolute())]
    if environ.get("VIRTUAL_ENV"):
        venvs.append(Path(environ["VIRTUAL_ENV"]))
    found = []
    for venv in venvs:
        for name in ("python3", "python"):
            python = venv / "bin" / name
            if os.access(python, os.X_OK):
                found.append(str(python.absolute()))
                break
    return list(dict.fromkeys(found))


def _up_to_repository_root(app_dir: Path) -> list[Path]:
    directories = [app_dir]
    for parent in app_dir.parents:
        if (directories[-1] / ".git").exists():
            break
        directories.append(parent)
    return directories if (directories[-1] / ".git").exists() else [app_dir]


def explain_missing_cdk(choice: InterpreterChoice | None, failure: str | None, app: CdkApp) -> tuple[str, str] | None:
    """(what happened, the fix) when the synth failed because the interpreter lacks aws_cdk; else None."""
    if choice is None:
        return None
    lacks = f"No module named '{CDK_MODULE}'" in (failure or "") or f"No module named {CDK_MODULE}" in (failure or "")
    if not (choice.missing_cdk or lacks):
        return None
    if choice.ran:
        what = f"the app ran with {choice.named} ({choice.ran}), which cannot import {CDK_MODULE}"
    else:
        what = f"the app's interpreter {choice.named} is not found ({'in the app' if '/' in choice.named else 'on PATH'})"
    if choice.missing_cdk:
        what += (f", and no virtualenv that can import {CDK_MODULE} was found: not .venv in the app (or above it, "
                 "up to the repository root), nor $VIRTUAL_ENV")
    requirements = "-r requirements.txt" if (app.directory / "requirements.txt").is_file() else "aws-cdk-lib constructs"
    fix = (f"activate the app's virtualenv before running cdkcheck (source .venv/bin/activate; to create it: "
           f"python3 -m venv .venv && .venv/bin/pip install {requirements}), or point cdk.json's \"app\" at it: "
           f"\"app\": \".venv/bin/python{app.command.lstrip()[len(choice.named):]}\"")
    return what, fix
